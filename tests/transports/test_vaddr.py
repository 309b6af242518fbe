"""The shared virtual-address helper and the three layouts built on it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nodemap.errors import PortError
from nodemap.transports.fcb.address import LAYOUT as FCB
from nodemap.transports.fcb.address import Encoding, Kind, VirtualAddress, make_address
from nodemap.transports.sxh485.port import LAYOUT as SXH
from nodemap.transports.sxh485.port import Kind as SxhKind
from nodemap.transports.sxh485.port import VirtualAddress as SxhAddress
from nodemap.transports.sxh485.port import virtual_address
from nodemap.transports.vaddr import Layout, VaddrError
from nodemap.transports.vs1.protocol import (BOOT_BASE, CONNECTION_BASE, LAYOUT as VS1,
                                             PROPRIETARY_LAYOUT, RESULT_BASE, RESULT_STRIDE,
                                             RegisterMap)


def values_for(layout: Layout) -> st.SearchStrategy[dict[str, int]]:
    return st.fixed_dictionaries({f.name: st.integers(0, f.mask) for f in layout})


@pytest.mark.parametrize("layout", [FCB, SXH, VS1, PROPRIETARY_LAYOUT], ids=lambda l: l.name)
@given(data=st.data())
def test_pack_unpack_round_trip(layout: Layout, data: st.DataObject) -> None:
    values = data.draw(values_for(layout))
    address = layout.pack(**values)
    assert 0 <= address < 1 << layout.width
    assert layout.unpack(address) == tuple(values[f.name] for f in layout)
    for name, value in values.items():
        assert layout.get(address, name) == value


def test_fields_are_laid_out_most_significant_first() -> None:
    layout = Layout("T", ("a", 4), ("b", 8), ("c", 4))
    assert [(f.name, f.shift, f.bit_range) for f in layout] == [
        ("a", 12, "15..12"), ("b", 4, "11..4"), ("c", 0, "3..0")]
    assert layout.pack(a=0xA, b=0xBC, c=0xD) == 0xABCD
    assert Layout("W", ("x", 4), width=8).pack(x=1) == 0x1   # spare high bits stay zero
    assert "x[3..0]" in repr(Layout("W", ("x", 4), width=8))


def test_range_errors_name_the_field_and_the_range() -> None:
    with pytest.raises(VaddrError, match=r"SXH485 address field type \(bits 27..20\) holds "
                                         r"0..255 \(0xFF\), not 256"):
        SXH.pack(kind=0, type=256)
    with pytest.raises(VaddrError, match="field kind .* not -1"):
        SXH.pack(kind=-1)
    with pytest.raises(VaddrError, match="no field 'colour' .*kind, type, offset"):
        SXH.pack(colour=1)
    with pytest.raises(VaddrError, match="outside the 56-bit FCB register space"):
        FCB.unpack(1 << 56)
    with pytest.raises(VaddrError, match="negative"):
        VS1.unpack(-4)
    assert issubclass(VaddrError, ValueError)
    with pytest.raises(ValueError, match="more than 8"):
        Layout("Bad", ("a", 9), width=8)
    with pytest.raises(ValueError, match="repeat"):
        Layout("Bad", ("a", 1), ("a", 1))


def test_fcb_addresses_are_the_documented_ones() -> None:
    zoom = make_address(Kind.VALUE, 0x04, 0x47, encoding=Encoding.NIBBLES, count=4)
    assert zoom == 0x00140447000000
    assert VirtualAddress.decode(0x1200043F010000).fixed == b"\x01\x00"   # QQ: pIndex
    with pytest.raises(ValueError, match="outside the 56-bit FCB"):
        VirtualAddress.decode(0x1_0000_0000_0000_00)


def test_sxh485_addresses_are_the_documented_ones() -> None:
    assert virtual_address(SxhKind.VALUE, 0x03) == 0x0030_0000
    assert virtual_address(SxhKind.IMAGE, 0x32) == 0x1320_0000
    assert SxhAddress.decode(0x1320_0010) == SxhAddress(SxhKind.IMAGE, 0x32, 0x10)
    with pytest.raises(VaddrError, match="offset"):
        virtual_address(SxhKind.IMAGE, 0x32, 1 << 20)     # used to wrap silently
    with pytest.raises(PortError, match="kind 9"):
        SxhAddress.decode(0x9000_0000)
    with pytest.raises(PortError, match="outside the 32-bit SXH485"):
        SxhAddress.decode(1 << 32)


def test_vs1_map_is_built_on_its_layouts() -> None:
    assert (RESULT_BASE, RESULT_STRIDE, CONNECTION_BASE, BOOT_BASE) == (
        0x0001_0000, 0x1000, 0x0002_0000, 0x0003_0000)
    assert RegisterMap.proprietary_address(49049) == 0x0100_0000 + (49049 << 8)
    assert PROPRIETARY_LAYOUT.get(RegisterMap.proprietary_address(49049) + 7, "port") == 49049
