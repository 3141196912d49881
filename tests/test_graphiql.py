"""GraphiQL served by the gateway itself: the page and its assets come from this server
alone, carry the security headers, stay open in `--auth required` mode, and are built
from the sources as they are now (the playground's operations included)."""
import hashlib
import re
from pathlib import Path

import httpx
import pytest

from gateway.pages import STATIC_DIR

ROOT = Path(__file__).resolve().parent.parent
PAGE_HEADERS = {"accept": "text/html"}


def _page(url: str) -> httpx.Response:
    return httpx.get(f"{url}/graphql", headers=PAGE_HEADERS)


def _assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


def test_the_page_loads_only_what_this_server_serves(server_url):
    page = _page(server_url)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assets = _assets(page.text)
    assert "/static/graphiql.js" in assets and "/static/graphiql.css" in assets
    assert all(a.startswith("/static/") or a.startswith("data:") for a in assets), assets
    assert "<script>" not in page.text  # no inline script: the policy forbids them


def test_every_built_file_is_served_with_its_type(server_url):
    built = sorted(p.relative_to(STATIC_DIR).as_posix() for p in STATIC_DIR.rglob("*") if p.suffix in (".js", ".css"))
    assert {"graphiql.js", "app.js"} <= set(built) and len(built) > 4  # the editor's addons are chunks of their own
    for name in built:
        response = httpx.get(f"{server_url}/static/{name}")
        assert response.status_code == 200, name
        expected = "text/javascript" if name.endswith(".js") else "text/css"
        assert response.headers["content-type"].startswith(expected), (name, response.headers["content-type"])
    chunks = set(re.findall(r'"(chunks/[\w.-]+\.js)"', STATIC_DIR.joinpath("graphiql.js").read_text()))
    assert chunks and chunks <= set(built)  # what the entry imports was built and is served


def test_the_assets_are_sent_compressed_to_a_browser_that_accepts_it(server_url):
    plain = httpx.get(f"{server_url}/static/graphiql.js", headers={"accept-encoding": "identity"})
    packed = httpx.get(f"{server_url}/static/graphiql.js", headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in plain.headers and packed.headers["content-encoding"] == "gzip"
    assert packed.content == plain.content  # httpx decoded it
    assert packed.num_bytes_downloaded < len(plain.content) / 2


@pytest.mark.parametrize("path", ["/graphql", "/static/graphiql.js"])
def test_the_page_and_its_assets_carry_the_security_headers(server_url, path):
    response = httpx.get(f"{server_url}{path}", headers=PAGE_HEADERS)
    policy = dict(part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'none'" and policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["connect-src"] == "'self'"
    assert not any("http" in sources or "*" in sources for sources in policy.values()), policy  # no other origin
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"


def test_required_mode_serves_the_page_and_assets_without_a_token_and_the_page_asks_for_one(secured_url):
    page = _page(secured_url)
    assert page.status_code == 200 and 'data-auth="required"' in page.text
    assert httpx.get(f"{secured_url}/static/graphiql.js").status_code == 200
    assert httpx.post(f"{secured_url}/graphql", json={"query": "{ viewer { name } }"}).status_code == 401


def test_a_path_outside_the_built_files_is_not_found(server_url):
    for path in ("/static/missing.js", "/static/../gateway/app.py", "/static/%2e%2e/app.py"):
        assert httpx.get(f"{server_url}{path}").status_code == 404, path


def test_every_playground_operation_is_an_example_in_the_bundle():
    bundle = STATIC_DIR.joinpath("graphiql.js").read_text()
    for path in sorted(ROOT.joinpath("playground").glob("*.graphql")):
        assert f'"../../playground/{path.name}"' in bundle, path.name


def _sources_hash() -> str:
    """What frontend/vite.config.js stamps into the build: the same files, the same way."""
    files = [p for p in ROOT.joinpath("frontend", "src").rglob("*") if p.is_file()]
    files += list(ROOT.joinpath("playground").glob("*.graphql"))
    files += [ROOT / "frontend" / name for name in ("package-lock.json", "vite.config.js", "codegen.yml", "tsconfig.json")]
    digest = hashlib.sha256()
    for relative in sorted(p.relative_to(ROOT).as_posix() for p in files):
        digest.update(f"{relative}\0".encode())
        digest.update(ROOT.joinpath(relative).read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def test_the_committed_build_is_made_from_the_sources_as_they_are():
    """Else: cd frontend && npm ci && npm run build, and commit gateway/static."""
    assert STATIC_DIR.joinpath("SOURCES").read_text().strip() == _sources_hash()
