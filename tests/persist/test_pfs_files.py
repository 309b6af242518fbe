"""GenApi feature files written by hand from the documented layout (GenApi's
Persistence.h, and the pylon 6/7 files with ``{Selector=Value}`` contexts), loaded on the
demo camera; each expected value written out here."""

from __future__ import annotations

import nodemap
from nodemap import persist
from nodemap.transports.gvcp.sim import DEMO_REGISTERS
from nodemap.resources import read_description

PYLON_STYLE = (
    "\ufeff# {05D8C294-F295-4dfb-9D01-096BD04049F4}\r\n"
    "# GenApi persistence file (version 3.5.0)\r\n"
    "# Device = nodemap::NM-Demo-1300 -- written by hand for this test\r\n"
    "PixelFormat\tMono10\r\n"
    "Width\t640\r\n"
    "OffsetX\t320\r\n"
    "ReverseX\t1\r\n"
    "ExposureTime\t2500\r\n"
    "DeviceUserLabel\tline 3  (two spaces)\r\n"
    "Gain\t{GainSelector=Red}\t33\r\n"
    "Gain\t{GainSelector=Blue}\t240\r\n"
    "GainSelector\tGreen\r\n")

CLASSIC = (
    "# {05D8C294-F295-4dfb-9D01-096BD04049F4}\n"
    "# GenApi persistence file (version 3.0.0)\n"
    "# Device = nodemap NM-Demo-1300\n"
    "GainSelector\tRed\n"
    "Gain\t11\n"
    "GainSelector\tAll\n"
    "Gain\t22\n"
    "TriggerMode\tOn\n"
    "DeviceUserLabel\tGENICAM_EMPTY_STRING\n")


def _camera() -> nodemap.NodeMap:
    nm = nodemap.NodeMap.from_xml(read_description("demo-camera.xml"))
    port = nodemap.MemoryPort(0x10000)
    for address, value in DEMO_REGISTERS.items():
        port.write(address, value.to_bytes(4, "big"))
    nm.connect(port)
    return nm


def _gain(nm: nodemap.NodeMap, selector: str) -> int:
    nm.features["GainSelector"].value = selector
    return nm.features["Gain"].value


def test_a_pylon_style_file_with_selector_contexts():
    nm = _camera()
    nm.features["DeviceUserLabel"].value = "old"
    report = persist.loads(nm, PYLON_STYLE)
    assert report.format == "pfs" and report.ok, [str(p) for p in report.problems]
    f = nm.features
    assert (f["PixelFormat"].value, f["Width"].value, f["OffsetX"].value) == ("Mono10", 640, 320)
    assert f["ReverseX"].value is True and f["ExposureTime"].value == 2500.0
    assert f["DeviceUserLabel"].value == "line 3  (two spaces)"
    assert f["GainSelector"].value == "Green"
    assert (_gain(nm, "Red"), _gain(nm, "Blue")) == (33, 240)


def test_a_classic_file_replayed_line_by_line():
    nm = _camera()
    nm.features["DeviceUserLabel"].value = "old"
    report = persist.loads(nm, CLASSIC)
    assert report.ok, [str(p) for p in report.problems]
    assert nm.features["GainSelector"].value == "All"
    assert (_gain(nm, "Red"), _gain(nm, "All")) == (11, 22)
    assert nm.features["TriggerMode"].value == "On"
    assert nm.features["DeviceUserLabel"].value == ""


def test_our_pfs_file_has_the_documented_layout(tmp_path):
    nm = _camera()
    nm.features["ExposureTime"].value = 2500.0
    path = tmp_path / "camera.pfs"
    report = persist.store(nm, path)
    lines = path.read_text(encoding="utf-8").split("\n")
    assert report.format == "pfs"
    assert lines[0] == "# {05D8C294-F295-4dfb-9D01-096BD04049F4}"
    assert lines[1] == "# GenApi persistence file (version 3.5.0)"
    assert lines[2].startswith("# Device = nodemap NM-Demo-1300")
    body = [line for line in lines[3:] if line and not line.startswith("#")]
    assert all(line.count("\t") == 1 for line in body)
    assert "ExposureTime\t2500" in body and "ReverseX\t0" in body
    assert "DeviceUserLabel\tGENICAM_EMPTY_STRING" in body
    assert [line for line in body if line.startswith("GainSelector")] == [
        "GainSelector\tAll", "GainSelector\tRed", "GainSelector\tGreen", "GainSelector\tBlue",
        "GainSelector\tAll"]   # each value visited, then the original put back
    fresh = _camera()
    assert persist.load(fresh, path).ok
