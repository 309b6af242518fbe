"""``nodemap grab``: take N frames from any camera that makes images, save them, report.

Shown on a terminal: one live line (frames/s, MB/s, incomplete, resent) while frames arrive,
then a statistics table.  Ctrl-C stops acquisition on the device (the stream's context
manager does that on any exit) before the command exits with status 130.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, Callable

__all__ = ["FORMATS", "grab_frames", "output_paths"]

FORMATS = ("png", "tiff", "npy", "raw")
_SUFFIX = {"png": ".png", "tiff": ".tiff", "npy": ".npy", "raw": ".raw"}


def output_paths(output: Path | None, count: int, fmt: str | None) -> Callable[[int, Any], Path | None]:
    """Where frame ``index`` goes: ``-o DIR`` → ``DIR/frame-<id>.<ext>``; ``-o FILE`` →
    that file (one frame) or ``FILE-<index>.<ext>`` (several); no ``-o`` → nowhere."""
    if output is None:
        return lambda index, frame: None
    as_dir = output.is_dir() or output.suffix == "" or str(output).endswith(("/", "\\"))
    if as_dir:
        output.mkdir(parents=True, exist_ok=True)
        ext = _SUFFIX[fmt or "png"]
        return lambda index, frame: output / f"frame-{frame.frame_id:06d}{ext}"
    ext = _SUFFIX[fmt] if fmt else output.suffix
    if count == 1:
        return lambda index, frame: output.with_suffix(ext)
    return lambda index, frame: output.with_name(f"{output.stem}-{index:04d}{ext}")


class _Live:
    """The live line on a terminal (nothing when stderr is not one)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.start = time.monotonic()
        self.last = 0.0

    def update(self, frames: int, nbytes: int, stats: dict[str, int], force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self.last < 0.25:
            return
        self.last = now
        elapsed = max(now - self.start, 1e-9)
        line = (f"\r{frames} frames  {frames / elapsed:7.1f} frames/s  "
                f"{nbytes / elapsed / 1e6:7.1f} MB/s  incomplete {stats.get('incomplete', 0)}  "
                f"resent {stats.get('resent_packets', 0)}")
        sys.stderr.write(line)
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def grab_frames(cam: Any, count: int, timeout: float, output: Path | None, fmt: str | None,
                buffers: int, packet_size: int | None, chunks: bool = False) -> dict[str, Any]:
    """Grab ``count`` frames (``0`` = until Ctrl-C); returns the report (frames, stats)."""
    where = output_paths(output, count, fmt)
    live = _Live(sys.stderr.isatty())
    rows: list[dict[str, Any]] = []
    nbytes = 0
    started = time.monotonic()
    interrupted = False
    stream = cam.stream(buffers=buffers, packet_size=packet_size)
    try:
        with stream:
            for index, frame in enumerate(stream.frames(count or None, timeout=timeout)):
                nbytes += len(frame.payload)
                path = where(index, frame)
                row: dict[str, Any] = {
                    "frame_id": frame.frame_id, "width": frame.width, "height": frame.height,
                    "pixel_format": frame.pixel_format, "status": frame.status,
                    "timestamp": frame.timestamp, "bytes": len(frame.payload)}
                if path is not None:
                    row["path"] = str(frame.save(path, fmt))
                if chunks:
                    from .chunks_view import chunk_values

                    row["chunks"] = chunk_values(frame, cam.nodemap)
                rows.append(row)
                frame.release()
                live.update(len(rows), nbytes, stream.stats)
    except KeyboardInterrupt:
        interrupted = True   # the with-block stopped acquisition on the device already
    finally:
        stats = stream.stats
        live.update(len(rows), nbytes, stats, force=True)
        live.done()
    elapsed = time.monotonic() - started
    return {"frames": rows, "stats": stats, "seconds": round(elapsed, 3),
            "frames_per_second": round(len(rows) / elapsed, 2) if elapsed > 0 else None,
            "megabytes_per_second": round(nbytes / elapsed / 1e6, 3) if elapsed > 0 else None,
            "interrupted": interrupted}
