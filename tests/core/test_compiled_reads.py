"""The compiled read path (docs/core.md, "Evaluation order of one read"): a register's
read compiled once into one closure, formula plans, kept pValue nodes and kept base
access modes must not change what is read from the device, nor when.  The device reads
are counted through the port."""

from __future__ import annotations

import struct

import pytest

import nodemap
from nodemap.errors import ProtocolError

from .xmlkit import description, int_reg, load

NOCACHE = "<Cachable>NoCache</Cachable>"


def _masked(name: str, address: int, lsb: int, msb: int, extra: str = "") -> str:
    return (f'<MaskedIntReg Name="{name}"><Address>{address:#x}</Address><Length>4</Length>'
            f'<AccessMode>RW</AccessMode><pPort>Device</pPort>{extra}<LSB>{lsb}</LSB>'
            f'<MSB>{msb}</MSB></MaskedIntReg>')


def _float_reg(name: str, address: int, extra: str = "") -> str:
    return (f'<FloatReg Name="{name}"><Address>{address:#x}</Address><Length>4</Length>'
            f'<AccessMode>RW</AccessMode><pPort>Device</pPort>{extra}'
            f'<Endianess>LittleEndian</Endianess></FloatReg>')


@pytest.mark.parametrize("body, name", [
    (int_reg("R", 0x10, extra=NOCACHE), "R"),
    (_masked("R", 0x10, 0, 7, NOCACHE), "R"),
    (_float_reg("R", 0x10, NOCACHE), "R"),
    (int_reg("Reg", 0x10, extra=NOCACHE) +
     '<IntSwissKnife Name="R"><pVariable Name="X">Reg</pVariable><Formula>X + 1</Formula>'
     '</IntSwissKnife>', "R"),
    (int_reg("Reg", 0x10, extra=NOCACHE) +
     '<Converter Name="R"><pVariable Name="K">Reg</pVariable><FormulaTo>FROM</FormulaTo>'
     '<FormulaFrom>TO * 2</FormulaFrom><pValue>Reg</pValue></Converter>', "R"),
    (int_reg("Reg", 0x10, extra=NOCACHE) + '<Integer Name="R"><pValue>Reg</pValue></Integer>',
     "R"),
])
def test_a_nocache_register_is_read_from_the_device_on_every_read(body: str, name: str) -> None:
    nm, port = load(body)
    feature = nm.features[name]
    feature.value  # builds and compiles
    values = []
    for step in range(1, 6):
        reads = port.reads
        if feature.kind == "Float" and "FloatReg" in body:
            port.memory[0x10:0x14] = struct.pack("<f", float(step))
        else:
            port.memory[0x10] = step
        values.append(feature.value)
        # one device read per read: the Converter reads its pValue and its pVariable,
        # both the same NoCache register
        assert port.reads - reads == (2 if "Converter" in body else 1)
        assert name not in nm.store.values
    assert values == sorted(values) and len(set(values)) == 5  # each read saw the device


def test_a_cached_register_is_read_once_until_invalidated() -> None:
    nm, port = load(int_reg("A", 0x10) + _masked("Low", 0x10, 0, 7) + _float_reg("F", 0x20))
    f = nm.features
    port.memory[0x10] = 0x34
    port.memory[0x20:0x24] = struct.pack("<f", 1.5)
    reads = port.reads
    for _ in range(3):
        assert (f["A"].value, f["Low"].value, f["F"].value) == (0x34, 0x34, 1.5)
    assert port.reads == reads + 2   # A and Low share one span
    port.memory[0x10] = 0x56
    assert f["Low"].value == 0x34    # cached
    nm.invalidate()
    assert (f["Low"].value, f["A"].value) == (0x56, 0x56)
    assert port.reads == reads + 3


def test_a_write_by_another_path_reaches_every_compiled_read() -> None:
    body = (int_reg("Whole", 0x20) + _masked("Low", 0x20, 0, 7) +
            '<Integer Name="View"><pValue>Whole</pValue></Integer>'
            '<IntConverter Name="Twice"><FormulaTo>FROM / 2</FormulaTo>'
            '<FormulaFrom>TO * 2</FormulaFrom><pValue>Whole</pValue></IntConverter>'
            '<IntSwissKnife Name="Plus"><pVariable Name="L">Low</pVariable>'
            '<Formula>L + 1</Formula></IntSwissKnife>')
    nm, port = load(body)
    f = nm.features
    assert [f[n].value for n in ("Whole", "Low", "View", "Twice", "Plus")] == [0, 0, 0, 0, 1]
    f["View"].value = 0x105               # through the Integer
    assert [f[n].value for n in ("Whole", "Low", "Twice", "Plus")] == [0x105, 5, 0x20A, 6]
    f["Low"].value = 7                    # through the bit field (read-modify-write)
    assert [f[n].value for n in ("Whole", "View", "Twice", "Plus")] == [0x107, 0x107, 0x20E, 8]
    f["Twice"].value = 20                 # through the converter
    assert [f[n].value for n in ("Whole", "Low", "View", "Plus")] == [10, 10, 10, 11]
    port.memory[0x20] = 3                 # behind the node map's back: seen after invalidate
    assert f["View"].value == 10
    f["Whole"].invalidate()
    assert [f[n].value for n in ("View", "Low", "Twice", "Plus")] == [3, 3, 6, 4]


def test_a_node_locked_by_a_nocache_register_asks_the_lock_on_every_read() -> None:
    body = (int_reg("Lock", 0x0, extra=NOCACHE) + int_reg("Reg", 0x4) +
            '<Integer Name="Gain"><pIsLocked>Lock</pIsLocked><pValue>Reg</pValue>'
            '<Min>0</Min><Max>100</Max></Integer>')
    nm, port = load(body)
    f = nm.features
    port.memory[4] = 9
    assert f["Gain"].value == 9 and f["Gain"].access == "RW"
    assert nm.store.constant_base["Gain"] == "RW"      # what it is built on is kept
    assert "Gain" not in nm.store.constant_access      # its access is not
    for locked in (1, 0, 1):
        port.memory[0] = locked
        reads = port.reads
        assert f["Gain"].value == 9
        assert port.reads == reads + 1                  # the lock, not the cached value
        assert f["Gain"].access == ("RO" if locked else "RW")
    nm.disconnect()                                     # a port change forgets it
    assert "Gain" not in nm.store.constant_base
    assert f["Gain"].access == "NI"
    nm.connect(port)
    port.memory[0] = 0
    assert f["Gain"].access == "RW"


def test_a_rebound_port_forgets_the_kept_base_access_of_what_is_computed_from_it() -> None:
    body = (int_reg("Lock", 0x0, extra=NOCACHE) + int_reg("Reg", 0x4) +
            '<Integer Name="Gain"><pIsLocked>Lock</pIsLocked><pValue>Reg</pValue></Integer>')
    nm, port = load(body)
    assert nm.features["Gain"].access == "RW"
    assert "Gain" in nm.store.constant_base
    nm.bind(None, "Device")
    assert "Gain" not in nm.store.constant_base
    assert nm.features["Gain"].access == "NI"
    nm.bind(port, "Device")
    assert nm.features["Gain"].access == "RW"


class _OddPort:
    """A port answering reads with a given reply."""

    def __init__(self, reply: object) -> None:
        self.reply = reply

    def read(self, address: int, length: int) -> object:
        return self.reply

    def write(self, address: int, data: bytes) -> None:
        pass


@pytest.mark.parametrize("cachable", ["", NOCACHE])
def test_the_compiled_read_checks_the_port_reply(cachable: str) -> None:
    nm = nodemap.NodeMap.from_xml(description(int_reg("R", 0x10, extra=cachable)))
    nm.connect(_OddPort(bytearray(b"\x05\x00\x00\x00")))
    assert nm.features["R"].value == 5            # a bytearray is taken as bytes
    for reply in (b"\x01\x00", None):
        nm.connect(_OddPort(reply))
        with pytest.raises(ProtocolError, match="R"):
            nm.features["R"].value


def test_a_register_with_no_port_says_what_to_connect() -> None:
    nm = nodemap.NodeMap.from_xml(description(int_reg("R", 0x10)))
    with pytest.raises(nodemap.NodeMapError, match="connect"):
        nm.features["R"].value
