"""The pages a browser gets: the registry app at / and GraphiQL at /graphql, served with
their assets by the gateway itself (built from frontend/ into gateway/static, so a page
needs no network beyond this server), and the security headers those responses carry."""
from pathlib import Path

from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent / "static"

# No inline script and no other origin. GraphiQL's editors set style attributes, so
# styles may be inline; a registry value is only ever rendered as text.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
                           "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
# Pages and built files keep their names from one build to the next, so browsers check
# them again (ETag) rather than keep them.
SERVED_HEADERS = {**SECURITY_HEADERS, "cache-control": "no-cache"}

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="/static/{entry}.css">
<link rel="icon" href="data:,">
<script type="module" src="/static/{entry}.js"></script>
</head>
<body>
<div id="{entry}" data-auth="{auth}"></div>
<noscript>{without_script}</noscript>
</body>
</html>
"""
# The app's own paths: each gets the app's page, which shows what the path names.
APP_PATHS = ("/", "/models/{name:path}", "/reviews")


def _page(tokens_required: bool, **parts: str) -> HTMLResponse:
    """A page; in `--auth required` mode it asks for a token before it sends anything."""
    return HTMLResponse(PAGE.format(auth="required" if tokens_required else "local", **parts),
                        headers=SERVED_HEADERS)


def graphiql_page(tokens_required: bool) -> HTMLResponse:
    return _page(tokens_required, title="GraphiQL · registry gateway", entry="graphiql",
                 without_script="GraphiQL needs JavaScript. Scripts can POST GraphQL to this URL instead.")


def app_page(tokens_required: bool) -> HTMLResponse:
    return _page(tokens_required, title="Model registry", entry="app",
                 without_script="The registry app needs JavaScript; GraphiQL is at /graphql.")


class StaticAssets(StaticFiles):
    """gateway/static, with the security headers."""

    def __init__(self):
        super().__init__(directory=STATIC_DIR)

    def file_response(self, *args, **kwargs):
        response = super().file_response(*args, **kwargs)
        response.headers.update(SERVED_HEADERS)
        return response
