"""Every SXH485 feature through ``nodemap.open("sxh485:...")`` / ``cam.features``.

The same checks also run with the GenApi reference (the ``genicam`` wheel) loading
``xml/sxh485.xml`` over our Port, as a differential oracle for the description.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

import nodemap
from nodemap.errors import AccessError, NodeMapError, RangeError
from tests.peers import require_genicam
from tests.reference.memory import reference_port
from nodemap.transports.sxh485.link import open_link
from nodemap.transports.sxh485.protocol import RESOLUTIONS

from .conftest import Rig

FEATURES = ["DeviceAddress", "BaudRate", "Resolution", "ImageQuality", "InfraredIllumination",
            "LowPowerMode", "DeviceStatus", "TriggerSoftware", "ImageSize", "PacketSize",
            "ImageData"]
RESOLUTION_ENTRIES = ["Res1280x960", "Res640x480", "Res320x240", "Res160x160"]


def exercise_every_feature(features: Any, rig: Rig, bus: Any) -> None:
    """Read and write every feature; check the simulated camera saw each change."""
    camera = rig.camera(1)
    assert features["DeviceAddress"].value == 1
    assert features["BaudRate"].value == "Baud115200"
    for index, entry in enumerate(RESOLUTION_ENTRIES):
        features["Resolution"].value = entry
        assert features["Resolution"].value == entry and camera.resolution == index
    for index, entry in enumerate(["Low", "Medium", "High"][::-1]):
        features["ImageQuality"].value = entry
        assert features["ImageQuality"].value == entry and camera.quality == index
    for flag in (True, False, True):
        features["InfraredIllumination"].value = flag
        assert features["InfraredIllumination"].value is flag and camera.infrared == flag
    assert features["DeviceStatus"].value & 0x04
    features["LowPowerMode"].value = True
    assert features["LowPowerMode"].value is True and features["DeviceStatus"].value & 0x02
    features["LowPowerMode"].value = False
    assert features["LowPowerMode"].value is False and not features["DeviceStatus"].value & 0x02
    features["PacketSize"].value = 200
    assert features["PacketSize"].value == 200 and camera.packet_size == 200
    assert features["ImageSize"].value == 0
    features["Resolution"].value = "Res160x160"
    features["TriggerSoftware"].execute()
    assert features["TriggerSoftware"].is_done()
    assert camera.frames == 1
    size = features["ImageSize"].value
    assert size == len(camera.image or b"") > 0
    data = bytes(features["ImageData"].value)
    assert data == camera.image
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (160, 160)
    features["BaudRate"].value = "Baud57600"
    assert bus.baudrate == 57600 and camera.baudrate == 57600
    assert features["BaudRate"].value == "Baud57600"
    features["BaudRate"].value = "Baud115200"
    assert bus.baudrate == 115200
    features["DeviceAddress"].value = 9
    assert camera.address == 9 and features["DeviceAddress"].value == 9
    assert features["Resolution"].value == "Res160x160"


# -- nodemap (the project's GenApi core) ---------------------------------------------------

def test_every_feature_through_nodemap_open(rig: Rig) -> None:
    with nodemap.open(rig.url(1)) as cam:
        assert set(FEATURES) <= set(cam.features)
        exercise_every_feature(cam.features, rig, cam.link.bus)


def test_feature_metadata_and_errors(rig: Rig) -> None:
    with nodemap.open(rig.url(1)) as cam:
        f = cam.features
        kinds = {name: f[name].kind for name in FEATURES}
        assert kinds == {"DeviceAddress": "Integer", "BaudRate": "Enumeration",
                         "Resolution": "Enumeration", "ImageQuality": "Enumeration",
                         "InfraredIllumination": "Boolean", "LowPowerMode": "Boolean",
                         "DeviceStatus": "Integer", "TriggerSoftware": "Command",
                         "ImageSize": "Integer", "PacketSize": "Integer", "ImageData": "Register"}
        assert (f["DeviceAddress"].min, f["DeviceAddress"].max) == (1, 254)
        assert f["BaudRate"].entries == ["Baud4800", "Baud9600", "Baud19200", "Baud57600",
                                         "Baud115200"]
        assert f["Resolution"].entries == RESOLUTION_ENTRIES
        assert f["ImageQuality"].entries == ["High", "Medium", "Low"]
        assert f["ImageSize"].access == "RO" and f["DeviceStatus"].access == "RO"
        assert f["ImageData"].access == "RO"
        with pytest.raises(AccessError):
            f["ImageSize"].value = 5
        with pytest.raises(RangeError):
            f["DeviceAddress"].value = 0
        with pytest.raises(RangeError):
            f["Resolution"].value = "Res99x99"
        assert rig.camera(1).address == 1


@pytest.mark.parametrize("index", range(len(RESOLUTIONS)))
def test_cam_snapshot_each_resolution(pty_rig: Rig, index: int, tmp_path) -> None:
    progress: list[tuple[int, int]] = []
    with nodemap.open(pty_rig.url(1)) as cam:
        cam.features["Resolution"].value = RESOLUTION_ENTRIES[index]
        cam.features["ImageQuality"].value = "Low"
        cam.features["PacketSize"].value = 4096
        data = cam.snapshot(path=tmp_path / "cam.jpg", progress=lambda d, t: progress.append((d, t)))
        assert cam.features["ImageSize"].value == len(data)
    assert (tmp_path / "cam.jpg").read_bytes() == data
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        assert image.size == RESOLUTIONS[index]
    assert progress[-1] == (len(data), len(data))


def test_broadcast_camera_writes_features_of_every_camera(transport: str) -> None:
    from .conftest import start, stop
    rig = start(transport, addresses=(1, 2))
    try:
        with nodemap.open(rig.url(1)) as one, nodemap.open(rig.url(2)) as two, \
                nodemap.open(rig.url(255)) as everyone:
            replies = [rig.camera(a).replies for a in (1, 2)]
            everyone.features["Resolution"].value = "Res320x240"
            everyone.features["InfraredIllumination"].value = True
            assert [rig.camera(a).replies for a in (1, 2)] == replies   # no reply to broadcast
            for cam in (one, two):
                assert cam.features["Resolution"].value == "Res320x240"
                assert cam.features["InfraredIllumination"].value is True
    finally:
        stop(rig)


def test_open_reports_a_missing_camera(rig: Rig) -> None:
    with pytest.raises(NodeMapError, match="no SXH485 camera answers"):
        nodemap.open(rig.url(5, timeout=0.05, retries=0))


# -- the GenApi reference as an oracle for xml/sxh485.xml -----------------------------------

class _ReferenceFeature:
    def __init__(self, genapi: Any, node: Any) -> None:
        self._g = genapi
        self._node = node

    @property
    def value(self) -> Any:
        g, node = self._g, self._node
        if isinstance(node, g.IEnumeration):
            return node.to_string()
        if isinstance(node, g.IRegister):
            return bytes(node.get(node.length))
        return node.value

    @value.setter
    def value(self, value: Any) -> None:
        if isinstance(self._node, self._g.IEnumeration):
            self._node.from_string(value)
        else:
            self._node.value = value

    def execute(self) -> None:
        self._node.execute()

    def is_done(self) -> bool:
        return bool(self._node.is_done())


def test_every_feature_through_the_genapi_reference(rig: Rig) -> None:
    genapi = require_genicam()
    from nodemap.resources import description_path

    link = open_link(rig.url(1))
    port = link.port

    try:
        reference = genapi.NodeMap()
        reference.load_xml_from_file(str(description_path("sxh485.xml")))
        adapter = reference_port(port)
        reference.connect(adapter, "Device")
        features = {name: _ReferenceFeature(genapi, reference.get_node(name)) for name in FEATURES}
        exercise_every_feature(features, rig, link.bus)
    finally:
        link.close()


def test_features_and_snapshot_survive_5_percent_corrupted_replies(transport: str) -> None:
    from nodemap.transports.sxh485.device import Faults

    from .conftest import start, stop
    rig = start(transport, faults=Faults(corrupt=0.05, seed=7))
    try:
        with nodemap.open(rig.url(1, timeout=0.2, retries=8)) as cam:
            cam.features["Resolution"].value = "Res320x240"
            cam.features["PacketSize"].value = 128
            first = cam.snapshot()
            cam.features["TriggerSoftware"].execute()
            second = bytes(cam.features["ImageData"].value)
            retries = cam.link.bus.retries
        assert second == rig.camera(1).image and first != second
        for data in (first, second):
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                assert image.size == (320, 240)
        assert retries > 0
    finally:
        stop(rig)
