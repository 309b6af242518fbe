"""The GVSP codec: hand-made vectors byte by byte, hypothesis round trips for every packet
kind in both id modes, fuzzing (only GvspError ever escapes), the fast path pinned to the
full decoder, PACKETRESEND in both id modes, and tshark's dissector as a real peer."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.peers import require_executable
from tests.transports.gvcp.pcap import write_pcap
from nodemap.transports.gvcp import gvsp as g
from nodemap.transports.gvcp import protocol as p

MONO8 = 0x01080001

u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
u64 = st.integers(0, 2**64 - 1)
ok_status = st.sampled_from([g.STATUS_SUCCESS, g.STATUS_PACKET_RESEND])


@st.composite
def headers(draw, content_type: int, status=ok_status) -> g.GvspHeader:
    extended = draw(st.booleans())
    if extended:
        return g.GvspHeader(draw(status), draw(u64), content_type, draw(u32), True, draw(u16))
    return g.GvspHeader(draw(status), draw(u16), content_type, draw(st.integers(0, 0xFFFFFF)))


@st.composite
def image_leaders(draw) -> g.ImageLeader:
    return g.ImageLeader(draw(headers(g.ContentType.LEADER)), draw(u64), draw(u32), draw(u32),
                         draw(u32), draw(u32), draw(u32), draw(u16), draw(u16),
                         draw(st.sampled_from([0x0001, 0x4001])), draw(u16))


@st.composite
def raw_leaders(draw) -> g.RawLeader:
    return g.RawLeader(draw(headers(g.ContentType.LEADER)), draw(u64), draw(u64),
                       draw(st.sampled_from([0x0002, 0x4002])), draw(u16))


@st.composite
def chunk_leaders(draw) -> g.ChunkLeader:
    return g.ChunkLeader(draw(headers(g.ContentType.LEADER)), draw(u64),
                         draw(st.sampled_from([0x0004, 0x4004])), draw(u16))


@st.composite
def jpeg_leaders(draw) -> g.JpegLeader:
    return g.JpegLeader(draw(headers(g.ContentType.LEADER)), draw(u64), draw(u64), draw(u64),
                        draw(u32), draw(st.sampled_from([0x0006, 0x0007, 0x4006])), draw(u16))


@st.composite
def generic_leaders(draw) -> g.GenericLeader:
    kind = draw(st.sampled_from([0x0003, 0x0008, 0x0009, 0x000A, 0x000B, 0x8001]))
    return g.GenericLeader(draw(headers(g.ContentType.LEADER)), draw(u64), kind,
                           draw(st.binary(max_size=64)), draw(u16))


@st.composite
def trailers(draw) -> g.Trailer:
    payload_type = draw(st.sampled_from([0x0001, 0x4001, 0x0002, 0x0004, 0x4004, 0x0006,
                                         0x0009, 0x4002]))
    base = payload_type & 0x3FFF
    size_y = draw(u32) if base in (1, 9) else None
    length = draw(u32) if base == 4 else None
    chunk = draw(u32) if payload_type & 0x4000 else None
    layout = draw(u32) if payload_type & 0x4000 else None
    return g.Trailer(draw(headers(g.ContentType.TRAILER)), payload_type, size_y, length, chunk,
                     layout)


@st.composite
def payloads(draw) -> g.Payload:
    return g.Payload(draw(headers(g.ContentType.PAYLOAD)), draw(st.binary(max_size=1500)))


@st.composite
def opaque(draw) -> g.OpaquePacket:
    kind = draw(st.integers(4, 8))
    return g.OpaquePacket(draw(headers(kind)), draw(st.binary(max_size=200)))


@st.composite
def errors(draw) -> g.ErrorPacket:
    kind = draw(st.integers(1, 8))
    status = st.sampled_from([0x800C, 0x8001, 0x8011, 0x8012, 0x8FFF])
    return g.ErrorPacket(draw(headers(kind, status)), draw(st.binary(max_size=40)))


any_packet = st.one_of(image_leaders(), raw_leaders(), chunk_leaders(), jpeg_leaders(),
                       generic_leaders(), trailers(), payloads(), opaque(), errors())


# --------------------------------------------------------------------------- vectors

def test_standard_image_leader_byte_by_byte() -> None:
    data = g.encode_image_leader(5, timestamp=0x0102030405060708, pixel_format=MONO8,
                                 width=640, height=480, offset_x=16, offset_y=8,
                                 padding_x=2, padding_y=1)
    assert data == bytes.fromhex(
        "0000" "0005" "01000000"              # status, block 5, leader + packet 0
        "0000" "0001" "0102030405060708"      # flags, image, timestamp
        "01080001" "00000280" "000001e0"      # Mono8 640 x 480
        "00000010" "00000008" "0002" "0001")  # offsets 16,8 padding 2,1
    leader = g.decode(data)
    assert leader == g.ImageLeader(g.GvspHeader(0, 5, 1, 0), 0x0102030405060708, MONO8, 640,
                                   480, 16, 8, 2, 1)
    assert not leader.chunks and not leader.header.extended
    assert g.describe(leader) == ("GVSP leader block 5 packet 0 image Mono8 640x480 offset "
                                  "16,8 padding 2,1 ts 72623859790382856")


def test_extended_id_payload_byte_by_byte() -> None:
    data = g.encode_payload(0x0102030405060708, 0x0A0B0C0D, b"\xAA\xBB", extended=True,
                            status=g.STATUS_PACKET_RESEND, flags=g.FLAG_PACKET_RESEND)
    assert data == bytes.fromhex("0100" "0001" "83000000" "0102030405060708" "0a0b0c0d" "aabb")
    packet = g.decode(data)
    assert isinstance(packet, g.Payload) and packet.data == b"\xAA\xBB"
    assert packet.header == g.GvspHeader(0x0100, 0x0102030405060708, 3, 0x0A0B0C0D, True, 1)
    assert packet.header.resent and packet.header.length == 20
    assert g.describe(packet) == ("GVSP payload block 72623859790382856 packet 168496141 "
                                  "[ext-id] [resent] 2 bytes")


def test_image_trailer_and_chunk_trailer_byte_by_byte() -> None:
    assert g.encode_trailer(0xFFFF, 0xFFFFFF, size_y=480) == bytes.fromhex(
        "0000ffff02ffffff" "0000" "0001" "000001e0")
    chunked = g.encode_trailer(3, 9, size_y=2, payload_type=0x4001, chunk_data_length=24,
                               chunk_layout_id=0x11, extended=True)
    assert chunked == bytes.fromhex("0000000082000000" "0000000000000003" "00000009"
                                    "0000" "4001" "00000002" "00000018" "00000011")
    t = g.decode(chunked)
    assert isinstance(t, g.Trailer)
    assert (t.size_y, t.chunk_data_length, t.chunk_layout_id) == (2, 24, 0x11)
    assert g.describe(t) == ("GVSP trailer block 3 packet 9 [ext-id] image+chunks size_y 2 "
                             "chunk data 24 bytes layout 0x00000011")


def test_raw_jpeg_chunk_leaders_byte_by_byte() -> None:
    h = g.GvspHeader(0, 7, g.ContentType.LEADER, 0)
    assert g.RawLeader(h, 1, 1000).encode() == bytes.fromhex(
        "0000000701000000" "00000002" "0000000000000001" "00000000000003e8")
    assert g.JpegLeader(h, 1, 1000, 10**9, 3).encode() == bytes.fromhex(
        "0000000701000000" "00000006" "0000000000000001" "00000000000003e8"
        "000000003b9aca00" "00000003")
    assert g.ChunkLeader(h, 1).encode() == bytes.fromhex(
        "0000000701000000" "00000004" "0000000000000001")
    assert g.describe(g.decode(g.JpegLeader(h, 1, 1000, 10**9, 3).encode())) == (
        "GVSP leader block 7 packet 0 jpeg 1000 bytes tick 1000000000 Hz format 0x00000003 ts 1")


def test_packet_unavailable_error_packet() -> None:
    data = bytes.fromhex("800c" "0005" "03000009")
    packet = g.decode(data)
    assert isinstance(packet, g.ErrorPacket) and packet.header.packet_id == 9
    assert g.describe(packet) == ("GVSP payload block 5 packet 9 status PACKET_UNAVAILABLE "
                                  "error PACKET_UNAVAILABLE (0x800C)")


def test_seed_style_leader_from_aravis_layout() -> None:
    """Aravis's ArvGvspImageLeader layout: the same offsets as ours."""
    raw = bytes.fromhex("0000002a01000000000000010000000000000064"
                        "0108000100000010000000080000000000000000" "00000000")
    leader = g.decode(raw)
    assert isinstance(leader, g.ImageLeader)
    assert (leader.header.block_id, leader.width, leader.height, leader.timestamp) == (42, 16, 8, 100)


# --------------------------------------------------------------------------- errors

@pytest.mark.parametrize("data, message", [
    (b"", "shorter than the 8-byte header"),
    (bytes.fromhex("00000001000000"), "shorter than the 8-byte header"),
    (bytes.fromhex("0000000109000000"), "unknown GVSP content type 9 at offset 4"),
    (bytes.fromhex("0000000100000000"), "unknown GVSP content type 0 at offset 4"),
    (bytes.fromhex("0000000081000000") + bytes(8), "shorter than its 20-byte header"),
    (bytes.fromhex("0000000101000000") + bytes(6), "leader of 14 bytes is truncated"),
    (bytes.fromhex("0000000101000000" "00000001") + bytes(8) + bytes(10),
     "image leader of 30 bytes is shorter than its payload type needs (44 bytes"),
    (bytes.fromhex("0000000101000000" "00000002") + bytes(8) + bytes(4),
     "raw leader of 24 bytes is shorter"),
    (bytes.fromhex("0000000202000000" "0000"), "trailer of 10 bytes is truncated"),
    (bytes.fromhex("0000000202000000" "0000" "0001" "0000"),
     "image trailer of 14 bytes is shorter than its payload type needs (16 bytes"),
    (bytes.fromhex("0000000202000000" "0000" "4001" "00000001" "00000000"),
     "image+chunks trailer of 20 bytes is shorter"),
])
def test_inconsistent_packets_raise_gvsp_error(data: bytes, message: str) -> None:
    with pytest.raises(g.GvspError, match=re.escape(message)):
        g.decode(data)


def test_ei_flag_mismatch() -> None:
    standard = g.encode_payload(1, 1, b"x")
    extended = g.encode_payload(1, 1, b"x", extended=True)
    with pytest.raises(g.GvspError, match="EI flag mismatch at offset 4: packet has a standard"):
        g.decode(standard, extended=True)
    with pytest.raises(g.GvspError, match="EI flag mismatch at offset 4: packet has a extended"):
        g.decode(extended, extended=False)
    assert g.decode(extended, extended=True).header.extended


def test_gvsp_error_is_a_value_error_and_not_the_engine() -> None:
    assert issubclass(g.GvspError, ValueError)
    source = Path(g.__file__).read_text()
    assert "from nodemap" not in source and "import nodemap" not in source


@pytest.mark.parametrize("kwargs, message", [
    (dict(block_id=0x10000, packet_id=1), "16-bit block id"),
    (dict(block_id=1, packet_id=0x1000000), "24-bit packet id"),
    (dict(block_id=2**64, packet_id=1, extended=True), "64-bit block id"),
    (dict(block_id=1, packet_id=2**32, extended=True), "32-bit packet id"),
])
def test_encoders_refuse_fields_that_do_not_fit(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        g.encode_payload(data=b"", **kwargs)


def test_data_per_packet_counts_ip_udp_and_gvsp_headers() -> None:
    assert g.data_per_packet(1500) == 1500 - 20 - 8 - 8
    assert g.data_per_packet(1500, extended=True) == 1500 - 20 - 8 - 20
    with pytest.raises(ValueError, match="leaves no room"):
        g.data_per_packet(36)


# --------------------------------------------------------------------------- properties

@settings(max_examples=400)
@given(any_packet)
def test_round_trip_every_kind_both_id_modes(packet) -> None:
    data = packet.encode()
    assert g.decode(data) == packet
    assert g.decode(bytearray(data)) == packet
    assert g.decode(memoryview(data)) == packet
    assert g.decode(data, extended=packet.header.extended) == packet
    assert g.describe(packet).startswith("GVSP ")


@settings(max_examples=400)
@given(any_packet)
def test_fast_path_equals_full_decoder(packet) -> None:
    data = packet.encode()
    h = g.decode(data).header
    assert g.parse_header(data) == (h.status, h.block_id, h.content_type, h.packet_id, h.length)
    assert g.parse_header(memoryview(data)) == g.parse_header(data)
    if isinstance(packet, g.ImageLeader):
        assert g.parse_image_leader(data, h.length) == (
            packet.payload_type, packet.timestamp, packet.pixel_format, packet.width,
            packet.height, packet.offset_x, packet.offset_y, packet.padding_x, packet.padding_y)
        assert g.leader_length(packet.payload_type) == len(data) - h.length
    if isinstance(packet, g.Trailer):
        assert g.trailer_length(packet.payload_type) == len(data) - h.length


@settings(max_examples=1500)
@given(st.binary(max_size=80))
def test_fuzz_random_bytes_only_gvsp_error(data: bytes) -> None:
    try:
        packet = g.decode(data)
    except g.GvspError:
        return
    assert g.parse_header(data)[:4] == (packet.header.status, packet.header.block_id,
                                        packet.header.content_type, packet.header.packet_id)
    assert g.describe(packet).startswith("GVSP ")


@settings(max_examples=500)
@given(any_packet, st.data())
def test_fuzz_truncations_and_bit_flips_only_gvsp_error(packet, data) -> None:
    raw = packet.encode()
    cut = data.draw(st.integers(0, len(raw)))
    flipped = bytearray(raw)
    if flipped:
        i = data.draw(st.integers(0, len(flipped) - 1))
        flipped[i] ^= 1 << data.draw(st.integers(0, 7))
    for candidate in (raw[:cut], bytes(flipped)):
        try:
            g.describe(g.decode(candidate))
        except g.GvspError:
            pass


def test_parse_header_refuses_like_decode() -> None:
    for bad in (b"", bytes(7), bytes.fromhex("0000000100000000"),
                bytes.fromhex("0000000083000000") + bytes(4)):
        with pytest.raises(g.GvspError):
            g.parse_header(bad)
        with pytest.raises(g.GvspError):
            g.decode(bad)


# --------------------------------------------------------------------------- PACKETRESEND

def test_packet_resend_standard_byte_by_byte_unchanged() -> None:
    cmd = p.PacketResendCmd(9, 0, 17, 3, 9)
    assert cmd.encode() == bytes.fromhex("42000040000c0009" "0000" "0011" "00000003" "00000009")
    assert not cmd.extended and cmd.flags == 0
    assert p.decode(cmd.encode()) == cmd


def test_packet_resend_extended_byte_by_byte() -> None:
    cmd = p.PacketResendCmd(10, 0, 0x0102030405060708, 0x01000000, 0x01000010, extended=True)
    assert cmd.flags == p.FLAG_EXTENDED_ID
    assert cmd.encode() == bytes.fromhex("42100040" "0014" "000a" "0000" "0000" "01000000"
                                         "01000010" "0102030405060708")
    back = p.decode(cmd.encode())
    assert back == cmd and back.extended
    assert "[ext-id]" in str(back)
    # the flag alone selects the mode, as on the wire
    assert p.PacketResendCmd(10, 0, 5, 1, 2, flags=0x10 | 0x01).extended


def test_packet_resend_extended_truncated() -> None:
    short = bytes.fromhex("42100040000c000a" "0000000000000001" "00000002")
    with pytest.raises(p.GvcpCodecError, match="extended-ID PACKETRESEND_CMD"):
        p.decode(short)


@settings(max_examples=300)
@given(st.booleans(), u16, u16, st.data())
def test_packet_resend_round_trip_both_modes(extended: bool, req_id: int, channel: int,
                                             data) -> None:
    if extended:
        block, first, last = data.draw(u64), data.draw(u32), data.draw(u32)
    else:
        block = data.draw(u16)
        first, last = data.draw(st.integers(0, 0xFFFFFF)), data.draw(st.integers(0, 0xFFFFFF))
    cmd = p.PacketResendCmd(req_id, channel, block, first, last, extended=extended)
    assert p.decode(cmd.encode()) == cmd


# --------------------------------------------------------------------------- tshark

def _tshark_packets() -> list[bytes]:
    lead = dict(timestamp=123456789, pixel_format=MONO8, width=64, height=2)
    h7 = g.GvspHeader(0, 7, g.ContentType.LEADER, 0)
    return [
        g.encode_image_leader(5, **lead),
        g.encode_payload(5, 1, bytes(range(64))),
        g.encode_payload(5, 2, bytes(64), status=g.STATUS_PACKET_RESEND),
        g.encode_trailer(5, 3, size_y=2),
        g.encode_image_leader(2**40 + 1, extended=True, chunks=True, **lead),
        g.encode_payload(2**40 + 1, 1, bytes(200), extended=True),
        g.encode_payload(2**40 + 1, 2, bytes(200), extended=True, status=g.STATUS_PACKET_RESEND,
                         flags=g.FLAG_PACKET_RESEND),
        g.encode_trailer(2**40 + 1, 3, size_y=2, payload_type=0x4001, chunk_data_length=16,
                         chunk_layout_id=1, extended=True),
        g.RawLeader(h7, 1, 1000).encode(),
        g.JpegLeader(h7, 1, 1000, 10**9, 0).encode(),
        g.ChunkLeader(h7, 1).encode(),
        g.Trailer(g.GvspHeader(0, 7, g.ContentType.TRAILER, 9), 0x0004, payload_length=24).encode(),
        g.Trailer(g.GvspHeader(0, 7, g.ContentType.TRAILER, 9), 0x0006).encode(),
        g.ErrorPacket(g.GvspHeader(g.STATUS_PACKET_UNAVAILABLE, 5, g.ContentType.PAYLOAD, 9)).encode(),
    ]


def tshark_check_gvsp(tshark: str, pcap: Path, expected: int, gvsp_port: int) -> str:
    """Run tshark on ``pcap``; assert exit code 0, exactly ``expected`` (> 0) packets, every one
    GVSP or GVCP, and no malformed / unknown / expert-error mark.  Returns the -V output."""
    assert expected > 0, "a capture of zero packets proves nothing"
    decode_as = ["-d", f"udp.port=={gvsp_port},gvsp"]
    summary = subprocess.run([tshark, "-r", str(pcap), *decode_as], capture_output=True,
                             text=True, timeout=120)
    assert summary.returncode == 0, summary.stderr
    lines = [line for line in summary.stdout.splitlines() if line.strip()]
    assert len(lines) == expected, lines[:5]
    assert all(" GVSP " in line or " GVCP " in line for line in lines), lines[:5]
    detail = subprocess.run([tshark, "-r", str(pcap), *decode_as, "-V"], capture_output=True,
                            text=True, timeout=120)
    assert detail.returncode == 0, detail.stderr
    for bad in ("Malformed", "Unknown", "unknown", "[Expert Info (Error", "[Expert Info (Warning"):
        assert bad not in detail.stdout, [x for x in detail.stdout.splitlines() if bad in x][:5]
    return detail.stdout


@pytest.mark.peer
def test_tshark_decodes_every_gvsp_packet_and_packet_resend(tmp_path) -> None:
    tshark = require_executable("tshark", "apt install tshark")
    device, host, control = ("127.0.0.2", 20202), ("127.0.0.1", 50000), ("127.0.0.2", 3956)
    datagrams = [(device, host, data) for data in _tshark_packets()]
    datagrams += [(host, control, p.PacketResendCmd(9, 0, 5, 1, 2).encode()),
                  (host, control, p.PacketResendCmd(10, 0, 2**40 + 1, 1, 2,
                                                    extended=True).encode())]
    pcap = tmp_path / "gvsp.pcap"
    assert write_pcap(pcap, datagrams) == len(datagrams)
    out = tshark_check_gvsp(tshark, pcap, len(datagrams), device[1])
    assert "Block ID (64 bits v2.0): 1099511627777" in out
    assert "Payload Type: IMAGE (v2.0 chunks) (0x4001)" in out
    assert "Chunk Layout ID: 0x00000001" in out
    assert "PACKETRESEND_CMD" in out
