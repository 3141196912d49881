"""The registry web app at /: its operations hold against the schema (checked here, so a
schema change that breaks the app fails without Node), its pages are served with the
security headers, and in headless Chromium it lists, searches, sorts and pages models,
leads to a model's page, renders registry values as text, and signs in with a token."""
from pathlib import Path

import httpx
import pytest
from graphql import build_schema, parse, validate

from resolvers import accounts
from tests.browser import Visit, expect
from tests.conftest import ok

ROOT = Path(__file__).resolve().parent.parent
OPERATIONS = sorted(ROOT.joinpath("frontend", "src", "app", "operations").glob("*.graphql"))


@pytest.mark.parametrize("path", OPERATIONS, ids=lambda p: p.name)
def test_each_operation_of_the_app_is_valid_against_the_exported_schema(path):
    schema = build_schema(ROOT.joinpath("schema", "schema.graphql").read_text())
    assert validate(schema, parse(path.read_text())) == []


@pytest.mark.parametrize("path", ["/", "/models/fraud", "/models/a%2Fb", "/models/fraud/versions/3", "/reviews"])
def test_the_app_page_is_served_at_its_paths_with_the_security_headers(server_url, secured_url, path):
    for url in (server_url, secured_url):  # open in --auth required mode too: it asks for a token itself
        page = httpx.get(f"{url}{path}")
        assert page.status_code == 200 and '<script type="module" src="/static/app.js">' in page.text
        assert page.headers["content-security-policy"].startswith("default-src 'none'; script-src 'self';")
        assert page.headers["x-frame-options"] == "DENY"


def _models(gql, count: int) -> None:
    for number in range(count):
        ok(gql.play("create_model", name=f"m-{number:02}"))


def test_the_models_list_counts_pages_searches_sorts_and_leads_to_a_model_page(browser, server_url, gql):
    _models(gql, 30)
    ok(gql.play("create_version", name="m-07", source="https://example.com/models/m-07"))
    with Visit(browser) as visit:
        page = visit.page
        page.goto(f"{server_url}/")
        page.get_by_text("30 models, page 1").wait_for()
        rows = page.locator("table.models tbody tr")
        expect(rows).to_have_count(25)
        page.get_by_role("button", name="Next page").click()
        page.get_by_text("30 models, page 2").wait_for()
        expect(rows).to_have_count(5)
        page.get_by_role("button", name="Previous page").click()
        page.get_by_text("30 models, page 1").wait_for()
        page.get_by_label("Filter").fill("name LIKE 'm-1%'")
        page.get_by_role("button", name="Search").click()
        page.get_by_text("10 models").wait_for()
        page.get_by_label("Sort by").select_option("created")
        expect(rows.first.get_by_role("link")).to_have_text("m-19")  # newest first
        page.get_by_label("Filter").fill("name LIKE 'm-0%'")
        page.get_by_role("button", name="Search").click()
        page.get_by_role("link", name="m-07").click()
        page.get_by_role("heading", name="m-07").wait_for()
        assert page.url == f"{server_url}/models/m-07"
        source = page.get_by_role("link", name="https://example.com/models/m-07")
        assert source.get_attribute("href") == "https://example.com/models/m-07"  # an http(s) source is a link
        page.go_back()
        page.get_by_text("10 models").wait_for()
        assert visit.errors == []


def test_typed_filters_narrow_the_list_together_with_the_filter_string(browser, server_url, gql):
    for name, team in (("risk-a", "risk"), ("risk-b", "risk"), ("growth-a", "growth")):
        ok(gql.play("create_model", name=name, tags=[{"key": "team", "value": team}]))
        ok(gql.play("create_version", name=name, source=f"s3://b/{name}/1"))
    ok(gql.play("set_alias", name="risk-b", alias="champion", version=1))
    with Visit(browser) as visit:
        page = visit.page
        page.goto(f"{server_url}/")
        page.get_by_text("3 models").wait_for()
        page.get_by_label("Tag", exact=True).fill("team")
        page.get_by_label("equal to").fill("risk")
        page.get_by_role("button", name="Search").click()
        page.get_by_text("2 models").wait_for()
        assert "tag=team" in page.url and "value=risk" in page.url  # a shareable address
        page.get_by_label("Alias").fill("champion")
        page.get_by_role("button", name="Search").click()
        page.get_by_text("1 model").wait_for()
        expect(page.locator("table.models tbody tr").get_by_role("link")).to_have_text("risk-b")
        page.get_by_label("Filter").fill("name LIKE 'growth%'")
        page.get_by_role("button", name="Search").click()
        page.get_by_text("0 models").wait_for()  # the string and the typed filters, ANDed
        assert visit.errors == []


def test_a_filter_the_api_refuses_shows_its_code_and_message(browser, server_url):
    with Visit(browser) as visit:
        page = visit.page
        page.goto(f"{server_url}/?q=" + "name%20LIKE")
        alert = page.get_by_role("alert")
        alert.wait_for()
        assert alert.inner_text().startswith("INVALID_ARGUMENT ") and "LIKE" in alert.inner_text()


def test_registry_values_are_rendered_as_text_never_as_markup(browser, server_url, gql):
    hostile = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'
    ok(gql.mutate("createRegisteredModel", "", name="hostile", description=hostile))
    ok(gql.play("create_version", name="hostile", source="s3://bucket/<b>bold</b>"))
    # The API refuses a script URI as a source; a run link is the tracking server's to vouch for.
    ok(gql.mutate("createModelVersion", "", name="hostile", source="s3://bucket/2", runId="r1",
                  runLink="javascript:window.pwned=3"))
    with Visit(browser) as visit:
        page = visit.page
        page.goto(f"{server_url}/models/hostile")
        page.get_by_text(hostile).wait_for()
        assert page.locator("main img, main script, main b").count() == 0
        assert page.evaluate("window.pwned") is None
        assert page.get_by_role("link", name="s3://bucket/<b>bold</b>").count() == 0  # not http(s): not a link
        page.get_by_text("s3://bucket/<b>bold</b>").wait_for()
        page.goto(f"{server_url}/models/hostile/versions/2")  # a script URI as run link
        page.get_by_role("heading", name="hostile v2").wait_for()
        assert page.locator("a[href^='javascript']").count() == 0
        page.get_by_text("javascript:window.pwned=3").first.wait_for()
        assert page.evaluate("window.pwned") is None


def test_required_mode_asks_for_a_token_first_and_sends_it_as_a_header(browser, secured_url, store):
    _, secret = store.write(accounts.create_user, "viewer-of-the-app", True, [])
    with Visit(browser) as visit:
        page = visit.page
        page.goto(f"{secured_url}/")
        page.get_by_role("heading", name="Sign in").wait_for()
        assert not [r for r in visit.requests if r.url.startswith(f"{secured_url}/graphql")]  # nothing sent yet
        page.get_by_label("Access token").fill(secret)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Registered models").wait_for()
        page.get_by_text("0 models").wait_for()
        sent = [r for r in visit.requests if r.url == f"{secured_url}/graphql"]
        assert sent and all(r.headers.get("authorization") == f"Bearer {secret}" for r in sent)
        assert visit.context.cookies() == []
