"""Fixtures for the GVCP tests: simulated devices on private loopback addresses, and
Aravis's fake camera (a real peer) on 127.0.0.1:3956.

Every test that binds UDP 3956 gets an address of its own from tests/addresses.py, so
tests — and concurrent runs — never collide.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

import pytest

from tests import netns
from tests.addresses import loopback
from tests.aravis import FAKE_CAMERA, SYSTEM_PYTHON  # noqa: F401 - used by the tests here
from tests.peers import missing
from nodemap.transports.gvcp.device import SimulatedDevice

HERE = Path(__file__).resolve().parent
ROOT_DIR = HERE.parents[2]

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
    return loopback()


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


@pytest.fixture
def private_network() -> Iterator[netns.Namespace]:
    """A fresh loopback-only network namespace that this test — its sockets and the threads
    it starts — runs in.  Every test that sends a broadcast uses it, so no broadcast ever
    reaches the host's networks (skip with the reason outside CI, fail in CI)."""
    why_not = netns.unavailable()
    if why_not is not None:
        missing(f"broadcasts are tested only inside a private network namespace: {why_not}")
    with netns.Namespace() as namespace, namespace.entered():
        yield namespace
