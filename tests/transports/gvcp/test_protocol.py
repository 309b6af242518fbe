"""The sans-IO codec: seed vectors byte for byte, round trips, typed errors."""

from __future__ import annotations

import re
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nodemap.errors import DeviceError
from nodemap.transports.codec import CodecError
from nodemap.transports.gvcp.errors import status_error
from tests.peers import SHARED, missing
from nodemap.transports.gvcp import protocol as p

SEEDS = SHARED / "seeds"


def _seed(prefix: str) -> str:
    files = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    if not files:
        missing(f"seed {prefix}_*.txt not found in {SEEDS}")
    return files[0].read_text(encoding="utf-8")


def _hex_lines(text: str) -> list[bytes]:
    out = []
    for line in text.splitlines():
        compact = line.replace(" ", "").strip()
        if len(compact) >= 16 and re.fullmatch(r"[0-9A-Fa-f]+", compact):
            out.append(bytes.fromhex(compact))
    return out


def test_seed_000_every_hex_line_round_trips() -> None:
    lines = _hex_lines(_seed("000"))
    assert len(lines) >= 40
    kinds = set()
    for raw in lines:
        packet = p.decode(raw)
        assert packet.encode() == raw, str(packet)
        kinds.add(type(packet).__name__)
    assert {"DiscoveryCmd", "ReadRegCmd", "WriteRegCmd", "ReadRegAck", "WriteRegAck"} <= kinds


def test_seed_000_annotations_match() -> None:
    text = _seed("000")
    lines = _hex_lines(text)
    first = p.decode(lines[0])
    assert isinstance(first, p.DiscoveryCmd) and first.broadcast_ack and first.req_id == 1
    scps = p.decode(bytes.fromhex("420100820008002600000d04000005dc"))
    assert isinstance(scps, p.WriteRegCmd) and scps.pairs == ((p.Register.SCPS0, 1500),)
    denied = p.decode(bytes.fromhex("800600830004005100000000"))
    assert isinstance(denied, p.WriteRegAck) and denied.status == p.Status.ACCESS_DENIED
    freq = p.decode(bytes.fromhex("00000081000400543B9ACA00"))
    assert isinstance(freq, p.ReadRegAck) and freq.values == (1_000_000_000,)


def _dump_bytes(text: str, title: str) -> bytes:
    """The hex dump following ``title`` in seed 001 (offset, 16 bytes, ascii)."""
    section = text.split(title, 1)[1]
    out = bytearray()
    for line in section.splitlines():
        m = re.match(r"^([0-9a-f]{4}) ((?:[0-9a-fA-FX]{2} ){1,16})", line + " ")
        if m:
            if int(m.group(1), 16) != len(out):
                break
            out += bytes.fromhex(m.group(2).replace("XX", "00"))
        elif out:
            break
    return bytes(out)


def test_seed_001_simulated_discovery_ack_shows_its_dissector_mac() -> None:
    text = _seed("001")
    raw = _dump_bytes(text, "Simulated response")
    assert len(raw) == 8 + p.DISCOVERY_PAYLOAD
    ack = p.decode(raw)
    assert isinstance(ack, p.DiscoveryAck)
    # The seed's own Wireshark decode: "Device MAC Address: 2b:3c:4d:5e:00:00" — its server
    # wrote the MAC at offset 8 instead of 10, so a standard decoder shows it shifted.
    assert ack.info.mac_address == "2b:3c:4d:5e:00:00"
    assert ack.info.ip == "192.168.1.100" and ack.info.mask == "255.255.255.0"
    assert ack.info.gateway == "192.168.1.1"
    assert (ack.info.manufacturer, ack.info.model, ack.info.device_version) == (
        "MyCompany", "GVCPDevice", "v1.0")
    assert ack.info.manufacturer_info == "Manufactured by MyCompany Inc."
    assert (ack.info.serial, ack.info.user_name) == ("SN12345678", "admin")
    assert ack.info.spec_version == 0x01000100 and ack.info.device_mode == 1
    assert ack.info.reserved == 0x001A   # its 00 1a landed in the reserved field
    assert ack.encode() == raw


def test_seed_001_real_discovery_ack() -> None:
    raw = _dump_bytes(_seed("001"), "Real response")
    ack = p.decode(raw)
    assert isinstance(ack, p.DiscoveryAck)
    assert ack.info.manufacturer == "KEYENCE CORPORATION" and ack.info.model == "VS-L500MX"
    assert ack.info.ip == "10.9.2.29" and ack.info.gateway == "10.9.2.254"
    assert ack.info.user_name == "M202OP110_Split" and ack.info.spec_version == 0x00020001


def test_our_encoder_puts_the_mac_at_offset_10() -> None:
    info = p.DeviceInfo(mac=0x001A2B3C4D5E)
    raw = p.DiscoveryAck(1, info).encode()
    assert raw[8 + 8:8 + 16] == bytes.fromhex("0000001a2b3c4d5e")
    assert p.decode(raw).info.mac_address == "00:1a:2b:3c:4d:5e"  # type: ignore[union-attr]


u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
req = st.integers(1, 0xFFFF)
ips = st.integers(0, 0xFFFFFFFF).map(lambda v: str(p.ipaddress.IPv4Address(v)))
text = lambda n: st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=n)  # noqa: E731
events = st.builds(p.EventItem, u16, u16, u16, st.integers(0, 2**64 - 1))
ext_events = st.builds(p.EventItem, u16, u16, st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1))
infos = st.builds(p.DeviceInfo, u32, u32, st.integers(0, 2**48 - 1), u32, u32, ips, ips, ips,
                  text(32), text(32), text(32), text(48), text(16), text(16))

packets = st.one_of(
    st.builds(p.DiscoveryCmd, req, st.booleans()),
    st.builds(p.ForceIpCmd, req, st.integers(0, 2**48 - 1), ips, ips, ips),
    st.builds(p.ReadRegCmd, req, st.lists(u32, min_size=1, max_size=p.MAX_READREG).map(tuple)),
    st.builds(p.WriteRegCmd, req, st.lists(st.tuples(u32, u32), min_size=1,
                                           max_size=p.MAX_WRITEREG).map(tuple)),
    st.builds(p.ReadMemCmd, req, u32, st.integers(0, p.MAX_MEM)),
    st.builds(p.WriteMemCmd, req, u32, st.binary(max_size=p.MAX_MEM)),
    st.builds(p.PacketResendCmd, req, u16, u16, st.integers(0, 0xFFFFFF), st.integers(0, 0xFFFFFF)),
    st.builds(p.EventCmd, req, st.lists(events, min_size=1, max_size=8).map(tuple)),
    st.builds(p.EventDataCmd, req, events, st.binary(max_size=64)),
    st.builds(p.EventCmd, req, st.lists(ext_events, min_size=1, max_size=8).map(tuple),
              extended=st.just(True)),
    st.builds(p.EventDataCmd, req, ext_events, st.binary(max_size=64), extended=st.just(True)),
    st.builds(p.ActionCmd, req, u32, u32, u32, st.none() | st.integers(0, 2**64 - 1)),
    st.builds(p.DiscoveryAck, req, infos),
    st.builds(p.ReadRegAck, req, st.lists(u32, max_size=p.MAX_READREG).map(tuple),
              st.sampled_from(list(p.Status))),
    st.builds(p.WriteRegAck, req, u16, st.sampled_from(list(p.Status))),
    st.builds(p.ReadMemAck, req, u32, st.binary(max_size=p.MAX_MEM)),
    st.builds(p.WriteMemAck, req, u16),
    st.builds(p.PendingAck, req, u16),
    st.builds(p.ForceIpAck, req), st.builds(p.EventAck, req), st.builds(p.EventDataAck, req),
    st.builds(p.ActionAck, req, st.sampled_from(list(p.Status))),
)


@settings(max_examples=400, deadline=None)
@given(packets)
def test_round_trip(packet) -> None:
    raw = packet.encode()
    again = p.decode(raw)
    assert again == packet
    assert again.encode() == raw
    assert str(again)   # the annotated form used in DEBUG logs


@settings(max_examples=300, deadline=None)
@given(packets, st.data())
def test_truncation_is_a_protocol_error(packet, data) -> None:
    raw = packet.encode()
    cut = data.draw(st.integers(0, len(raw) - 1))
    with pytest.raises(p.GvcpCodecError):
        p.decode(raw[:cut])


@st.composite
def _headed(draw: st.DrawFn) -> bytes:
    """Bytes behind a well-formed header (any known code, announced length true or not),
    so most of them get past the header and exercise each packet's own decoder."""
    code = draw(st.sampled_from([int(c) for c in p.Cmd]))
    body = draw(st.binary(max_size=600))
    length = draw(st.just(len(body)) | st.integers(0, 0xFFFF))
    req_id = draw(st.integers(0, 0xFFFF))
    if code & 1:                                  # acks have odd codes
        head = struct.pack(">HHHH", draw(st.integers(0, 0xFFFF)), code, length, req_id)
    else:
        head = struct.pack(">BBHHH", p.KEY, draw(st.integers(0, 0xFF)), code, length, req_id)
    return head + body


@settings(max_examples=1500, deadline=None)
@given(st.binary(max_size=600) | _headed())
def test_arbitrary_bytes_decode_or_raise_protocol_error(raw: bytes) -> None:
    try:
        packet = p.decode(raw)
    except p.GvcpCodecError:
        return
    encoded = packet.encode()
    # Every field survives a re-encode, and the encoding is canonical ...
    assert p.decode(encoded) == packet
    assert p.decode(encoded).encode() == encoded
    # ... with the received header (key/flags or status, code, request id) byte for byte,
    # a length field telling the truth, ...
    assert encoded[:4] == raw[:4] and encoded[6:8] == raw[6:8]
    assert struct.unpack_from(">H", encoded, 4)[0] == len(encoded) - 8
    # ... and a payload made of received bits only: reserved fields and the padding of
    # an error ack without payload come back as zeros, nothing else is invented.
    received = raw[8:].ljust(len(encoded) - 8, b"\0")
    invented = [i for i, (e, r) in enumerate(zip(encoded[8:], received)) if e & ~r]
    assert not invented, (raw.hex(), encoded.hex(), invented)


def test_inconsistent_packets() -> None:
    with pytest.raises(p.GvcpCodecError, match="multiple of 4"):
        p.decode(bytes.fromhex("420100800003000100000a"))
    with pytest.raises(p.GvcpCodecError, match="multiple of 8"):
        p.decode(bytes.fromhex("420100820004000100000a00"))
    with pytest.raises(p.GvcpCodecError, match="truncated"):
        p.decode(bytes.fromhex("420100800008000100000a00"))
    with pytest.raises(p.GvcpCodecError, match="unknown GVCP command"):
        p.decode(bytes.fromhex("42010099000000001"[:16]))
    with pytest.raises(p.GvcpCodecError, match="unknown GVCP ack"):
        p.decode(bytes.fromhex("0000fffe00000001"))
    with pytest.raises(p.GvcpCodecError, match="shorter than"):
        p.decode(b"\x42\x01")
    with pytest.raises(p.GvcpCodecError, match="DISCOVERY_ACK"):
        p.decode(bytes.fromhex("0000000300040001") + b"\0" * 4)


def test_encoder_refuses_illegal_counts() -> None:
    with pytest.raises(ValueError):
        p.ReadRegCmd(1, tuple(range(p.MAX_READREG + 1))).encode()
    with pytest.raises(ValueError):
        p.WriteRegCmd(1, ((0, 0),) * (p.MAX_WRITEREG + 1)).encode()
    with pytest.raises(ValueError):
        p.WriteMemCmd(1, 0, b"\0" * (p.MAX_MEM + 4)).encode()
    assert len(p.ReadRegCmd(1, tuple(range(p.MAX_READREG))).encode()) == 8 + 540
    assert len(p.WriteRegCmd(1, ((0, 0),) * p.MAX_WRITEREG).encode()) == 8 + 536


@pytest.mark.parametrize("status", [s for s in p.Status if s >= 0x8000])
def test_every_status_code_is_a_device_error(status: p.Status) -> None:
    err = status_error(status, "READREG 0x00000A00")
    assert isinstance(err, DeviceError) and err.status == status
    assert f"0x{status:04X}" in str(err) and status.name in str(err) and "0x00000A00" in str(err)


def test_codec_errors_are_the_codecs_own() -> None:
    """The codec imports nothing of the engine: its errors are CodecError/ValueError."""
    with pytest.raises(CodecError, match="shorter than") as err:
        p.decode(b"\x00")
    assert isinstance(err.value, ValueError) and type(err.value) is p.GvcpCodecError
    assert "nodemap.errors" not in type(err.value).__module__
    assert p.status_message(0x8005, "READREG 0x00000002") == (
        "READREG 0x00000002: device answered GEV_STATUS_BAD_ALIGNMENT (0x8005) — addresses and "
        "lengths must be multiples of 4")


def test_unknown_status_still_named() -> None:
    assert "0x8123" in str(status_error(0x8123))


def test_mac_helpers() -> None:
    assert p.parse_mac("00:1A:2b:3c:4d:5e") == 0x001A2B3C4D5E
    assert p.format_mac(0x001A2B3C4D5E) == "00:1a:2b:3c:4d:5e"
    with pytest.raises(ValueError):
        p.parse_mac("00:11")
