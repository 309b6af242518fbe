"""A description built with the builder, served by the simulated GigE device, is read
identically by our client (``nodemap.open``), ``arv-tool-0.8`` and the GenApi reference."""

from __future__ import annotations

import re
import subprocess

import pytest

from nodemap.authoring.builder import Device
from tests.addresses import loopback
from tests.peers import require_executable, require_genicam
from tests.reference.memory import reference_port

pytestmark = pytest.mark.peer

ADDRESS = loopback()   # an address of this run (tests/addresses.py)

REGISTERS = {
    0xA000: 640,          # Width
    0xA004: 480,          # Height
    0xA008: 1,            # PixelFormat: Mono16
    0xA00C: 2,            # GainSelector: Blue
    0xA100: 10, 0xA104: 20, 0xA108: 30,   # Gain per selector
    0xA010: 12345,        # ExposureRaw (Exposure = raw / 10)
    0xA014: 0x80000000,   # flags: bit 0 (big endian: MSB) -> ReverseX
}


def built_description() -> bytes:
    dev = Device(vendor="nodemap", model="BuiltGigE")
    dev.category("Root", ["BuiltControls"])
    dev.category("BuiltControls", ["Width", "Height", "PixelFormat", "GainSelector", "Gain",
                                   "ExposureTime", "ReverseX", "HalfWidth"])
    dev.int_feature("Width", address=0xA000, min=16, max=4096, inc=16)
    dev.int_feature("Height", address=0xA004, min=2, max=4096, inc=2)
    dev.enum_feature("PixelFormat", {"Mono8": 0, "Mono16": 1}, address=0xA008)
    dev.enum_feature("GainSelector", {"All": 0, "Red": 1, "Blue": 2}, address=0xA00C,
                     selected=["Gain"])
    dev.integer("Gain", p_value="GainReg", min=0, max=48)
    dev.int_reg("GainReg", address=0xA100, index=("GainSelector", 4), access="RW",
                invalidators=["GainSelector"])
    dev.float("ExposureTime", p_value="ExposureConv", min=1.0, max=1e6, unit="us")
    dev.converter("ExposureConv", formula_to="FROM*10", formula_from="TO/10",
                  p_value="ExposureRaw")
    dev.integer("ExposureRaw", p_value="ExposureRawReg", min=10, max=10_000_000)
    dev.int_reg("ExposureRawReg", address=0xA010, access="RW")
    dev.boolean("ReverseX", p_value="ReverseXBit")
    dev.masked_int_reg("ReverseXBit", address=0xA014, bit=0, access="RW")
    dev.integer("HalfWidth", p_value="HalfWidthSK")
    dev.swiss_knife("HalfWidthSK", "W / 2", variables={"W": "Width"}, integer=True)
    dev.port("Device")
    return dev.to_xml()


EXPECTED = {"Width": 640, "Height": 480, "PixelFormat": "Mono16", "GainSelector": "Blue",
            "Gain": 30, "ExposureTime": 1234.5, "ReverseX": True, "HalfWidth": 320}


@pytest.fixture
def device():
    from nodemap.transports.gvcp.device import SimulatedDevice

    dev = SimulatedDevice(built_description(), address=ADDRESS, xml_name="built.xml",
                          registers=REGISTERS).start()
    try:
        yield dev
    finally:
        dev.stop()


def _same(name: str, value: object) -> None:
    expected = EXPECTED[name]
    if isinstance(expected, float):
        assert float(value) == pytest.approx(expected), name
    else:
        assert value == expected, name


def test_our_client_reads_the_built_description(device) -> None:
    import nodemap

    with nodemap.open(f"gvcp://{ADDRESS}") as cam:
        for name in EXPECTED:
            _same(name, cam.features[name].value)


def test_arv_tool_reads_the_built_description(device) -> None:
    arv = require_executable("arv-tool-0.8", "apt install aravis-tools-cli")
    done = subprocess.run([arv, "-a", ADDRESS, "control", *EXPECTED], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    seen = dict(re.findall(r"^(\w+) = (.*?)(?: \(.*\))?\s*$", done.stdout, re.MULTILINE))
    for name, expected in EXPECTED.items():
        text = seen[name].split()[0]
        if isinstance(expected, bool):
            assert text.lower() in (("true", "1") if expected else ("false", "0")), name
        elif isinstance(expected, float):
            assert float(text) == pytest.approx(expected), name
        elif isinstance(expected, int):
            assert int(text) == expected, name
        else:
            assert text == expected, name


def test_reference_reads_the_built_description_over_gvcp(device) -> None:
    genapi = require_genicam()
    from nodemap.transports.gvcp.client import GvcpClient

    with GvcpClient(ADDRESS) as client:
        port = reference_port(client)
        reference = genapi.NodeMap()
        reference.load_xml_from_string(built_description().decode())
        reference.connect(port, "Device")
        for name in EXPECTED:
            node = reference.get_node(name)
            value = node.to_string() if isinstance(node, genapi.IEnumeration) else node.value
            _same(name, value)
