"""Each page of the web app, and GraphiQL, scanned with axe-core in headless Chromium on a
registry with something on every page: no serious or critical accessibility violation.
The same visits take the screenshots the README shows: into a temporary folder, or where
REGISTRY_TEST_SCREENSHOTS says (`REGISTRY_TEST_SCREENSHOTS=docs/screenshots` renews the
README's; they carry the day's dates, so a plain test run leaves them alone)."""
import os
from pathlib import Path

import pytest

from tests.browser import Visit
from tests.conftest import ok

try:
    from axe_playwright_python.sync_playwright import Axe
except ImportError:  # the browser fixture fails or skips first, saying what is missing
    Axe = None

PAGES = {  # screenshot name: (path, text that shows the page is drawn with its data)
    "models": ("/", "2 models"),
    "model": ("/models/fraud-detector", "https://ci.example.com/hooks/registry"),
    "version": ("/models/fraud-detector/versions/2", "Checked on last week's traffic."),
    "reviews": ("/reviews", "fraud-detector v2"),
    "graphiql": ("/graphql", "registeredModels"),
}
# Two findings that come from GraphiQL's own structure, which the gateway serves as it is:
# each tab is an <li role="tab"> around its button, and CodeMirror's scroller is reached by
# keyboard through the editor's hidden textarea. Every other rule holds on GraphiQL too
# (its colours and its editors' names are the gateway's fixes, in frontend/src/graphiql.*).
GRAPHIQL_STRUCTURE = {"rules": {"nested-interactive": {"enabled": False},
                                "scrollable-region-focusable": {"enabled": False}}}


@pytest.fixture
def furnished(gql):
    """A registry with something in every section of every page."""
    ok(gql.play("create_model", name="fraud-detector", description="Scores card payments for fraud.",
                tags=[{"key": "team", "value": "risk"}]))
    for number in (1, 2):
        ok(gql.play("create_version", name="fraud-detector", source=f"s3://models/fraud-detector/{number}",
                    runId=f"run-{number}"))
    ok(gql.play("transition", name="fraud-detector", version=1, stage="PRODUCTION"))
    ok(gql.play("set_alias", name="fraud-detector", alias="champion", version=1))
    ok(gql.play("request_transition", name="fraud-detector", version=2, stage="PRODUCTION", archive=True,
                comment="AUC 0.94 against 0.91"))
    ok(gql.play("comment", name="fraud-detector", version=2, body="Checked on last week's traffic."))
    ok(gql.mutate("setModelPermission", "", name="fraud-detector", principal="risk-team", level="CAN_EDIT"))
    ok(gql.play("create_webhook", url="https://ci.example.com/hooks/registry", modelName="fraud-detector"))
    ok(gql.play("create_model", name="churn", description="Predicts which customers leave."))


@pytest.mark.parametrize("name", PAGES)
def test_each_page_has_no_serious_accessibility_violation(browser, server_url, furnished, name, tmp_path):
    path, drawn = PAGES[name]
    with Visit(browser) as visit:
        page = visit.page
        page.goto(f"{server_url}{path}")
        page.get_by_text(drawn).first.wait_for()
        page.wait_for_load_state("networkidle")
        screenshots = Path(os.environ.get("REGISTRY_TEST_SCREENSHOTS") or tmp_path)
        screenshots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=screenshots / f"{name}.png", full_page=name != "graphiql")
        options = {"resultTypes": ["violations"], **(GRAPHIQL_STRUCTURE if name == "graphiql" else {})}
        violations = Axe().run(page, options=options).response["violations"]
        serious = [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
                   for v in violations if v["impact"] in ("serious", "critical")]
        assert serious == []
