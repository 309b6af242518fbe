"""The viewer's live view: an acquisition thread, its counters and the latest frame.

:class:`Live` runs ``cam.stream()`` on a thread and keeps a copy of the newest frame (so it
can be saved to a file the user names) plus what the page shows beside it: frames/s, MB/s,
incomplete and resent counts.  :func:`preview` turns a frame into the PNG the page draws and
its 256-bin histogram (one series for mono, three for colour).
"""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path
from typing import Any

from ...errors import NodeMapError
from ...errors import TimeoutError as NMTimeoutError

__all__ = ["Live", "preview", "copy_frame"]


def copy_frame(frame: Any) -> Any:
    """A frame that owns its bytes (the stream reuses the original's buffer)."""
    from ...imaging.frame import Frame

    return Frame(bytes(frame.payload), width=frame.width, height=frame.height,
                 pixel_format=frame.pixel_format, frame_id=frame.frame_id,
                 timestamp=frame.timestamp, offset_x=frame.offset_x, offset_y=frame.offset_y,
                 padding_x=frame.padding_x, padding_y=frame.padding_y, status=frame.status,
                 missing_packets=frame.missing_packets)


def preview(frame: Any) -> tuple[bytes, dict[str, list[int]]]:
    """(PNG bytes at 8 bits, histogram ``{"mono": [...]}`` or ``{"r", "g", "b"}``)."""
    import numpy as np
    from PIL import Image

    rgb = frame.to_rgb()
    if rgb.dtype != np.uint8:
        shift = 8 * (rgb.dtype.itemsize - 1)
        rgb = (rgb >> shift).astype(np.uint8)
    if rgb.ndim == 3 and rgb.shape[2] == 4:
        rgb = rgb[:, :, :3]
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[:, :, None], 3, axis=2)
    grey = bool((rgb[:, :, 0] == rgb[:, :, 1]).all() and (rgb[:, :, 1] == rgb[:, :, 2]).all())
    if grey:
        histogram = {"mono": np.bincount(rgb[:, :, 0].ravel(), minlength=256).tolist()}
    else:
        histogram = {c: np.bincount(rgb[:, :, i].ravel(), minlength=256).tolist()
                     for i, c in enumerate("rgb")}
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb)).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue(), histogram


class Live:
    """Acquisition for the live view; ``status()`` is what the page shows."""

    def __init__(self, cam: Any) -> None:
        self.cam = cam
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.frame: Any = None          # the newest frame, owning its bytes
        self.frames = 0
        self.bytes = 0
        self.started = 0.0
        self.stopped = 0.0
        self.stats: dict[str, int] = {}
        self.error: str | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> dict[str, Any]:
        if self.running:
            return self.status()
        self._stop.clear()
        with self._lock:
            self.frames, self.bytes, self.error, self.frame = 0, 0, None, None
            self.started, self.stopped, self.stats = time.monotonic(), 0.0, {}
        self._thread = threading.Thread(target=self._run, name="nodemap-ui-live", daemon=True)
        self._thread.start()
        return self.status()

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(15)
        self._thread = None
        return self.status()

    def _run(self) -> None:
        try:
            stream = self.cam.stream()
            with stream:
                while not self._stop.is_set():
                    try:
                        frame = stream.next(timeout=1.0)
                    except NMTimeoutError:
                        continue
                    kept = copy_frame(frame)
                    frame.release()
                    with self._lock:
                        self.frame = kept
                        self.frames += 1
                        self.bytes += len(kept.payload)
                        self.stats = stream.stats
        except NodeMapError as exc:
            self.error = str(exc)
        finally:
            self.stopped = time.monotonic()

    def status(self) -> dict[str, Any]:
        with self._lock:
            end = self.stopped or time.monotonic()
            elapsed = end - self.started if self.started else 0.0
            rate = (lambda n: round(n / elapsed, 2)) if elapsed > 0 else (lambda n: 0.0)
            frame = self.frame
            return {"running": self.running, "frames": self.frames,
                    "fps": rate(self.frames), "mbps": round(rate(self.bytes) / 1e6, 3),
                    "incomplete": self.stats.get("incomplete", 0),
                    "resent": self.stats.get("resent_packets", 0),
                    "width": frame.width if frame is not None else None,
                    "height": frame.height if frame is not None else None,
                    "pixel_format": frame.pixel_format if frame is not None else None,
                    "frame_id": frame.frame_id if frame is not None else None,
                    "error": self.error}

    def save(self, path: Path) -> dict[str, Any]:
        """Write the newest frame to ``path`` (format from the suffix: png tiff npy raw)."""
        frame = self.frame
        if frame is None:
            return {"ok": False, "error": "no frame yet: start the live view first"}
        try:
            written = frame.save(path)
        except NodeMapError as exc:
            return {"ok": False, "error": str(exc)}
        except OSError as exc:
            return {"ok": False, "error": f"cannot write {path}: {exc.strerror or exc}"}
        return {"ok": True, "path": str(written), "frame_id": frame.frame_id,
                "bytes": written.stat().st_size}
