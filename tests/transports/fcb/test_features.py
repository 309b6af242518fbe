"""End to end: ``nodemap.open("fcb:...")`` and ``cam.features[...]`` against the simulated
camera on a real pty; every feature of xml/sony-fcb.xml, the bytes on the line, and a
description the project does not ship (a new parameter by XML alone)."""

from __future__ import annotations

from pathlib import Path

import pytest

import nodemap
from nodemap.errors import DeviceError, NodeMapError, TimeoutError
from nodemap.transports.fcb.bus import open_buses
from tests.polling import wait_until

H = bytes.fromhex
EXTRA_XML = Path(__file__).with_name("fcb-extra.xml")

FEATURES = {
    "Power": "Boolean", "ZoomPosition": "Integer", "ZoomStop": "Command", "ZoomTele": "Command",
    "ZoomWide": "Command", "FocusMode": "Enumeration", "FocusPosition": "Integer",
    "FocusOnePush": "Command", "WhiteBalanceMode": "Enumeration", "ExposureMode": "Enumeration",
    "Shutter": "Integer", "Iris": "Integer", "Gain": "Integer", "Bright": "Integer",
    "ExposureCompensationEnable": "Boolean", "ExposureCompensation": "Integer",
    "BacklightCompensation": "Boolean", "MemoryPreset": "Integer", "MemorySet": "Command",
    "MemoryRecall": "Command", "MemoryReset": "Command", "DeviceVendorID": "Integer",
    "DeviceModelID": "Integer", "DeviceROMVersion": "Integer", "MaxSocket": "Integer",
}


@pytest.fixture
def cam(make_sim):
    sim = make_sim()
    camera = nodemap.open(f"fcb:{sim.url}?address=1&timeout=0.5&completion_timeout=5")
    camera.sim = sim  # type: ignore[attr-defined]
    yield camera
    camera.close()
    assert not open_buses()


def wire(cam, action) -> bytes:
    line = cam.sim.line
    with line.lock:
        line.rx.clear()
    action()
    with line.lock:
        return bytes(line.rx)


def test_feature_names_and_kinds(cam) -> None:
    names = set(cam.features)
    for name, kind in FEATURES.items():
        assert name in names
        assert cam.features[name].kind == kind, name
    assert cam.features["ZoomPosition"].min == 0 and cam.features["ZoomPosition"].max == 0x7AC0
    assert cam.features["FocusMode"].entries == ["Auto", "Manual"]
    assert set(cam.features["WhiteBalanceMode"].entries) == {
        "Auto", "Indoor", "Outdoor", "OnePush", "ATW", "Manual"}
    assert set(cam.features["ExposureMode"].entries) == {
        "FullAuto", "Manual", "ShutterPriority", "IrisPriority", "Bright"}
    for name in ("DeviceVendorID", "DeviceModelID", "DeviceROMVersion", "MaxSocket"):
        assert cam.features[name].access == "RO"
    assert cam.features["ZoomPosition"].description
    assert cam.link.port_name == "Device"


def test_wire_bytes_of_the_issue(cam) -> None:
    f = cam.features
    assert wire(cam, lambda: setattr(f["ZoomPosition"], "value", 0x1234)) == H("81 01 04 47 01 02 03 04 FF")
    got: list[int] = []
    assert wire(cam, lambda: got.append(f["ZoomPosition"].value)) == H("81 09 04 47 FF")
    assert got == [0x1234]
    f["ExposureMode"].value = "Manual"
    assert wire(cam, lambda: setattr(f["Gain"], "value", 5)) == H("81 01 04 4C 00 00 00 05 FF")
    assert f["Gain"].value == 5


def test_every_value_feature(cam) -> None:
    f = cam.features
    assert f["Power"].value is True
    assert wire(cam, lambda: setattr(f["Power"], "value", False)) == H("81 01 04 00 03 FF")
    assert f["Power"].value is False
    f["Power"].value = True
    assert wire(cam, lambda: setattr(f["FocusMode"], "value", "Manual")) == H("81 01 04 38 03 FF")
    assert f["FocusMode"].value == "Manual"
    assert wire(cam, lambda: setattr(f["FocusPosition"], "value", 0x2345)) == H("81 01 04 48 02 03 04 05 FF")
    assert f["FocusPosition"].value == 0x2345
    for entry, code in [("Indoor", 1), ("Outdoor", 2), ("OnePush", 3), ("ATW", 4), ("Manual", 5), ("Auto", 0)]:
        assert wire(cam, lambda: setattr(f["WhiteBalanceMode"], "value", entry)) == bytes(
            (0x81, 0x01, 0x04, 0x35, code, 0xFF))
        assert f["WhiteBalanceMode"].value == entry
    for mode, code, feature, cmd, value in [
            ("ShutterPriority", 0x0A, "Shutter", 0x4A, 0x12),
            ("IrisPriority", 0x0B, "Iris", 0x4B, 0x0E),
            ("Bright", 0x0D, "Bright", 0x4D, 0x1B),
            ("Manual", 0x03, "Gain", 0x4C, 0x0A)]:
        assert wire(cam, lambda: setattr(f["ExposureMode"], "value", mode)) == bytes(
            (0x81, 0x01, 0x04, 0x39, code, 0xFF))
        assert f["ExposureMode"].value == mode
        assert wire(cam, lambda: setattr(f[feature], "value", value)) == bytes(
            (0x81, 0x01, 0x04, cmd, 0, 0, value >> 4, value & 0xF, 0xFF))
        assert f[feature].value == value
    f["ExposureMode"].value = "FullAuto"
    assert f["ExposureMode"].value == "FullAuto"
    assert wire(cam, lambda: setattr(f["ExposureCompensationEnable"], "value", True)) == H("81 01 04 3E 02 FF")
    assert f["ExposureCompensationEnable"].value is True
    assert wire(cam, lambda: setattr(f["ExposureCompensation"], "value", 9)) == H("81 01 04 4E 00 00 00 09 FF")
    assert f["ExposureCompensation"].value == 9
    assert wire(cam, lambda: setattr(f["BacklightCompensation"], "value", True)) == H("81 01 04 33 02 FF")
    assert f["BacklightCompensation"].value is True
    f["BacklightCompensation"].value = False
    assert f["BacklightCompensation"].value is False


def test_version_features(cam) -> None:
    f = cam.features
    assert f["DeviceVendorID"].value == 0x0020
    assert f["DeviceModelID"].value == 0x0712
    assert f["DeviceROMVersion"].value == 0x0117
    assert f["MaxSocket"].value == 2


def test_zoom_commands(cam) -> None:
    f = cam.features
    assert wire(cam, f["ZoomTele"].execute) == H("81 01 04 07 02 FF")
    assert wait_until(lambda: f["ZoomTele"].is_done())
    assert wait_until(lambda: f["ZoomPosition"].value == 0x7AC0)
    assert wire(cam, f["ZoomWide"].execute) == H("81 01 04 07 03 FF")
    assert wait_until(lambda: f["ZoomPosition"].value < 0x7AC0)
    assert wire(cam, f["ZoomStop"].execute) == H("81 01 04 07 00 FF")
    assert wait_until(lambda: f["ZoomStop"].is_done())


def test_focus_one_push_is_done_on_completion(make_sim) -> None:
    sim = make_sim(one_push_time=60.0)
    with nodemap.open(f"fcb:{sim.url}?address=1&timeout=0.5") as cam:
        f = cam.features
        f["FocusMode"].value = "Manual"
        f["FocusOnePush"].execute()
        assert f["FocusOnePush"].is_done() is False  # socket still busy
        (socket,) = cam.port.jobs()
        assert cam.cancel(socket)  # link extra reachable as cam.cancel
        assert f["FocusOnePush"].is_done() is True


def test_focus_one_push_completes(cam) -> None:
    f = cam.features
    f["FocusMode"].value = "Manual"
    assert wire(cam, f["FocusOnePush"].execute) == H("81 01 04 18 01 FF")
    assert wait_until(f["FocusOnePush"].is_done)


def test_memories(cam) -> None:
    f = cam.features
    f["ZoomPosition"].value = 0x3000
    f["WhiteBalanceMode"].value = "Outdoor"
    f["MemoryPreset"].value = 2
    assert wire(cam, f["MemorySet"].execute) == H("81 01 04 3F 01 02 FF")
    assert wait_until(f["MemorySet"].is_done)
    f["ZoomPosition"].value = 0x0100
    f["WhiteBalanceMode"].value = "Indoor"
    assert wire(cam, f["MemoryRecall"].execute) == H("81 01 04 3F 02 02 FF")
    assert wait_until(f["MemoryRecall"].is_done)
    assert f["ZoomPosition"].value == 0x3000
    assert f["WhiteBalanceMode"].value == "Outdoor"
    assert wire(cam, f["MemoryReset"].execute) == H("81 01 04 3F 00 02 FF")
    assert wait_until(f["MemoryReset"].is_done)
    f["MemoryPreset"].value = 5
    assert wire(cam, f["MemorySet"].execute) == H("81 01 04 3F 01 05 FF")
    with pytest.raises(NodeMapError):
        f["MemoryPreset"].value = 6


def test_device_error_names_the_feature(cam) -> None:
    with pytest.raises(DeviceError, match="Gain") as info:
        cam.features["Gain"].value = 3  # FullAuto: not executable
    assert info.value.status == 0x41
    from nodemap.resources import read_description
    from nodemap.transports.fcb.link import register_labels

    gain_register = {name: address for address, name in
                     register_labels(read_description("sony-fcb.xml")).items()}["Gain"]
    assert (info.value.feature, info.value.address) == ("Gain", gain_register)
    with pytest.raises(NodeMapError):
        cam.features["ZoomPosition"].value = 0x7AC1  # beyond Max: refused before the wire
    cam.features["ZoomPosition"].value = 0x10
    assert cam.features["ZoomPosition"].value == 0x10


def test_silent_camera_raises_timeout(make_sim) -> None:
    sim = make_sim()
    with nodemap.open(f"fcb:{sim.url}?address=1&timeout=1&retries=0") as cam:  # generous
        sim.line.faults.silent = True
        with pytest.raises(TimeoutError):
            _ = cam.features["ZoomPosition"].value
        sim.line.faults.silent = False
        assert cam.features["Power"].value is True


def test_socket_url(make_sim) -> None:
    sim = make_sim(transport="tcp")
    assert sim.url.startswith("socket://127.0.0.1:")
    with nodemap.open(f"fcb:{sim.url}?address=1&timeout=0.5") as cam:
        cam.features["ZoomPosition"].value = 0x0777
        assert cam.features["ZoomPosition"].value == 0x0777


def test_parameter_added_by_xml_only(make_sim) -> None:
    """A description the project does not ship adds parameters without code changes."""
    sim = make_sim()
    with nodemap.open(f"fcb:{sim.url}?address=1&timeout=0.5", xml=EXTRA_XML.read_bytes()) as cam:
        f = cam.features
        line = sim.line
        line.rx.clear()
        f["Aperture"].value = 0x0C
        assert bytes(line.rx) == H("81 01 04 42 00 00 00 0C FF")
        assert f["Aperture"].value == 0x0C
        assert line.camera(1).values["Aperture"] == 0x0C
        line.rx.clear()
        f["MirrorLR"].value = True
        assert bytes(line.rx) == H("81 01 04 61 02 FF")
        assert f["MirrorLR"].value is True
        line.rx.clear()
        f["DigitalZoomMode"].value = "Off"
        assert bytes(line.rx) == H("81 01 04 06 03 FF")
        line.rx.clear()
        assert f["DigitalZoomMode"].value == "Off"  # SETTING: remembered by the host
        assert bytes(line.rx) == b""
        line.rx.clear()
        f["ApertureReset"].execute()
        assert bytes(line.rx) == H("81 01 04 02 00 FF")
        assert wait_until(f["ApertureReset"].is_done)
        assert f["Aperture"].value == 0x05


def test_two_cameras_on_one_line(make_sim) -> None:
    sim = make_sim(cameras=2)
    with nodemap.open(f"fcb:{sim.url}?address=1&timeout=0.5") as cam1, \
            nodemap.open(f"fcb:{sim.url}?address=2&timeout=0.5") as cam2:
        assert cam1.link.bus is cam2.link.bus
        cam1.features["ZoomPosition"].value = 0x1111
        cam2.features["ZoomPosition"].value = 0x2222
        assert cam1.features["ZoomPosition"].value == 0x1111
        assert cam2.features["ZoomPosition"].value == 0x2222
    assert not open_buses()
