"""xml/gige-bootstrap.xml against the GenApi reference, and nodemap.open("gvcp://...")
end to end against our simulated device (device XML layered over the bootstrap XML)."""

from __future__ import annotations

import pytest

import nodemap
from nodemap.resources import read_description
from tests.peers import require_genicam, require_vendor_xml
from tests.reference.memory import reference_port
from nodemap.transports.gvcp.protocol import Register as R

BOOTSTRAP = read_description("gige-bootstrap.xml")
SEED_NAMES = ["Version", "DeviceMode", "CCP", "SCP0", "SCPS0", "SCPD0", "SCDA0", "SCSP0",
              "NumberOfStreamChannels", "HeartbeatTimeout", "TimestampTickFrequencyHigh",
              "TimestampTickFrequencyLow", "FirstURL", "SecondURL", "SCPS1", "SCPS2", "SCPS3",
              "SCSP3", "MACAddressHigh", "MACAddressLow", "CurrentIPAddress", "ManufacturerName",
              "ModelName", "DeviceVersion", "ManufacturerInfo", "SerialNumber", "UserDefinedName",
              "GVCPCapability", "SCPS0PacketSize", "SCPS0DoNotFragment", "SCPS0FireTestPacket"]


class _Memory:
    def __init__(self) -> None:
        self.mem = bytearray(0x10000)

    def read(self, address: int, length: int) -> bytes:
        return bytes(self.mem[address:address + length])

    def write(self, address: int, data: bytes) -> None:
        self.mem[address:address + len(data)] = data


def test_bootstrap_loads_in_the_genicam_reference() -> None:
    genapi = require_genicam()
    ref = genapi.NodeMap()
    ref.load_xml_from_string(BOOTSTRAP.decode("utf-8"))
    memory = _Memory()
    bridge = reference_port(memory)
    ref.connect(bridge, "Device")
    for name in SEED_NAMES:
        ref.get_node(name)
    ref.get_node("SCPS0").value = 0x40000000 | 1500
    assert memory.mem[R.SCPS0:R.SCPS0 + 4] == bytes.fromhex("400005dc")
    assert ref.get_node("SCPS0PacketSize").value == 1500
    assert ref.get_node("SCPS0DoNotFragment").value == 1
    ref.get_node("SCPS2PacketSize").value = 9000
    assert memory.mem[0x0D84:0x0D88] == (9000).to_bytes(4, "big")
    ref.get_node("CCPControlAccess").value = 1
    assert memory.mem[R.CCP:R.CCP + 4] == bytes.fromhex("00000002")
    memory.mem[0x940:0x944] = (10**9).to_bytes(4, "big")
    assert ref.get_node("TimestampTickFrequency").value == 10**9


def test_bootstrap_in_our_core_matches_the_layout() -> None:
    nm = nodemap.NodeMap.from_xml(BOOTSTRAP)
    port = nodemap.MemoryPort(0x10000)
    nm.connect(port, name="Device")
    assert set(SEED_NAMES) <= set(nm.features)
    nm.features["SCPS0"].value = 1500
    assert port.read(R.SCPS0, 4) == (1500).to_bytes(4, "big")
    nm.features["SCPS0DoNotFragment"].value = 1
    assert port.read(R.SCPS0, 4) == bytes.fromhex("400005dc")
    assert nm.features["SCPS0"].access == "RW" and nm.features["Version"].access == "RO"


def test_open_layers_device_xml_over_bootstrap(device) -> None:
    with nodemap.open(f"gvcp://{device.address}") as cam:
        features = cam.features
        assert features["Width"].value == 640
        features["Width"].value = 256
        assert device.memory.get32(0xA000) == 256
        features["SCPS0"].value = 1500
        assert device.memory.get32(R.SCPS0) == 1500
        assert features["GevSCPSPacketSize"].value == 1500       # the device XML's name
        assert features["SCPS0PacketSize"].value == 1500         # the bootstrap's name
        assert features["ManufacturerName"].value == "nodemap"
        assert features["CCP"].value == 2 and features["CCPControlAccess"].value == 1
        assert features["NumberOfStreamChannels"].value == 4
        assert features["TimestampTickFrequency"].value == 1_000_000_000
        assert cam.port.read(R.SCPS0, 4) == (1500).to_bytes(4, "big")
        assert cam.device_info.model == "GVCP simulator"        # a link attribute
        assert device.controller is not None
    assert device.controller is None


def test_open_with_progress_and_zip(make_device) -> None:
    dev = make_device(zipped=True, registers={0xA000: 100})
    seen: list[tuple[int, int]] = []
    with nodemap.open(f"gvcp://{dev.address}?timeout=0.5", progress=lambda d, t: seen.append((d, t))) as cam:
        assert cam.features["Width"].value == 100
    assert seen and seen[-1][0] == seen[-1][1]


@pytest.mark.vendor_xml
@pytest.mark.parametrize("name", ["Basler-acA1300-30gm.xml", "FLIR-BFS-PGE-23S6C.xml",
                                  "AVT_Mako_G030B.xml"])
def test_open_vendor_xml_keeps_its_names_first(make_device, name) -> None:
    files = {f.name: f for f in require_vendor_xml()}
    if name not in files:
        pytest.fail(f"{name} missing from the shared vendor XML folder")
    dev = make_device(files[name].read_bytes(), xml_name=name, zipped=True)
    with nodemap.open(f"gvcp://{dev.address}") as cam:
        names = set(cam.features)
        assert {"SCPS0", "CCP", "HeartbeatTimeout", "FirstURL"} <= names
        assert "GevSCPSPacketSize" in names
        cam.features["SCPS0"].value = 1400
        assert dev.memory.get32(R.SCPS0) == 1400


@pytest.mark.parametrize(("written", "value", "read"), [
    ("SCPS0", 0x40000000 | 1500, "SCPS0PacketSize"),
    ("SCPS0PacketSize", 9000, "SCPS0"),
    ("SCPS0DoNotFragment", 1, "SCPS0"),
    ("CCPControlAccess", 1, "CCP"),
])
def test_a_write_reaches_the_other_registers_of_its_address(written: str, value: int,
                                                            read: str) -> None:
    """The whole register and its bit fields name each other in pInvalidator: a write of
    one is seen by the others after they were read (a GenApi node map keeps a register's
    cached value otherwise), on both sides alike."""
    genapi = require_genicam()
    ref = genapi.NodeMap()
    ref.load_xml_from_string(BOOTSTRAP.decode("utf-8"))
    memory = _Memory()
    bridge = reference_port(memory)
    ref.connect(bridge, "Device")
    nm = nodemap.NodeMap.from_xml(BOOTSTRAP)
    port = nodemap.MemoryPort(0x10000)
    nm.connect(port, name="Device")
    before = (ref.get_node(read).value, nm.features[read].value)
    ref.get_node(written).value = value
    nm.features[written].value = value
    after = ref.get_node(read).value
    assert nm.features[read].value == after != before[0] == before[1]
