"""The simulated camera's test image: Aravis's diagonal ramp, in every pixel format it offers.

Pure computation (no I/O).  With ``t = x + y + frame_id`` (x, y in image coordinates,
0-based, offsets not added; ``frame_id`` = the GVSP block id) and the Mono8 ramp
``v = t % 255`` — exactly Aravis's fake camera at its default gain and exposure — each
pixel is:

=====================================  ===============================================
Mono8, Mono8s, Bayer**8                ``v``
Mono10/12/14, Bayer**10/12             ``v << (bits - 8)`` in a little-endian 16-bit word
Mono16, Bayer**16                      ``(256 * t) % 65535`` little-endian (Aravis's Mono16)
Mono10p, Mono12p                       ``v << (bits - 8)``, PFNC LSB-first bit packing
                                       (4 pixels in 5 bytes / 2 pixels in 3 bytes)
Mono10Packed, Mono12Packed             ``v << (bits - 8)``, GigE Vision packing: 2 pixels in
                                       3 bytes, byte 0 = p0's high bits, byte 1 = low bits of
                                       p0 (bits 0-3) and p1 (bits 4-7), byte 2 = p1's high bits
RGB8 / BGR8 / RGBa8 / BGRa8            R = ``v``, G = ``(v + 85) % 255``, B = ``(v + 170) % 255``,
                                       alpha 255, in the format's byte order
YCbCr422_8, YUV422_8                   Y = ``v``, chroma 128: bytes ``Y0 128 Y1 128 ...``
YUV422_8_UYVY                          bytes ``128 Y0 128 Y1 ...``
=====================================  ===============================================

Bayer formats carry a grey scene (every photosite ``v``), so a mosaic reads like Mono.
:class:`RampGenerator` builds a frame from at most 255 (65535 for Mono16) cached rows, so
a 1280x960 frame costs a join of slices, not a million Python operations;
:func:`ramp_pixel` and :func:`pack_values` are the plain per-pixel definition the tests
hold the fast path to.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import attrs

__all__ = ["PixelLayout", "LAYOUTS", "layout", "ramp_pixel", "pack_values", "frame_size",
           "RampGenerator", "UnsupportedPixelFormat"]


class UnsupportedPixelFormat(ValueError):
    """The generator has no layout for this PFNC code."""


def _le16(values: Sequence[int]) -> bytes:
    out = bytearray()
    for v in values:
        out += bytes((v & 0xFF, v >> 8))
    return bytes(out)


def _bytes(values: Sequence[int]) -> bytes:
    return bytes(values)


def _triplets(values: Sequence[tuple[int, ...]]) -> bytes:
    return bytes(b for v in values for b in v)


def _pack_p(bits: int, per: int) -> Callable[[Sequence[int]], bytes]:
    """PFNC 'p' packing: pixels' bits concatenated LSB first, little-endian bytes."""
    nbytes = bits * per // 8

    def pack(values: Sequence[int]) -> bytes:
        out = bytearray()
        for i in range(0, len(values), per):
            acc = 0
            for k, v in enumerate(values[i:i + per]):
                acc |= v << (bits * k)
            out += acc.to_bytes(nbytes, "little")
        return bytes(out)

    return pack


def _pack_gev(bits: int) -> Callable[[Sequence[int]], bytes]:
    """GigE Vision Mono10Packed/Mono12Packed: 2 pixels in 3 bytes."""
    low = bits - 8
    mask = (1 << low) - 1

    def pack(values: Sequence[int]) -> bytes:
        out = bytearray()
        for i in range(0, len(values), 2):
            p0 = values[i]
            p1 = values[i + 1] if i + 1 < len(values) else 0
            out += bytes((p0 >> low, (p0 & mask) | ((p1 & mask) << 4), p1 >> low))
        return bytes(out)

    return pack


def _mono(shift: int) -> Callable[[int], int]:
    return lambda t: (t % 255) << shift


def _mono16(t: int) -> int:
    return (256 * t) % 65535


def _rgb(t: int) -> tuple[int, int, int]:
    v = t % 255
    return v, (v + 85) % 255, (v + 170) % 255


@attrs.frozen(slots=True)
class PixelLayout:
    """How one PFNC format stores the ramp: value of ``t``, packing of ``group`` pixels."""

    name: str
    code: int
    bits: int                                     # bits per pixel on the wire
    group: int                                    # pixels per packing group
    value: Callable[[int], object]                # t -> pixel value (int or channel tuple)
    pack: Callable[[Sequence[Any]], bytes]           # values -> bytes (len multiple of group)
    period: int = 255                             # value(t) == value(t + period)

    @property
    def group_bytes(self) -> int:
        return self.bits * self.group // 8


def _layouts() -> dict[int, PixelLayout]:
    table: list[PixelLayout] = [
        PixelLayout("Mono8", 0x01080001, 8, 1, _mono(0), _bytes),
        PixelLayout("Mono8s", 0x01080002, 8, 1, _mono(0), _bytes),
        PixelLayout("Mono10", 0x01100003, 16, 1, _mono(2), _le16),
        PixelLayout("Mono12", 0x01100005, 16, 1, _mono(4), _le16),
        PixelLayout("Mono14", 0x01100025, 16, 1, _mono(6), _le16),
        PixelLayout("Mono16", 0x01100007, 16, 1, _mono16, _le16, 65535),
        PixelLayout("Mono10p", 0x010A0046, 10, 4, _mono(2), _pack_p(10, 4)),
        PixelLayout("Mono12p", 0x010C0047, 12, 2, _mono(4), _pack_p(12, 2)),
        PixelLayout("Mono10Packed", 0x010C0004, 12, 2, _mono(2), _pack_gev(10)),
        PixelLayout("Mono12Packed", 0x010C0006, 12, 2, _mono(4), _pack_gev(12)),
        PixelLayout("RGB8", 0x02180014, 24, 1, _rgb, _triplets),
        PixelLayout("BGR8", 0x02180015, 24, 1, lambda t: _rgb(t)[::-1], _triplets),
        PixelLayout("RGBa8", 0x02200016, 32, 1, lambda t: (*_rgb(t), 255), _triplets),
        PixelLayout("BGRa8", 0x02200017, 32, 1, lambda t: (*_rgb(t)[::-1], 255), _triplets),
        PixelLayout("YCbCr422_8", 0x0210003B, 16, 1, lambda t: (t % 255, 128), _triplets),
        PixelLayout("YUV422_8", 0x02100032, 16, 1, lambda t: (t % 255, 128), _triplets),
        PixelLayout("YUV422_8_UYVY", 0x0210001F, 16, 1, lambda t: (128, t % 255), _triplets),
    ]
    for order, offset in (("GR", 0), ("RG", 1), ("GB", 2), ("BG", 3)):
        table.append(PixelLayout(f"Bayer{order}8", 0x01080008 + offset, 8, 1, _mono(0), _bytes))
        table.append(PixelLayout(f"Bayer{order}10", 0x0110000C + offset, 16, 1, _mono(2), _le16))
        table.append(PixelLayout(f"Bayer{order}12", 0x01100010 + offset, 16, 1, _mono(4), _le16))
        table.append(PixelLayout(f"Bayer{order}16", 0x0110002E + offset, 16, 1, _mono16, _le16,
                                 65535))
    return {entry.code: entry for entry in table}


LAYOUTS: dict[int, PixelLayout] = _layouts()


def layout(pixel_format: int) -> PixelLayout:
    try:
        return LAYOUTS[pixel_format]
    except KeyError:
        names = ", ".join(sorted(entry.name for entry in LAYOUTS.values()))
        raise UnsupportedPixelFormat(
            f"the simulated camera cannot draw pixel format 0x{pixel_format:08X}; it draws "
            f"{names}") from None


def frame_size(pixel_format: int, width: int, height: int) -> int:
    """Bytes of a ``width`` x ``height`` frame (packed formats rounded up to whole groups)."""
    lay = layout(pixel_format)
    groups = -(-width * height // lay.group)
    return groups * lay.group_bytes


def ramp_pixel(pixel_format: int, x: int, y: int, frame_id: int) -> object:
    """The definition: the value of pixel (x, y) (an int, or a tuple of channel bytes)."""
    return layout(pixel_format).value(x + y + frame_id)


def pack_values(pixel_format: int, values: Sequence[Any]) -> bytes:
    """Pack pixel values (row-major, continuous across lines) in the format's layout."""
    lay = layout(pixel_format)
    values = list(values)
    if len(values) % lay.group:   # only integer-valued formats pack pixels in groups
        values += [0] * (lay.group - len(values) % lay.group)
    return lay.pack(values)


class RampGenerator:
    """Frames of the ramp for one (pixel format, width); rows are slices of cached bases."""

    def __init__(self, pixel_format: int, width: int) -> None:
        self.layout = layout(pixel_format)
        self.pixel_format = pixel_format
        self.width = width
        lay = self.layout
        self._aligned = width % lay.group == 0
        self._row_bytes = width // lay.group * lay.group_bytes if self._aligned else 0
        self._bases: list[bytes] = []
        if self._aligned:
            count = lay.period + width + lay.group
            for phase in range(lay.group):
                values = [lay.value(t) for t in range(phase, phase + count + lay.group)]
                values = values[:len(values) - len(values) % lay.group]
                self._bases.append(lay.pack(values))

    def row(self, s: int) -> bytes:
        """The bytes of a row whose first pixel has ``t = s`` (s = y + frame_id)."""
        lay = self.layout
        s %= lay.period
        phase = s % lay.group
        start = (s - phase) // lay.group * lay.group_bytes
        return self._bases[phase][start:start + self._row_bytes]

    def frame(self, height: int, frame_id: int) -> bytes:
        if self._aligned:
            row = self.row
            return b"".join([row(y + frame_id) for y in range(height)])
        value = self.layout.value
        return pack_values(self.pixel_format, [value(x + y + frame_id) for y in range(height)
                                               for x in range(self.width)])
