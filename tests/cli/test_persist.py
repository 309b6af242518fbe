"""Feature sets on simulated devices: save, power-cycle, load, compare against values the
test wrote itself (never against ``persist.plan``), and nothing refused is left out."""

from __future__ import annotations

import pytest

import nodemap
from nodemap import persist
from nodemap.errors import FeatureSetError, NodeMapError

from .conftest import start_device, stop_device

# What the GigE test writes, written out by hand: the oracle.
GIGE_SET = {"PixelFormat": "Mono10", "Width": 640, "OffsetX": 320, "Height": 480,
            "OffsetY": 100, "ExposureTime": 2500.0, "ReverseX": True,
            "DeviceUserLabel": 'line "3"'}
GIGE_GAINS = {"Red": 33, "Green": 7, "Blue": 240, "All": 12}

# The untouched Sony FCB camera (simulator power-on state), written out by hand.
FCB_SAVED = {"Power", "ZoomPosition", "FocusMode", "FocusPosition", "ExposureMode",
             "Shutter", "Iris", "Gain", "Bright", "ExposureCompensationEnable",
             "ExposureCompensation", "BacklightCompensation", "WhiteBalanceMode",
             "MemoryPreset"}


def _readable_state(cam) -> dict:
    """Every readable value feature of the description, read directly (independent of
    persist): what a restored device must show again."""
    out = {}
    for name in cam.features:
        feature = cam.features[name]
        try:
            if feature.kind in ("Command", "Category", "Port") or not feature.is_readable:
                continue
            out[name] = feature.value
        except NodeMapError as exc:
            out[name] = type(exc).__name__
    return out


def test_gige_power_cycle_roundtrip(make_gige, tmp_path):
    url, sim = make_gige()
    address = url.removeprefix("gvcp://").split("?")[0]
    path = tmp_path / "gige.nmfs"
    with nodemap.open(url) as cam:
        f = cam.features
        for name, value in GIGE_SET.items():
            f[name].value = value
        for selector, gain in GIGE_GAINS.items():
            f["GainSelector"].value = selector
            f["Gain"].value = gain
        f["GainSelector"].value = "Green"
        report = persist.store(cam, path)
    assert report.selection == "streamable" and report.skipped == ()
    lines = [line for line in path.read_text().splitlines() if not line.startswith("#")]
    assert report.assignments == len(lines)
    # dependency order: PixelFormat before Width (its increment), Width before OffsetX
    assert lines.index("PixelFormat = Mono10") < lines.index("Width = 640") < \
        lines.index("OffsetX = 320")
    assert [line for line in lines if line.startswith("GainSelector")] == [
        "GainSelector = All", "GainSelector = Red", "GainSelector = Green",
        "GainSelector = Blue", "GainSelector = Green"]
    assert lines[lines.index("GainSelector = Blue") + 1] == "Gain = 240"
    assert 'DeviceUserLabel = "line \\"3\\""' in lines
    # power cycle: a fresh simulator at the same address, power-on values
    sim.stop()
    url2, _ = make_gige(address=address)
    with nodemap.open(url2) as cam:
        f = cam.features
        assert f["Width"].value == 1280 and f["PixelFormat"].value == "Mono8"  # really fresh
        report = persist.load(cam, path)
        assert report.ok, [str(p) for p in report.problems]
        for name, value in GIGE_SET.items():
            assert f[name].value == value, name
        assert f["GainSelector"].value == "Green"
        for selector, gain in GIGE_GAINS.items():
            f["GainSelector"].value = selector
            assert f["Gain"].value == gain, selector


@pytest.mark.parametrize("kind", ["fcb", "sxh485"])
def test_serial_power_cycle_roundtrip(kind, tmp_path):
    path = tmp_path / f"{kind}.nmfs"
    dev = start_device(kind)
    try:
        with nodemap.open(dev.url) as cam:
            cam.features[dev.rw].value = dev.new_value
            persist.save(cam, path)
            before = _readable_state(cam)
    finally:
        stop_device(dev)
    fresh = start_device(kind)
    try:
        with nodemap.open(fresh.url) as cam:
            assert cam.features[dev.rw].value != dev.new_value
            report = persist.load(cam, path)
            assert report.ok, [str(p) for p in report.problems]
            assert cam.features[dev.rw].value == dev.new_value
            assert _readable_state(cam) == before      # every readable value, none dropped
    finally:
        stop_device(fresh)


def test_untouched_fcb_roundtrip_saves_no_command(tmp_path):
    """The issue: an untouched FCB camera's file failed to load (VISCA error 41) and held
    the command registers, whose writes execute zoom and memory commands."""
    path = tmp_path / "fcb.nmfs"
    dev = start_device("fcb")
    try:
        with nodemap.open(dev.url) as cam:
            report = persist.store(cam, path)
            before = _readable_state(cam)
            names = {line.split(" = ")[0] for line in path.read_text().splitlines()
                     if line and not line.startswith("#")}
            assert names == FCB_SAVED
            assert report.selection == "writable"
            assert {s.name for s in report.skipped} == {
                "DeviceVendorID", "DeviceModelID", "DeviceROMVersion", "MaxSocket"}
            loaded = persist.load(cam, path)
            assert loaded.ok, [str(p) for p in loaded.problems]
            assert loaded.verified == len(FCB_SAVED)
            assert _readable_state(cam) == before
    finally:
        stop_device(dev)


def test_problems_are_reported(gige):
    text = ("# nodemap feature set 1\nWidht = 640\nWidth = 99999\nPixelFormat = Mono9\n"
            "Height = 480\nTriggerSoftware = 1\n")
    with nodemap.open(gige.url) as cam:
        report = persist.loads(cam, text)
        reasons = {p.name: p.reason for p in report.problems}
        assert set(reasons) == {"Widht", "Width", "PixelFormat", "TriggerSoftware"}
        assert "did you mean Width" in reasons["Widht"]
        assert "RangeError" in reasons["Width"]
        assert "Mono9" in reasons["PixelFormat"]
        assert "never executes commands" in reasons["TriggerSoftware"]
        assert [p.line for p in report.problems] == [2, 3, 4, 6]
        assert cam.features["Height"].value == 480 and report.applied == 1


def test_unreadable_values_apply_nothing(gige):
    text = "Height = 480\nExposureTime = fast\nWidth = 0xZZ\n"
    with nodemap.open(gige.url) as cam:
        height = cam.features["Height"].value
        with pytest.raises(FeatureSetError, match="line 2: ExposureTime") as info:
            persist.loads(cam, text)
        assert [line for line, _ in info.value.problems] == [2, 3]
        assert "nothing was applied" in str(info.value)
        cam.features["Height"].invalidate()
        assert cam.features["Height"].value == height != 480
