"""PFNC pixel formats: names ↔ 32-bit codes, sizes, and payload → numpy unpacking.

The codes are those of the GenICam Pixel Format Naming Convention (PFNC 2.x) plus the
GigE Vision specific ``...Packed`` formats: bits 31–24 say mono (0x01) or colour (0x02),
bits 23–16 the effective bits per pixel, bits 15–0 the format id.

:func:`unpack` turns a payload into an array shaped (H, W) or (H, W, C):

- byte-aligned layouts (Mono8/8s/10/12/14/16, Bayer 8–16, RGB8, BGR8, RGBa8, the 16-bit
  RGB containers, 4:2:2 YUV/YCbCr) are *views* of the payload (``numpy.ndarray`` over the
  same memory, no copy), padding_x bytes skipped by the row stride;
- PFNC ``p`` formats (Mono10p, Mono12p, Bayer…p, Mono1p/2p/4p, Mono14p) are one LSB-first
  bit stream over the whole image (lines are not padded to bytes unless padding_x says so);
- GigE Vision ``Mono10Packed``/``Mono12Packed`` (and the Bayer ones) pack two pixels in three
  bytes with the *high* bits in bytes 0 and 2 and both pixels' low bits in byte 1 —
  a different placement from Mono12p;
- 4:2:2 formats come back raw as (H, W, 2): (luma, chroma) per pixel, chroma alternating
  Cb/U and Cr/V; :func:`to_rgb` converts them (and Bayer mosaics, BGR, RGBa, mono) to RGB.

numpy is imported inside the functions that need it, never at module import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nodemap.errors import ProtocolError, RangeError, UnsupportedError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

__all__ = [
    "PIXEL_FORMATS", "JPEG", "code_of", "name_of", "bits_per_pixel", "bayer_pattern",
    "is_supported", "payload_size", "unpack", "demosaic", "to_rgb",
]

JPEG = "JPEG"   # not a PFNC code: JPEG payloads (GVSP payload type 6, SXH485 snapshots)

# PFNC 2.x names and codes (mono, Bayer, RGB/BGR, YUV/YCbCr, GigE Vision packed).
PIXEL_FORMATS: dict[str, int] = {
    "Mono1p": 0x01010037, "Mono2p": 0x01020038, "Mono4p": 0x01040039,
    "Mono8": 0x01080001, "Mono8s": 0x01080002, "Mono10": 0x01100003, "Mono10p": 0x010A0046,
    "Mono12": 0x01100005, "Mono12p": 0x010C0047, "Mono14": 0x01100025, "Mono14p": 0x010E0104,
    "Mono16": 0x01100007, "Mono32": 0x01200111,
    "Mono10Packed": 0x010C0004, "Mono12Packed": 0x010C0006,
    "BayerGR8": 0x01080008, "BayerRG8": 0x01080009, "BayerGB8": 0x0108000A,
    "BayerBG8": 0x0108000B,
    "BayerGR10": 0x0110000C, "BayerRG10": 0x0110000D, "BayerGB10": 0x0110000E,
    "BayerBG10": 0x0110000F,
    "BayerGR12": 0x01100010, "BayerRG12": 0x01100011, "BayerGB12": 0x01100012,
    "BayerBG12": 0x01100013,
    "BayerGR14": 0x01100109, "BayerRG14": 0x0110010A, "BayerGB14": 0x0110010B,
    "BayerBG14": 0x0110010C,
    "BayerGR16": 0x0110002E, "BayerRG16": 0x0110002F, "BayerGB16": 0x01100030,
    "BayerBG16": 0x01100031,
    "BayerGR10p": 0x010A0056, "BayerRG10p": 0x010A0058, "BayerGB10p": 0x010A0054,
    "BayerBG10p": 0x010A0052,
    "BayerGR12p": 0x010C0057, "BayerRG12p": 0x010C0059, "BayerGB12p": 0x010C0055,
    "BayerBG12p": 0x010C0053,
    "BayerGR10Packed": 0x010C0026, "BayerRG10Packed": 0x010C0027,
    "BayerGB10Packed": 0x010C0028, "BayerBG10Packed": 0x010C0029,
    "BayerGR12Packed": 0x010C002A, "BayerRG12Packed": 0x010C002B,
    "BayerGB12Packed": 0x010C002C, "BayerBG12Packed": 0x010C002D,
    "RGB8": 0x02180014, "BGR8": 0x02180015, "RGBa8": 0x02200016, "BGRa8": 0x02200017,
    "RGB10": 0x02300018, "BGR10": 0x02300019, "RGB12": 0x0230001A, "BGR12": 0x0230001B,
    "RGB14": 0x0230005E, "BGR14": 0x0230004A, "RGB16": 0x02300033, "BGR16": 0x0230004B,
    "RGBa10": 0x0240005F, "RGBa12": 0x02400061, "RGBa14": 0x02400063, "RGBa16": 0x02400064,
    "BGRa10": 0x0240004C, "BGRa12": 0x0240004E, "BGRa14": 0x02400050, "BGRa16": 0x02400051,
    "RGB8_Planar": 0x02180021, "RGB10p32": 0x0220001D, "RGB565p": 0x02100035,
    "BGR565p": 0x02100036, "RGB10V1Packed": 0x0220001C, "RGB12V1Packed": 0x02240034,
    "YUV411_8_UYYVYY": 0x020C001E, "YUV422_8_UYVY": 0x0210001F, "YUV422_8": 0x02100032,
    "YUV8_UYV": 0x02180020,
    "YCbCr8_CbYCr": 0x0218003A, "YCbCr8": 0x0218005B, "YCbCr411_8_CbYYCrYY": 0x020C003C,
    "YCbCr422_8": 0x0210003B, "YCbCr422_8_CbYCrY": 0x02100043,
    "YCbCr601_422_8": 0x0210003E, "YCbCr601_422_8_CbYCrY": 0x02100044,
    "YCbCr709_422_8": 0x02100041, "YCbCr709_422_8_CbYCrY": 0x02100045,
    "YCbCr601_8_CbYCr": 0x0218003D, "YCbCr709_8_CbYCr": 0x02180040,
    "Data8": 0x01080116, "Data8s": 0x01080117, "Data16": 0x01100118, "Data32": 0x0120011A,
    "Confidence8": 0x010800C6, "Confidence16": 0x011000C7,
    "Coord3D_A8": 0x010800AF, "Coord3D_B8": 0x010800B0, "Coord3D_C8": 0x010800B1,
    "Coord3D_A16": 0x011000B6, "Coord3D_B16": 0x011000B7, "Coord3D_C16": 0x011000B8,
    "Coord3D_ABC8": 0x021800B2, "Coord3D_ABC16": 0x023000B9,
}
_NAMES: dict[int, str] = {code: name for name, code in PIXEL_FORMATS.items()}
_LOWER: dict[str, str] = {name.lower(): name for name in PIXEL_FORMATS}
# Names other tools (and older GigE Vision cameras) use for the same codes.
_ALIASES: dict[str, str] = {
    "rgb8packed": "RGB8", "bgr8packed": "BGR8", "rgba8packed": "RGBa8", "bgra8packed": "BGRa8",
    "yuv422packed": "YUV422_8_UYVY", "yuv422_yuyv_packed": "YUV422_8", "yuv444packed": "YUV8_UYV",
    "yuv411packed": "YUV411_8_UYYVYY", "rgb10packed": "RGB10", "rgb12packed": "RGB12",
    "rgb16packed": "RGB16",
}


def _layout(name: str) -> tuple[Any, ...] | None:
    """How the bytes of ``name`` are laid out, or None when :func:`unpack` cannot read it.

    ("int", dtype, channels): whole bytes per sample (a view); ("bits", bits): LSB-first
    bit stream; ("gev", bits): GigE Vision 2-in-3; ("422", luma_first): 4:2:2 raw.
    """
    if name in ("Mono8", "Data8", "Confidence8", "Coord3D_A8", "Coord3D_B8", "Coord3D_C8") \
            or (name.startswith("Bayer") and name.endswith("8")):
        return ("int", "u1", 1)
    if name in ("Mono8s", "Data8s"):
        return ("int", "i1", 1)
    if name in ("Mono10", "Mono12", "Mono14", "Mono16", "Data16", "Confidence16",
                "Coord3D_A16", "Coord3D_B16", "Coord3D_C16") \
            or (name.startswith("Bayer") and name[-2:] in ("10", "12", "14", "16")):
        return ("int", "<u2", 1)
    if name in ("Mono32", "Data32"):
        return ("int", "<u4", 1)
    if name in ("RGB8", "BGR8", "Coord3D_ABC8", "YUV8_UYV", "YCbCr8_CbYCr", "YCbCr8",
                "YCbCr601_8_CbYCr", "YCbCr709_8_CbYCr"):
        return ("int", "u1", 3)
    if name in ("RGBa8", "BGRa8"):
        return ("int", "u1", 4)
    if name[:3] in ("RGB", "BGR") and name[3:] in ("10", "12", "14", "16") \
            or name == "Coord3D_ABC16":
        return ("int", "<u2", 3)
    if name[:4] in ("RGBa", "BGRa") and name[4:] in ("10", "12", "14", "16"):
        return ("int", "<u2", 4)
    if name.endswith("Packed") and (name.startswith("Mono") or name.startswith("Bayer")):
        return ("gev", 10 if "10" in name else 12)   # value bits; storage is 12 bits/pixel
    if name.endswith("p") and (name.startswith("Mono") or name.startswith("Bayer")):
        return ("bits", bits_per_pixel(name))
    if name in ("YUV422_8", "YCbCr422_8", "YCbCr601_422_8", "YCbCr709_422_8"):
        return ("422", True)
    if name in ("YUV422_8_UYVY", "YCbCr422_8_CbYCrY", "YCbCr601_422_8_CbYCrY",
                "YCbCr709_422_8_CbYCrY"):
        return ("422", False)
    return None


def name_of(code: int) -> str:
    """The PFNC name of ``code``, or its hex form ``"0x0108FFFF"`` when unknown."""
    return _NAMES.get(code, f"0x{code & 0xFFFFFFFF:08X}")


def code_of(name: str | int) -> int:
    """The 32-bit code of a PFNC name (case-insensitive; ``"0x..."`` hex accepted)."""
    if isinstance(name, int):
        return name
    canonical = _canonical(name)
    if canonical in PIXEL_FORMATS:
        return PIXEL_FORMATS[canonical]
    if name.lower().startswith("0x"):
        try:
            return int(name, 16)
        except ValueError:
            pass
    raise RangeError(f"unknown pixel format {name!r}; known PFNC names include "
                     f"{', '.join(list(PIXEL_FORMATS)[:12])} …")


def _canonical(name: str | int) -> str:
    if isinstance(name, int):
        return name_of(name)
    if name in PIXEL_FORMATS or name == JPEG:
        return name
    lower = name.lower()
    if lower == "jpeg":
        return JPEG
    if lower in _ALIASES:
        return _ALIASES[lower]
    if lower in _LOWER:
        return _LOWER[lower]
    if lower.startswith("0x"):
        try:
            return name_of(int(name, 16))
        except ValueError:
            pass
    return name


def bits_per_pixel(pixel_format: str | int) -> int:
    """Effective bits per pixel (PFNC code bits 23–16), e.g. 12 for Mono12p, 24 for RGB8."""
    name = _canonical(pixel_format)
    code = PIXEL_FORMATS.get(name)
    if code is None:
        if isinstance(pixel_format, int):
            return (pixel_format >> 16) & 0xFF
        raise UnsupportedError(f"pixel format {pixel_format!r} has no PFNC code")
    return (code >> 16) & 0xFF


def bayer_pattern(pixel_format: str | int) -> str | None:
    """"RG", "GR", "GB" or "BG" for a Bayer format (its top-left 2×2 tile), else None."""
    name = _canonical(pixel_format)
    if name.startswith("Bayer") and name[5:7] in ("RG", "GR", "GB", "BG"):
        return name[5:7]
    return None


def is_supported(pixel_format: str | int) -> bool:
    """Whether :func:`unpack` can make an array of this format."""
    name = _canonical(pixel_format)
    return name == JPEG or _layout(name) is not None


def _line_bytes(layout: tuple[Any, ...], width: int) -> int:
    kind = layout[0]
    if kind == "int":
        import numpy as np
        itemsize: int = np.dtype(layout[1]).itemsize
        return width * int(layout[2]) * itemsize
    if kind == "422":
        return 2 * width
    return (width * _storage_bits(layout) + 7) // 8


def _storage_bits(layout: tuple[Any, ...]) -> int:
    return 12 if layout[0] == "gev" else int(layout[1])


def payload_size(pixel_format: str | int, width: int, height: int, padding_x: int = 0) -> int:
    """Bytes of an image of this format and size (padding_x bytes after each line)."""
    name = _canonical(pixel_format)
    layout = _layout(name)
    if layout is None:
        raise _unsupported(name, pixel_format)
    if layout[0] in ("bits", "gev") and not padding_x:
        return (width * height * _storage_bits(layout) + 7) // 8
    return (_line_bytes(layout, width) + padding_x) * height


def _unsupported(name: str, original: str | int) -> UnsupportedError:
    code = PIXEL_FORMATS.get(name, original if isinstance(original, int) else None)
    code_text = f" (code 0x{code:08X})" if isinstance(code, int) else ""
    return UnsupportedError(
        f"pixel format {name}{code_text} cannot be unpacked into an array by nodemap; "
        "the raw bytes are in frame.payload")


def unpack(payload: Any, pixel_format: str | int, width: int, height: int,
           padding_x: int = 0) -> "np.ndarray":
    """The image in ``payload`` as a numpy array (see the module docstring for layouts).

    Byte-aligned layouts return a read-only-or-writable *view* of ``payload`` (whatever
    ``payload`` allows), packed ones a new uint16 array.  Raises UnsupportedError for a
    format with no unpacker (the bytes stay usable as they are) and ProtocolError when the
    payload is shorter than the image.
    """
    import numpy as np

    name = _canonical(pixel_format)
    if width < 0 or height < 0 or padding_x < 0:
        raise RangeError(f"image size {width}×{height} (padding_x {padding_x}) is negative")
    if name == JPEG:
        return _decode_jpeg(payload)
    layout = _layout(name)
    if layout is None:
        raise _unsupported(name, pixel_format)
    need = payload_size(name, width, height, padding_x)
    buf = np.frombuffer(payload, dtype=np.uint8)
    if buf.size < need:
        raise ProtocolError(f"{name} image {width}×{height} needs {need} bytes, the payload has "
                            f"{buf.size} (truncated frame?)")
    kind = layout[0]
    if kind == "int":
        _, dtype, channels = layout
        dt = np.dtype(dtype)
        stride = _line_bytes(layout, width) + padding_x
        shape: tuple[int, ...] = (height, width) if channels == 1 else (height, width, channels)
        strides: tuple[int, ...] = (stride, dt.itemsize * channels) if channels == 1 else \
            (stride, dt.itemsize * channels, dt.itemsize)
        view: np.ndarray = np.ndarray(shape, dtype=dt, buffer=buf, offset=0, strides=strides)
        return view
    if kind == "422":
        stride = 2 * width + padding_x
        pairs: np.ndarray = np.ndarray((height, width, 2), dtype=np.uint8, buffer=buf, offset=0,
                                       strides=(stride, 2, 1))
        return pairs
    bits = layout[1]
    if padding_x:
        line = _line_bytes(layout, width) + padding_x
        rows = buf[:line * height].reshape(height, line)[:, :line - padding_x]
        return _unpack_rows(rows, width, bits, kind).reshape(height, width)
    rows = buf[:need].reshape(1, need)
    return _unpack_rows(rows, width * height, bits, kind).reshape(height, width)


def _unpack_rows(rows: "np.ndarray", count: int, bits: int, kind: str) -> "np.ndarray":
    """Unpack ``count`` pixels from each row of bytes (2-D uint8) → (rows, count) uint16."""
    import numpy as np

    nrows = rows.shape[0]
    if kind == "gev":
        groups = (count + 1) // 2
        padded = np.zeros((nrows, groups * 3), dtype=np.uint16)
        padded[:, :rows.shape[1]] = rows[:, :groups * 3]
        b0, b1, b2 = padded[:, 0::3], padded[:, 1::3], padded[:, 2::3]
        out = np.empty((nrows, groups * 2), dtype=np.uint16)
        if bits == 12:
            out[:, 0::2] = (b0 << 4) | (b1 & 0x0F)
            out[:, 1::2] = (b2 << 4) | (b1 >> 4)
        elif bits == 10:
            out[:, 0::2] = (b0 << 2) | (b1 & 0x03)
            out[:, 1::2] = (b2 << 2) | ((b1 >> 4) & 0x03)
        else:  # pragma: no cover - only 10 and 12 exist
            raise UnsupportedError(f"GigE Vision packed layout with {bits} bits")
        return out[:, :count]
    if bits == 12 and count % 2 == 0 and rows.shape[1] == count * 3 // 2:
        g = rows.reshape(nrows, count // 2, 3).astype(np.uint16)
        out = np.empty((nrows, count), dtype=np.uint16)
        out[:, 0::2] = g[..., 0] | ((g[..., 1] & 0x0F) << 8)
        out[:, 1::2] = (g[..., 1] >> 4) | (g[..., 2] << 4)
        return out
    # Generic LSB-first bit stream: pixel i starts at bit i·bits.
    padded = np.zeros((nrows, rows.shape[1] + 3), dtype=np.uint32)
    padded[:, :rows.shape[1]] = rows
    start = np.arange(count, dtype=np.int64) * bits
    byte = start >> 3
    shift = (start & 7).astype(np.uint32)
    word = padded[:, byte] | (padded[:, byte + 1] << 8) | (padded[:, byte + 2] << 16)
    return ((word >> shift) & ((1 << bits) - 1)).astype(np.uint16)


def _decode_jpeg(payload: Any) -> "np.ndarray":
    import io

    import numpy as np
    try:
        from PIL import Image
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise UnsupportedError("decoding a JPEG frame needs Pillow (pip install pillow); the "
                               "JPEG bytes are in frame.payload") from exc
    try:
        with Image.open(io.BytesIO(bytes(payload))) as img:
            img.load()
            return np.asarray(img)
    except (OSError, ValueError) as exc:
        raise ProtocolError(f"the JPEG payload does not decode ({exc}); the bytes are in "
                            "frame.payload") from exc


# ---------------------------------------------------------------------------- colour

_TILES = {"RG": ("RG", "GB"), "GR": ("GR", "BG"), "GB": ("GB", "RG"), "BG": ("BG", "GR")}


def demosaic(bayer: "np.ndarray", pattern: str) -> "np.ndarray":
    """Bilinear demosaic of a raw (H, W) Bayer mosaic → (H, W, 3) RGB, same dtype.

    ``pattern`` is the top-left 2×2 tile: "RG", "GR", "GB" or "BG" (or a Bayer format
    name).  Known samples are kept exactly; missing ones are the mean of their nearest
    same-colour neighbours (edges use the neighbours that exist).
    """
    import numpy as np

    pat = bayer_pattern(pattern) if pattern.startswith("Bayer") else pattern.upper()
    if pat not in ("RG", "GR", "GB", "BG"):
        raise RangeError(f"Bayer pattern {pattern!r} is not one of RG, GR, GB, BG")
    raw = np.asarray(bayer)
    if raw.ndim != 2:
        raise RangeError(f"demosaic needs a 2-D mosaic, got shape {raw.shape}")
    h, w = raw.shape
    ys, xs = np.mgrid[0:h, 0:w]
    top, bottom = _TILES[pat]
    colour = np.empty((h, w), dtype="<U1")
    for ty, row in enumerate((top, bottom)):
        for tx, c in enumerate(row):
            colour[(ys % 2 == ty) & (xs % 2 == tx)] = c
    values = raw.astype(np.float64)
    out = np.empty((h, w, 3), dtype=np.float64)
    kernel_g = np.array([[0, 1, 0], [1, 4, 1], [0, 1, 0]], dtype=np.float64)
    kernel_rb = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=np.float64)
    for index, c in enumerate("RGB"):
        mask = (colour == c).astype(np.float64)
        k = kernel_g if c == "G" else kernel_rb
        num = _convolve3(values * mask, k)
        den = _convolve3(mask, k)
        out[..., index] = np.where(mask > 0, values, num / np.maximum(den, 1e-12))
    if np.issubdtype(raw.dtype, np.integer):
        info = np.iinfo(raw.dtype)
        return np.clip(np.rint(out), info.min, info.max).astype(raw.dtype)
    return out.astype(raw.dtype)


def _convolve3(a: "np.ndarray", k: "np.ndarray") -> "np.ndarray":
    import numpy as np

    p = np.pad(a, 1)
    h, w = a.shape
    out = np.zeros_like(a)
    for dy in range(3):
        for dx in range(3):
            if k[dy, dx]:
                out += k[dy, dx] * p[dy:dy + h, dx:dx + w]
    return out


def to_rgb(array: "np.ndarray", pixel_format: str | int) -> "np.ndarray":
    """An (H, W, 3) RGB array of an unpacked image of ``pixel_format``.

    Mono → grey replicated; Bayer → :func:`demosaic`; BGR/BGRa → reordered; RGBa → alpha
    dropped; 4:2:2 YUV/YCbCr (raw (H, W, 2)) → full-range BT.601 (BT.709 for the 709
    formats), uint8.  Other dtypes are kept (16-bit stays 16-bit).
    """
    import numpy as np

    name = _canonical(pixel_format)
    a = np.asarray(array)
    if name == JPEG:
        return a if a.ndim == 3 else np.repeat(a[..., None], 3, axis=2)
    layout = _layout(name)
    if layout is None:
        raise _unsupported(name, pixel_format)
    pattern = bayer_pattern(name)
    if pattern:
        return demosaic(a, pattern)
    if layout[0] == "422":
        return _yuv422_to_rgb(a, luma_first=layout[1], bt709="709" in name)
    if a.ndim == 2:
        return np.repeat(a[..., None], 3, axis=2)
    if name.startswith("BGR"):
        return a[..., 2::-1]
    if name.startswith("RGB") or name == "Coord3D_ABC8" or name == "Coord3D_ABC16":
        return a[..., :3]
    raise UnsupportedError(f"no RGB conversion for {name}; use frame.array as it is")


def _yuv422_to_rgb(a: "np.ndarray", *, luma_first: bool, bt709: bool) -> "np.ndarray":
    import numpy as np

    if a.ndim != 3 or a.shape[2] != 2:
        raise RangeError(f"a 4:2:2 image must be shaped (H, W, 2), got {a.shape}")
    y = a[..., 0 if luma_first else 1].astype(np.float64)
    chroma = a[..., 1 if luma_first else 0].astype(np.float64)
    h, w = y.shape
    u = np.repeat(chroma[:, 0::2], 2, axis=1)[:, :w]
    v_src = chroma[:, 1::2]
    if v_src.shape[1] * 2 < w:   # odd width: the last pixel reuses the previous V
        v_src = np.concatenate([v_src, v_src[:, -1:] if v_src.shape[1] else
                                np.full((h, 1), 128.0)], axis=1)
    v = np.repeat(v_src, 2, axis=1)[:, :w]
    u -= 128.0
    v -= 128.0
    if bt709:
        r, g, b = y + 1.5748 * v, y - 0.1873 * u - 0.4681 * v, y + 1.8556 * u
    else:
        r, g, b = y + 1.402 * v, y - 0.344136 * u - 0.714136 * v, y + 1.772 * u
    return np.clip(np.rint(np.stack([r, g, b], axis=2)), 0, 255).astype(np.uint8)
