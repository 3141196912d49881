"""GraphiQL in a real headless Chromium: it loads with no request leaving this server,
shows the schema's docs, runs a query, opens the playground's examples, follows a
subscription over the WebSocket, and in `--auth required` mode sends the token it asks
for as a header, never in a URL or a cookie."""
import json

from resolvers import accounts
from tests.browser import Visit

RUN = "button[aria-label^='Execute query']"
RESPONSE = ".graphiql-response"
DOCS = "button[aria-label='Show Documentation Explorer']"
QUERY_EDITOR = ".graphiql-query-editor .CodeMirror-code"
VARIABLES_EDITOR = ".graphiql-editor-tool .graphiql-editor:nth-child(1) .CodeMirror"


def _run_the_welcome_query(page, answer: str) -> None:
    """Runs the query the first tab opens with and waits for ANSWER in the response. The
    editor is filled by an effect after GraphiQL mounts: a click on Run before that
    sends nothing, so the click waits for the query to be in the editor."""
    page.locator(QUERY_EDITOR, has_text="registeredModels").wait_for()
    page.click(RUN)
    response = page.locator(RESPONSE)
    try:
        response.filter(has_text=answer).wait_for()
    except Exception as timeout:
        raise AssertionError(f"no {answer} in the response; it holds: {response.inner_text()!r}") from timeout


def _only_this_server(visit: Visit, url: str) -> None:
    ws_url = url.replace("http://", "ws://")
    elsewhere = [r.url for r in visit.requests if not (r.url.startswith(f"{url}/") or r.url.startswith(f"{ws_url}/")
                                                       or r.url.startswith("data:"))]
    assert elsewhere == []


def test_graphiql_loads_from_this_server_alone_shows_the_docs_and_runs_a_query(browser, server_url, gql):
    gql.play("create_model", name="fraud")
    with Visit(browser) as visit:
        page = visit.page
        page.goto(f"{server_url}/graphql")
        page.click(DOCS)
        page.get_by_role("link", name="Query").first.wait_for()  # the root type, read by introspection
        _run_the_welcome_query(page, '"name": "fraud"')
        page.click("button[aria-label='Show Examples']")
        page.get_by_role("button", name="search models").click()
        page.get_by_role("tab", name="SearchModels").wait_for()
        assert visit.errors == []
        _only_this_server(visit, server_url)


def test_graphiql_completes_fields_from_the_schema(browser, server_url):
    with Visit(browser) as visit:
        page = visit.page
        page.goto(f"{server_url}/graphql")
        page.click(DOCS)
        page.get_by_role("link", name="Query").first.wait_for()  # the schema is in, by introspection
        page.locator(QUERY_EDITOR, has_text="registeredModels").wait_for()  # the editor may mount after the docs
        page.evaluate("(s) => document.querySelector(s).CodeMirror.setValue('{ registeredMo')",
                      ".graphiql-query-editor .CodeMirror")
        page.evaluate("(s) => { const cm = document.querySelector(s).CodeMirror; cm.focus(); "
                      "cm.setCursor(cm.lineCount(), 0); }", ".graphiql-query-editor .CodeMirror")
        page.keyboard.press("Control+Space")
        page.locator(".CodeMirror-hints li", has_text="registeredModels").first.wait_for()
        assert visit.errors == []


def test_required_mode_asks_for_a_token_and_sends_it_as_a_header_only(browser, secured_url, store):
    _, secret = store.write(accounts.create_user, "browsing", True, [])
    with Visit(browser) as visit:
        page = visit.page
        page.goto(f"{secured_url}/graphql")
        page.get_by_text("This registry needs an access token.").wait_for()
        assert page.locator(RUN).count() == 0  # nothing is sent before a token
        page.get_by_label("Access token").fill(secret)
        page.get_by_role("button", name="Use token").click()
        page.get_by_text("Signed in with a token.").wait_for()
        page.click(DOCS)
        page.get_by_role("link", name="Query").first.wait_for()  # the schema, read with the token
        _run_the_welcome_query(page, '"totalCount"')
        sent = [r for r in visit.requests if r.method == "POST" and r.url == f"{secured_url}/graphql"]
        assert sent and all(r.headers.get("authorization") == f"Bearer {secret}" for r in sent)
        assert not any(secret in r.url for r in visit.requests)
        assert visit.context.cookies() == []
        assert visit.errors == []
        _only_this_server(visit, secured_url)


def test_graphiql_follows_a_subscription_from_the_examples(browser, server_url, gql):
    with Visit(browser) as visit:
        page = visit.page
        page.goto(f"{server_url}/graphql")
        page.click("button[aria-label='Show Examples']")
        page.get_by_role("button", name="follow activities").click()
        page.get_by_role("tab", name="FollowActivities").wait_for()
        page.locator(QUERY_EDITOR, has_text="subscription FollowActivities").wait_for()
        # From the newest activity now: what is committed before the server has the
        # subscription is replayed, so the test does not race the subscribe message.
        gql.play("create_model", name="made-before")
        (newest,) = gql.data("{ activities(first: 1) { nodes { id } } }")["activities"]["nodes"]
        after = json.dumps({"after": newest["id"]})
        page.evaluate("(text) => document.querySelector(arguments_editor).CodeMirror.setValue(text)"
                      .replace("arguments_editor", json.dumps(VARIABLES_EDITOR)), after)
        page.click(RUN)
        page.get_by_role("button", name="Stop query").wait_for()  # subscribed, waiting
        gql.play("create_model", name="followed-in-graphiql")
        page.locator(RESPONSE, has_text='"modelName": "followed-in-graphiql"').wait_for()
        assert visit.errors == []
