"""Differential: our cam.files against the GenICam reference's FileProtocolAdapter.

- In process, on the same file device: our feature accesses are the reference's, register
  for register, in the same order (reading adds only FileSize and one end-of-file probe).
- Over GVCP, on the simulated device: a file written by our ``cam.files`` reads back equal
  through the reference (a ``genicam.genapi.NodeMap`` on the same XML, connected to an
  ``AbstractPort`` that forwards to our GVCP port), and the other way round, for sizes
  around the 512-byte FileAccessBuffer and a large one.
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nodemap
from nodemap.resources import read_description
from nodemap.transports.gvcp.device import SimulatedDevice
from tests.demo import demo_device
from tests.peers import require_genicam

from .inproc import FileDevicePort, Reference, ours

BUFFER = 512
FILE_SIZE = 0xB020
EXECUTE = 0xB008


@pytest.fixture(autouse=True)
def _genicam() -> None:
    require_genicam()


def _payload(size: int, seed: int = 3) -> bytes:
    return bytes((seed * 31 + i * 7 + (i >> 8)) & 0xFF for i in range(size))


@pytest.mark.parametrize("size", [0, 1, BUFFER - 1, BUFFER, BUFFER + 1, 1300])
def test_write_touches_the_registers_the_reference_touches(size: int) -> None:
    data = _payload(size)
    files, port = ours()
    files.write("UserData", data)
    theirs = FileDevicePort()
    Reference(theirs).write("UserData", data)
    assert port.log == theirs.log
    assert port.files.files["UserData"].data == theirs.files.files["UserData"].data == data


@pytest.mark.parametrize("size", [1, BUFFER - 1, BUFFER, BUFFER + 1, 1300])
def test_read_touches_the_registers_the_reference_touches(size: int) -> None:
    data = _payload(size)
    files, port = ours()
    files.write("UserData", data)
    port.log.clear()
    assert files.read("UserData") == data
    theirs = FileDevicePort()
    reference = Reference(theirs)
    reference.write("UserData", data)
    theirs.log.clear()
    assert reference.read("UserData", size) == data
    # ours = the reference's accesses + a FileSize read after the Read operation is
    # selected + one more Read operation (offset = size) that must return 0 bytes
    mine = list(port.log)
    file_size_reads = [i for i, entry in enumerate(mine) if entry == ("R", FILE_SIZE, 4)]
    assert len(file_size_reads) == 1
    del mine[file_size_reads[0]]
    close = len(mine) - 5                      # Close: Sel, OpSel, Exec, poll, Status
    probe = mine[close - 6:close]              # Off, Len, Exec, poll, Result, Status
    assert [(k, a) for k, a, _ in probe] == [("W", 0xB010), ("W", 0xB014), ("W", EXECUTE),
                                              ("R", EXECUTE), ("R", 0xB01C), ("R", 0xB018)]
    del mine[close - 6:close]
    assert mine == theirs.log


@pytest.fixture(scope="module")
def device() -> Iterator[SimulatedDevice]:
    with demo_device(xml_name="demo-camera.xml", model="NM-Demo-1300") as sim:
        yield sim


@pytest.fixture(scope="module")
def camera(device: SimulatedDevice) -> Iterator[Any]:
    with nodemap.open(f"gvcp://{device.address}?timeout=2") as cam:
        yield cam


@pytest.fixture(scope="module")
def reference(camera: Any) -> Reference:
    return Reference(camera.port, read_description("demo-camera.xml"))


SIZES = st.sampled_from([0, 1, BUFFER - 1, BUFFER, BUFFER + 1, 2 * BUFFER + 1, 40_000]) | \
    st.integers(min_value=0, max_value=3 * BUFFER)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=SIZES, seed=st.integers(0, 255))
def test_ours_writes_the_reference_reads(camera: Any, reference: Reference, device: Any,
                                         size: int, seed: int) -> None:
    data = _payload(size, seed)
    camera.files.write("UserData", data)
    assert bytes(device.files.files["UserData"].data) == data
    assert reference.read("UserData", size) == data


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=SIZES, seed=st.integers(0, 255))
def test_the_reference_writes_ours_reads(camera: Any, reference: Reference, size: int,
                                         seed: int) -> None:
    data = _payload(size, seed)
    reference.write("UserData", data)
    assert camera.files.read("UserData") == data
    with camera.files.open("UserData", "rb") as handle:
        assert handle.read() == data


def test_both_read_the_demo_files_alike(camera: Any, reference: Reference) -> None:
    for name in ("UserSet1", "LUTLuminance", "DeviceLog"):
        ours_ = camera.files.read(name)
        assert ours_, name
        assert reference.read(name, len(ours_)) == ours_
