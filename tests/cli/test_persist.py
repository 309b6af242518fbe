"""Feature sets: save from a simulated device, power-cycle it, load, compare every value."""

from __future__ import annotations

import pytest

import nodemap
from nodemap import persist

from .conftest import start_device, stop_device


def _snapshot(cam) -> dict:
    """Every value a feature set covers, read under each selector value."""
    out = {}
    for a in persist.plan(cam)[0]:
        out[(a.name, a.context)] = a.text
    return out


def test_gige_power_cycle_roundtrip(make_gige, tmp_path):
    url, sim = make_gige()
    address = url.removeprefix("gvcp://").split("?")[0]
    path = tmp_path / "gige.nmfs"
    with nodemap.open(url) as cam:
        f = cam.features
        f["PixelFormat"].value = "Mono10"
        f["Width"].value = 640
        f["OffsetX"].value = 320
        f["Height"].value = 480
        f["OffsetY"].value = 100
        f["ExposureTime"].value = 2500.0
        f["ReverseX"].value = True
        f["DeviceUserLabel"].value = 'line "3"'
        for selector, gain in (("Red", 33), ("Green", 7), ("Blue", 240), ("All", 12)):
            f["GainSelector"].value = selector
            f["Gain"].value = gain
        f["GainSelector"].value = "Green"
        before = _snapshot(cam)
        persist.save(cam, path)
    text = path.read_text()
    # dependency order: selectors before what they select, PixelFormat before Width,
    # Width before OffsetX; every selector value visited; enums by name
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    assert lines.index("PixelFormat = Mono10") < lines.index("Width = 640") < \
        lines.index("OffsetX = 320")
    assert [line for line in lines if line.startswith("GainSelector")] == [
        "GainSelector = All", "GainSelector = Red", "GainSelector = Green",
        "GainSelector = Blue", "GainSelector = Green"]
    assert lines[lines.index("GainSelector = Blue") + 1] == "Gain = 240"
    # power cycle: a fresh simulator at the same address, power-on values
    sim.stop()
    url2, _ = make_gige(address=address)
    with nodemap.open(url2) as cam:
        assert cam.features["Width"].value == 1280      # really fresh
        report = persist.load(cam, path)
        assert report.ok, [str(p) for p in report.problems]
        assert report.verified >= 10
        assert _snapshot(cam) == before
        assert cam.features["GainSelector"].value == "Green"


@pytest.mark.parametrize("kind", ["fcb", "sxh485"])
def test_serial_power_cycle_roundtrip(kind, tmp_path):
    path = tmp_path / f"{kind}.nmfs"
    dev = start_device(kind)
    try:
        with nodemap.open(dev.url) as cam:
            cam.features[dev.rw].value = dev.new_value
            persist.save(cam, path)
            before = _snapshot(cam)
    finally:
        stop_device(dev)
    fresh = start_device(kind)
    try:
        with nodemap.open(fresh.url) as cam:
            assert cam.features[dev.rw].value != dev.new_value
            report = persist.load(cam, path)
            # features the device refuses in its current mode are reported, not hidden
            refused = {p.name for p in report.problems}
            assert dev.rw not in refused
            assert cam.features[dev.rw].value == dev.new_value
            after = _snapshot(cam)
            assert {k: v for k, v in after.items() if k[0] not in refused} == \
                {k: v for k, v in before.items() if k[0] not in refused}
            for problem in report.problems:
                assert problem.reason and problem.line
    finally:
        stop_device(fresh)


def test_problems_are_reported(gige):
    text = ("# nodemap feature set 1\nWidht = 640\nWidth = 99999\nPixelFormat = Mono9\n"
            "ExposureTime = fast\nHeight = 480\n")
    with nodemap.open(gige.url) as cam:
        report = persist.loads(cam, text)
        reasons = {p.name: p.reason for p in report.problems}
        assert "did you mean Width" in reasons["Widht"]
        assert "RangeError" in reasons["Width"]
        assert "Mono9" in str([p for p in report.problems if p.name == "PixelFormat"][0]) 
        assert "Float" in reasons["ExposureTime"]
        assert cam.features["Height"].value == 480 and report.applied == 1


def test_format_helpers_roundtrip():
    for kind, value in (("Integer", -5), ("Float", 0.1), ("Boolean", True),
                        ("String", 'a "b"\n'), ("Register", b"\x00\xff"), ("Enumeration", "On")):
        assert persist.parse_value(kind, persist.format_value(kind, value)) == value
    with pytest.raises(ValueError, match="line 2"):
        persist.parse("A = 1\nnot an assignment\n")
