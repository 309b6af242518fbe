"""The web viewer: HTTP and WebSocket security (token, Origin), its JSON API, and a real
browser (Playwright driving Debian's chromium) on the GigE, FCB and SXH485 simulators."""

from __future__ import annotations

import asyncio
import json
import os
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.peers import missing, require_module

require_module("aiohttp", "a test extra: pip install -e '.[test]'")

import aiohttp  # noqa: E402

from nodemap.app.simulators import start_simulator  # noqa: E402
from nodemap.app.ui.picker import Devices  # noqa: E402
from nodemap.app.ui.server import Server, serve  # noqa: E402
from nodemap.plugin import DiscoveryRequest  # noqa: E402
from tests.addresses import loopback  # noqa: E402
from tests.viva import viva_camera  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
REPO = Path(__file__).resolve().parent.parent
T = 20000     # ms: generous browser waits


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


def _request(server: Server, path: str, headers: dict[str, str],
             body: Any = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    if data is not None:
        headers = {**headers, "Content-Type": "application/json"}
    req = urllib.request.Request(server.base + path, headers=headers, data=data)
    try:
        with urllib.request.urlopen(req, timeout=20) as response:
            raw = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        raw, status = exc.read(), exc.code
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw


def _api(server: Server, path: str, body: Any = None) -> Any:
    status, answer = _request(server, path, {"X-Nodemap-Token": server.token}, body)
    assert status == 200, (status, answer)
    return answer


def test_token_required(gige: Server) -> None:
    assert _request(gige, "/api/tree", {})[0] == 401
    assert _request(gige, "/", {})[0] == 401
    assert _request(gige, "/ws", {})[0] == 401
    assert _request(gige, "/api/tree", {"X-Nodemap-Token": "wrong"})[0] == 401
    assert _request(gige, "/api/tree", {"X-Nodemap-Token": gige.token})[0] == 200


def test_cross_site_origin_refused(gige: Server) -> None:
    headers = {"X-Nodemap-Token": gige.token, "Origin": "http://evil.example"}
    assert _request(gige, "/api/tree", headers)[0] == 403
    headers["Origin"] = gige.base
    assert _request(gige, "/api/tree", headers)[0] == 200


async def _ws_refused(server: Server, headers: dict[str, str]) -> int:
    async with aiohttp.ClientSession() as session:
        try:
            async with session.ws_connect(server.base + "/ws", headers=headers):
                return 101
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status


def test_websocket_needs_token_and_origin(gige: Server) -> None:
    assert asyncio.run(_ws_refused(gige, {"Origin": gige.base})) == 401
    assert asyncio.run(_ws_refused(gige, {"X-Nodemap-Token": "nope"})) == 401
    assert asyncio.run(_ws_refused(gige, {"X-Nodemap-Token": gige.token,
                                          "Origin": "http://evil.example"})) == 403
    assert asyncio.run(_ws_refused(gige, {"X-Nodemap-Token": gige.token,
                                          "Origin": gige.base})) == 101


async def _next(ws: aiohttp.ClientWebSocketResponse, kind: str,
                until: Any = lambda m: True) -> dict[str, Any]:
    for _ in range(200):                  # bounded: the server pushes every second
        msg = await ws.receive(timeout=20)
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        data = json.loads(msg.data)
        if data["type"] == kind and until(data):
            return data
    raise AssertionError(f"no {kind} message")


def test_websocket_pushes_a_write_made_elsewhere(gige: Server) -> None:
    """A write through the camera object (not the page) reaches the page over the
    WebSocket, and so does what it changed (OffsetX's maximum)."""
    width = gige.cam.features.Width

    async def run() -> tuple[dict[str, Any], dict[str, Any]]:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(gige.base + "/ws",
                                          headers={"X-Nodemap-Token": gige.token}) as ws:
                await _next(ws, "hello")
                await ws.send_json({"type": "watch", "names": ["Width", "OffsetX"]})
                first = await _next(ws, "values", lambda m: "Width" in m["values"])
                await asyncio.get_running_loop().run_in_executor(
                    None, setattr, width, "value", 320)
                second = await _next(ws, "values", lambda m: m["values"].get(
                    "Width", {}).get("value") == 320)
                return first, second

    first, second = asyncio.run(run())
    assert first["values"]["Width"]["value"] == 1280
    assert first["values"]["OffsetX"]["max"] == 0
    assert second["values"]["OffsetX"]["max"] == 960


def test_websocket_pushes_polled_features(tmp_path: Path) -> None:
    """A PollingTime feature whose register the device changes on its own is read again
    after its polling time and the new value pushed."""
    from tests.core.xmlkit import description, int_reg

    xml = tmp_path / "polled.xml"
    xml.write_bytes(description(
        '<Category Name="Root"><pFeature>Temperature</pFeature></Category>'
        + int_reg("Temperature", 0, access="RO", extra="<PollingTime>500</PollingTime>")))
    server = serve(f"mem:{xml}?size=256", open_browser=False)

    async def run() -> list[Any]:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(server.base + "/ws",
                                          headers={"X-Nodemap-Token": server.token}) as ws:
                await ws.send_json({"type": "watch", "names": ["Temperature"]})
                first = await _next(ws, "values", lambda m: "Temperature" in m["values"])
                server.cam.port.memory[0] = 41        # behind the node map's back
                second = await _next(ws, "values", lambda m: "Temperature" in m["values"])
                return [first["values"]["Temperature"]["value"],
                        second["values"]["Temperature"]["value"]]

    try:
        assert asyncio.run(run()) == [0, 41]
    finally:
        server.stop()
        server.cam.close()


def test_reason_names_the_condition_and_its_feature(gige: Server, tmp_path: Path) -> None:
    """NA because of pIsAvailable, and RO because of pIsLocked: the reason names the
    node, its value now, and the feature that sets it."""
    na = _api(gige, "/api/feature/TriggerSoftware")
    assert na["access"] == "NA"
    assert na["reason"] == "not available: needs TriggerModeReg ≠ 0 (now 0; TriggerMode = Off)"
    gige.cam.features.TriggerMode.value = "On"
    assert "reason" not in _api(gige, "/api/feature/TriggerSoftware")
    from tests.core.xmlkit import description, int_reg

    xml = tmp_path / "locked.xml"
    xml.write_bytes(description(
        '<Category Name="Root"><pFeature>Width</pFeature><pFeature>Locked</pFeature>'
        '</Category>'
        '<Integer Name="Width"><pIsLocked>LockReg</pIsLocked><pValue>WidthReg</pValue>'
        '</Integer>'
        '<Integer Name="Locked"><pValue>LockReg</pValue><Min>0</Min><Max>1</Max></Integer>'
        + int_reg("WidthReg", 0) + int_reg("LockReg", 4)))
    server = serve(f"mem:{xml}?size=64", open_browser=False)
    try:
        assert _api(server, "/api/feature/Width")["access"] == "RW"
        assert _api(server, "/api/write", {"name": "Locked", "value": "1"})["ok"]
        locked = _api(server, "/api/feature/Width")
        assert locked["access"] == "RO"
        assert locked["reason"] == "locked: while LockReg ≠ 0 (now 1; Locked = 1)"
    finally:
        server.stop()
        server.cam.close()


def test_graph_of_a_feature(gige: Server) -> None:
    graph = _api(gige, "/api/graph/OffsetX")
    assert graph["name"] == "OffsetX"
    assert any(e["kind"] == "depends" and e["source"] == "OffsetX" for e in graph["edges"])
    assert "no node named 'NoSuchFeature'" in _api(gige, "/api/graph/NoSuchFeature")["error"]


def test_registers_behind_a_feature(gige: Server) -> None:
    answer = _api(gige, "/api/registers/Width")
    by_node = {r["node"]: r for r in answer["registers"]}
    value_regs = [r for r in answer["registers"] if r["role"] == "value"]
    assert value_regs, answer
    reg = value_regs[0]
    assert reg["port"] and reg["address"].startswith("0x") and reg["length"] >= 1
    node = gige.cam.nodemap.node(reg["node"])
    assert (int(reg["address"], 16), reg["length"]) == tuple(node.span())
    assert bytes.fromhex(reg["bytes"].replace(" ", "")) == bytes(node.read_bytes())
    assert all("error" not in r for r in by_node.values())


def test_feature_set_diff_and_load_report(gige: Server, tmp_path: Path) -> None:
    ours, theirs = tmp_path / "a.nmfs", tmp_path / "b.pfs"
    assert _api(gige, "/api/set/save", {"path": str(ours), "format": "nmfs"})["ok"]
    gige.cam.features.Width.value = 320
    assert _api(gige, "/api/set/save", {"path": str(theirs), "format": "pfs"})["ok"]
    diff = _api(gige, "/api/set/diff", {"left": str(ours), "right": str(theirs)})
    assert diff["ok"] and diff["left"]["format"] == "nmfs" and diff["right"]["format"] == "pfs"
    changed = {r["name"]: r for r in diff["rows"] if r["status"] != "same"}
    assert changed["Width"]["left"] == "1280" and changed["Width"]["right"] == "320"
    assert "OffsetX" not in changed or changed["OffsetX"]["status"] == "changed"
    now = _api(gige, "/api/set/diff", {"left": "", "right": str(theirs)})
    assert now["left"]["label"] == "camera now"
    assert not [r for r in now["rows"] if r["name"] == "Width" and r["status"] != "same"]
    assert not _api(gige, "/api/set/diff", {"left": str(tmp_path / "none.pfs")})["ok"]
    # the load report names every line, with the reason for the ones refused
    broken = tmp_path / "broken.nmfs"
    broken.write_text(ours.read_text() + "NoSuchFeature = 3\n")
    report = _api(gige, "/api/set/load", {"path": str(broken)})
    assert gige.cam.features.Width.value == 1280
    lines = {line["name"]: line for line in report["lines"]}
    assert lines["Width"]["status"] == "ok"
    assert lines["NoSuchFeature"]["status"] == "problem"
    assert "no such feature" in lines["NoSuchFeature"]["reason"] and not report["ok"]


def test_frame_saved_to_a_file(gige: Server, tmp_path: Path) -> None:
    path = tmp_path / "frame.png"
    answer = _api(gige, "/api/live/save", {"path": str(path)})
    assert answer["ok"], answer
    from PIL import Image
    with Image.open(path) as image:
        assert image.size == (1280, 960)
    assert not _api(gige, "/api/live/save", {"path": str(tmp_path)})["ok"]


def test_picker_opens_only_what_it_offered(tmp_path: Path) -> None:
    address = loopback()
    sim = start_simulator("gige", addresses=[address])
    devices = Devices(DiscoveryRequest(timeout=1.0, address=address, only=frozenset({"gvcp"})),
                      sim_options={"gige": {"addresses": [loopback()]}})
    server = serve(None, open_browser=False, devices=devices)
    try:
        assert _api(server, "/api/session") == {"device": "", "open": False, "picker": True}
        assert _request(server, "/api/tree", {"X-Nodemap-Token": server.token})[0] == 409
        status, answer = _request(server, "/api/open", {"X-Nodemap-Token": server.token},
                                  {"url": sim.urls[0]})
        assert status == 403 and "not offered" in answer["error"]
        found = _api(server, "/api/devices")
        assert [d["url"] for d in found["devices"]] == [sim.urls[0]]
        assert {"gige", "fcb", "sxh485"} <= {s["name"] for s in found["simulators"]}
        assert _api(server, "/api/open", {"url": sim.urls[0]})["ok"]
        assert _api(server, "/api/session")["open"]
        assert _api(server, "/api/feature/Width")["value"] == 1280
        opened = _api(server, "/api/simulate", {"name": "gige"})
        assert opened["ok"] and opened["device"] != sim.urls[0]
        assert _api(server, "/api/feature/Width")["value"] == 1280
        assert not _api(server, "/api/simulate", {"name": "nosuch"})["ok"]
    finally:
        server.stop()
        sim.close()
    assert server.cam is None and devices.simulators == []


def test_other_host_warns() -> None:
    sim = start_simulator("gige", addresses=[loopback()])
    try:
        with pytest.warns(UserWarning, match="anyone who can reach it"):
            server = serve(sim.urls[0], host="127.0.0.2", open_browser=False)
        server.stop()
        server.cam.close()
    finally:
        sim.close()


@contextmanager
def _chromium() -> Iterator[Any]:
    """Debian's chromium driven by Playwright (skip/fail when either is missing), closed
    after the block."""
    if not os.path.exists(CHROMIUM):
        missing(f"{CHROMIUM} not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright not installed (pip install playwright)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _viewer(browser_or_context: Any, url: str, **page_options: Any) -> tuple[Any, list[str]]:
    """A new page on the viewer at ``url``, ready (``body[data-ready='1']``), and the list
    its script errors are collected in."""
    page = browser_or_context.new_page(**page_options)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']", timeout=T)
    return page, errors


def _wait(page: Any, script: str) -> None:
    page.wait_for_function(script, timeout=T)


def _text(selector: str) -> str:
    return f"((document.querySelector({selector!r}) || {{}}).textContent || '')"


@pytest.mark.peer
def test_browser_gige(gige: Server, tmp_path: Path) -> None:
    with _chromium() as browser:
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        polled: list[str] = []
        page.on("request", lambda r: polled.append(r.url)
                if "/api/features" in r.url else None)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(gige.url)
        page.wait_for_selector("body[data-ready='1']", timeout=T)
        _wait(page, _text("#conn") + " === 'live updates'")
        page.click("details[data-name='ImageFormatControl'] > summary")
        width = page.locator("#f-Width input.value")
        offset_bounds = page.locator("#f-OffsetX .bounds")
        offset_bounds.wait_for(timeout=T)
        assert offset_bounds.text_content().strip() == "[0..0]"
        assert page.locator("#f-Width input.slider").count() == 1
        width.fill("320")
        width.dispatch_event("change")
        _wait(page, _text("#f-OffsetX .bounds") + ".includes('960')")
        assert gige.cam.features.Width.value == 320
        assert page.locator("#f-Width input.value").input_value() == "320"
        # a write made elsewhere is pushed to the page (no polling: WebSocket)
        gige.cam.features.Width.value = 480
        _wait(page, "document.querySelector('#f-Width input.value').value === '480'")
        _wait(page, _text("#f-OffsetX .bounds") + ".includes('800')")
        assert polled == [], "the page polled although the WebSocket was open"
        # a refused value explained (client-side bound check names the range)
        page.locator("#f-Width input.value").fill("5000")
        page.locator("#f-Width input.value").dispatch_event("change")
        _wait(page, _text("#f-Width .error") + ".includes('outside')")
        assert page.locator("#f-Width input.value").input_value() == "480"   # restored
        # enumeration, then TriggerSoftware
        page.click("details[data-name='AcquisitionControl'] > summary")
        page.locator("#f-TriggerMode select").wait_for(timeout=T)
        assert page.locator("#f-TriggerSoftware .reason").text_content() == \
            "not available: needs TriggerModeReg ≠ 0 (now 0; TriggerMode = Off)"
        page.select_option("#f-TriggerMode select", "On")
        _wait(page, "!document.querySelector('#f-TriggerSoftware button').disabled")
        assert gige.cam.features.TriggerMode.value == "On"
        page.click("#f-TriggerSoftware button")
        _wait(page, _text("#f-TriggerSoftware .done") + ".includes('done')")
        assert page.locator("#f-TriggerSoftware .error").text_content() == ""
        page.select_option("#f-TriggerMode select", "Off")
        _wait(page, "document.querySelector('#f-TriggerSoftware button').disabled")
        # dependency graph and registers of the selected feature
        page.click("#f-Width .name")
        page.wait_for_selector("#graph-svg g.node.focus[data-name='Width']", timeout=T)
        assert page.locator("#graph-svg g.node").count() >= 2
        assert page.locator("#graph-svg path.edge").count() >= 1
        page.wait_for_selector("#registers tbody tr[data-node]", timeout=T)
        cells = page.locator("#registers tbody tr[data-node]").first.locator("td")
        assert cells.nth(3).text_content().startswith("0x")
        page.click("#f-OffsetX .name")
        page.wait_for_selector("#graph-svg g.node.focus[data-name='OffsetX']", timeout=T)
        # live view: frames over the WebSocket, pixels, histogram, stats, pixel readout
        page.click("#live-start")
        _wait(page, "Number(document.querySelector('#view').dataset.frames || 0) > 2")
        size = page.evaluate("[document.querySelector('#view').width,"
                             " document.querySelector('#view').height]")
        assert size == [480, 960]
        pixels = page.evaluate(
            "Array.from(document.querySelector('#view').getContext('2d')"
            ".getImageData(0, 0, 480, 1).data)")
        assert len(set(pixels[0::4])) > 1, "the frame's first row should not be flat"
        _wait(page, "Number(document.querySelector('#hist').dataset.total || 0) > 0")
        assert int(page.locator("#hist").get_attribute("data-total")) == 480 * 960
        drawn = page.evaluate(
            "Array.from(document.querySelector('#hist').getContext('2d')"
            ".getImageData(0, 0, 256, 120).data).filter((v, i) => i % 4 === 3 && v > 0)"
            ".length")
        assert drawn > 100, "the histogram canvas is empty"
        status = page.locator("#live-status").text_content()
        assert "MB/s" in status and "incomplete 0" in status and "frames/s" in status
        box = page.locator("#view").bounding_box()
        page.mouse.move(box["x"] + 5, box["y"] + 5)
        _wait(page, _text("#pixel") + ".startsWith('pixel (')")
        page.click("#live-stop")
        _wait(page, _text("#live-status") + ".includes('stopped')")
        frame_path = tmp_path / "frame.png"
        page.fill("#frame-path", str(frame_path))
        page.click("#frame-save")
        _wait(page, _text("#frame-report") + ".startsWith('saved frame')")
        assert frame_path.stat().st_size > 0
        # save, change, reload the feature set, per-line report; diff against a .pfs
        page.click("#tabs button[data-tab='sets']")
        path = tmp_path / "set.nmfs"
        page.fill("#set-path", str(path))
        page.click("#set-save")
        _wait(page, _text("#set-report") + ".startsWith('saved')")
        assert path.is_file()
        pfs = tmp_path / "other.pfs"
        page.fill("#set-path", str(pfs))
        page.select_option("#set-format", "pfs")
        gige.cam.features.Width.value = 640
        page.click("#set-save")
        _wait(page, _text("#set-report") + ".includes('other.pfs')")
        page.fill("#set-path", str(path))
        page.click("#set-load")
        _wait(page, _text("#set-report") + ".includes('applied')")
        assert gige.cam.features.Width.value == 480
        _wait(page, "document.querySelectorAll('#load-report tbody tr.ok').length > 3")
        _wait(page, "document.querySelector('#f-Width input.value').value === '480'")
        page.fill("#diff-left", str(path))
        page.fill("#diff-right", str(pfs))
        page.click("#diff-run")
        page.wait_for_selector("#diff tbody tr[data-name='Width']", timeout=T)
        row = page.locator("#diff tbody tr[data-name='Width'] td")
        assert [row.nth(i).text_content() for i in range(3)] == ["Width", "480", "640"]
        assert page.locator("#diff tbody tr").count() < 10   # differences only
        assert errors == []
        page.screenshot(path=str(tmp_path / "ui.png"), full_page=False)
        if os.environ.get("NODEMAP_UI_SCREENSHOT"):
            _screenshot(page, gige)


def _screenshot(page: Any, server: Server) -> None:
    """The README's picture: tree open, a feature's graph, the live view running."""
    page.locator("#f-Width input.value").fill("1024")
    page.locator("#f-Width input.value").dispatch_event("change")
    _wait(page, _text("#f-OffsetX .bounds") + ".includes('256')")
    page.click("#tabs button[data-tab='feature']")
    page.click("#f-OffsetX .name")
    page.wait_for_selector("#graph-svg g.node.focus[data-name='OffsetX']", timeout=T)
    page.click("#live-start")
    _wait(page, "Number(document.querySelector('#view').dataset.frames || 0) > 5")
    page.evaluate("window.scrollTo(0, 0)")
    (REPO / "docs" / "images").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(REPO / "docs" / "images" / "ui.png"))
    page.click("#live-stop")


@pytest.mark.peer
def test_browser_picker(tmp_path: Path) -> None:
    """``nodemap ui`` without URL: pick a discovered device, then start a simulator."""
    address = loopback()
    sim = start_simulator("gige", addresses=[address])
    devices = Devices(DiscoveryRequest(timeout=1.0, address=address, only=frozenset({"gvcp"})))
    server = serve(None, open_browser=False, devices=devices)
    try:
        with _chromium() as browser:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(server.url)
            page.wait_for_selector("body[data-picker='1']", timeout=T)
            row = page.locator(f"#device-list tr[data-url='{sim.urls[0]}']")
            row.wait_for(timeout=T)
            assert "discovered" in row.text_content()
            row.locator("button").click()
            page.wait_for_selector("body[data-ready='1']", timeout=T)
            assert page.locator("#device").text_content() == sim.urls[0]
            page.click("details[data-name='ImageFormatControl'] > summary")
            _wait(page, "document.querySelector('#f-Width input.value') &&"
                        " document.querySelector('#f-Width input.value').value === '1280'")
            # back to the list, start a simulated FCB camera in the viewer's process
            page.click("#to-picker")
            page.wait_for_selector("#sim-list button[data-sim='fcb']", timeout=T)
            page.click("#sim-list button[data-sim='fcb']")
            _wait(page, _text("#device") + ".startsWith('fcb:')")
            page.wait_for_selector("body[data-ready='1']", timeout=T)
            assert server.cam is not None and server.device_url.startswith("fcb:")
            assert page.locator(".feature").count() > 0
    finally:
        server.stop()
        sim.close()


@pytest.mark.peer
@pytest.mark.parametrize("name", ["fcb", "sxh485"])
def test_browser_smoke(name: str) -> None:
    sim = start_simulator(name)
    server = serve(sim.urls[0], open_browser=False)
    try:
        with _chromium() as browser:
            page, errors = _viewer(browser, server.url)
            first = page.locator("#tree > details > summary").first
            first.click()
            _wait(page, "Array.from(document.querySelectorAll('.feature .access'))"
                        ".some(e => e.textContent.length > 0)")
            assert page.locator(".feature").count() > 0
            name_el = page.locator("#tree > details .feature .name").first
            feature = name_el.get_attribute("title")
            name_el.click()
            page.wait_for_selector(f"#graph-svg g.node.focus[data-name='{feature}']",
                                   timeout=T)
            page.wait_for_selector("#registers tbody tr", timeout=T)
            if name == "sxh485":          # snapshots: the live view shows them too
                page.click("#live-start")
                _wait(page, "Number(document.querySelector('#view').dataset.frames"
                            " || 0) > 1")
                assert page.evaluate("document.querySelector('#view').width") > 1
                _wait(page, "Number(document.querySelector('#hist').dataset.total"
                            " || 0) > 0")
                page.click("#live-stop")
                _wait(page, _text("#live-status") + ".includes('stopped')")
            assert errors == []
    finally:
        server.stop()
        server.cam.close()
        sim.close()


def _listen(page: Any, event: str, status_check: str) -> None:
    """The events tab listens for ``event``; waits until its status text passes
    ``status_check`` (a JavaScript string method call, e.g. ``.startsWith('listening')``)."""
    page.fill("#event-name", event)
    page.click("#events-listen")
    _wait(page, _text("#events-status") + status_check)


@pytest.mark.peer
def test_browser_event_log() -> None:
    """Events in the page: viva-genicam's fake camera sends ExposureEnd while it streams."""
    with viva_camera(width=64, height=48) as address:
        server = serve(f"gvcp://{address}", open_browser=False)
        try:
            with _chromium() as browser:
                page, _ = _viewer(browser, server.url, viewport={"width": 1400, "height": 900})
                page.click("#tabs button[data-tab='events']")
                _listen(page, "ExposureEnd", ".startsWith('listening')")
                page.click("#live-start")
                _wait(page, "document.querySelectorAll('#event-log li').length >= 3")
                page.click("#live-stop")
                text = page.locator("#event-log li").first.text_content()
                assert "ExposureEnd (0x9001)" in text
                assert "EventExposureEndFrameID=" in text
        finally:
            server.stop()
            server.cam.close()


@pytest.mark.peer
def test_browser_event_log_on_the_gige_simulator(gige: Server) -> None:
    """Events in the page from our own simulator: the Test event (TestEventGenerate), then
    ExposureEnd while the live view streams."""
    with _chromium() as browser:
        page, _ = _viewer(browser, gige.url, viewport={"width": 1400, "height": 900})
        page.click("#tabs button[data-tab='events']")
        _listen(page, "Test", ".startsWith('listening (Test enabled)')")
        assert gige.cam.features["EventNotification"].value == "On"
        gige.cam.features["TestEventGenerate"].execute()
        _wait(page, "document.querySelectorAll('#event-log li').length >= 1")
        first = page.locator("#event-log li").first.text_content() or ""
        assert " Test (0x" in first and "EventTestTimestamp=" in first, first
        _listen(page, "ExposureEnd", ".includes('ExposureEnd enabled')")
        page.click("#live-start")
        _wait(page, "[...document.querySelectorAll('#event-log li')]"
                    ".filter(li => li.textContent.includes('ExposureEnd')).length >= 2")
        page.click("#live-stop")
        lines = [li.text_content() for li in page.locator("#event-log li").all()]
        assert any("ExposureEnd (0x" in line for line in lines), lines


@contextmanager
def _ui_process(*args: str) -> Iterator[str]:
    """``python -m ARGS…`` (a viewer that prints its tokened URL first): yields that URL;
    after the block SIGTERM must end it with status 0 (killed if it outlives the test)."""
    import signal
    import subprocess
    import sys
    proc = subprocess.Popen([sys.executable, "-m", *args], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("nodemap ui: http://127.0.0.1:") and "/?token=" in line, line
        yield line.split(": ", 1)[1].strip()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_main_prints_the_tokened_url() -> None:
    sim = start_simulator("gige", addresses=[loopback()])
    try:
        with _ui_process("nodemap.app.ui.server", sim.urls[0], "--no-browser") as url:
            with urllib.request.urlopen(url, timeout=10) as response:
                assert b"nodemap ui" in response.read()
    finally:
        sim.close()


@pytest.mark.peer
def test_browser_two_viewers_keep_their_tokens(gige: Server) -> None:
    """Cookies ignore ports: a second viewer on the same host must not log the first out."""
    other = serve(None, cam=gige.cam, open_browser=False)   # same camera, another port
    try:
        with _chromium() as browser:
            context = browser.new_context()
            first, _ = _viewer(context, gige.url)
            second, _ = _viewer(context, other.url)
            names = {c["name"] for c in context.cookies()}
            assert names == {gige.cookie, other.cookie}
            first.click("details[data-name='ImageFormatControl'] > summary")
            first.locator("#f-Width input.value").fill("640")
            first.locator("#f-Width input.value").dispatch_event("change")
            _wait(first, _text("#f-OffsetX .bounds") + ".includes('640')")
            assert gige.cam.features.Width.value == 640
    finally:
        other.stop()


def test_cli_without_url_offers_discovered_devices() -> None:
    """``nodemap ui --address A`` (no URL): the page's device list has the camera at A."""
    address = loopback()
    sim = start_simulator("gige", addresses=[address])
    try:
        with _ui_process("nodemap", "ui", "--no-browser", "--address", address) as url:
            base, token = url.split("/?token=")
            req = urllib.request.Request(base + "/api/devices",
                                         headers={"X-Nodemap-Token": token})
            with urllib.request.urlopen(req, timeout=30) as response:
                found = json.loads(response.read())
            assert sim.urls[0] in [d["url"] for d in found["devices"]]
            assert "gige" in {s["name"] for s in found["simulators"]}
    finally:
        sim.close()
