"""``nodemap sim gige``: the served description sits where the description declares no
register, ``--zip`` serves it zipped, and the identity options are checked (issue 14, class 21).
"""

from __future__ import annotations

import zipfile
import io

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import nodemap
from nodemap.app.cli import EXIT_UNREACHABLE, main
from nodemap.app.simulators import start_simulator
from nodemap.transports.gvcp.client import GvcpClient
from nodemap.transports.gvcp.device import SimulatedDevice
from nodemap.transports.gvcp.link import parse_xml_url
from nodemap.transports.gvcp.placement import (INDEX_BOUND, PREFERRED, PlacementError,
                                               free_address, register_spans)
from tests.addresses import loopback
from tests.peers import require_vendor_xml

BIG_VENDOR_FILE = "Basler-acA1300-30gm.xml"


def _xml(*registers: str) -> bytes:
    body = "".join(registers)
    return (f'<RegisterDescription ModelName="P" VendorName="n" StandardNameSpace="None" '
            f'SchemaMajorVersion="1" SchemaMinorVersion="1" SchemaSubMinorVersion="0" '
            f'MajorVersion="1" MinorVersion="0" SubMinorVersion="0" ProductGuid="x" '
            f'VersionGuid="y">{body}<Port Name="Device"/></RegisterDescription>').encode()


def _reg(name: str, address: int, length: int = 4, extra: str = "") -> str:
    return (f'<IntReg Name="{name}"><Address>0x{address:X}</Address><Length>{length}</Length>'
            f'{extra}<AccessMode>RW</AccessMode><pPort>Device</pPort></IntReg>')


def _url_of(device: SimulatedDevice):
    return parse_xml_url(device.memory.read(0x0200, 512).decode("ascii"))


def test_spans_cover_plain_indexed_and_summed_addresses() -> None:
    xml = _xml(_reg("A", 0xA000),
               _reg("Big", 0x20_0000, 0x400),
               _reg("Idx", 0x30_0000, 4, '<pIndex Offset="0x10">A</pIndex>'),
               '<IntReg Name="Sum"><Address>0x40_0000</Address><Address>0x8</Address>'
               '<Length>8</Length><pPort>Device</pPort></IntReg>'.replace("_", ""))
    assert register_spans(xml) == [(0xA000, 0xA004), (0x20_0000, 0x20_0400),
                                   (0x30_0000, 0x30_0000 + 0x10 * INDEX_BOUND),
                                   (0x40_0008, 0x40_0010)]


def test_free_address_prefers_the_default_then_the_first_gap_then_refuses() -> None:
    assert free_address([(0xA000, 0xA004)], 0x5000) == PREFERRED
    # the default is taken: the lowest aligned range clear of every register
    spans = [(0x10_0000, 0x10_0004), (0x11_0000, 0x11_0100)]
    assert free_address(spans, 0x8000) == 0x1_0000            # room below the default
    assert free_address(spans, 0x20_0000) == 0x12_0000         # too big below: after both
    assert free_address([(0x0, 0x10_0004)], 0x1000) == 0x11_0000
    with pytest.raises(PlacementError, match="no free 16-byte range.*--zip"):
        free_address([(0, 1 << 32)], 16)
    with pytest.raises(PlacementError):
        free_address([], (1 << 32) + 1)


def test_a_description_with_registers_at_the_default_address_is_served_around_them() -> None:
    xml = _xml(*(_reg(f"R{n}", PREFERRED + 0x100 * n) for n in range(64)))
    device = SimulatedDevice(xml, address=loopback())
    url = _url_of(device)
    assert url.address == device.xml_address != PREFERRED
    spans = register_spans(xml)
    assert not any(s < url.address + url.length and url.address < e for s, e in spans)
    assert device.memory.read(url.address, url.length) == xml
    # the description's own registers stay writable (the XML blob is read-only)
    assert device._access(PREFERRED, 4) == {"RW"}


def test_a_fixed_xml_address_is_kept() -> None:
    device = SimulatedDevice(_xml(_reg("A", 0xA000)), address=loopback(), xml_address=0x8000_0000)
    assert _url_of(device).address == 0x8000_0000


@pytest.mark.vendor_xml
def test_a_large_vendor_description_is_placed_clear_of_its_registers() -> None:
    [path] = [x for x in require_vendor_xml() if x.name == BIG_VENDOR_FILE] or \
        pytest.fail(f"{BIG_VENDOR_FILE} missing from the shared vendor files")
    data = path.read_bytes()
    spans = register_spans(data)
    overlapping_default = [s for s in spans if s[0] < PREFERRED + len(data) and PREFERRED < s[1]]
    assert len(overlapping_default) > 10   # the old fixed placement covered these
    sim = start_simulator("gige", addresses=[loopback()], xml=str(path))
    try:
        with nodemap.open(sim.urls[0]) as cam:
            url = parse_xml_url(cam.port.read(0x0200, 512).decode("ascii"))
            assert url.name == path.name and url.length == len(data)
            assert not any(s < url.address + url.length and url.address < e for s, e in spans)
            assert url.address % 0x1_0000 == 0 and url.address + url.length <= 1 << 32
            assert cam.port.read(url.address, 512) == data[:512]
            assert len(list(cam.features)) > 1000   # the vendor's own features loaded
    finally:
        sim.close()


def test_sim_gige_zip_serves_the_description_zipped(tmp_path) -> None:
    xml = _xml(_reg("Width", 0xA000))
    path = tmp_path / "cam.xml"
    path.write_bytes(xml)
    sim = start_simulator("gige", addresses=[loopback()], xml=str(path), zipped=True)
    try:
        with nodemap.open(sim.urls[0]) as cam:
            url = parse_xml_url(cam.port.read(0x0200, 512).decode("ascii"))
            assert url.name == "cam.zip"
            blob = b"".join(cam.port.read(url.address + o, min(512, url.length - o))
                            for o in range(0, (url.length + 3) // 4 * 4, 512))[:url.length]
            with zipfile.ZipFile(io.BytesIO(blob)) as zf:
                assert zf.namelist() == ["cam.xml"] and zf.read("cam.xml") == xml
            assert "Width" in list(cam.features)
    finally:
        sim.close()


def test_sim_gige_xml_naming_the_demo_camera_gets_its_power_on_values(tmp_path) -> None:
    """The README's `nodemap sim gige --xml xml/demo-camera.xml`: a usable camera, not
    one whose Width max and PayloadSize read 0."""
    from nodemap.resources import read_description

    path = tmp_path / "demo-camera.xml"
    path.write_bytes(read_description("demo-camera.xml"))
    sim = start_simulator("gige", addresses=[loopback()], xml=str(path))
    try:
        with nodemap.open(sim.urls[0]) as cam:
            assert cam.features["Width"].value == 1280
            assert cam.features["PixelFormat"].value == "Mono8"
            cam.features["Width"].value = 640
            assert cam.features["PayloadSize"].value > 0
    finally:
        sim.close()


@pytest.mark.parametrize("args, needle", [
    (("--vendor", "V" * 33), "--vendor"),
    (("--vendor", "é" * 17), "printable ASCII"),        # 8-bit text: not in the registers
    (("--model", "M" * 33), "--model"),
    (("--model", "M" * 33), "at most 32 bytes"),
    (("--user-name", "u" * 17), "--user-name"),
    (("--serial", "S" * 17), "at most 16 bytes"),
    (("--serial", "ß"), "printable ASCII"),
    (("--user-name", "a\x1b[2J"), "printable ASCII"),      # no terminal escapes
    (("--mac", "00:11:22:33:44:zz"), "six hex bytes"),
    (("--mac", "00:11:22:33:44:55:66"), "six hex bytes"),
    (("--mac", "001122334455"), "six hex bytes"),
    (("--mac", ""), "six hex bytes"),
])
def test_identity_options_are_checked_with_exit_2(args, needle) -> None:
    result = CliRunner().invoke(main, ["sim", "gige", "--address", loopback(), *args])
    assert result.exit_code == 2, result.output
    assert needle in result.output and "Traceback" not in result.output


def test_a_second_sim_gige_on_a_held_address_is_refused() -> None:
    address = loopback()
    first = start_simulator("gige", addresses=[address], serial="FIRST")
    try:
        result = CliRunner().invoke(main, ["sim", "gige", "--address", address])
        assert result.exit_code == EXIT_UNREACHABLE, result.output
        assert f"UDP {address}:3956 is already in use" in result.output
        with nodemap.open(first.urls[0]) as cam:
            assert cam.port.read(0x00D8, 16).rstrip(b"\0") == b"FIRST"
    finally:
        first.close()


IDENTITY = [("vendor", 0x0048, 32), ("model", 0x0068, 32), ("serial", 0x00D8, 16),
            ("user_name", 0x00E8, 16)]


@settings(max_examples=80, deadline=None)
@given(field=st.sampled_from(IDENTITY), text=st.text(min_size=1, max_size=40))
def test_any_identity_text_is_refused_naming_the_option_or_served_exactly(field, text) -> None:
    name, register, size = field
    option = "--" + name.replace("_", "-")
    address = loopback()
    try:
        sim = start_simulator("gige", addresses=[address], **{name: text})
    except ValueError as exc:
        assert str(exc).startswith(f"{option} "), exc
        assert not (text.isascii() and text.isprintable() and len(text) <= size)
        return
    try:
        assert text.isascii() and text.isprintable() and len(text) <= size
        with GvcpClient(address) as client:
            assert client.read(register, size) == text.encode("ascii").ljust(size, b"\0")
    finally:
        sim.close()
