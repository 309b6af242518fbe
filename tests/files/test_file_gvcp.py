"""cam.files end to end over GVCP on the simulated device: the Camera wiring, control
hand-over, and a camera without file access."""

from __future__ import annotations

from typing import Iterator

import pytest

import nodemap
from nodemap.errors import UnsupportedError
from nodemap.files import FileAccess
from nodemap.resources import read_description
from nodemap.transports.gvcp.device import SimulatedDevice
from tests.demo import demo_device


@pytest.fixture
def device() -> Iterator[SimulatedDevice]:
    with demo_device(xml_name="demo-camera.xml", model="NM-Demo-1300") as sim:
        yield sim


def test_cam_files_is_one_file_access_per_camera(device: SimulatedDevice) -> None:
    with nodemap.open(f"gvcp://{device.address}?timeout=2") as cam:
        assert isinstance(cam.files, FileAccess)
        assert cam.files is cam.files
        assert cam.files.list() == ["UserSet1", "LUTLuminance", "DeviceLog", "UserData"]


def test_files_left_open_are_closed_when_control_ends(device: SimulatedDevice) -> None:
    """A host that goes away mid-transfer does not lock its file out for the next one."""
    with nodemap.open(f"gvcp://{device.address}?timeout=2") as cam:
        handle = cam.files.open("UserData", "wb")
        handle.write(b"half")
        assert device.files is not None and device.files.files["UserData"].mode == "Write"
        handle._open = False                  # as if this host died: nobody closes it
    assert device.files.files["UserData"].mode is None
    with nodemap.open(f"gvcp://{device.address}?timeout=2") as cam:
        cam.files.write("UserData", b"whole")
        assert cam.files.read("UserData") == b"whole"


def test_a_device_without_file_access(device: SimulatedDevice) -> None:
    text = read_description("demo-camera.xml").decode()
    start = text.index('<Category Name="FileAccessControl"')
    end = text.index('<Port Name="Device"')
    bare = (text[:start] + text[end:]).replace("<pFeature>FileAccessControl</pFeature>", "")
    with demo_device(bare.encode(), xml_name="bare.xml") as sim:
        assert sim.files is None
        with nodemap.open(f"gvcp://{sim.address}?timeout=2") as cam:
            with pytest.raises(UnsupportedError, match="no file access.*FileSelector"):
                cam.files.list()
