"""The widget in headless Chromium: from the moment its script tag is added to
a host page (another origin on loopback) until the prompt is in the page and
the next frame is due. Each load is a fresh browser context: nothing cached,
a new anonymous visitor."""

import statistics
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title></head>
<body><p>A host page.</p><script>
new MutationObserver(function (changes, observer) {
  if (!document.querySelector("nps-widget")) return;
  window.__inserted = performance.now();
  observer.disconnect();
  requestAnimationFrame(function () { window.__painted = performance.now(); });
}).observe(document.body, {childList: true});
window.__start = performance.now();
var s = document.createElement("script");
s.src = "%(app)s/widget.js";
s.crossOrigin = "anonymous";  // as the install snippet loads it
s.dataset.survey = "%(key)s";
s.async = true;
document.body.appendChild(s);
</script></body></html>"""


# The marks, and when the script and the config request started and ended
# (resource timings: cross-origin entries keep their start and end).
TIMES = """(() => {
  const span = (part) => {
    const entry = performance.getEntriesByType("resource").find((e) => e.name.includes(part));
    return entry ? [entry.startTime, entry.responseEnd] : [NaN, NaN];
  };
  return [window.__start, window.__inserted, window.__painted, span("/widget.js"), span("/config")];
})()"""


class _Host(BaseHTTPRequestHandler):
    page = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def host_page(*, app: str, key: str) -> Iterator[str]:
    handler = type("Host", (_Host,), {"page": (PAGE % {"app": app, "key": key}).encode()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def prompt_times(*, page_url: str, loads: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    inserted: list[float] = []
    painted: list[float] = []
    phases: list[dict[str, float]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for _ in range(loads + 1):  # the first load warms the server up, and is dropped
                context = browser.new_context()
                page = context.new_page()
                page.goto(page_url)
                page.wait_for_function("window.__painted !== undefined", timeout=10_000)
                start, dom, frame, script, config = page.evaluate(TIMES)
                inserted.append(dom - start)
                painted.append(frame - start)
                phases.append(
                    {
                        "script": script[1] - start,
                        "config_sent": config[0] - start,
                        "config_received": config[1] - start,
                        "inserted": dom - start,
                        "painted": frame - start,
                    }
                )
                context.close()
        finally:
            browser.close()
    inserted, painted, phases = inserted[1:], painted[1:], phases[1:]
    return {
        "phases_ms_median": {
            phase: round(statistics.median(load[phase] for load in phases), 1)
            for phase in phases[0]
        },
        "loads": loads,
        "inserted_ms_median": round(statistics.median(inserted), 1),
        "painted_ms_median": round(statistics.median(painted), 1),
        "painted_ms_max": round(max(painted), 1),
        "painted_ms": [round(x, 1) for x in painted],
    }
