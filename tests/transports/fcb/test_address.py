"""The virtual register layout: round trip, validation, and the shipped XML's addresses."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from nodemap.resources import read_description
from nodemap.transports.fcb.address import Encoding, Kind, VirtualAddress, make_address
from nodemap.transports.fcb.link import register_labels

_byte = st.integers(0, 0xFE)


@st.composite
def addresses(draw: st.DrawFn) -> VirtualAddress:
    kind = draw(st.sampled_from(list(Kind)))
    nfixed = draw(st.integers(0, 2))
    return VirtualAddress(
        kind, draw(_byte), draw(_byte), bytes(draw(st.lists(_byte, min_size=nfixed, max_size=nfixed))),
        draw(st.booleans()), draw(st.sampled_from(list(Encoding))), draw(st.integers(0, 15)),
        draw(st.integers(0, 255)) if kind is Kind.INQUIRY else 0)


@given(addresses())
def test_round_trip(where: VirtualAddress) -> None:
    address = where.encode()
    assert address < 1 << 56
    assert VirtualAddress.decode(address) == where


@pytest.mark.parametrize("address, message", [
    (0x50000000000000, "access kind"),
    (0x00340447000000, "encoding"),
    (0x03000447000000, "fixed-byte"),
    (0x00140447010000, "count says 0"),
    (0x000404FF000000, "terminator"),
    (0x00140447000001, "offset"),
    (1 << 56, "56-bit"),
])
def test_invalid_addresses(address: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        VirtualAddress.decode(address)


def test_units_from_length_or_count() -> None:
    zoom = VirtualAddress.decode(0x00140447000000)
    assert zoom.value_units(2) == 4
    assert VirtualAddress.decode(0x00100447000000).value_units(2) == 4  # N = 0: 2 * Length
    assert VirtualAddress.decode(0x00200400000000).value_units(1) == 1
    assert zoom.label() == "VISCA 04 47"


def test_make_address_examples() -> None:
    assert make_address(Kind.VALUE, 0x04, 0x47, encoding=Encoding.NIBBLES, count=4) == 0x00140447000000
    assert make_address(Kind.TRIGGER, 0x04, 0x3F, fixed=b"\x01\x00") == 0x1200043F010000
    assert make_address(Kind.INQUIRY, 0x00, 0x02, encoding=Encoding.BYTES, count=7,
                        offset=6) == 0x20270002000006


# Every register of the shipped XML: the feature name → (kind, VISCA bytes) it must map to.
SHIPPED = {
    "Power": (Kind.VALUE, "04 00"), "ZoomPosition": (Kind.VALUE, "04 47"),
    "ZoomTele": (Kind.TRIGGER, "04 07 02"), "ZoomWide": (Kind.TRIGGER, "04 07 03"),
    "ZoomStop": (Kind.TRIGGER, "04 07 00"), "FocusMode": (Kind.VALUE, "04 38"),
    "FocusPosition": (Kind.VALUE, "04 48"), "FocusOnePush": (Kind.TRIGGER, "04 18 01"),
    "WhiteBalanceMode": (Kind.VALUE, "04 35"), "ExposureMode": (Kind.VALUE, "04 39"),
    "Shutter": (Kind.VALUE, "04 4A"), "Iris": (Kind.VALUE, "04 4B"), "Gain": (Kind.VALUE, "04 4C"),
    "Bright": (Kind.VALUE, "04 4D"), "ExposureCompensationEnable": (Kind.VALUE, "04 3E"),
    "ExposureCompensation": (Kind.VALUE, "04 4E"), "BacklightCompensation": (Kind.VALUE, "04 33"),
    "MemorySet": (Kind.TRIGGER, "04 3F 01 00"), "MemoryRecall": (Kind.TRIGGER, "04 3F 02 00"),
    "MemoryReset": (Kind.TRIGGER, "04 3F 00 00"), "DeviceVendorID": (Kind.INQUIRY, "00 02"),
    "DeviceModelID": (Kind.INQUIRY, "00 02"), "DeviceROMVersion": (Kind.INQUIRY, "00 02"),
    "MaxSocket": (Kind.INQUIRY, "00 02"),
}


def test_shipped_xml_addresses() -> None:
    labels = register_labels(read_description("sony-fcb.xml"))
    by_name = {name: address for address, name in labels.items()}
    assert set(SHIPPED) <= set(by_name)
    for name, (kind, visca) in SHIPPED.items():
        where = VirtualAddress.decode(by_name[name])
        assert where.kind is kind, name
        assert where.label() == f"VISCA {visca}", name
    offsets = {name: VirtualAddress.decode(by_name[name]).offset for name in
               ("DeviceVendorID", "DeviceModelID", "DeviceROMVersion", "MaxSocket")}
    assert offsets == {"DeviceVendorID": 0, "DeviceModelID": 2, "DeviceROMVersion": 4, "MaxSocket": 6}
