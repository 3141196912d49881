"""The web app's speed in headless Chromium, on a registry seeded with 200 models × 10
versions: the models list's first contentful paint and time to interactive on a first
visit, navigation from the list to a model's page, and what the app's page costs on the
wire (gzip). Writes bench/WEB_APP.md.

    .venv/bin/python bench/web_app.py --output bench/WEB_APP.md   # about 2 minutes

Targets (issue 13): the list interactive within 1 s, a model page within 300 ms of the
click, the app's script under 150 KB gzipped."""
import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.run import free_port, machine_facts, start, stop  # noqa: E402
from tests.browser import CHROMIUM_FLAGS, chromium_path  # noqa: E402

MODELS, VERSIONS, VISITS, NAVIGATIONS = 200, 10, 15, 30

# Recorded in the page from its first moment: when the list's first row and a model page's
# versions are drawn, when a link was clicked, and the main thread's long tasks.
MARKS = """
window.__marks = { longTasksEnd: 0 };
new PerformanceObserver((list) => {
  for (const task of list.getEntries())
    __marks.longTasksEnd = Math.max(__marks.longTasksEnd, task.startTime + task.duration);
}).observe({ type: "longtask", buffered: true });
new MutationObserver(() => {
  if (!__marks.listed && document.querySelector("table.models tbody tr")) __marks.listed = performance.now();
  const versions = document.querySelector("h2#versions")?.textContent ?? "";
  if (__marks.clicked && !__marks.shown && /Versions \\(\\d+\\)/.test(versions)) __marks.shown = performance.now();
}).observe(document, { childList: true, subtree: true, characterData: true });
addEventListener("click", () => { __marks.clicked = performance.now(); __marks.shown = 0; }, true);
"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def first_visits(browser, url: str) -> dict:
    """Each visit in a new context: nothing cached, as a first visit."""
    paints, interactive = [], []
    for _ in range(VISITS):
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.add_init_script(MARKS)
        page.goto(f"{url}/")
        page.wait_for_selector("table.models tbody tr")
        page.wait_for_load_state("networkidle")
        marks = page.evaluate("""() => ({ ...__marks,
            fcp: performance.getEntriesByName("first-contentful-paint")[0]?.startTime })""")
        paints.append(marks["fcp"])
        # Interactive: the list drawn, and no long task (> 50 ms) still running on the main thread.
        interactive.append(max(marks["listed"], marks["longTasksEnd"]))
        context.close()
    return {"fcp": paints, "interactive": interactive}


def navigations(browser, url: str) -> list[float]:
    """From a click on a model's name in the list to its page's versions drawn."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.add_init_script(MARKS)
    page.goto(f"{url}/")
    times = []
    for index in range(NAVIGATIONS):
        link = page.locator("table.models tbody tr a").nth(index % 25)
        link.click()
        page.wait_for_function("() => __marks.shown > 0")
        times.append(page.evaluate("() => __marks.shown - __marks.clicked"))
        page.go_back()
        page.wait_for_selector("table.models tbody tr")
    context.close()
    return times


def wire_bytes(url: str, resources: list[str]) -> dict:
    """What each of the app page's own files costs: as built, and as sent gzipped."""
    sizes = {}
    with httpx.Client(base_url=url) as client:
        for path in resources:
            plain = client.get(path, headers={"accept-encoding": "identity"})
            gzipped = client.get(path, headers={"accept-encoding": "gzip"})
            sizes[path] = (len(plain.content), gzipped.num_bytes_downloaded)
    return sizes


def app_resources(browser, url: str) -> list[str]:
    context = browser.new_context()
    page = context.new_page()
    loaded = []
    page.on("response", lambda response: loaded.append(response.url))
    page.goto(f"{url}/")
    page.wait_for_selector("table.models tbody tr")
    context.close()
    return [u.removeprefix(url) for u in loaded if u.startswith(f"{url}/static/")]


def main(argv=None) -> int:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=HERE / "WEB_APP.md")
    args = parser.parse_args(argv)
    executable = chromium_path()
    if executable is None:
        print("needs Chromium (apt-get install chromium)", file=sys.stderr)
        return 1
    gateway = shutil.which("registry-gateway", path=str(Path(sys.executable).parent))
    with tempfile.TemporaryDirectory() as work:
        database = f"sqlite:///{work}/registry.db"
        began = time.monotonic()
        subprocess.run([gateway, "seed", "--database", database, "--models", str(MODELS), "--versions", str(VERSIONS)],
                       check=True, capture_output=True)
        print(f"seeded {MODELS} × {VERSIONS} in {time.monotonic() - began:.0f} s", flush=True)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = start([gateway, "serve", "--port", str(port), "--database", database], f"{url}/healthz",
                       log=Path(work) / "serve.log")
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
                visits = first_visits(browser, url)
                moves = navigations(browser, url)
                sizes = wire_bytes(url, app_resources(browser, url))
                version = browser.version
                browser.close()
        finally:
            stop(server)
    lines = report(visits, moves, sizes, version)
    print("\n".join(lines))
    args.output.write_text("\n".join(lines) + "\n")
    return 0


def report(visits: dict, moves: list[float], sizes: dict, version: str) -> list[str]:
    def row(name: str, values: list[float], target: float | None) -> str:
        p50, p95 = statistics.median(values), percentile(values, 0.95)
        verdict = "" if target is None else (f"≤ {target:.0f} ms ✓" if p95 <= target else f"≤ {target:.0f} ms ✗")
        return f"| {name} | {p50:.0f} ms | {p95:.0f} ms | {verdict} |"

    script_gzip = sum(gz for path, (_, gz) in sizes.items() if path.endswith(".js"))
    total_plain = sum(plain for plain, _ in sizes.values())
    total_gzip = sum(gz for _, gz in sizes.values())
    return [
        "# The web app's speed",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `python bench/web_app.py` on "
        f"{machine_facts()}; headless Chromium {version}, the gateway (1 worker, SQLite) seeded with "
        f"{MODELS} models × {VERSIONS} versions, browser and server on the same machine.",
        "",
        "| | median | p95 | target (p95) |",
        "| --- | --- | --- | --- |",
        row(f"models list, first contentful paint ({VISITS} first visits)", visits["fcp"], None),
        row("models list, interactive (first rows drawn, no long task running)", visits["interactive"], 1000),
        row(f"list → model page, click to versions drawn ({len(moves)} navigations)", moves, 300),
        "",
        "What the app's page loads from the gateway (besides the page itself):",
        "",
        "| file | built | sent (gzip) |",
        "| --- | --- | --- |",
        *(f"| `{path}` | {plain / 1024:.1f} KB | {gz / 1024:.1f} KB |" for path, (plain, gz) in sorted(sizes.items())),
        f"| all | {total_plain / 1024:.1f} KB | {total_gzip / 1024:.1f} KB |",
        "",
        f"Script sent: {script_gzip / 1024:.1f} KB gzipped (target: under 150 KB "
        f"{'✓' if script_gzip < 150 * 1024 else '✗'}).",
    ]


if __name__ == "__main__":
    sys.exit(main())
