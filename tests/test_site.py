"""The documentation site (`make docs`), opened page by page in a real browser: Debian's Chromium driven by
Playwright (its own browser download is not used), the site served on 127.0.0.1.

Every page loads without console errors and without any request leaving 127.0.0.1; every image (notebook figures
included) loads with a width; every internal link resolves to a file of the site; the search box finds
"Bahdanau". Screenshots of the home page and one notebook page are kept in `test-artifacts/`."""

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
import urllib.parse

import pytest

pytestmark = pytest.mark.slow  # a site build and Chromium over every page: about a minute

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = os.path.join(ROOT, "test-artifacts")


def build_site(out):
    """`mkdocs build` (strict: a broken link or reference fails the build) into `out`."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(out)], cwd=ROOT,
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return str(out)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(directory):
    """A server for `directory` on 127.0.0.1 (a free port): (base URL, server)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=directory))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/", server


def html_pages(site):
    pages = []
    for root, _, files in os.walk(site):
        for name in files:
            if name.endswith(".html") and name != "404.html":
                pages.append(os.path.relpath(os.path.join(root, name), site).replace(os.sep, "/"))
    return sorted(pages)


def check_pages(site, pages, screenshots=None):
    """Opens each page in Chromium; returns the problems found (an empty list when every check passes)."""
    from playwright.sync_api import sync_playwright

    base, server = serve(site)
    problems = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            current = {"url": ""}
            page.on("console", lambda m: problems.append(f"{current['url']}: console {m.type}: {m.text}")
                    if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(f"{current['url']}: page error: {e}"))

            def route(r):  # nothing may leave 127.0.0.1: record it, and never wait on the network
                url = r.request.url
                if url.startswith(base) or url.startswith("data:") or url.startswith("blob:"):
                    r.continue_()
                else:
                    problems.append(f"{current['url']}: request outside 127.0.0.1: {url}")
                    r.abort()

            page.route("**/*", route)
            for name in pages:
                current["url"] = name
                response = page.goto(base + name, wait_until="load")
                if response is None or not response.ok:
                    problems.append(f"{name}: HTTP {None if response is None else response.status}")
                    continue
                images = page.eval_on_selector_all(
                    "img", "els => els.map(e => [e.getAttribute('src').slice(0, 80), e.complete && e.naturalWidth > 0])")
                problems += [f"{name}: image did not load: {src}" for src, ok in images if not ok]
                for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
                    target = urllib.parse.urljoin(base + name, href)
                    if not target.startswith(base):
                        continue  # an outside link is a link, not a load
                    path = urllib.parse.unquote(urllib.parse.urlsplit(target).path)[len("/"):]
                    path = path + "index.html" if path.endswith("/") or not path else path
                    if not os.path.isfile(os.path.join(site, path)):
                        problems.append(f"{name}: broken link {href}")
                if screenshots and name in screenshots:
                    os.makedirs(ARTIFACTS, exist_ok=True)
                    page.screenshot(path=os.path.join(ARTIFACTS, screenshots[name]), full_page=False)
            current["url"] = "search"
            page.goto(base + "index.html", wait_until="load")
            page.fill("input.md-search__input", "Bahdanau")
            try:
                page.wait_for_selector(".md-search-result__item", timeout=15000)
            except Exception:
                problems.append("search: no result for 'Bahdanau'")
            browser.close()
    finally:
        server.shutdown()
    return problems


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return build_site(tmp_path_factory.mktemp("site"))


def test_every_page_loads_in_chromium_with_nothing_from_outside(site):
    pages = html_pages(site)
    assert "index.html" in pages and "api.html" in pages
    notebooks = [p for p in pages if p.startswith("notebooks/")]
    assert len(notebooks) == 9, notebooks
    problems = check_pages(site, pages, screenshots={"index.html": "site-home.png",
                                                      "notebooks/seq2seq.html": "site-notebook-seq2seq.png"})
    assert problems == []
    assert os.path.getsize(os.path.join(ARTIFACTS, "site-home.png")) > 10_000


def test_the_browser_check_fails_on_a_missing_image_and_an_outside_request(site, tmp_path):
    """Guard: a page whose image file is gone, and one that loads a script from outside, are both reported."""
    copy = str(tmp_path / "copy")
    shutil.copytree(site, copy)
    with open(os.path.join(copy, "broken.html"), "w") as f:
        f.write('<html><body><img src="figure.png"><script src="https://cdn.example.org/x.js"></script>'
                '<a href="missing.html">x</a></body></html>')
    with open(os.path.join(copy, "figure.png"), "wb") as f:
        f.write(open(os.path.join(copy, "assets", "images", "favicon.png"), "rb").read())
    assert not [p for p in check_pages(copy, ["broken.html"]) if "image did not load" in p]
    os.remove(os.path.join(copy, "figure.png"))  # the image removed
    problems = check_pages(copy, ["broken.html"])
    assert any("image did not load: figure.png" in p for p in problems), problems
    assert any("request outside 127.0.0.1: https://cdn.example.org/x.js" in p for p in problems), problems
    assert any("broken link missing.html" in p for p in problems), problems
