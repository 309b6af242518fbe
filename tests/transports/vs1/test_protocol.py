"""Sans-IO VS-1 pieces: line framing, boot-page parsing, the register map and vs1.xml."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from nodemap.resources import read_description
from nodemap.transports.vs1.protocol import (
    Vs1CodecError,
    Vs1Unmapped,
    Vs1Unsupported,
    BOOT_FIELDS,
    MONITORED_SERVICES,
    PROPRIETARY_SERVICES,
    LineDecoder,
    RegisterMap,
    normalize_label,
    parse_boot_page,
    render_boot_page,
)

# ------------------------------------------------------------------ LineDecoder

line_bytes = st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"").replace(b"\r", b""))


@given(lines=st.lists(line_bytes, max_size=30), crlf=st.booleans(), data=st.data())
def test_lines_survive_any_chunking(lines: list[bytes], crlf: bool, data: st.DataObject) -> None:
    stream = b"".join(line + (b"\r\n" if crlf else b"\n") for line in lines)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    decoder = LineDecoder()
    out: list[bytes] = []
    previous = 0
    for cut in cuts + [len(stream)]:
        out += decoder.feed(stream[previous:cut])
        previous = cut
    assert out == lines
    assert decoder.pending == b""


@given(chunks=st.lists(st.binary(max_size=64), max_size=20))
def test_decoder_bounds_memory(chunks: list[bytes]) -> None:
    decoder = LineDecoder(max_line=16)
    total = b""
    out: list[bytes] = []
    for chunk in chunks:
        out += decoder.feed(chunk)
        total += chunk
        assert len(decoder.pending) <= 16
    assert all(len(line) <= 16 for line in out)


def test_overlong_line_is_cut_and_counted() -> None:
    decoder = LineDecoder(max_line=4)
    assert decoder.feed(b"abcdefghij") == [b"abcd", b"efgh"]
    assert decoder.overlong == 2
    assert decoder.feed(b"\n") == [b"ij"]


def test_custom_terminator_keeps_cr() -> None:
    decoder = LineDecoder(b"\r")
    assert decoder.feed(b"a\rb\r\nc") == [b"a", b"b"]
    assert decoder.pending == b"\nc"
    with pytest.raises(ValueError):
        LineDecoder(b"")


# ------------------------------------------------------------------ boot page

VXWORKS_PAGE = b"""<html><body><h1>VS-1</h1><pre>
boot device          : fei
processor number     : 0
host name            : builder
file name            : /flash/vxWorks
inet on ethernet (e) : 10.0.0.5:ffffff00
host inet (h)        : 10.0.0.1
user (u)             : vs1
ftp password (pw)    : secret
flags (f)            : 0x8
target name (tn)     : cam-7
other (o)            : a:b:c
</pre></body></html>"""


def test_parse_vxworks_pre_page() -> None:
    pairs = parse_boot_page(VXWORKS_PAGE)
    assert pairs["host name"] == "builder"
    assert pairs["inet on ethernet"] == "10.0.0.5:ffffff00"
    assert pairs["other"] == "a:b:c"  # only the first colon separates
    assert pairs["target name"] == "cam-7"


def test_parse_table_page() -> None:
    page = (b"<html><table><tr><th>Parameter</th><th>Value</th></tr>"
            b"<tr><td>host name</td><td>h&amp;1</td></tr>"
            b"<tr><td>Target Name (tn):</td><td> cam </td></tr></table></html>")
    pairs = parse_boot_page(page)
    assert pairs["host name"] == "h&1"
    assert pairs["target name"] == "cam"


def test_parse_plain_text() -> None:
    assert parse_boot_page(b"host name : x\r\nflags : 0x0\r\n") == {"host name": "x", "flags": "0x0"}


@pytest.mark.parametrize("body", [b"", b"<html><body>Hello</body></html>", b"\x00\xff" * 20,
                                  b"no pairs here\n"])
def test_not_a_boot_page(body: bytes) -> None:
    with pytest.raises(Vs1CodecError, match="no 'label : value' pairs"):
        parse_boot_page(body)


values = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=30).map(str.strip)


@given(chosen=st.dictionaries(st.sampled_from([f.label for f in BOOT_FIELDS]), values, min_size=1),
       table=st.booleans())
def test_boot_page_round_trip(chosen: dict[str, str], table: bool) -> None:
    page = render_boot_page(chosen.items(), html_table=table)
    assert parse_boot_page(page) == chosen


@settings(max_examples=200)
@given(body=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_boot_parser_only_raises_protocol_error(body: bytes) -> None:
    try:
        pairs = parse_boot_page(body)
    except Vs1CodecError:
        return
    assert pairs and all(isinstance(k, str) and isinstance(v, str) for k, v in pairs.items())


def test_normalize_label() -> None:
    assert normalize_label("  Inet on Ethernet (e) ") == "inet on ethernet"


# ------------------------------------------------------------------ register map

def test_every_seed_vskit_service_is_explained() -> None:
    regs = RegisterMap()
    seed_ports = {49049, 49050, 49059, 49079, 49200, 49201, 49202, 49493, 49495}
    assert {s.port for s in PROPRIETARY_SERVICES} == seed_ports
    for service in PROPRIETARY_SERVICES:
        address = RegisterMap.proprietary_address(service.port)
        for probe in (address, address + 3, address + 0xFF):
            with pytest.raises(Vs1Unsupported) as info:
                regs.slot(probe, 1)
            message = str(info.value)
            assert str(service.port) in message
            assert service.name in message
            assert "proprietary" in message and "undocumented" in message


def test_unknown_port_in_proprietary_block() -> None:
    with pytest.raises(Vs1Unsupported, match="port 4242 is not a service"):
        RegisterMap().slot(RegisterMap.proprietary_address(4242), 4)


def test_slot_lookup_and_bounds() -> None:
    regs = RegisterMap()
    slot = regs.slot(0x0001_0000, 256)
    assert slot.name == "ResultString0"
    assert regs.slot(0x0001_0010, 16).name == "ResultString0"
    assert regs.slot(0x0001_3118, 8).name == "ResultBuffered3"
    with pytest.raises(Vs1Unmapped, match="runs past ResultString0"):
        regs.slot(0x0001_00F0, 32)
    with pytest.raises(Vs1Unmapped, match="maps to no register"):
        regs.slot(0x0000_0000, 4)
    with pytest.raises(Vs1Unmapped, match="maps to no register"):
        regs.slot(0x0001_0200, 4)


# ------------------------------------------------------------------ vs1.xml agrees with the map

NS = "{http://www.genicam.org/GenApi/Version_1_1}"


def _registers() -> dict[str, tuple[str, int, int]]:
    root = etree.fromstring(read_description("vs1.xml"))
    found = {}
    for element in root:
        if not isinstance(element.tag, str):
            continue
        tag = etree.QName(element).localname
        if tag in ("StringReg", "IntReg", "Register"):
            found[element.get("Name")] = (tag, int(element.findtext(f"{NS}Address"), 0),
                                          int(element.findtext(f"{NS}Length"), 0))
    return found


def test_xml_addresses_match_register_map() -> None:
    regs = RegisterMap()
    registers = _registers()
    by_name = {slot.name: slot for slot in regs.slots}
    for name, (tag, address, length) in registers.items():
        if name.startswith("Vskit"):
            with pytest.raises(Vs1Unsupported):
                regs.slot(address, length)
        elif name == "ConnectionStateReg":
            for service in MONITORED_SERVICES:
                assert regs.slot(address + 4 * service.index, length).name == \
                    f"ConnectionState[{service.name}]"
        else:
            assert by_name[name].start == address and by_name[name].length == length, name
    names = set(registers)
    assert {f"ResultString{n}" for n in range(4)} <= names
    assert {f.feature for f in BOOT_FIELDS} <= names
    assert sum(1 for n in names if n.startswith("Vskit")) == len(PROPRIETARY_SERVICES)


def test_xml_enumerations_match_code() -> None:
    text = read_description("vs1.xml").decode()
    for service in MONITORED_SERVICES:
        assert re.search(rf'<EnumEntry Name="{service.name}"[^>]*>.*?<Value>{service.index}</Value>',
                         text, re.S)
