"""GenApi semantics of the core, node family by node family (no reference needed).

The differential tests in tests/reference hold the same behaviour against the GenICam
reference; these pin the rules down with readable expectations.
"""

from __future__ import annotations

import struct
import threading

import pytest

import nodemap
from nodemap.errors import AccessError, PortError, RangeError

from .xmlkit import description, int_reg, load


def test_intreg_endianness_and_sign():
    nm, port = load(int_reg("LE", 0x10, sign="Signed") +
                    int_reg("BE", 0x20, endian="BigEndian", length=2))
    port.memory[0x10:0x14] = (-5).to_bytes(4, "little", signed=True)
    port.memory[0x20:0x22] = b"\x12\x34"
    assert nm.features["LE"].value == -5
    assert nm.features["BE"].value == 0x1234
    assert (nm.features["LE"].min, nm.features["LE"].max) == (-(1 << 31), (1 << 31) - 1)
    assert (nm.features["BE"].min, nm.features["BE"].max) == (0, 0xFFFF)
    nm.features["BE"].value = 0xABCD
    assert bytes(port.memory[0x20:0x22]) == b"\xab\xcd"
    with pytest.raises(RangeError):
        nm.features["BE"].value = 0x10000


@pytest.mark.parametrize("endian, bits, expected_mask", [
    ("LittleEndian", "<LSB>4</LSB><MSB>7</MSB>", 0x000000F0),
    ("BigEndian", "<LSB>7</LSB><MSB>4</MSB>", 0x0F000000),
    ("BigEndian", "<Bit>0</Bit>", 0x80000000),
    ("LittleEndian", "<Bit>31</Bit>", 0x80000000),
])
def test_masked_intreg_bit_numbering_and_read_modify_write(endian, bits, expected_mask):
    body = (f'<MaskedIntReg Name="F"><Address>0x0</Address><Length>4</Length>'
            f'<AccessMode>RW</AccessMode><pPort>Device</pPort>{bits}'
            f'<Endianess>{endian}</Endianess></MaskedIntReg>')
    nm, port = load(body)
    byteorder = "little" if endian == "LittleEndian" else "big"
    port.memory[0:4] = (0x5A5A5A5A & ~expected_mask).to_bytes(4, byteorder)
    field = nm.features["F"]
    assert field.value == 0
    field.value = field.max
    raw = int.from_bytes(port.memory[0:4], byteorder)
    assert raw == (0x5A5A5A5A & ~expected_mask) | expected_mask  # other bits kept


def test_signed_bit_field():
    body = ('<MaskedIntReg Name="F"><Address>0</Address><Length>1</Length><AccessMode>RW'
            '</AccessMode><pPort>Device</pPort><LSB>0</LSB><MSB>3</MSB><Sign>Signed</Sign>'
            '</MaskedIntReg>')
    nm, port = load(body)
    port.memory[0] = 0xFE  # low nibble 0xE = -2
    assert nm.features["F"].value == -2
    assert (nm.features["F"].min, nm.features["F"].max) == (-8, 7)


def test_floatreg_and_stringreg():
    body = ('<FloatReg Name="F4"><Address>0</Address><Length>4</Length><AccessMode>RW'
            '</AccessMode><pPort>Device</pPort><Endianess>BigEndian</Endianess></FloatReg>'
            '<FloatReg Name="F8"><Address>8</Address><Length>8</Length><AccessMode>RW'
            '</AccessMode><pPort>Device</pPort></FloatReg>'
            '<StringReg Name="S"><Address>0x20</Address><Length>8</Length><AccessMode>RW'
            '</AccessMode><pPort>Device</pPort></StringReg>')
    nm, port = load(body)
    nm.features["F4"].value = 1.5
    assert bytes(port.memory[0:4]) == struct.pack(">f", 1.5)
    nm.features["F8"].value = -2.25
    assert nm.features["F8"].value == -2.25
    nm.features["S"].value = "abc"
    assert bytes(port.memory[0x20:0x28]) == b"abc\0\0\0\0\0"
    assert nm.features["S"].value == "abc"
    with pytest.raises(RangeError):
        nm.features["S"].value = "123456789"


def test_integer_bounds_increment_and_pointer_bounds():
    body = ('<Integer Name="W"><pValue>WReg</pValue><Min>16</Min><pMax>WMax</pMax>'
            '<Inc>8</Inc></Integer>' + int_reg("WReg", 0) + int_reg("WMax", 4, access="RO"))
    nm, port = load(body)
    port.memory[4:8] = (640).to_bytes(4, "little")
    width = nm.features["W"]
    assert (width.min, width.max, width.inc) == (16, 640, 8)
    width.value = 24
    with pytest.raises(RangeError, match="increment"):
        width.value = 25
    with pytest.raises(RangeError, match="outside"):
        width.value = 648
    with pytest.raises(RangeError):
        width.value = "wide"


def test_access_mode_intersection_and_conditions():
    body = ('<Integer Name="A"><pValue>R</pValue><ImposedAccessMode>RO</ImposedAccessMode>'
            '</Integer>' + int_reg("R", 0) +
            '<Integer Name="B"><pIsLocked>Lock</pIsLocked><pValue>R</pValue></Integer>'
            '<Integer Name="C"><pIsAvailable>Avail</pIsAvailable><pValue>R</pValue></Integer>'
            '<Integer Name="D"><pIsImplemented>Impl</pIsImplemented><pValue>R</pValue></Integer>'
            '<Integer Name="Lock"><Value>1</Value></Integer>'
            '<Integer Name="Avail"><Value>0</Value></Integer>'
            '<Integer Name="Impl"><Value>0</Value></Integer>'
            '<Integer Name="W"><pValue>WOReg</pValue></Integer>' + int_reg("WOReg", 8, access="WO"))
    nm, _ = load(body)
    f = nm.features
    assert f["A"].access == "RO"
    assert f["B"].access == "RO"
    assert f["C"].access == "NA"
    assert f["D"].access == "NI"
    assert f["W"].access == "WO"
    with pytest.raises(AccessError, match="read-only"):
        f["A"].value = 1
    with pytest.raises(AccessError, match="write-only"):
        f["W"].value
    f["Lock"].value = 0       # unlocking changes B's access at once
    assert f["B"].access == "RW"
    f["Avail"].value = 1
    assert f["C"].access == "RW"


def test_defaults_register_access_is_ro():
    nm, _ = load('<IntReg Name="R"><Address>0</Address><Length>4</Length><pPort>Device'
                 '</pPort></IntReg>')
    assert nm.features["R"].access == "RO"
    assert nm.features["R"].visibility == "Beginner"


def test_write_through_cache_and_no_cache():
    body = int_reg("Cached", 0) + int_reg("Volatile", 4, extra="<Cachable>NoCache</Cachable>") + \
        int_reg("Around", 8, extra="<Cachable>WriteAround</Cachable>")
    nm, port = load(body)
    f = nm.features
    f["Cached"].value
    reads = port.reads
    f["Cached"].value
    assert port.reads == reads                  # served from cache
    f["Cached"].value = 3
    assert f["Cached"].value == 3 and port.reads == reads  # write-through
    f["Volatile"].value
    f["Volatile"].value
    assert port.reads == reads + 2              # NoCache always asks
    f["Around"].value = 9
    reads = port.reads
    assert f["Around"].value == 9 and port.reads == reads + 1  # write-around re-reads


def test_invalidator_and_dependents():
    body = (int_reg("Ctrl", 0) +
            int_reg("Status", 4, access="RO", extra="<pInvalidator>Ctrl</pInvalidator>") +
            '<Integer Name="StatusView"><pValue>Status</pValue></Integer>')
    nm, port = load(body)
    f = nm.features
    assert f["StatusView"].value == 0
    port.memory[4] = 7                 # device changes Status behind our back
    assert f["StatusView"].value == 0  # still cached
    f["Ctrl"].value = 1                # pInvalidator: Status (and its dependents) re-read
    assert f["StatusView"].value == 7


def test_selector_changes_what_is_read_without_invalidator():
    # Gain's address depends on GainSelector through pIndex; and a register at a fixed
    # address selected through pSelected is re-read when the selector changes.
    body = ('<Enumeration Name="GainSelector"><pSelected>Gain</pSelected>'
            '<pSelected>Shared</pSelected>'
            '<EnumEntry Name="Red"><Value>0</Value></EnumEntry>'
            '<EnumEntry Name="Blue"><Value>1</Value></EnumEntry><pValue>SelReg</pValue>'
            '</Enumeration>' + int_reg("SelReg", 0) +
            '<IntReg Name="Gain"><Address>0x10</Address><pIndex Offset="4">SelReg</pIndex>'
            '<Length>4</Length><AccessMode>RW</AccessMode><pPort>Device</pPort></IntReg>' +
            int_reg("Shared", 0x40))
    nm, port = load(body)
    f = nm.features
    port.memory[0x10] = 5
    port.memory[0x14] = 9
    assert f["Gain"].value == 5
    assert f["Shared"].value == 0
    port.memory[0x40] = 3              # the device now shows the Blue channel here
    f["GainSelector"].value = "Blue"
    assert f["Gain"].value == 9
    assert f["Shared"].value == 3
    assert f["Gain"].address == 0x14


def test_overlapping_registers_keep_their_cache_until_invalidated():
    # the reference: a write reaches the writer's dependency graph, not another register
    # over the same bytes; that one reads them (kept by the write) once invalidated
    body = int_reg("Word", 0) + int_reg("Low", 0, length=2)
    nm, port = load(body)
    f = nm.features
    assert f["Low"].value == 0
    f["Word"].value = 0x00050006
    assert f["Low"].value == 0
    f["Low"].invalidate()
    assert f["Low"].value == 6


def test_integer_indexed_values():
    body = ('<Integer Name="Sel"><Value>0</Value><Min>0</Min><Max>2</Max></Integer>'
            '<Integer Name="V"><pIndex>Sel</pIndex><pValueIndexed Index="0">A</pValueIndexed>'
            '<ValueIndexed Index="1">42</ValueIndexed><ValueDefault>-1</ValueDefault></Integer>'
            '<Integer Name="A"><Value>7</Value></Integer>')
    nm, _ = load(body)
    f = nm.features
    assert f["V"].value == 7
    f["Sel"].value = 1
    assert f["V"].value == 42
    f["Sel"].value = 2
    assert f["V"].value == -1
    f["Sel"].value = 0
    f["A"].value = 8
    assert f["V"].value == 8


def test_enumeration_entries_and_errors():
    body = ('<Enumeration Name="Mode"><EnumEntry Name="Off"><Value>0</Value></EnumEntry>'
            '<EnumEntry Name="On"><Value>1</Value></EnumEntry>'
            '<EnumEntry Name="Turbo"><pIsImplemented>No</pIsImplemented><Value>2</Value></EnumEntry>'
            '<EnumEntry Name="Later"><pIsAvailable>No</pIsAvailable><Value>3</Value></EnumEntry>'
            '<pValue>R</pValue></Enumeration>' + int_reg("R", 0) +
            '<Integer Name="No"><Value>0</Value></Integer>')
    nm, port = load(body)
    mode = nm.features["Mode"]
    assert mode.entries == ["Off", "On", "Later"]
    assert mode.value == "Off"
    mode.value = "On"
    assert mode.int_value == 1 and port.memory[0] == 1
    with pytest.raises(RangeError, match="Bogus"):
        mode.value = "Bogus"
    with pytest.raises(AccessError, match="not implemented"):
        mode.value = "Turbo"
    with pytest.raises(AccessError, match="not available"):
        mode.value = "Later"
    port.memory[0] = 9
    mode.invalidate()
    with pytest.raises(RangeError, match="9"):
        mode.value


def test_boolean_on_off_values():
    body = ('<Boolean Name="B"><pValue>R</pValue><OnValue>5</OnValue><OffValue>2</OffValue>'
            '</Boolean>' + int_reg("R", 0))
    nm, port = load(body)
    nm.features["B"].value = True
    assert port.memory[0] == 5 and nm.features["B"].value is True
    nm.features["B"].value = False
    assert port.memory[0] == 2 and nm.features["B"].value is False


def test_command_execute_and_is_done():
    body = ('<Command Name="Go"><pValue>R</pValue><CommandValue>3</CommandValue></Command>' +
            int_reg("R", 0, extra="<Cachable>NoCache</Cachable>"))
    nm, port = load(body)
    go = nm.features["Go"]
    go.execute()
    assert port.memory[0] == 3
    assert go.is_done() is False
    port.memory[0] = 0           # the device finished
    assert go.is_done() is True
    with pytest.raises(AccessError, match="execute"):
        go.value


def test_string_node_and_port_errors():
    body = '<String Name="S"><Value>hello</Value></String>' + int_reg("Far", 0x10000)
    nm, _ = load(body, size=0x100)
    assert nm.features["S"].value == "hello"
    nm.features["S"].value = "bye"
    assert nm.features["S"].value == "bye"
    with pytest.raises(PortError, match="Far"):
        nm.features["Far"].value


def test_unconnected_port_says_what_to_do():
    nm = nodemap.NodeMap.from_xml(description(int_reg("R", 0)))
    with pytest.raises(AccessError, match="connect"):
        nm.features["R"].value


def test_poll_invalidates_nodes_with_polling_time():
    nm, port = load(int_reg("T", 0, access="RO", extra="<PollingTime>1000</PollingTime>"))
    assert nm.features["T"].value == 0
    port.memory[0] = 4
    nm.poll(500)
    assert nm.features["T"].value == 0
    nm.poll(500)
    assert nm.features["T"].value == 4


def test_layered_descriptions_merge_names_and_categories():
    device = description('<Category Name="Root"><pFeature>Width</pFeature></Category>' +
                         int_reg("Width", 0))
    bootstrap = description('<Category Name="Root"><pFeature>SCPS0</pFeature></Category>' +
                            int_reg("SCPS0", 0x10) + int_reg("Width", 0x20))
    nm = nodemap.NodeMap.from_xml(device, bootstrap)
    port = nodemap.MemoryPort(0x100)
    nm.connect(port)
    nm.features["Width"].value = 5
    nm.features["SCPS0"].value = 1500
    assert port.memory[0] == 5 and port.memory[0x20] == 0   # device's Width wins
    assert nm.features["Root"].features == ["Width", "SCPS0"]
    again = nodemap.NodeMap.from_xml(nm.to_xml())
    assert set(again.names) == set(nm.names)


def test_attribute_access_and_close_matches():
    nm, _ = load(int_reg("Width", 0))
    assert nm.features.Width is nm.features["Width"]
    with pytest.raises(KeyError, match="Width"):
        nm.features["Widht"]
    with pytest.raises(AttributeError):
        nm.features.Nope


def test_threads_share_a_node_map():
    nm, port = load(int_reg("A", 0) + int_reg("B", 4))
    errors = []

    def work(name, offset):
        try:
            for i in range(300):
                nm.features[name].value = i + offset
                assert nm.features[name].value == i + offset
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n, k)) for n, k in (("A", 0), ("B", 1000))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    assert nm.features["A"].value == 299 and nm.features["B"].value == 1299


@pytest.mark.parametrize("tag", ["ConfRom", "TextDesc", "IntKey", "AdvFeatureLock",
                                 "SmartFeature", "DcamLock", "SomeFutureNode"])
def test_legacy_and_unknown_node_types_are_listed_not_fatal(tag):
    body = (f'<Category Name="Root"><pFeature>Legacy</pFeature><pFeature>X</pFeature></Category>'
            f'<{tag} Name="Legacy"><Address>0</Address><Length>4</Length><pPort>Device</pPort>'
            f'</{tag}>' + int_reg("X", 0))
    nm, _ = load(body)
    legacy = nm.features["Legacy"]
    assert legacy.kind == tag and legacy.access == "NI"
    with pytest.raises(AccessError, match="not evaluated"):
        legacy.value
    assert nm.features["X"].value == 0


class _BatchPort(nodemap.MemoryPort):
    """A MemoryPort that counts read_many batches."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.batches: list[int] = []

    def read_many(self, requests):
        self.batches.append(len(requests))
        return super().read_many(requests)


def test_prefetch_reads_in_one_batch_and_serves_from_cache():
    body = ("".join(int_reg(f"R{i}", 4 * i) for i in range(10)) +
            int_reg("Volatile", 0x80, extra="<Cachable>NoCache</Cachable>") +
            '<Integer Name="View"><pValue>R3</pValue></Integer>')
    nm = nodemap.NodeMap.from_xml(description(body))
    port = _BatchPort(0x100)
    for i in range(10):
        port.memory[4 * i] = i
    nm.connect(port)
    names = [f"R{i}" for i in range(10)] + ["Volatile", "View"]
    assert nm.prefetch(names) == 10
    assert port.batches == [10]
    reads = port.reads
    assert [nm.features[f"R{i}"].value for i in range(10)] == list(range(10))
    assert nm.features["View"].value == 3
    assert port.reads == reads          # all served by the batch
    nm.features["Volatile"].value
    assert port.reads == reads + 1      # NoCache is never prefetched


def test_prefetch_without_read_many_is_harmless():
    class PlainPort:
        def __init__(self) -> None:
            self.inner = nodemap.MemoryPort(0x100)

        def read(self, address, length):
            return self.inner.read(address, length)

        def write(self, address, data):
            self.inner.write(address, data)

    nm = nodemap.NodeMap.from_xml(description(int_reg("A", 0) + int_reg("B", 4)))
    nm.connect(PlainPort())
    assert nm.prefetch(["A", "B", "Missing"]) == 0
    assert nm.features["A"].value == 0


def test_prefetch_survives_a_refused_batch():
    class RefusingPort(nodemap.MemoryPort):
        def read_many(self, requests):
            raise PortError("INVALID_ADDRESS somewhere in the batch")

    nm = nodemap.NodeMap.from_xml(description(int_reg("A", 0) + int_reg("B", 4)))
    nm.connect(RefusingPort(0x100))
    assert nm.prefetch(["A", "B"]) == 0
    assert nm.features["B"].value == 0


def test_a_value_node_over_an_enumeration_reads_its_integer():
    # found by test_adversarial_xml: int() of the symbolic name escaped as a ValueError
    nm, _ = load('<Enumeration Name="Sel"><EnumEntry Name="A"><Value>0</Value></EnumEntry>'
                 '<EnumEntry Name="B"><Value>1</Value></EnumEntry><Value>1</Value>'
                 '</Enumeration><Integer Name="V"><pValue>Sel</pValue></Integer>')
    assert nm.features["V"].value == 1
