"""The sans-IO VISCA codec: seed vectors, every reply kind, stream resynchronisation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from nodemap.transports.fcb import protocol as p

H = bytes.fromhex


# ---------------------------------------------------------------- encoders (seed 002, DESIGN §5)
def test_command_and_inquiry_vectors() -> None:
    assert p.encode_command(1, 0x04, 0x47, p.to_nibbles(0x1234, 4)) == H("81 01 04 47 01 02 03 04 FF")
    assert p.encode_command(1, 0x04, 0x4C, p.to_nibbles(5, 4)) == H("81 01 04 4C 00 00 00 05 FF")
    assert p.encode_inquiry(1, 0x04, 0x47) == H("81 09 04 47 FF")
    assert p.encode_command(3, 0x04, 0x00, b"\x02") == H("83 01 04 00 02 FF")
    assert p.encode_command(1, 0x04, 0x38, b"\x03") == H("81 01 04 38 03 FF")


def test_management_packets() -> None:
    assert p.encode_cancel(1, 2) == H("81 22 FF")
    assert p.encode_address_set() == H("88 30 01 FF")
    assert p.encode_if_clear() == H("88 01 00 01 FF")
    assert p.encode_if_clear(2) == H("82 01 00 01 FF")
    assert p.encode_command(8, 0x04, 0x00, b"\x03") == H("88 01 04 00 03 FF")


def test_encoder_limits() -> None:
    with pytest.raises(ValueError, match="16"):
        p.encode_command(1, 0x04, 0x47, bytes(12))
    with pytest.raises(ValueError, match="address"):
        p.encode_inquiry(8, 0x04, 0x47)
    with pytest.raises(ValueError, match="address"):
        p.encode_command(0, 0x04, 0x47)
    with pytest.raises(ValueError, match="terminator"):
        p.encode_command(1, 0x04, 0x47, b"\xff")
    with pytest.raises(ValueError, match="nibbles"):
        p.to_nibbles(0x10000, 4)
    with pytest.raises(p.ViscaCodecError, match="nibble"):
        p.from_nibbles(H("01 12"))


@given(st.integers(1, 8).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, 16 ** n - 1))))
def test_nibbles_round_trip(case: tuple[int, int]) -> None:
    count, value = case
    data = p.to_nibbles(value, count)
    assert len(data) == count and all(b <= 0x0F for b in data)
    assert p.from_nibbles(data) == value


# ---------------------------------------------------------------- replies (seed 002)
@pytest.mark.parametrize("raw, expected", [
    ("90 41 FF", p.Ack(1, 1)),
    ("A0 42 FF", p.Ack(2, 2)),
    ("90 51 FF", p.Completion(1, 1)),
    ("90 50 FF", p.Completion(1, 0)),
    ("90 50 01 02 03 04 FF", p.Completion(1, 0, H("01 02 03 04"))),
    ("90 38 FF", p.NetworkChange(1)),
    ("F0 38 FF", p.NetworkChange(7)),
    ("88 30 03 FF", p.AddressSetReply(3)),
    ("88 01 00 01 FF", p.IfClearReply()),
])
def test_reply_vectors(raw: str, expected: p.Reply) -> None:
    assert p.parse_reply(H(raw)) == expected


@pytest.mark.parametrize("code", [0x01, 0x02, 0x03, 0x04, 0x05, 0x41])
@pytest.mark.parametrize("socket", [0, 1, 2])
def test_every_error_code(code: int, socket: int) -> None:
    reply = p.parse_reply(bytes((0x90, 0x60 | socket, code, 0xFF)))
    assert reply == p.ErrorReply(1, socket, code)
    assert p.ErrorCode(code).text in reply.text
    assert p.encode_error(1, socket, code) == bytes((0x90, 0x60 | socket, code, 0xFF))


@pytest.mark.parametrize("raw", [
    "90 FF", "90 41", "90 41 00 FF", "90 61 FF", "90 61 41 00 FF", "80 41 FF", "91 41 FF",
    "90 51 01 FF", "88 30 FF", "88 02 FF", "90 77 FF", "90 50 " + "00 " * 14 + "FF",
    "90 41 FF FF",
])
def test_malformed_replies_raise(raw: str) -> None:
    with pytest.raises(p.ViscaCodecError):
        p.parse_reply(H(raw))


def test_error_code_description_of_unknown_code() -> None:
    assert "unknown" in p.ErrorCode.describe(0x77)


# ---------------------------------------------------------------- stream parser
_replies = st.one_of(
    st.builds(p.Ack, st.integers(1, 7), st.integers(0, 15)),
    st.builds(p.Completion, st.integers(1, 7), st.integers(1, 15)),
    st.builds(p.Completion, st.integers(1, 7), st.just(0),
              st.binary(min_size=1, max_size=13).map(lambda b: bytes(x & 0x7F for x in b))),
    st.builds(p.ErrorReply, st.integers(1, 7), st.integers(0, 15),
              st.sampled_from([1, 2, 3, 4, 5, 0x41])),
    st.builds(p.NetworkChange, st.integers(1, 7)),
    st.builds(p.AddressSetReply, st.integers(1, 8)),
    st.just(p.IfClearReply()),
)


def encode_reply(reply: p.Reply) -> bytes:
    if isinstance(reply, p.Ack):
        return p.encode_ack(reply.camera, reply.socket)
    if isinstance(reply, p.Completion):
        return p.encode_completion(reply.camera, reply.socket, reply.data)
    if isinstance(reply, p.ErrorReply):
        return p.encode_error(reply.camera, reply.socket, reply.code)
    if isinstance(reply, p.NetworkChange):
        return p.encode_network_change(reply.camera)
    if isinstance(reply, p.AddressSetReply):
        return p.encode_address_set_reply(reply.next_address)
    return p.encode_if_clear_reply()


# Line noise: 7-bit bytes and stray terminators (never a reply header).
_noise = st.binary(max_size=6).map(lambda b: bytes(x & 0x7F if x != 0xFF else 0xFF for x in b))


@given(st.lists(st.tuples(_noise, _replies), max_size=12), st.data())
@settings(max_examples=120)
def test_stream_resynchronises_after_noise(items: list, data: st.DataObject) -> None:
    stream = b"".join(noise + encode_reply(reply) for noise, reply in items)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=5)))
    parser = p.ReplyParser()
    out: list = []
    last = 0
    for cut in cuts + [len(stream)]:
        out += parser.feed(stream[last:cut])
        last = cut
    assert [r for r in out if not isinstance(r, p.Garbage)] == [reply for _, reply in items]
    assert parser.pending == b""


@given(st.binary(max_size=300))
@settings(max_examples=120)
def test_parser_never_raises_on_arbitrary_bytes(data: bytes) -> None:
    parser = p.ReplyParser()
    items = parser.feed(data)
    for item in items:
        assert isinstance(item, (p.Garbage, p.Ack, p.Completion, p.ErrorReply, p.NetworkChange,
                                 p.AddressSetReply, p.IfClearReply))
    assert len(parser.pending) <= 256


def test_garbage_is_reported_not_hidden() -> None:
    items = p.ReplyParser().feed(H("12 34 FF 56 90 41 FF"))
    assert isinstance(items[0], p.Garbage) and items[0].data == H("12 34 FF")
    assert isinstance(items[1], p.Garbage) and items[1].data == H("56")
    assert items[2] == p.Ack(1, 1)
    assert p.describe(items[2]) == "ACK camera 1 socket 1"


def test_unterminated_flood_is_bounded() -> None:
    parser = p.ReplyParser()
    items = parser.feed(b"\x01" * 1000)
    assert items and all(isinstance(item, p.Garbage) for item in items)
    assert sum(len(item.data) for item in items) == 1000 and parser.pending == b""
    assert parser.feed(H("90 41 FF")) == [p.Ack(1, 1)] and parser.pending == b""
    # fed in pieces, the unterminated bytes kept never grow past a bound
    garbage = 0
    for _ in range(40):
        garbage += sum(len(item.data) for item in parser.feed(b"\x02" * 100))
        assert len(parser.pending) <= 256
    assert garbage + len(parser.pending) == 4000
    assert parser.feed(H("FF 90 41 FF"))[-1] == p.Ack(1, 1)


# ---------------------------------------------------------------- requests (the camera side)
_requests = st.one_of(
    st.builds(p.CommandRequest, st.integers(1, 8), st.integers(0, 0x7F), st.integers(0, 0x7F),
              st.binary(max_size=10).map(lambda b: bytes(x & 0x7F for x in b))),
    st.builds(p.InquiryRequest, st.integers(1, 7), st.integers(0, 0x7F), st.integers(0, 0x7F),
              st.binary(max_size=10).map(lambda b: bytes(x & 0x7F for x in b))),
    st.builds(p.CancelRequest, st.integers(1, 7), st.integers(0, 15)),
    st.builds(p.AddressSetRequest, st.integers(1, 7)),
    st.builds(p.IfClearRequest, st.integers(1, 8)),
)


@given(st.lists(st.tuples(_noise, _requests), max_size=10))
def test_request_stream_round_trip(items: list) -> None:
    wanted = [r for _, r in items
              # 8X 01 00 01 is IF_Clear whatever the object that encoded it
              if not (isinstance(r, p.CommandRequest) and (r.category, r.command, r.payload)
                      == (0x00, 0x01, b""))]
    stream = b"".join(noise + r.encode() for noise, r in items
                      if not (isinstance(r, p.CommandRequest) and (r.category, r.command, r.payload)
                              == (0x00, 0x01, b"")))
    got = [r for r in p.RequestParser().feed(stream) if not isinstance(r, p.Garbage)]
    assert got == wanted
    for request in got:
        assert p.parse_request(request.encode()) == request
        assert p.describe(request)


@pytest.mark.parametrize("raw", ["81 FF", "81 01 FF", "80 01 04 47 FF", "81 03 04 FF",
                                 "88 09 04 47 FF", "81 01 04 " + "00 " * 14 + "FF"])
def test_malformed_requests_raise(raw: str) -> None:
    with pytest.raises(p.ViscaCodecError):
        p.parse_request(H(raw))
