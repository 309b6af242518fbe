"""The web viewer: HTTP security (token, Origin) and a real browser on the simulators."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest

pytest.importorskip("aiohttp")

from nodemap.app.simulators import start_simulator  # noqa: E402
from nodemap.app.ui.server import Server, serve  # noqa: E402
from tests.addresses import loopback  # noqa: E402
from tests.peers import missing  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def gige() -> Iterator[Server]:
    sim = start_simulator("gige", addresses=[loopback()])
    server = serve(sim.urls[0], open_browser=False)
    try:
        yield server
    finally:
        server.stop()
        server.cam.close()
        sim.close()


def _request(server: Server, path: str, headers: dict[str, str]) -> int:
    req = urllib.request.Request(server.base + path, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_token_required(gige: Server) -> None:
    assert _request(gige, "/api/tree", {}) == 401
    assert _request(gige, "/", {}) == 401
    assert _request(gige, "/api/tree", {"X-Nodemap-Token": "wrong"}) == 401
    assert _request(gige, "/api/tree", {"X-Nodemap-Token": gige.token}) == 200


def test_cross_site_origin_refused(gige: Server) -> None:
    headers = {"X-Nodemap-Token": gige.token, "Origin": "http://evil.example"}
    assert _request(gige, "/api/tree", headers) == 403
    headers["Origin"] = gige.base
    assert _request(gige, "/api/tree", headers) == 200


def test_graph_of_a_feature(gige: Server) -> None:
    req = urllib.request.Request(gige.base + "/api/graph/OffsetX",
                                 headers={"X-Nodemap-Token": gige.token})
    with urllib.request.urlopen(req, timeout=10) as response:
        graph = json.loads(response.read())
    assert graph["name"] == "OffsetX"
    assert any(e["kind"] == "depends" and e["source"] == "OffsetX" for e in graph["edges"])
    req = urllib.request.Request(gige.base + "/api/graph/NoSuchFeature",
                                 headers={"X-Nodemap-Token": gige.token})
    with urllib.request.urlopen(req, timeout=10) as response:
        assert "no node named 'NoSuchFeature'" in json.loads(response.read())["error"]


def test_other_host_warns() -> None:
    sim = start_simulator("gige", addresses=[loopback()])
    try:
        with pytest.warns(UserWarning, match="anyone who can reach it"):
            server = serve(sim.urls[0], host="127.0.0.2", open_browser=False)
        server.stop()
        server.cam.close()
    finally:
        sim.close()


def _browser() -> Any:
    if not os.path.exists(CHROMIUM):
        missing(f"{CHROMIUM} not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright not installed (pip install playwright)")
    return sync_playwright


@pytest.mark.peer
def test_browser_gige(gige: Server, tmp_path: Path) -> None:
    sync_playwright = _browser()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(gige.url)
            page.wait_for_selector("body[data-ready='1']", timeout=30000)
            page.click("details[data-name='ImageFormatControl'] > summary")
            width = page.locator("#f-Width input")
            width.wait_for(timeout=15000)
            offset_bounds = page.locator("#f-OffsetX .bounds")
            offset_bounds.wait_for(timeout=15000)
            assert offset_bounds.text_content().strip() == "[0..0]"
            width.fill("320")
            width.dispatch_event("change")
            page.wait_for_function(
                "document.querySelector('#f-OffsetX .bounds').textContent.includes('960')",
                timeout=15000)
            assert gige.cam.features.Width.value == 320
            assert page.locator("#f-Width input").input_value() == "320"
            # a refused value explained (client-side bound check names the range)
            page.locator("#f-Width input").fill("5000")
            page.locator("#f-Width input").dispatch_event("change")
            page.wait_for_function(
                "document.querySelector('#f-Width .error').textContent.includes('outside')",
                timeout=15000)
            # enumeration, then TriggerSoftware
            page.click("details[data-name='AcquisitionControl'] > summary")
            page.locator("#f-TriggerMode select").wait_for(timeout=15000)
            page.select_option("#f-TriggerMode select", "On")
            page.wait_for_function(
                "!document.querySelector('#f-TriggerSoftware button').disabled", timeout=15000)
            assert gige.cam.features.TriggerMode.value == "On"
            page.click("#f-TriggerSoftware button")
            page.wait_for_function(
                "document.querySelector('#f-TriggerSoftware .done').textContent.includes('done')",
                timeout=15000)
            assert page.locator("#f-TriggerSoftware .error").text_content() == ""
            page.select_option("#f-TriggerMode select", "Off")
            page.wait_for_function(
                "document.querySelector('#f-TriggerSoftware button').disabled", timeout=15000)
            # live view: a frame drawn on the canvas
            page.click("#live-start")
            page.wait_for_function("Number(document.querySelector('#view').dataset.frames||0) > 2",
                                   timeout=30000)
            size = page.evaluate("[document.querySelector('#view').width,"
                                 " document.querySelector('#view').height]")
            assert size[0] == 320
            pixels = page.evaluate(
                "Array.from(document.querySelector('#view').getContext('2d')"
                ".getImageData(0, 0, 320, 1).data)")
            assert len(set(pixels[0::4])) > 1, "the frame's first row should not be flat"
            page.click("#live-stop")
            page.wait_for_function(
                "document.querySelector('#live-status').textContent.includes('stopped')",
                timeout=15000)
            # save, change, reload the feature set
            path = tmp_path / "set.nmfs"
            page.fill("#set-path", str(path))
            page.click("#set-save")
            page.wait_for_function(
                "document.querySelector('#set-report').textContent.startsWith('saved')",
                timeout=15000)
            assert path.is_file()
            gige.cam.features.Width.value = 640
            page.click("#set-load")
            page.wait_for_function(
                "document.querySelector('#set-report').textContent.includes('applied')",
                timeout=15000)
            assert gige.cam.features.Width.value == 320
            page.screenshot(path=str(tmp_path / "ui.png"), full_page=False)
            if os.environ.get("NODEMAP_UI_SCREENSHOT"):
                page.click("details[data-name='AcquisitionControl'] > summary")
                page.evaluate("window.scrollTo(0, 0)")
                (REPO / "docs" / "images").mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(REPO / "docs" / "images" / "ui.png"))
        finally:
            browser.close()


@pytest.mark.peer
@pytest.mark.parametrize("name", ["fcb", "sxh485"])
def test_browser_smoke(name: str) -> None:
    sync_playwright = _browser()
    sim = start_simulator(name)
    server = serve(sim.urls[0], open_browser=False)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                page = browser.new_page()
                page.goto(server.url)
                page.wait_for_selector("body[data-ready='1']", timeout=30000)
                first = page.locator("#tree > details > summary").first
                first.click()
                page.wait_for_function(
                    "Array.from(document.querySelectorAll('.feature .access'))"
                    ".some(e => e.textContent.length > 0)", timeout=15000)
                assert page.locator(".feature").count() > 0
            finally:
                browser.close()
    finally:
        server.stop()
        server.cam.close()
        sim.close()


def test_main_prints_the_tokened_url() -> None:
    import signal
    import subprocess
    import sys
    sim = start_simulator("gige", addresses=[loopback()])
    proc = subprocess.Popen([sys.executable, "-m", "nodemap.app.ui.server", sim.urls[0],
                             "--no-browser"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("nodemap ui: http://127.0.0.1:") and "/?token=" in line
        url = line.split(": ", 1)[1].strip()
        with urllib.request.urlopen(url, timeout=10) as response:
            assert b"nodemap ui" in response.read()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        sim.close()
