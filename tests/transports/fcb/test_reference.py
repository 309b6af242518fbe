"""Differential: sony-fcb.xml driven by the GenApi reference (``genicam`` wheel) and by
nodemap, both through the same FcbPort to the simulated camera, give the same answers."""

from __future__ import annotations

import time

import nodemap
from nodemap.resources import read_description
from tests.peers import require_genicam
from tests.reference.memory import reference_port

READABLE = ["Power", "ZoomPosition", "FocusMode", "FocusPosition", "WhiteBalanceMode",
            "ExposureMode", "Shutter", "Iris", "Gain", "Bright", "ExposureCompensationEnable",
            "ExposureCompensation", "BacklightCompensation", "MemoryPreset", "DeviceVendorID",
            "DeviceModelID", "DeviceROMVersion", "MaxSocket"]


def reference_nodemap(genapi, port):
    ref = genapi.NodeMap()
    ref.load_xml_from_string(read_description("sony-fcb.xml").decode())
    bridge = reference_port(port)
    ref.connect(bridge, "Device")
    return ref, bridge  # the caller keeps the bridge alive


def test_reference_and_nodemap_agree(make_sim, make_link) -> None:
    genapi = require_genicam()
    sim = make_sim()
    link = make_link(sim)
    ref, _bridge = reference_nodemap(genapi, link.port)
    ours = nodemap.NodeMap.from_xml(read_description("sony-fcb.xml"))
    ours.connect(link.port, name="Device")

    def same() -> None:
        for name in READABLE:
            assert ours.features[name].value == ref.get_node(name).value, name

    same()
    ref.get_node("ExposureMode").value = "Manual"
    ref.get_node("Gain").value = 7
    ours.features["ZoomPosition"].value = 0x2345
    ref.get_node("FocusMode").value = "Manual"
    ours.features["FocusPosition"].value = 0x3000
    ref.get_node("WhiteBalanceMode").value = "ATW"
    same()
    for name in ("ZoomPosition", "Gain", "Shutter", "MemoryPreset"):
        assert ours.features[name].min == ref.get_node(name).min, name
        assert ours.features[name].max == ref.get_node(name).max, name
    ref.get_node("FocusOnePush").execute()
    deadline = time.monotonic() + 5
    while not ref.get_node("FocusOnePush").is_done() and time.monotonic() < deadline:
        time.sleep(0.005)
    assert ref.get_node("FocusOnePush").is_done()
    assert ours.features["FocusOnePush"].is_done()
