"""The GenTL transport without a producer: binary headers and word size, GC_ERROR →
nodemap errors, INFO_DATATYPE decoding, port URLs, the producer path variable, gentl: URLs."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nodemap.errors import (AccessError, DeviceError, NodeMapError, ParameterError,
                            TimeoutError, UnsupportedError, XmlError)
from nodemap.transports.gentl import api
from nodemap.transports.gentl.api import (GC, INFO, GenTLError, Library, ProducerLoadError,
                                          binary_bits, error_for, python_bits)
from nodemap.transports.gentl.link import parse_url
from nodemap.transports.gentl.producer import producer_paths
from nodemap.transports.gentl.urls import fetch, parse_port_url


# ------------------------------------------------------------------ binary headers

def _elf(bits: int) -> bytes:
    return b"\x7fELF" + bytes([1 if bits == 32 else 2, 1, 1]) + b"\0" * 57


def _pe(machine: int) -> bytes:
    head = bytearray(0x80)
    head[:2] = b"MZ"
    struct.pack_into("<I", head, 0x3C, 0x40)
    head[0x40:0x44] = b"PE\0\0"
    struct.pack_into("<H", head, 0x44, machine)
    return bytes(head)


@pytest.mark.parametrize("blob,expected", [
    (_elf(32), ("ELF", 32)), (_elf(64), ("ELF", 64)),
    (_pe(0x14C), ("PE", 32)), (_pe(0x8664), ("PE", 64)), (_pe(0xAA64), ("PE", 64)),
    (b"\xcf\xfa\xed\xfe" + b"\0" * 60, ("Mach-O", 64)),
    (b"\xce\xfa\xed\xfe" + b"\0" * 60, ("Mach-O", 32)),
])
def test_binary_bits_reads_elf_pe_and_macho_headers(tmp_path: Path, blob: bytes,
                                                    expected: tuple[str, int]) -> None:
    f = tmp_path / "x.cti"
    f.write_bytes(blob)
    assert binary_bits(f) == expected


@pytest.mark.parametrize("blob,match", [
    (b"", "not a shared library.*empty"),
    (b"hello world, not a library", "not a GenTL producer: not a shared library"),
    (b"MZ" + b"\0" * 100, "without a PE header"),
    (_pe(0x1234), "machine type 0x1234 is unknown"),
    (b"\x7fELF\x07" + b"\0" * 59, "unknown class"),
])
def test_binary_bits_refuses_what_is_not_a_library(tmp_path: Path, blob: bytes,
                                                   match: str) -> None:
    f = tmp_path / "bad.cti"
    f.write_bytes(blob)
    with pytest.raises(ProducerLoadError, match=match):
        binary_bits(f)


def test_missing_file_and_folder_are_named(tmp_path: Path) -> None:
    with pytest.raises(ProducerLoadError, match="does not exist.*GENICAM_GENTL"):
        binary_bits(tmp_path / "none.cti")
    with pytest.raises(ProducerLoadError, match="is a folder"):
        binary_bits(tmp_path)


def test_a_producer_of_the_other_word_size_is_refused_before_dlopen(tmp_path: Path) -> None:
    other = 32 if python_bits() == 64 else 64
    f = tmp_path / "other.cti"
    f.write_bytes(_elf(other) if not api.sys.platform.startswith(("win", "darwin")) else
                  _pe(0x14C if other == 32 else 0x8664))
    with pytest.raises(ProducerLoadError,
                       match=rf"{other}-bit producer .* this Python is {python_bits()}-bit.*"
                             rf"GENICAM_GENTL{python_bits()}_PATH"):
        Library(f)


def test_a_library_of_another_system_is_refused(tmp_path: Path) -> None:
    if api.sys.platform == "win32":
        pytest.skip("this test plants a PE; on Windows the foreign format is ELF")
    f = tmp_path / "win.cti"
    f.write_bytes(_pe(0x8664 if python_bits() == 64 else 0x14C))
    with pytest.raises(ProducerLoadError, match="is a PE library; this .* loads"):
        Library(f)


# ------------------------------------------------------------------ errors


@given(st.sampled_from(list(GC)[1:]) | st.integers(-20000, -1001))
def test_every_error_code_is_a_nodemap_error_naming_the_call(code: int) -> None:
    exc = error_for("DSQueueBuffer", int(code), "the producer's words", "buffer 3")
    assert isinstance(exc, NodeMapError) and isinstance(exc, DeviceError)
    assert isinstance(exc, GenTLError) and exc.status == code
    text = str(exc)
    assert text.startswith("DSQueueBuffer (buffer 3) failed: ")
    assert "producer says: the producer's words" in text
    assert exc.call == "DSQueueBuffer"


def test_error_classes_follow_the_code() -> None:
    assert isinstance(error_for("EventGetData", GC.TIMEOUT), TimeoutError)
    assert isinstance(error_for("EventGetData", GC.TIMEOUT), builtins_timeout())
    assert isinstance(error_for("X", GC.NOT_IMPLEMENTED), UnsupportedError)
    for code in (GC.RESOURCE_IN_USE, GC.ACCESS_DENIED, GC.BUSY):
        assert isinstance(error_for("IFOpenDevice", code), AccessError)
    assert "GC_ERR_RESOURCE_IN_USE" in str(error_for("IFOpenDevice", GC.RESOURCE_IN_USE))
    assert "GC_ERR_CUSTOM(-10007)" in str(error_for("X", -10007))


def builtins_timeout() -> type:
    import builtins
    return builtins.TimeoutError


# ------------------------------------------------------------------ info decoding

@given(st.integers(-2**31, 2**31 - 1))
def test_int32_info_decodes(value: int) -> None:
    assert api._decode_info(INFO.INT32, struct.pack("=i", value)) == value


@given(st.integers(0, 2**64 - 1))
def test_uint64_and_sizet_info_decode(value: int) -> None:
    assert api._decode_info(INFO.UINT64, struct.pack("=Q", value)) == value
    if value < 2 ** (8 * struct.calcsize("N")):
        assert api._decode_info(INFO.SIZET, struct.pack("N", value)) == value


@given(st.lists(st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF), min_size=1,
                        max_size=8), max_size=5))
def test_string_and_stringlist_info_decode(items: list[str]) -> None:
    raw = b"".join(s.encode() + b"\0" for s in items) + b"\0"
    assert api._decode_info(INFO.STRINGLIST, raw) == items
    if items:
        assert api._decode_info(INFO.STRING, items[0].encode() + b"\0junk") == items[0]


def test_short_and_boolean_and_float_info() -> None:
    assert api._decode_info(INFO.UINT32, b"\x05") == 5          # zero-extended
    assert api._decode_info(INFO.BOOL8, b"\x01") is True
    assert api._decode_info(INFO.BOOL8, b"\x00") is False
    assert api._decode_info(INFO.FLOAT64, struct.pack("=d", 2.5)) == 2.5
    assert api._decode_info(INFO.BUFFER, b"\x01\x02") == b"\x01\x02"
    assert api._decode_info(1234, b"custom") == b"custom"


# ------------------------------------------------------------------ port URLs

names = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,20}\.(xml|zip)", fullmatch=True)


@given(names, st.integers(0, 2**48), st.integers(1, 2**26), st.booleans(),
       st.sampled_from(["Local", "local", "LOCAL"]), st.none() | st.just("1.1.0"))
def test_local_urls_round_trip(name: str, address: int, length: int, slashes: bool,
                               scheme: str, schema: str | None) -> None:
    text = f"{scheme}:{'///' if slashes else ''}{name};{address:x};{length:X}"
    if schema:
        text += f"?SchemaVersion={schema}"
    url = parse_port_url(text + "\0\0")
    assert (url.scheme, url.name, url.address, url.length) == ("local", name, address, length)
    assert url.schema_version == schema
    assert url.zipped == name.endswith(".zip")


@pytest.mark.parametrize("text,name", [
    ("File:///opt/cam/device.xml", "/opt/cam/device.xml"),
    ("file:///C:/Program%20Files/cam.zip?SchemaVersion=1.0.0", "C:/Program Files/cam.zip"),
    ("File:relative/x.xml", "relative/x.xml"),
])
def test_file_urls(text: str, name: str) -> None:
    url = parse_port_url(text)
    assert (url.scheme, url.name) == ("file", name)


@pytest.mark.parametrize("text,match", [
    ("Local:x.xml;zz;10", "not of the form"),
    ("Local:x.xml;100", "not of the form"),
    ("ftp://host/x.xml", "unsupported port URL"),
    ("", "unsupported port URL"),
])
def test_malformed_urls_are_xml_errors(text: str, match: str) -> None:
    with pytest.raises(XmlError, match=match):
        parse_port_url(text)


def test_fetch_local_reads_in_chunks_and_file_reads_the_file(tmp_path: Path) -> None:
    memory = bytes(range(256)) * 1200
    reads: list[tuple[int, int]] = []

    def read(address: int, length: int) -> bytes:
        reads.append((address, length))
        return memory[address - 0x1000:address - 0x1000 + length]

    url = parse_port_url(f"Local:d.xml;1000;{len(memory):x}")
    progress: list[int] = []
    assert fetch(url, read, progress=lambda done, total: progress.append(done)) == memory
    assert len(reads) == -(-len(memory) // 65536) and progress[-1] == len(memory)
    f = tmp_path / "d.xml"
    f.write_bytes(b"<RegisterDescription/>")
    assert fetch(parse_port_url(f"file://{f}"), read) == b"<RegisterDescription/>"
    with pytest.raises(XmlError, match="cannot read the XML file"):
        fetch(parse_port_url(f"file://{tmp_path}/none.xml"), read)
    with pytest.raises(XmlError, match="announces 0 bytes"):
        fetch(parse_port_url("Local:d.xml;0;0"), read)


# ------------------------------------------------------------------ producer path


def test_producer_paths_reads_folders_and_files_in_order(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    for p in (a / "z.cti", a / "y.CTI", b / "x.cti", a / "notes.txt"):
        p.write_bytes(b"")
    variable = f"GENICAM_GENTL{python_bits()}_PATH"
    env = {variable: f"{b}:{a}::{a / 'z.cti'}:{tmp_path / 'missing'}"}
    assert producer_paths(env) == [b / "x.cti", a / "y.CTI", a / "z.cti"]
    assert producer_paths({variable: f"{a};{b}"}, platform="win32") == \
        [a / "y.CTI", a / "z.cti", b / "x.cti"]
    assert producer_paths({"GENICAM_GENTL32_PATH": str(a)}, bits=32) == \
        [a / "y.CTI", a / "z.cti"]
    assert producer_paths({}) == []


# ------------------------------------------------------------------ gentl: URLs


def test_url_forms() -> None:
    u = parse_url("gentl:/opt/p.cti?device=SN%201&interface=IF0&access=readonly&timeout=50")
    assert (u.producer, u.device, u.interface, u.access.name, u.timeout_ms) == \
        ("/opt/p.cti", "SN 1", "IF0", "READONLY", 50)
    u = parse_url("gentl:?index=3")
    assert (u.producer, u.index, u.device, u.access.name) == ("", 3, None, "EXCLUSIVE")
    u = parse_url("gentl:/p.cti", index=1, access="control")
    assert (u.index, u.access.name) == (1, "CONTROL")


@pytest.mark.parametrize("url,match", [
    ("gentl:/p.cti?devce=1", r"unknown URL parameter 'devce' \(did you mean device\?\)"),
    ("gentl:/p.cti?index=x", "index='x'.*not a number"),
    ("gentl:/p.cti?index=-1", "negative"),
    ("gentl:/p.cti?device=a&index=1", "both device= and index="),
    ("gentl:/p.cti?access=all", "access='all'.*exclusive, control or readonly"),
    ("gentl:/p.cti?timeout=soon", "timeout='soon'"),
])
def test_bad_urls_are_parameter_errors(url: str, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        parse_url(url)


def test_trailer_layout_follows_the_device_transport_layer() -> None:
    """Without a chunk list from the producer, a U3V device's chunk trailers are read
    little-endian (USB3 Vision), every other device's big-endian (GigE Vision)."""
    from nodemap.transports.gentl.stream import trailer_layout

    assert trailer_layout("U3V") == "u3v"
    assert trailer_layout(" u3v ") == "u3v"
    assert [trailer_layout(t) for t in ("GEV", "CXP", "CL", "Custom", "")] == ["gev"] * 5
