"""Frame: one image (or other payload block) delivered by a stream.

A Frame holds its payload as a memoryview of the stream's buffer.  The buffer goes back to
the stream's pool only when nothing refers to it any more — the Frame, ``frame.payload``,
``frame.array`` and any view made from them — or after ``frame.release()`` once the views
you made are gone.  Keep the Frame (or the array) for as long as you use the pixels.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nodemap.chunks import ChunkView
from nodemap.errors import RangeError, UnsupportedError

from . import pfnc

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

__all__ = ["Frame", "SAVE_FORMATS"]

SAVE_FORMATS = ("png", "tiff", "npy", "raw", "jpeg")
_SUFFIXES = {".png": "png", ".tif": "tiff", ".tiff": "tiff", ".npy": "npy", ".raw": "raw",
             ".bin": "raw", ".jpg": "jpeg", ".jpeg": "jpeg"}
_EMPTY = memoryview(b"")


class Frame:
    """One delivered block: pixels in ``.array`` (numpy, lazy) and bytes in ``.payload``."""

    __slots__ = ("payload", "width", "height", "offset_x", "offset_y", "padding_x",
                 "padding_y", "pixel_format_code", "pixel_format", "frame_id", "timestamp",
                 "status", "missing_packets", "_chunks", "payload_type", "_array", "__weakref__")

    def __init__(self, payload: Any, *, width: int, height: int, pixel_format: int | str,
                 frame_id: int = 0, timestamp: int = 0, offset_x: int = 0, offset_y: int = 0,
                 padding_x: int = 0, padding_y: int = 0, status: str = "complete",
                 missing_packets: int = 0, chunks: bytes | None = None,
                 payload_type: int = 1,
                 chunk_descriptors: Sequence[tuple[int, int, int]] | None = None,
                 chunk_layout: str = "gev") -> None:
        if status not in ("complete", "incomplete"):
            raise RangeError(f"frame status {status!r} is not 'complete' or 'incomplete'")
        self.payload = payload if isinstance(payload, memoryview) else memoryview(payload)
        self.width = width
        self.height = height
        self.offset_x = offset_x
        self.offset_y = offset_y
        self.padding_x = padding_x
        self.padding_y = padding_y
        if isinstance(pixel_format, str):
            name = pixel_format if pixel_format == pfnc.JPEG else pfnc.name_of(
                pfnc.code_of(pixel_format))
            self.pixel_format = name
            self.pixel_format_code = 0 if name == pfnc.JPEG else pfnc.code_of(name)
        else:
            self.pixel_format_code = pixel_format
            self.pixel_format = pfnc.name_of(pixel_format)
        self.frame_id = frame_id
        self.timestamp = timestamp
        self.status = status
        self.missing_packets = missing_packets
        # chunk_descriptors: (id, offset in ``chunks``, length) when the transport says where
        # each chunk is (GenTL); without them ``chunks`` is read as trailers: GigE Vision's
        # (chunk_layout "gev", big-endian) or USB3 Vision's ("u3v", little-endian)
        self._chunks: ChunkView | None = ChunkView(chunks, descriptors=chunk_descriptors,
                                                   layout=chunk_layout) \
            if chunks is not None else None
        self.payload_type = payload_type
        self._array: np.ndarray | None = None

    @property
    def chunks(self) -> "ChunkView | None":
        """This frame's chunk features (None without chunk data): ``frame.chunks[
        "ChunkExposureTime"].value``; ``bytes(frame.chunks)`` is the raw chunk data.  Bind it
        to the camera's node map first (``frame.chunks.bind(cam.nodemap)``)."""
        return self._chunks

    @property
    def complete(self) -> bool:
        return self.status == "complete"

    @property
    def array(self) -> "np.ndarray":
        """The pixels as numpy, (H, W) or (H, W, C); a view of ``payload`` where possible.

        Raises UnsupportedError for a pixel format nodemap cannot unpack (the raw bytes
        stay in ``payload``), and after :meth:`release`.
        """
        if self._array is None:
            if self.payload is _EMPTY:
                raise UnsupportedError(f"frame {self.frame_id} was released; its pixels are "
                                       "gone (keep the Frame while you use them)")
            self._array = pfnc.unpack(self.payload, self.pixel_format, self.width, self.height,
                                      self.padding_x)
        return self._array

    def to_rgb(self) -> "np.ndarray":
        """(H, W, 3) RGB of this frame (demosaiced, YUV converted, …)."""
        return pfnc.to_rgb(self.array, self.pixel_format)

    def release(self) -> None:
        """Let the stream reuse this frame's buffer (as soon as no view you made remains)."""
        self.payload = _EMPTY
        self._array = None

    def save(self, path: str | os.PathLike[str], format: str | None = None) -> Path:  # noqa: A002
        """Write the frame: png/tiff (Pillow), npy (numpy), raw (payload bytes), jpeg.

        ``format`` defaults from the suffix.  png/tiff keep 8- and 16-bit mono as they are
        (Bayer mosaics as grey), colour as RGB(A) 8-bit; raw writes the payload unchanged.
        """
        target = Path(path)
        kind = (format or _SUFFIXES.get(target.suffix.lower(), "")).lower()
        kind = {"tif": "tiff", "jpg": "jpeg", "bin": "raw"}.get(kind, kind)
        if kind not in SAVE_FORMATS:
            raise RangeError(f"cannot save {target.name!r}: format {format or target.suffix!r} "
                             f"is not one of {', '.join(SAVE_FORMATS)}")
        if kind == "raw" or (kind == "jpeg" and self.pixel_format == pfnc.JPEG):
            target.write_bytes(self.payload)
            return target
        if kind == "npy":
            import numpy as np
            np.save(target, self.array)
            return target
        image = self._pil_image()
        image.save(target, format={"png": "PNG", "tiff": "TIFF", "jpeg": "JPEG"}[kind])
        return target

    def _pil_image(self) -> Any:
        try:
            from PIL import Image
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise UnsupportedError("saving png/tiff needs Pillow (pip install pillow); "
                                   "use format='npy' or 'raw' without it") from exc
        import numpy as np

        a = self.array
        if a.ndim == 2 and a.dtype == np.int8:
            a = (a.astype(np.int16) + 128).astype(np.uint8)
        if a.ndim == 2 and a.dtype == np.uint8:
            return Image.fromarray(np.ascontiguousarray(a))
        if a.ndim == 2 and a.dtype == np.uint16:
            return Image.fromarray(np.ascontiguousarray(a).astype("<u2"))
        if a.ndim == 2:
            return Image.fromarray(np.ascontiguousarray(a).astype(np.int32))
        rgb = a if self.pixel_format in ("RGB8", "RGBa8") else (
            a[..., [2, 1, 0, 3]] if self.pixel_format == "BGRa8" else self.to_rgb())
        if rgb.dtype != np.uint8:
            digits = re.search(r"(\d+)$", self.pixel_format.rstrip("p"))
            bits = max(8, min(16, int(digits.group(1)) if digits else 16))
            rgb = (rgb.astype(np.uint32) >> (bits - 8)).astype(np.uint8)
        return Image.fromarray(np.ascontiguousarray(rgb))   # RGB or RGBA from the shape

    def __repr__(self) -> str:
        return (f"<Frame {self.frame_id} {self.width}×{self.height} {self.pixel_format} "
                f"{self.status}{f' ({self.missing_packets} packets missing)' if self.missing_packets else ''}>")
