"""Chunk parsing, binding and the frame view (nodemap.chunks), with bad layouts."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nodemap import NodeMap
from nodemap.chunks import (ChunkError, ChunkView, MAX_CHUNKS, parse_generic, parse_gev,
                            parse_trailers, parse_u3v)
from nodemap.errors import AccessError
from nodemap.imaging.frame import Frame

from .xmlsrc import XML, gev_payload, trailer_payload


def _nm() -> NodeMap:
    return NodeMap.from_xml(XML.encode())


def test_parse_reads_from_the_end() -> None:
    payload = gev_payload([(0xA0000001, b"\x01" * 16), (0x1001, struct.pack(">Q", 5))])
    chunks = parse_gev(payload)
    assert [c.chunk_id for c in chunks] == [0x1001, 0xA0000001]
    assert chunks[0].data == struct.pack(">Q", 5) and chunks[1].offset == 0


@given(st.lists(st.tuples(st.integers(0, 2**32 - 1), st.binary(max_size=40)), max_size=12))
def test_parse_round_trip(chunks: list[tuple[int, bytes]]) -> None:
    parsed = parse_gev(gev_payload(chunks))
    assert [(c.chunk_id, c.data) for c in reversed(parsed)] == chunks
    u3v = parse_u3v(trailer_payload(chunks, "u3v"))
    assert [(c.chunk_id, c.offset, c.data) for c in u3v] == \
        [(c.chunk_id, c.offset, c.data) for c in parsed]


def test_u3v_trailers_are_little_endian() -> None:
    payload = b"\x07" * 4 + struct.pack("<II", 0x1003, 4)
    assert parse_u3v(payload)[0].chunk_id == 0x1003
    with pytest.raises(ChunkError, match="not GigE Vision"):
        parse_gev(payload)      # 0x04000000 bytes claimed
    with pytest.raises(ChunkError, match="'cxp' is not one of gev, u3v, generic"):
        parse_trailers(payload, "cxp")
    with pytest.raises(ChunkError, match="'U3V' is not one of"):
        ChunkView(payload, layout="U3V")


def test_frame_chunks_in_the_u3v_layout() -> None:
    """A frame whose transport says its trailers are USB3 Vision's (a GenTL U3V device
    whose producer lists no chunks) reads them little-endian, image trailer first."""
    pixels = b"\x05" * 4
    full = trailer_payload([(0xA0000001, pixels), (0x1001, struct.pack(">Q", 11)),
                            (0x1003, struct.pack("<i", -9))], "u3v")
    frame = Frame(pixels, width=2, height=2, pixel_format="Mono8", chunks=full[len(pixels):],
                  chunk_layout="u3v")
    nm = _nm()
    frame.chunks.bind(nm)
    assert frame.chunks.to_dict() == {"ChunkFrameID": 11, "ChunkGain": -9}
    assert nm.attach_chunks(full, layout="u3v").error is None
    assert nm.features["ChunkGain"].value == -9


def test_overrunning_length_is_a_clear_error() -> None:
    bad = b"\x00" * 4 + struct.pack(">II", 0x1001, 100)
    with pytest.raises(ChunkError, match="claims 100 bytes"):
        parse_gev(bad)
    with pytest.raises(ChunkError, match="too few"):
        parse_gev(b"\x00\x00\x00" + gev_payload([(0x1001, b"")]))


def test_length_that_would_wrap_in_c_is_an_error_not_a_loop() -> None:
    """A length of 0xFFFFFFF8 makes C's ``offset - 8 - length`` land back on the same
    trailer (an endless loop in a 32-bit parser); here it overruns, clearly."""
    looping = b"\x00" * 8 + struct.pack(">II", 0x1001, 0xFFFFFFF8)
    with pytest.raises(ChunkError, match="claims 4294967288 bytes"):
        parse_gev(looping)
    nm = _nm()
    result = nm.attach_chunks(looping)
    assert result.error is not None and result.bound == ()


def test_many_zero_length_chunks_are_bounded() -> None:
    payload = gev_payload([(7, b"")] * (MAX_CHUNKS + 1))
    with pytest.raises(ChunkError, match="more than"):
        parse_gev(payload)


def test_generic_layout_and_its_bounds() -> None:
    data = b"abcdefgh"
    assert [c.data for c in parse_generic(data, [(1, 0, 4), (2, 4, 4)])] == [b"abcd", b"efgh"]
    with pytest.raises(ChunkError, match="runs outside"):
        parse_generic(data, [(1, 6, 4)])


def test_attach_binds_and_missing_chunks_are_na() -> None:
    nm = _nm()
    assert nm.node("ChunkFrameID").access() == "NA"
    result = nm.attach_chunks(gev_payload([(0x1001, struct.pack(">Q", 42)),
                                           (0x1004, struct.pack(">I", 0x80000003))]))
    assert result.error is None and "FrameIDPort" in result.bound
    assert nm.features["ChunkFrameID"].value == 42
    assert nm.features["ChunkLine0"].value == 1
    assert nm.node("ChunkExposureTime").access() == "NA"
    nm.attach_chunks(gev_payload([(0x1001, struct.pack(">Q", 43))]))
    assert nm.features["ChunkFrameID"].value == 43  # not a stale cache
    assert nm.node("ChunkLine0").access() == "NA"
    nm.attach_chunks(None)
    assert nm.node("ChunkFrameID").access() == "NA"


def test_attach_keeps_the_good_chunks_of_a_corrupt_payload() -> None:
    nm = _nm()
    payload = b"\xff" * 3 + gev_payload([(0x1001, struct.pack(">Q", 9))])
    result = nm.attach_chunks(payload)
    assert result.error is not None and "too few" in result.error
    assert nm.features["ChunkFrameID"].value == 9
    assert nm.chunk_errors == 1


def test_short_chunk_is_a_clear_error_on_read() -> None:
    nm = _nm()
    nm.attach_chunks(gev_payload([(0x1001, b"\x00\x01")]))
    with pytest.raises(AccessError, match="holds 2 bytes"):
        nm.features["ChunkFrameID"].value


def test_frame_view_keeps_its_own_values() -> None:
    nm = _nm()
    frames = [Frame(b"\x00" * 4, width=2, height=2, pixel_format="Mono8",
                    chunks=gev_payload([(0x1001, struct.pack(">Q", n))])) for n in (1, 2)]
    with pytest.raises(AccessError, match="bind"):
        frames[0].chunks["ChunkFrameID"]
    for frame in frames:
        frame.chunks.bind(nm)
    assert frames[1].chunks["ChunkFrameID"].value == 2
    assert frames[0].chunks["ChunkFrameID"].value == 1
    assert frames[1].chunks["ChunkFrameID"].value == 2
    assert frames[0].chunks["ChunkGain"].access == "NA"
    assert frames[0].chunks.to_dict() == {"ChunkFrameID": 1}
    assert bytes(frames[0].chunks).endswith(struct.pack(">II", 0x1001, 8))


def test_grab_chunks_line() -> None:
    from nodemap.app.chunks_view import chunk_values, format_chunks

    nm = _nm()
    frame = Frame(b"\x00" * 4, width=2, height=2, pixel_format="Mono8", frame_id=7,
                  chunks=gev_payload([(0x1001, struct.pack(">Q", 7)),
                                      (0x1002, struct.pack(">d", 2.5))]))
    assert chunk_values(frame, nm) == {"ChunkFrameID": 7, "ChunkExposureTime": 2.5}
    assert format_chunks(frame, nm) == "frame 7: ChunkExposureTime=2.5 ChunkFrameID=7"
    bare = Frame(b"\x00" * 4, width=2, height=2, pixel_format="Mono8")
    assert format_chunks(bare, nm) == "frame 0: (no chunk data)"


def test_frame_chunks_open_with_the_image_trailer() -> None:
    # What the GVSP receiver keeps for payload type 0x4001: the bytes after the pixels,
    # i.e. the image chunk's trailer, then the other chunks.
    pixels = b"\x05" * 4
    full = gev_payload([(0xA0000001, pixels), (0x1001, struct.pack(">Q", 11))])
    frame = Frame(pixels, width=2, height=2, pixel_format="Mono8", chunks=full[len(pixels):])
    nm = _nm()
    result = nm.attach_chunks(frame)
    assert result.error is None and nm.features["ChunkFrameID"].value == 11
    frame.chunks.bind(nm)
    assert frame.chunks["ChunkFrameID"].value == 11
    with pytest.raises(ChunkError, match="claims 4 bytes"):
        parse_gev(full[len(pixels):])


def test_frame_chunks_with_descriptors_use_the_generic_layout() -> None:
    """A transport that says where each chunk lies (GenTL's DSGetBufferChunkData) gives
    descriptors; their bytes need no GigE Vision trailer (viky's tags are little-endian)."""
    frame_id, exposure = struct.pack(">Q", 12), struct.pack(">d", 3.5)
    data = b"\xEE" * 3 + frame_id + b"\x00" * 5 + exposure
    descriptors = ((0x1001, 3, 8), (0x1002, 16, 8))
    frame = Frame(b"\x00" * 4, width=2, height=2, pixel_format="Mono8", frame_id=3,
                  chunks=data, chunk_descriptors=descriptors)
    nm = _nm()
    frame.chunks.bind(nm)
    assert frame.chunks.to_dict() == {"ChunkFrameID": 12, "ChunkExposureTime": 3.5}
    assert frame.chunks["ChunkGain"].access == "NA"          # not in this frame
    result = nm.attach_chunks(frame)
    assert result.error is None and set(result.bound) == {"FrameIDPort", "ExposurePort"}
    assert nm.features["ChunkFrameID"].value == 12
    # the same bytes read as GigE Vision trailers are not a valid layout
    assert nm.attach_chunks(Frame(b"\x00" * 4, width=2, height=2, pixel_format="Mono8",
                                  chunks=data)).bound == ()
