"""Fixtures for the GVCP tests: simulated devices on private loopback addresses, and
Aravis's fake camera (a real peer) on 127.0.0.1:3956.

Every test that binds UDP 3956 gets its own 127.0.39.x address, so tests never collide.
"""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest

from tests.peers import missing
from nodemap.transports.gvcp import protocol as p
from nodemap.transports.gvcp.device import SimulatedDevice

HERE = Path(__file__).resolve().parent
ROOT_DIR = HERE.parents[2]
SYSTEM_PYTHON = "/usr/bin/python3"
FAKE_CAMERA = ("127.0.0.1", p.GVCP_PORT)
_addresses = itertools.cycle(f"127.0.39.{n}" for n in range(2, 255))

SIMPLE_XML = b"""<?xml version="1.0" encoding="utf-8"?>
<RegisterDescription ModelName="Sim" VendorName="nodemap" ToolTip="test device"
  StandardNameSpace="GEV" SchemaMajorVersion="1" SchemaMinorVersion="1" SchemaSubMinorVersion="0"
  MajorVersion="1" MinorVersion="0" SubMinorVersion="0"
  ProductGuid="11111111-2222-3333-4444-555555555555" VersionGuid="11111111-2222-3333-4444-555555555556"
  xmlns="http://www.genicam.org/GenApi/Version_1_1"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.genicam.org/GenApi/Version_1_1 http://www.genicam.org/GenApi/GenApiSchema_Version_1_1.xsd">
  <Category Name="Root" NameSpace="Standard">
    <pFeature>Width</pFeature>
    <pFeature>Height</pFeature>
    <pFeature>GevSCPSPacketSize</pFeature>
  </Category>
  <Integer Name="Width"><pValue>WidthReg</pValue><Min>16</Min><Max>4096</Max><Inc>1</Inc></Integer>
  <IntReg Name="WidthReg"><Address>0xA000</Address><Length>4</Length><AccessMode>RW</AccessMode>
    <pPort>Device</pPort><Cachable>NoCache</Cachable><Sign>Unsigned</Sign><Endianess>BigEndian</Endianess></IntReg>
  <Integer Name="Height"><pValue>HeightReg</pValue><Min>16</Min><Max>4096</Max><Inc>1</Inc></Integer>
  <IntReg Name="HeightReg"><Address>0xA004</Address><Length>4</Length><AccessMode>RW</AccessMode>
    <pPort>Device</pPort><Cachable>NoCache</Cachable><Sign>Unsigned</Sign><Endianess>BigEndian</Endianess></IntReg>
  <MaskedIntReg Name="GevSCPSPacketSize"><Address>0x0D04</Address><Length>4</Length><AccessMode>RW</AccessMode>
    <pPort>Device</pPort><Cachable>NoCache</Cachable><LSB>31</LSB><MSB>16</MSB><Sign>Unsigned</Sign>
    <Endianess>BigEndian</Endianess></MaskedIntReg>
  <Port Name="Device"/>
</RegisterDescription>
"""


def next_address() -> str:
    return next(_addresses)


@pytest.fixture
def make_device() -> Iterator[Callable[..., SimulatedDevice]]:
    """Start simulated devices (each on a fresh loopback address); all stopped at teardown."""
    started: list[SimulatedDevice] = []

    def make(xml: bytes | None = SIMPLE_XML, **kwargs) -> SimulatedDevice:
        kwargs.setdefault("address", next_address())
        device = SimulatedDevice(xml, **kwargs).start()
        started.append(device)
        return device

    yield make
    for device in started:
        device.stop()


@pytest.fixture
def device(make_device) -> SimulatedDevice:
    return make_device(registers={0xA000: 640, 0xA004: 480})


def _aravis_available() -> str | None:
    if not os.path.exists(SYSTEM_PYTHON):
        return f"{SYSTEM_PYTHON} (Debian's python with python3-gi) is absent"
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import gi; gi.require_version('Aravis', '0.8'); "
                              "from gi.repository import Aravis"],
        capture_output=True, text=True, timeout=30)
    if probe.returncode:
        return ("Aravis GObject binding not importable by /usr/bin/python3 "
                f"(apt install gir1.2-aravis-0.8 python3-gi): {probe.stderr.strip()[-200:]}")
    return None


def _answers_discovery(address: tuple[str, int]) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        try:
            s.sendto(p.DiscoveryCmd(1).encode(), address)
            data = s.recv(2048)
        except OSError:
            return False
    try:
        return isinstance(p.decode_ack(data), p.DiscoveryAck)
    except Exception:
        return False


def _start_fake_camera(prefix: list[str]) -> subprocess.Popen:
    proc = subprocess.Popen([*prefix, SYSTEM_PYTHON, str(HERE / "aravis_fake.py"),
                             "--lifetime", "900"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = proc.stdout.readline().decode().strip()  # type: ignore[union-attr]
    if line != "running":
        proc.kill()
        pytest.fail(f"Aravis fake camera did not start: {line} "
                    f"{proc.stderr.read().decode()[-500:]}")  # type: ignore[union-attr]
    return proc


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@pytest.fixture(scope="session")
def _fake_camera_home() -> Iterator[object]:
    """Where Aravis's fake camera runs: a private network namespace of this run (so it can
    own 127.0.0.1:3956 whatever else runs on the machine), or — where namespaces cannot be
    made (not root, not Linux) — the host's 127.0.0.1:3956 if it is free."""
    reason = _aravis_available()
    if reason:
        missing(reason)
    from tests import netns

    why_not = netns.unavailable()
    if why_not is None:
        namespace = netns.Namespace()
        proc = _start_fake_camera(namespace.command([]))
        try:
            with namespace.entered():
                deadline = time.monotonic() + 15
                while not _answers_discovery(FAKE_CAMERA):
                    if time.monotonic() > deadline or proc.poll() is not None:
                        pytest.fail("Aravis fake camera did not answer DISCOVERY within 15 s")
                    time.sleep(0.1)
            yield namespace
        finally:
            _stop(proc)
            namespace.close()
        return
    if _answers_discovery(FAKE_CAMERA):
        missing(f"127.0.0.1:3956 is taken by another GVCP device and no private network "
                f"namespace can be made here ({why_not}); stop it or run as root")
    proc = _start_fake_camera([])
    try:
        yield None
    finally:
        _stop(proc)


@pytest.fixture
def fake_camera(_fake_camera_home) -> Iterator[tuple[str, int]]:
    """Aravis's fake GigE Vision camera at 127.0.0.1:3956.  With a private namespace the
    test itself (its sockets and the threads it starts) runs inside it."""
    if _fake_camera_home is None:
        yield FAKE_CAMERA
        return
    with _fake_camera_home.entered():
        yield FAKE_CAMERA
