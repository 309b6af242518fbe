"""nodemap.open(): URL schemes, the Camera wrapper and the mem: simulation."""

from __future__ import annotations

import pytest

import nodemap
from nodemap.app import plugins
from nodemap.plugin import TransportPlugin
from nodemap.errors import NodeMapError

from .xmlkit import description, int_reg


def test_mem_scheme_simulates_any_description(tmp_path):
    path = tmp_path / "camera.xml"
    path.write_bytes(description('<Category Name="Root"><pFeature>Width</pFeature></Category>'
                                 + int_reg("Width", 0x100)))
    with nodemap.open(f"mem:{path}?size=4096") as cam:
        cam.features["Width"].value = 640
        assert cam.port.read(0x100, 4) == (640).to_bytes(4, "little")
        assert cam.nodemap.features is cam.features
        assert cam.descriptions()[0] == path.read_bytes()  # link extras reach through


def test_unknown_scheme_lists_the_known_ones():
    with pytest.raises(NodeMapError, match="gvcp"):
        nodemap.open("carrier-pigeon://camera")
    with pytest.raises(NodeMapError, match="no scheme"):
        nodemap.open("camera")


def test_a_plugin_registered_at_run_time_opens_its_scheme(tmp_path):
    xml = description(int_reg("X", 0))
    calls = []

    def opener(url: str, **options):
        calls.append(url)
        return plugins.open_link("mem:unused", xml=xml)

    plugins.register(TransportPlugin(name="test-plugin", summary="a test", open_link=opener,
                                     schemes=("test-scheme",)))
    try:
        with nodemap.open("test-scheme://anything") as cam:
            assert cam.features["X"].value == 0
        assert calls == ["test-scheme://anything"]
        assert "test-scheme" in plugins.schemes()
    finally:
        plugins.unregister("test-plugin")
    assert "test-scheme" not in plugins.schemes()


def test_camera_reports_missing_attributes_clearly(tmp_path):
    path = tmp_path / "c.xml"
    path.write_bytes(description(int_reg("X", 0)))
    with nodemap.open(f"mem:{path}") as cam:
        with pytest.raises(AttributeError, match="snapshot"):
            cam.snapshot()
