"""The web app's flows in headless Chromium: a version's page (where it comes from, the
actions its availableActions allow: transition with archive, request, approve, comment,
alias, copy), userErrors shown with their codes, a transition request approved by a
second user in a second browser context and seen live by the first with no reload, the
review inbox, and a model's description, permissions and webhooks."""
import re

from resolvers import accounts
from tests.browser import Visit, expect
from tests.conftest import ok


def _signed_in(visit: Visit, url: str, secret: str, path: str):
    page = visit.page
    page.goto(f"{url}{path}")
    page.get_by_label("Access token").fill(secret)
    page.get_by_role("button", name="Sign in").click()
    page.evaluate("window.sameDocument = true")  # gone if the page is ever loaded again
    return page


def _not_reloaded(page) -> bool:
    return page.evaluate("window.sameDocument === true")


def test_a_request_approved_by_a_second_user_appears_live_for_the_requester(browser, secured_url, store,
                                                                            sign_in_secured):
    owner = sign_in_secured("owner", admin=True)
    ok(owner.play("create_model", name="churn"))
    ok(owner.play("create_version", name="churn", source="s3://models/churn/1"))
    ok(owner.mutate("setModelPermission", "", name="churn", principal="asker", level="CAN_READ"))
    ok(owner.mutate("setModelPermission", "", name="churn", principal="approver",
                    level="CAN_MANAGE_PRODUCTION_VERSIONS"))
    _, asker_secret = store.write(accounts.create_user, "asker", False, [])
    _, approver_secret = store.write(accounts.create_user, "approver", False, [])
    with Visit(browser) as asker_visit, Visit(browser) as approver_visit:
        inbox = _signed_in(approver_visit, secured_url, approver_secret, "/reviews")
        inbox.get_by_text("No requests wait for review.").wait_for()

        asker = _signed_in(asker_visit, secured_url, asker_secret, "/models/churn/versions/1")
        asker.get_by_role("heading", name="churn v1").wait_for()
        assert asker.get_by_role("button", name="Transition", exact=True).count() == 0  # CAN_READ may only ask
        assert asker.get_by_label("Alias").count() == 0
        asker.get_by_label("Move to stage").select_option("PRODUCTION")
        asker.get_by_label("Transition comment").fill("beats v0 on recall")
        asker.get_by_role("button", name="Request transition").click()
        asker.get_by_text("pending: none → production").wait_for()
        ok(owner.play("request_transition", name="churn", version=1, stage="STAGING"))  # someone else's request
        asker.get_by_text("pending: none → staging").wait_for()
        expect(asker.get_by_role("button", name="Cancel request")).to_have_count(1)  # only on the asker's own
        expect(asker.locator("li", has_text="none → production").get_by_role("button", name="Cancel request")) \
            .to_be_visible()
        assert asker.get_by_role("button", name="Approve").count() == 0

        row = inbox.get_by_role("link", name="churn v1").first  # the inbox follows new requests
        row.wait_for()
        assert _not_reloaded(inbox)
        row.click()
        inbox.get_by_text("beats v0 on recall").wait_for()
        inbox.get_by_label("Reason").fill("signed off")
        inbox.locator("li", has_text="none → production").get_by_role("button", name="Approve").click()
        inbox.get_by_text("approved: none → production").wait_for()

        asker.get_by_text("approved by approver").wait_for()  # the requester's page, not reloaded
        expect(asker.locator("h1 .stage")).to_have_text("production")
        assert _not_reloaded(asker)
        asker.get_by_role("link", name="← churn").click()
        asker.get_by_role("heading", name="History").wait_for()
        assert asker.get_by_role("button", name="Edit description").count() == 0  # a reader's model page
        assert asker.get_by_role("heading", name="Permissions").count() == 0
        expect(asker.get_by_role("alert")).to_have_count(0)  # nor asked for what only managers may read
        assert asker_visit.errors == [] and approver_visit.errors == []


def test_a_version_page_shows_its_origin_transitions_resolves_requests_labels_comments_and_copies(browser, server_url, gql):
    ok(gql.play("create_version", name="fraud", source="https://store.example/fraud/1", runId="run-42",
                createModelIfMissing=True))
    ok(gql.play("create_version", name="fraud", source="s3://b/fraud/2"))
    ok(gql.play("transition", name="fraud", version=2, stage="PRODUCTION"))
    with Visit(browser) as visit:
        page = visit.page
        page.goto(f"{server_url}/models/fraud")
        page.get_by_role("link", name="v1", exact=True).click()
        page.get_by_role("heading", name="fraud v1").wait_for()
        assert page.get_by_role("link", name="https://store.example/fraud/1").get_attribute("href") \
            == "https://store.example/fraud/1"
        page.get_by_text("run-42").wait_for()

        page.get_by_label("Move to stage").select_option("PRODUCTION")
        page.get_by_label("archive the versions now in that stage").check()
        page.get_by_role("button", name="Transition", exact=True).click()
        expect(page.locator("h1 .stage")).to_have_text("production")
        assert gql.data('{ modelVersion(name: "fraud", version: 2) { stage } }')["modelVersion"]["stage"] == "ARCHIVED"

        page.get_by_label("Alias").fill("not an alias!")
        page.get_by_role("button", name="Set alias").click()
        expect(page.get_by_role("alert")).to_contain_text("INVALID_ARGUMENT")
        page.get_by_label("Alias").fill("champion")
        page.get_by_role("button", name="Set alias").click()
        page.get_by_text("@champion").wait_for()
        expect(page.get_by_role("alert")).to_have_count(0)

        hostile = '<img src=x onerror="window.pwned=1">looks fine'
        page.get_by_label("Comment", exact=True).fill(hostile)
        page.get_by_role("button", name="Add comment").click()
        page.locator(".comments .body", has_text=hostile).wait_for()
        assert page.locator("main img").count() == 0 and page.evaluate("window.pwned") is None

        page.get_by_label("Move to stage").select_option("STAGING")
        page.get_by_role("button", name="Request transition").click()
        page.get_by_label("Reason").fill("not before the audit")
        page.get_by_role("button", name="Reject").click()
        page.get_by_text("rejected: production → staging").wait_for()
        page.get_by_text("not before the audit").wait_for()
        page.get_by_role("button", name="Request transition").click()
        page.get_by_role("button", name="Cancel request").click()
        page.get_by_text("cancelled: production → staging").wait_for()
        expect(page.locator("h1 .stage")).to_have_text("production")

        page.get_by_label("Copy to model").fill("fraud-prod")
        page.get_by_role("button", name="Copy").click()
        page.get_by_role("heading", name="fraud-prod v1").wait_for()
        assert page.url == f"{server_url}/models/fraud-prod/versions/1"
        page.get_by_role("link", name="fraud v1").wait_for()  # copied from
        assert visit.errors == []


def test_a_model_page_edits_its_description_and_shows_a_new_version_live(browser, server_url, gql):
    ok(gql.play("create_model", name="ranker"))
    with Visit(browser) as visit:
        page = visit.page
        page.goto(f"{server_url}/models/ranker")
        page.evaluate("window.sameDocument = true")
        page.get_by_role("button", name="Edit description").click()
        page.get_by_role("textbox", name="Description").fill("Ranks <b>search</b> results")
        page.get_by_role("button", name="Save").click()
        page.get_by_text("Ranks <b>search</b> results").wait_for()
        assert gql.data('{ registeredModel(name: "ranker") { description } }')["registeredModel"]["description"] \
            == "Ranks <b>search</b> results"

        page.get_by_role("heading", name="Versions (0)").wait_for()
        ok(gql.play("create_version", name="ranker", source="s3://b/ranker/1"))  # by someone else, elsewhere
        page.get_by_role("heading", name="Versions (1)").wait_for()
        assert _not_reloaded(page) and visit.errors == []


def test_a_manager_grants_permissions_and_adds_a_webhook_whose_secret_is_shown_once(browser, server_url, gql):
    ok(gql.play("create_model", name="scorer"))
    with Visit(browser) as visit:
        page = visit.page
        page.goto(f"{server_url}/models/scorer")
        page.get_by_label("User or group").fill("ada")
        page.get_by_label("Level").select_option("CAN_MANAGE_STAGING_VERSIONS")
        page.get_by_role("button", name="Grant").click()
        page.get_by_role("cell", name="can manage staging versions").wait_for()

        page.get_by_label("Send this model's events to").fill("https://ci.example.com/hooks/registry")
        page.get_by_role("button", name="Add webhook").click()
        secret = page.get_by_role("status").locator("code")
        expect(secret).to_have_text(re.compile(r"^whsec_"))
        page.get_by_role("cell", name="https://ci.example.com/hooks/registry").wait_for()
        page.reload()
        page.get_by_role("cell", name="https://ci.example.com/hooks/registry").wait_for()  # kept

        page.get_by_label("Send this model's events to").fill("ftp://ci.example.com/x")
        page.get_by_role("button", name="Add webhook").click()
        expect(page.get_by_role("alert")).to_contain_text("INVALID_ARGUMENT")
        assert visit.errors == []


def test_a_change_committed_between_a_pages_read_and_its_subscription_still_shows(browser, server_url, gql):
    """The page subscribes after the newest activity its read saw, so the server replays
    what came in between instead of the page missing it until the next change."""
    ok(gql.play("create_model", name="gap"))

    def answer_then_change(route):
        read = route.fetch()  # the page's read, as the server answered it
        ok(gql.play("create_version", name="gap", source="s3://b/gap/1"))  # committed before the page subscribes
        route.fulfill(response=read)

    with Visit(browser) as visit:
        page = visit.page
        page.route(f"{server_url}/graphql", answer_then_change, times=1)
        page.goto(f"{server_url}/models/gap")
        page.get_by_role("heading", name="Versions (1)").wait_for()
        assert visit.errors == []
