"""The builder: schema-ordered GenApi 1.1 that the reference and our node map both load,
reading the same values from the same register bytes, and writing them alike."""

from __future__ import annotations

import struct

import pytest
from lxml import etree

from nodemap.authoring.builder import Device, Entry, StructField
from nodemap.authoring.lint import lint
from nodemap.authoring.schema import element_rank
from tests.peers import require_genicam


def demo_device() -> Device:
    dev = Device(vendor="nodemap", model="BuilderDemo", tooltip="builder test device")
    dev.category("Root", ["ImageFormat", "Control"])
    dev.category("ImageFormat", ["Width", "Height", "PixelFormat", "ReverseX", "Flip"],
                 display_name="Image Format")
    dev.category("Control", ["GainSelector", "Gain", "Exposure", "Temperature", "DeviceName",
                             "AcquisitionStart", "Offset", "BlackLevel"])
    dev.int_feature("Width", address=0x100, min=16, max=1024, inc=16, tooltip="Image width",
                    unit="px")
    dev.int_feature("Height", address=0x104, min=2, max=768, inc=2, visibility="Expert")
    dev.enum_feature("PixelFormat", [Entry("Mono8", 0x01080001, display_name="Mono 8"),
                                     Entry("Mono16", 0x01100007)], address=0x108)
    dev.enum_feature("GainSelector", {"All": 0, "Red": 1, "Blue": 2}, address=0x10C,
                     selected=["Gain"])
    dev.integer("Gain", p_value="GainReg", min=0, max=480, unit="dB", representation="Linear")
    dev.int_reg("GainReg", address=0x200, index=("GainSelector", 4), access="RW",
                invalidators=["GainSelector"])
    dev.float("Exposure", p_value="ExposureConv", min=1.0, max=1e6, unit="us",
              display_precision=2)
    dev.converter("ExposureConv", formula_to="FROM*10", formula_from="TO/10",
                  p_value="ExposureRaw", slope="Increasing")
    dev.integer("ExposureRaw", p_value="ExposureRawReg", min=10, max=10_000_000)
    dev.int_reg("ExposureRawReg", address=0x110, access="RW")
    dev.boolean("Flip", p_value="FlipBit")
    dev.masked_int_reg("FlipBit", address=0x114, bit=31, access="RW")
    dev.boolean("ReverseX", p_value="RevX")
    dev.struct_reg([StructField("RevX", bit=0), StructField("RevY", bit=1)], address=0x118,
                   access="RW", comment="flags")
    dev.command("AcquisitionStart", p_value="AcqReg", command_value=1)
    dev.int_reg("AcqReg", address=0x120, access="WO")
    dev.string("DeviceName", p_value="NameReg")
    dev.string_reg("NameReg", address=0x140, length=16)
    dev.float("Temperature", p_value="TempSK", unit="C")
    dev.swiss_knife("TempSK", "RAW/100 - 273.15", variables={"RAW": "TempReg"})
    dev.int_reg("TempReg", address=0x124)
    dev.integer("Offset", p_value="OffsetSK")
    dev.swiss_knife("OffsetSK", "W / 2 + K", variables={"W": "Width"}, constants={"K": 3},
                    integer=True)
    dev.float("BlackLevel", value=1.5, min=0.0, max=10.0)
    dev.port("Device")
    return dev


def device_memory() -> bytearray:
    memory = bytearray(0x200 + 16)
    struct.pack_into(">I", memory, 0x100, 640)
    struct.pack_into(">I", memory, 0x104, 480)
    struct.pack_into(">I", memory, 0x108, 0x01100007)
    struct.pack_into(">I", memory, 0x10C, 1)
    struct.pack_into(">I", memory, 0x200, 11)
    struct.pack_into(">I", memory, 0x204, 22)   # Gain for GainSelector=Red
    struct.pack_into(">I", memory, 0x110, 12345)
    struct.pack_into(">I", memory, 0x114, 1)    # bit 31 big-endian = LSB
    struct.pack_into(">I", memory, 0x118, 1 << 31)  # StructEntry bit 0 (big endian: MSB)
    struct.pack_into(">I", memory, 0x124, 30000)
    memory[0x140:0x150] = b"builder-cam\0\0\0\0\0"
    return memory


FEATURES = ["Width", "Height", "PixelFormat", "GainSelector", "Gain", "Exposure", "Flip",
            "ReverseX", "DeviceName", "Temperature", "Offset", "BlackLevel"]


def test_output_is_schema_ordered_and_lint_clean() -> None:
    xml = demo_device().to_xml()
    root = etree.fromstring(xml)
    assert root.get("SchemaMajorVersion") == "1" and root.get("SchemaMinorVersion") == "1"
    for key in ("ModelName", "VendorName", "ToolTip", "StandardNameSpace", "MajorVersion",
                "MinorVersion", "SubMinorVersion", "ProductGuid", "VersionGuid"):
        assert root.get(key), key
    for node in root:
        tag = etree.QName(node).localname
        ranks = [element_rank(tag, etree.QName(c).localname) for c in node]
        assert None not in ranks and ranks == sorted(ranks), tag
    findings = [f for f in lint(xml) if f.severity != "info"]
    assert findings == [], [str(f) for f in findings]


def test_reference_and_our_nodemap_read_the_same_values() -> None:
    genapi = require_genicam()
    import nodemap

    xml = demo_device().to_xml()
    memory = device_memory()

    ours = nodemap.NodeMap.from_xml(xml)
    our_port = nodemap.MemoryPort(memory)
    ours.connect(our_port, name="Device")

    class RefPort(genapi.AbstractPort):
        def __init__(self) -> None:
            super().__init__()
            self.memory = bytearray(memory)

        def read(self, address: int, length: int) -> bytes:
            return bytes(self.memory[address:address + length])

        def write(self, address: int, data: bytes) -> None:
            self.memory[address:address + len(data)] = data

        def get_access_mode(self) -> int:
            return genapi.EAccessMode.RW

    reference = genapi.NodeMap()
    reference.load_xml_from_string(xml.decode())
    port = RefPort()
    reference.connect(port, "Device")

    def ref_value(name: str):
        node = reference.get_node(name)
        if isinstance(node, genapi.IEnumeration):
            return node.to_string()
        return node.value

    for name in FEATURES:
        theirs, mine = ref_value(name), ours.features[name].value
        if isinstance(theirs, float):
            assert mine == pytest.approx(theirs), name
        else:
            assert mine == theirs, name

    assert ours.features["Width"].max == reference.get_node("Width").max == 1024
    assert ours.features["Exposure"].value == pytest.approx(1234.5)

    # writes land on the same bytes
    ours.features["Width"].value = 512
    reference.get_node("Width").value = 512
    ours.features["GainSelector"].value = "Blue"
    reference.get_node("GainSelector").from_string("Blue")
    ours.features["Gain"].value = 33
    reference.get_node("Gain").value = 33
    ours.features["Exposure"].value = 100.0
    reference.get_node("Exposure").value = 100.0
    assert bytes(port.memory) == bytes(our_port.memory)
    assert bytes(port.memory) != bytes(memory)
