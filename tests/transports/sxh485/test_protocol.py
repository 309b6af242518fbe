"""The sans-IO codec: CRC, profiles, strict decoding and the resynchronising parser."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nodemap.transports.sxh485.protocol import Sxh485CodecError
from nodemap.transports.sxh485.protocol import (PROFILES, Direction, Discarded, Frame, FrameParser,
                                        MessageType, Profile, annotate, crc16, decode, encode,
                                        get_profile)

SEED = PROFILES["seed"]
H200 = PROFILES["h200"]
ALL_PROFILES = [SEED, H200,
                Profile(name="variant", header=b"\xAA\x55", length_width=1, length_order="big",
                        crc_order="big", status_position="first_data", reply_offset=1,
                        max_length=255)]


def test_crc_check_value() -> None:
    assert crc16(b"123456789") == 0x31C3
    assert crc16(b"") == 0
    assert crc16(b"\x00") == 0


def test_seed_frame_bytes_exactly() -> None:
    # EB first, then 90; address, type, 2-byte LE length, params, CRC over address..params.
    raw = encode(Frame(1, MessageType.RESOLUTION, b"\x02"))
    assert raw[:2] == b"\xEB\x90"
    assert raw[2:7] == bytes([1, 0x03, 1, 0, 2])
    assert int.from_bytes(raw[7:], "little") == crc16(raw[2:7])


def test_reply_carries_status_before_length() -> None:
    raw = encode(Frame(9, 0x83, b"\x01", status=0x05))
    assert raw[2:8] == bytes([9, 0x83, 0x05, 1, 0, 1])
    assert decode(raw).status == 0x05


def test_h200_profile() -> None:
    raw = encode(Frame(1, H200.code(MessageType.READ_PACKET), b"\x00\x00"), H200)
    assert raw[:2] == b"\x90\xEB"
    assert raw[3] == 0x48 and raw[4:6] == b"\x02\x00"
    assert H200.code(MessageType.CAPTURE) == 0x40
    assert H200.reply_code(MessageType.READ_PACKET) == 0x49
    assert get_profile("H200") is H200
    with pytest.raises(Sxh485CodecError, match="unknown SXH485 profile"):
        get_profile("nope")


frames = st.builds(Frame, address=st.integers(0, 255), type=st.integers(0, 255),
                   data=st.binary(max_size=300),
                   status=st.one_of(st.none(), st.integers(0, 255)))


@given(frame=frames, profile=st.sampled_from(ALL_PROFILES))
def test_round_trip(frame: Frame, profile: Profile) -> None:
    raw = encode(frame, profile)
    assert decode(raw, profile, frame.direction) == frame


@given(frame=frames, cut=st.integers(1, 400))
def test_truncated_frames_raise(frame: Frame, cut: int) -> None:
    raw = encode(frame)
    if cut >= len(raw):
        return
    with pytest.raises(Sxh485CodecError):
        decode(raw[:cut], SEED, frame.direction)


@given(frame=frames, position=st.integers(0, 400), flip=st.integers(1, 255))
def test_any_damage_is_detected_or_changes_nothing(frame: Frame, position: int, flip: int) -> None:
    raw = bytearray(encode(frame))
    raw[position % len(raw)] ^= flip
    try:
        decoded = decode(bytes(raw), SEED, frame.direction)
    except Sxh485CodecError:
        return
    # Only damage the CRC cannot see: none for a single damaged byte (CRC-16 catches every
    # burst of up to 16 bits), so decoding must have failed.
    pytest.fail(f"damaged frame decoded as {decoded}")


def test_trailing_bytes_raise() -> None:
    with pytest.raises(Sxh485CodecError, match="trailing"):
        decode(encode(Frame(1, 2, b"")) + b"\x00", SEED, Direction.REQUEST)


@settings(max_examples=150)
@given(items=st.lists(st.tuples(st.binary(max_size=12), frames.filter(lambda f: f.status is not None)),
                      max_size=6),
       tail=st.binary(max_size=12), chunk=st.integers(1, 64),
       profile=st.sampled_from(ALL_PROFILES))
def test_parser_finds_frames_in_noise(items: list[tuple[bytes, Frame]], tail: bytes,
                                      chunk: int, profile: Profile) -> None:
    """Frames separated by arbitrary noise come out in order, whatever the chunking.

    Noise may itself contain something that looks like a frame (then an extra frame
    or a discard may appear), so we check the real frames form a subsequence.
    """
    stream = b"".join(noise + encode(frame, profile) for noise, frame in items) + tail
    parser = FrameParser(profile, Direction.REPLY)
    events = []
    for start in range(0, len(stream), chunk):
        events += parser.feed(stream[start:start + chunk])
    found = iter([e for e in events if isinstance(e, Frame)])
    for _, frame in items:
        assert any(candidate == frame for candidate in found), f"lost {frame}"


def test_parser_discards_bad_crc_and_resynchronises() -> None:
    good = encode(Frame(1, 0x83, b"\x02", 0))
    bad = bytearray(good)
    bad[-1] ^= 0xFF
    events = FrameParser().feed(bytes(bad) + b"\x13\x37" + good)
    assert isinstance(events[0], Discarded) and events[0].reason == "crc"
    assert events[0].address == 1 and events[0].type == 0x83
    assert events[1:] == [Frame(1, 0x83, b"\x02", 0)]


def test_parser_is_not_stalled_by_a_bogus_length() -> None:
    # A stray header announcing 4000 bytes must not hide the real frame that follows.
    good = encode(Frame(2, 0xB2, b"\x00\x00abc", 1))
    events = FrameParser().feed(b"\xEB\x90\x02\xB2\x00\xA0\x0F" + good)
    assert events == [Frame(2, 0xB2, b"\x00\x00abc", 1)]


def test_parser_impossible_length_is_discarded() -> None:
    profile = Profile(name="tiny", max_length=16)
    events = FrameParser(profile).feed(b"\xEB\x90\x01\x83\x00\xFF\x00" + b"x" * 8)
    assert events and isinstance(events[0], Discarded) and events[0].reason == "length"


def test_frame_validation_and_annotation() -> None:
    with pytest.raises(Sxh485CodecError):
        Frame(256, 1)
    text = annotate(Frame(255, 0x03, b"\x01"))
    assert "broadcast" in text and "RESOLUTION" in text
    assert "error" in annotate(Frame(1, 0x83, b"", 0x83))


def test_oversized_frame_refused() -> None:
    with pytest.raises(Sxh485CodecError, match="PacketSize"):
        encode(Frame(1, 0x32, bytes(70000)))
