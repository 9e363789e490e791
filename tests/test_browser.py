"""The report in a real browser: headless Chromium opens every page of a run of each suite.

Checks, per page: every image decodes (non-zero natural size), every link to a page of the
run resolves, with its anchor, nothing is requested from the network (every request that is
not ``file:`` or ``data:`` is recorded and aborted), and the page raises no script error.

Run with ``pytest -m browser``. It needs Playwright (in the dev extra) and a Chromium binary:
Debian's ``apt-get install chromium`` (``/usr/bin/chromium``), or ``CONVCHECK_CHROMIUM`` naming
another. Set ``CONVCHECK_SCREENSHOTS=DIR`` to keep full-page screenshots of every page.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

pytestmark = pytest.mark.browser

playwright = pytest.importorskip("playwright.sync_api", reason="the browser tier needs playwright (pip install -e '.[dev]')")

CHROMIUM = os.environ.get("CONVCHECK_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
# A closed network refuses Chromium's own background connections; these flags keep it quiet,
# so every request the test sees comes from the page.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-default-apps"]


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("no Chromium found (apt-get install chromium, or set CONVCHECK_CHROMIUM)")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module", params=["survey", "adam2015"])
def run_dir(request, tmp_path_factory):
    from convcheck.runner import run_suite

    out = tmp_path_factory.mktemp(f"browser-{request.param}")
    return run_suite(scale="tiny", out=out, suite=request.param, progress=False).run_dir


def _visit(browser, url: str):
    """Open ``url``; return (page, requests made off the machine, script errors)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    network, errors = [], []

    def route(r):
        if urlsplit(r.request.url).scheme in ("file", "data"):
            r.continue_()
        else:
            network.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url, wait_until="load")
    return page, network, errors


def problems(browser, folder: Path, shots: str | None = None) -> list[str]:
    """Everything wrong with the pages in ``folder``, one line each (empty: all is well)."""
    found: list[str] = []
    ids: dict[Path, set[str]] = {}
    links: list[tuple[Path, Path, str]] = []
    for path in sorted(folder.glob("*.html")):
        page, network, errors = _visit(browser, path.as_uri())
        found += [f"{path.name} requested the network: {u}" for u in network]
        found += [f"{path.name} raised a script error: {e}" for e in errors]
        broken = page.eval_on_selector_all("img", "els => els.filter(i => !(i.complete && i.naturalWidth > 0))"
                                                  ".map(i => i.alt || i.src.slice(0, 60))")
        found += [f"{path.name}: an image that does not load: {b}" for b in broken]
        ids[path] = set(page.eval_on_selector_all("[id]", "els => els.map(e => e.id)"))
        for href in page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)"):
            parts = urlsplit(href)
            if parts.scheme == "file":
                links.append((path, Path(unquote(parts.path)), unquote(parts.fragment)))
            elif parts.scheme not in ("http", "https"):  # a paper's address is a link, never a request
                found.append(f"{path.name}: an odd link {href}")
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(shots) / f"{folder.parent.name}-{path.stem}.png"), full_page=True)
        page.close()
    for source, target, fragment in links:
        if not target.is_file():
            found.append(f"{source.name} links to a missing page {target.name}")
        elif fragment and fragment not in ids.get(target, set()):
            found.append(f"{source.name} links to {target.name}#{fragment}, which has no such anchor")
    return found


def test_every_page_loads_offline_with_images_links_and_anchors(browser, run_dir):
    pages = {p.name for p in run_dir.glob("*.html")}
    assert "index.html" in pages and len(pages) >= 2
    html = (run_dir / "index.html").read_text()
    assert html.count('.html#') >= 3, "the index links to no claim anchors"
    assert problems(browser, run_dir, os.environ.get("CONVCHECK_SCREENSHOTS")) == []


def test_the_checker_fails_on_a_broken_anchor_a_missing_image_and_a_network_request(browser, tmp_path):
    """The checks above can fail: planted pages with each fault."""
    (tmp_path / "other.html").write_text('<html><body><h2 id="here">x</h2></body></html>')
    (tmp_path / "index.html").write_text(
        '<html><body><a href="other.html#here">ok</a><a href="other.html#elsewhere">x</a><a href="gone.html">y</a>'
        '<img alt="gone" src="missing.png"><script src="https://cdn.example.org/lib.js"></script></body></html>')
    found = problems(browser, tmp_path)
    assert set(found) >= set([
        "index.html requested the network: https://cdn.example.org/lib.js",
        "index.html: an image that does not load: gone",
        "index.html links to other.html#elsewhere, which has no such anchor",
        "index.html links to a missing page gone.html",
    ]), found  # (the failed loads also show as console errors)


def test_the_conformance_page_loads_offline_with_every_badge_linked_to_its_evidence(browser, tmp_path):
    import torch

    from convcheck.conformance import conformance, write_page

    rows = conformance([torch.optim.SGD, torch.optim.Adam, torch.optim.ASGD], scale="tiny", claims=["GD-2", "AD-3"])
    page = write_page(rows, tmp_path, scale="tiny", spec="torch.optim:SGD,torch.optim:Adam,torch.optim:ASGD")
    html = page.read_text()
    assert html.count('href="#r') >= 3 and "fits no role" in html
    assert problems(browser, tmp_path, os.environ.get("CONVCHECK_SCREENSHOTS")) == []
