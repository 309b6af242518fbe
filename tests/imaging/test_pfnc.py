"""PFNC unpacking checked against independent bit-level references written here in plain
Python loops (no numpy in the references), with hypothesis over sizes and bytes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nodemap.errors import ProtocolError, RangeError, UnsupportedError
from nodemap.imaging import pfnc

SIZES = st.tuples(st.integers(1, 19), st.integers(1, 7), st.integers(0, 3))


def _bytes_for(draw, n: int) -> bytes:
    return draw(st.binary(min_size=n, max_size=n))


# ----------------------------------------------------------------- references

def ref_samples(payload: bytes, width: int, height: int, size: int, channels: int,
                signed: bool, padding: int) -> list:
    """Little-endian ``size``-byte samples, ``channels`` per pixel, padding after lines."""
    line = width * channels * size + padding
    rows = []
    for y in range(height):
        row = []
        for x in range(width):
            px = []
            for c in range(channels):
                at = y * line + (x * channels + c) * size
                v = 0
                for k in range(size):
                    v |= payload[at + k] << (8 * k)
                if signed and v >= 1 << (8 * size - 1):
                    v -= 1 << (8 * size)
                px.append(v)
            row.append(px[0] if channels == 1 else px)
        rows.append(row)
    return rows


def ref_lsb_bits(payload: bytes, width: int, height: int, bits: int, padding: int) -> list:
    """PFNC 'p': pixel i occupies stream bits i*bits .. i*bits+bits-1, bit 0 of byte 0 first."""
    def bit(stream: bytes, pos: int) -> int:
        return (stream[pos // 8] >> (pos % 8)) & 1

    if padding:
        line = (width * bits + 7) // 8 + padding
        return [[sum(bit(payload[y * line:], x * bits + k) << k for k in range(bits))
                 for x in range(width)] for y in range(height)]
    return [[sum(bit(payload, (y * width + x) * bits + k) << k for k in range(bits))
             for x in range(width)] for y in range(height)]


def ref_gev_packed(payload: bytes, width: int, height: int, bits: int) -> list:
    """GigE Vision Mono10Packed/Mono12Packed, from the layout tables:
    B0 = P0 high bits, B2 = P1 high bits, B1 = P0 low bits in its low nibble (bits 1..0 or
    3..0) and P1 low bits from bit 4."""
    low = bits - 8
    out = []
    for i in range(width * height):
        b0, b1, b2 = payload[3 * (i // 2): 3 * (i // 2) + 3].ljust(3, b"\0")
        if i % 2 == 0:
            v = (b0 << low) | (b1 & ((1 << low) - 1))
        else:
            v = (b2 << low) | ((b1 >> 4) & ((1 << low) - 1))
        out.append(v)
    return [out[y * width:(y + 1) * width] for y in range(height)]


def pack_lsb(values: list[int], bits: int) -> bytes:
    acc, n, out = 0, 0, bytearray()
    for v in values:
        acc |= v << n
        n += bits
        while n >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            n -= 8
    if n:
        out.append(acc & 0xFF)
    return bytes(out)


def pack_mono12packed(values: list[int]) -> bytes:
    out = bytearray()
    for i in range(0, len(values), 2):
        p0 = values[i]
        p1 = values[i + 1] if i + 1 < len(values) else 0
        out += bytes([p0 >> 4, (p0 & 0xF) | ((p1 & 0xF) << 4), p1 >> 4])
    return bytes(out)


# ----------------------------------------------------------------- byte-aligned views

ALIGNED = [("Mono8", 1, 1, False), ("Mono8s", 1, 1, True), ("Mono10", 2, 1, False),
           ("Mono12", 2, 1, False), ("Mono14", 2, 1, False), ("Mono16", 2, 1, False),
           ("BayerGR8", 1, 1, False), ("BayerRG10", 2, 1, False), ("BayerGB12", 2, 1, False),
           ("BayerBG16", 2, 1, False), ("RGB8", 1, 3, False), ("BGR8", 1, 3, False),
           ("RGBa8", 1, 4, False), ("RGB16", 2, 3, False), ("Mono32", 4, 1, False)]


@pytest.mark.parametrize("name,size,channels,signed", ALIGNED)
@settings(max_examples=25, deadline=None)
@given(data=st.data(), dims=SIZES)
def test_aligned_formats_match_reference_and_are_views(name, size, channels, signed, data,
                                                       dims):
    width, height, padding = dims
    payload = bytearray(_bytes_for(data.draw, (width * channels * size + padding) * height))
    arr = pfnc.unpack(payload, name, width, height, padding)
    expected_shape = (height, width) if channels == 1 else (height, width, channels)
    assert arr.shape == expected_shape
    assert arr.tolist() == ref_samples(bytes(payload), width, height, size, channels, signed,
                                       padding)
    assert np.shares_memory(arr, np.frombuffer(payload, dtype=np.uint8))


def test_mono16_is_little_endian_and_writes_through():
    payload = bytearray(b"\x34\x12\xff\x00")
    arr = pfnc.unpack(payload, "Mono16", 2, 1)
    assert arr.tolist() == [[0x1234, 0x00FF]]
    payload[0] = 0x35                   # a view: the array sees the buffer change
    assert arr[0, 0] == 0x1235


# ----------------------------------------------------------------- packed formats

@pytest.mark.parametrize("name,bits", [("Mono10p", 10), ("Mono12p", 12), ("BayerRG12p", 12),
                                       ("BayerBG10p", 10), ("Mono14p", 14), ("Mono4p", 4),
                                       ("Mono2p", 2), ("Mono1p", 1)])
@settings(max_examples=30, deadline=None)
@given(data=st.data(), dims=SIZES)
def test_pfnc_p_formats_match_bit_reference(name, bits, data, dims):
    width, height, padding = dims
    n = ((width * bits + 7) // 8 + padding) * height if padding else \
        (width * height * bits + 7) // 8
    payload = _bytes_for(data.draw, n)
    arr = pfnc.unpack(payload, name, width, height, padding)
    assert arr.shape == (height, width)
    assert arr.tolist() == ref_lsb_bits(payload, width, height, bits, padding)


@pytest.mark.parametrize("bits", [10, 12])
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_p_round_trip_of_pixel_values(bits, data):
    width = data.draw(st.integers(1, 33))
    height = data.draw(st.integers(1, 5))
    values = data.draw(st.lists(st.integers(0, (1 << bits) - 1), min_size=width * height,
                                max_size=width * height))
    arr = pfnc.unpack(pack_lsb(values, bits), f"Mono{bits}p", width, height)
    assert arr.ravel().tolist() == values


def test_mono12p_known_bytes():
    # PFNC: byte 0 = low 8 bits of P0; byte 1 = P0 bits 11..8 (low nibble) + P1 bits 3..0;
    # byte 2 = P1 bits 11..4.
    arr = pfnc.unpack(bytes([0x21, 0x43, 0x65]), "Mono12p", 2, 1)
    assert arr.tolist() == [[0x321, 0x654]]


@pytest.mark.parametrize("name,bits", [("Mono12Packed", 12), ("Mono10Packed", 10),
                                       ("BayerGR12Packed", 12), ("BayerRG10Packed", 10)])
@settings(max_examples=30, deadline=None)
@given(data=st.data(), dims=SIZES)
def test_gige_packed_formats_match_reference(name, bits, data, dims):
    width, height, _ = dims
    payload = _bytes_for(data.draw, (width * height * 12 + 7) // 8)
    arr = pfnc.unpack(payload, name, width, height)
    assert arr.tolist() == ref_gev_packed(payload, width, height, bits)


def test_mono12packed_differs_from_mono12p():
    values = [0xABC, 0x123]
    packed = pack_mono12packed(values)
    assert packed == bytes([0xAB, 0x3C, 0x12])
    assert pfnc.unpack(packed, "Mono12Packed", 2, 1).tolist() == [values]
    assert pfnc.unpack(packed, "Mono12p", 2, 1).tolist() != [values]


def test_mono10packed_known_bytes():
    # P0 = 0x2A7 (10 bits): B0 = 0xA9 (bits 9..2), B1 bits 1..0 = 0b11;
    # P1 = 0x155: B2 = 0x55, B1 bits 5..4 = 0b01.
    arr = pfnc.unpack(bytes([0xA9, 0x13, 0x55]), "Mono10Packed", 2, 1)
    assert arr.tolist() == [[0x2A7, 0x155]]


# ----------------------------------------------------------------- 4:2:2 and colour

@pytest.mark.parametrize("name,luma_first", [("YUV422_8", True), ("YCbCr422_8", True),
                                             ("YUV422_8_UYVY", False),
                                             ("YCbCr422_8_CbYCrY", False)])
def test_422_raw_layout(name, luma_first):
    raw = bytes([10, 20, 30, 40, 50, 60, 70, 80])    # 4 pixels
    arr = pfnc.unpack(bytearray(raw), name, 4, 1)
    assert arr.shape == (1, 4, 2)
    assert arr[0].tolist() == [[10, 20], [30, 40], [50, 60], [70, 80]]
    luma = arr[..., 0 if luma_first else 1]
    assert luma.tolist() == ([[10, 30, 50, 70]] if luma_first else [[20, 40, 60, 80]])


def ref_yuv_to_rgb(y: int, u: int, v: int) -> list[int]:
    u -= 128
    v -= 128
    rgb = [y + 1.402 * v, y - 0.344136 * u - 0.714136 * v, y + 1.772 * u]
    return [min(255, max(0, int(round(c)))) for c in rgb]


@settings(max_examples=30, deadline=None)
@given(data=st.data(), width=st.integers(1, 9))
def test_yuv422_to_rgb_matches_reference(data, width):
    raw = _bytes_for(data.draw, 2 * width)
    arr = pfnc.unpack(raw, "YUV422_8", width, 1)
    rgb = pfnc.to_rgb(arr, "YUV422_8")
    expected = []
    for x in range(width):
        y = raw[2 * x]
        u = raw[2 * (x - x % 2) + 1]
        v_index = 2 * (x - x % 2) + 3
        v = raw[v_index] if v_index < len(raw) else raw[2 * (x - x % 2) - 1] if x >= 2 else 128
        expected.append(ref_yuv_to_rgb(y, u, v))
    # numpy rounds half to even, the reference half away from zero: allow 1 step
    assert np.abs(rgb[0].astype(int) - np.array(expected)).max() <= 1


def test_bgr_and_rgba_to_rgb():
    bgr = pfnc.unpack(bytes([1, 2, 3]), "BGR8", 1, 1)
    assert pfnc.to_rgb(bgr, "BGR8").tolist() == [[[3, 2, 1]]]
    rgba = pfnc.unpack(bytes([1, 2, 3, 4]), "RGBa8", 1, 1)
    assert pfnc.to_rgb(rgba, "RGBa8").tolist() == [[[1, 2, 3]]]


@pytest.mark.parametrize("pattern", ["RG", "GR", "GB", "BG"])
def test_demosaic_keeps_known_samples_and_flat_colours(pattern):
    r, g, b = 200, 120, 40
    tiles = {"RG": [[r, g], [g, b]], "GR": [[g, r], [b, g]], "GB": [[g, b], [r, g]],
             "BG": [[b, g], [g, r]]}[pattern]
    h, w = 6, 8
    mosaic = np.array([[tiles[y % 2][x % 2] for x in range(w)] for y in range(h)], np.uint8)
    rgb = pfnc.demosaic(mosaic, pattern)
    assert rgb.shape == (h, w, 3)
    assert (rgb == np.array([r, g, b], np.uint8)).all()


def test_demosaic_interpolates_missing_green():
    mosaic = np.zeros((4, 4), np.uint16)
    mosaic[0, 1], mosaic[1, 0], mosaic[1, 2], mosaic[2, 1] = 10, 20, 30, 40   # greens (RG)
    rgb = pfnc.demosaic(mosaic, "BayerRG16")
    assert rgb[1, 1, 1] == 25          # B site at (1,1): mean of its 4 green neighbours
    assert rgb[0, 1, 1] == 10          # a green site keeps its own sample


# ----------------------------------------------------------------- names and errors

def test_names_and_codes():
    assert pfnc.code_of("Mono8") == 0x01080001
    assert pfnc.code_of("mono12p") == 0x010C0047
    assert pfnc.code_of("RGB8Packed") == 0x02180014
    assert pfnc.name_of(0x010C0006) == "Mono12Packed"
    assert pfnc.name_of(0x0108FFFF) == "0x0108FFFF"
    assert pfnc.bits_per_pixel("Mono10p") == 10
    assert pfnc.bits_per_pixel("RGBa8") == 32
    assert pfnc.bayer_pattern("BayerGB12p") == "GB"
    for name, code in pfnc.PIXEL_FORMATS.items():
        assert pfnc.name_of(code) == name
    with pytest.raises(RangeError, match="unknown pixel format 'Mono9'"):
        pfnc.code_of("Mono9")


def test_unknown_format_names_code_and_payload():
    with pytest.raises(UnsupportedError, match=r"0x0108FFFF.*frame\.payload"):
        pfnc.unpack(b"\0" * 4, 0x0108FFFF, 2, 2)
    with pytest.raises(UnsupportedError, match=r"RGB8_Planar \(code 0x02180021\).*payload"):
        pfnc.unpack(b"\0" * 12, "RGB8_Planar", 2, 2)


def test_truncated_payload_is_a_protocol_error():
    with pytest.raises(ProtocolError, match="needs 6 bytes, the payload has 5"):
        pfnc.unpack(b"\0" * 5, "Mono8", 3, 2)
