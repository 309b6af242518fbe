"""What the viewer's page asks of a camera, as JSON-ready dicts (no HTTP in here).

Every call goes through the feature API; a NodeMapError becomes ``{"error": text}`` so the
page shows the message next to the feature, never a traceback.
"""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path
from typing import Any

from ...errors import NodeMapError
from ...errors import TimeoutError as NMTimeoutError

VISIBILITY = {"Beginner": 0, "Expert": 1, "Guru": 2, "Invisible": 3}


def _try(function: Any, *args: Any) -> Any:
    try:
        return function(*args)
    except NodeMapError:
        return None


def tree(cam: Any) -> dict[str, Any]:
    """The category tree from Root: ``{name, kind, visibility, children}``."""
    features = cam.features
    seen: set[str] = set()

    def walk(name: str) -> dict[str, Any]:
        f = features[name]
        node: dict[str, Any] = {"name": name, "kind": f.kind,
                                "visibility": _try(lambda: f.visibility) or "Beginner",
                                "display_name": _try(lambda: f.display_name) or name}
        if f.kind == "Category" and name not in seen:
            seen.add(name)
            children = []
            for child in _try(lambda: f.features) or []:
                if child in features:
                    children.append(walk(child))
            node["children"] = children
        return node

    if "Root" not in features:
        return {"name": "Root", "kind": "Category", "visibility": "Beginner",
                "display_name": "Root", "children": []}
    return walk("Root")


def describe(cam: Any, name: str) -> dict[str, Any]:
    """One feature's current state: value, bounds, access and its reason, text."""
    f = cam.features[name]
    out: dict[str, Any] = {"name": name, "kind": f.kind}
    for key in ("unit", "description", "tooltip", "display_name", "visibility",
                "representation", "polling_time"):
        out[key] = _try(lambda k=key: getattr(f, k))
    try:
        access = f.access
    except NodeMapError as exc:
        out.update(access="NA", reason=str(exc))
        return out
    out["access"] = access
    if access in ("NA", "NI"):
        try:
            f.node.check_readable()
        except NodeMapError as exc:
            out["reason"] = str(exc)
        return out
    if f.kind == "Category":
        return out
    if f.kind == "Command":
        out["is_done"] = _try(f.is_done)
        return out
    if access in ("RW", "RO"):
        try:
            value = f.value
            out["value"] = value.hex() if isinstance(value, bytes) else value
        except NodeMapError as exc:
            out["error"] = str(exc)
    if f.kind in ("Integer", "Float", "IntReg", "IntSwissKnife", "SwissKnife", "Converter",
                  "IntConverter", "MaskedIntReg", "FloatReg", "StructEntry"):
        out["min"] = _try(lambda: f.min)
        out["max"] = _try(lambda: f.max)
        out["inc"] = _try(lambda: f.inc)
    if f.kind == "Enumeration":
        out["entries"] = _try(lambda: f.entries) or []
    if f.kind in ("String", "StringReg"):
        out["max_length"] = _try(lambda: f.max_length)
    return out


def coerce(cam: Any, name: str, text: Any) -> Any:
    """The value the page sent, as the feature's type (it sends text or JSON)."""
    kind = cam.features[name].kind
    if not isinstance(text, str):
        return text
    if kind in ("Boolean",):
        return text.strip().lower() in ("1", "true", "on", "yes")
    if kind in ("Float", "FloatReg", "Converter", "SwissKnife"):
        return float(text)
    if kind in ("Integer", "IntReg", "MaskedIntReg", "IntConverter", "IntSwissKnife",
                "StructEntry"):
        return int(text, 0)
    return text


def write(cam: Any, name: str, value: Any) -> dict[str, Any]:
    """Write (or execute a command) and report the error text, if any."""
    f = cam.features[name]
    try:
        if f.kind == "Command":
            f.execute()
        else:
            f.value = coerce(cam, name, value)
    except NodeMapError as exc:
        return {"ok": False, "error": str(exc)}
    except ValueError:
        return {"ok": False, "error": f"{name}: {value!r} is not a valid {f.kind} value"}
    return {"ok": True}


class Live:
    """Acquisition for the live view: a thread keeps the latest frame encoded as PNG."""

    def __init__(self, cam: Any) -> None:
        self.cam = cam
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.png: bytes | None = None
        self.frames = 0
        self.started = 0.0
        self.stats: dict[str, int] = {}
        self.error: str | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> dict[str, Any]:
        if self.running:
            return self.status()
        self._stop.clear()
        self.frames, self.error, self.started = 0, None, time.monotonic()
        self._thread = threading.Thread(target=self._run, name="nodemap-ui-live", daemon=True)
        self._thread.start()
        return self.status()

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
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
                    png = encode_png(frame)
                    frame.release()
                    with self._lock:
                        self.png = png
                        self.frames += 1
                        self.stats = stream.stats
        except NodeMapError as exc:
            self.error = str(exc)

    def status(self) -> dict[str, Any]:
        elapsed = max(time.monotonic() - self.started, 1e-9) if self.started else 0
        with self._lock:
            return {"running": self.running, "frames": self.frames,
                    "fps": round(self.frames / elapsed, 2) if elapsed else 0.0,
                    "incomplete": self.stats.get("incomplete", 0),
                    "resent": self.stats.get("resent_packets", 0),
                    "error": self.error}


def encode_png(frame: Any) -> bytes:
    """The frame as PNG bytes (8-bit for the browser)."""
    from PIL import Image
    import numpy as np
    rgb = frame.to_rgb()
    if rgb.dtype != np.uint8:
        rgb = (rgb >> (8 * (rgb.dtype.itemsize - 1))).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG")
    return buffer.getvalue()


def save_set(cam: Any, path: Path, file_format: str) -> dict[str, Any]:
    from ... import persist
    try:
        report = persist.store(cam, path, format=file_format)
    except NodeMapError as exc:
        return {"ok": False, "error": str(exc)}
    return {"ok": True, "path": str(path), "report": str(report)}


def load_set(cam: Any, path: Path) -> dict[str, Any]:
    from ... import persist
    try:
        report = persist.load(cam, path)
    except NodeMapError as exc:
        return {"ok": False, "error": str(exc)}
    except OSError as exc:
        return {"ok": False, "error": f"cannot read {path}: {exc.strerror}"}
    return {"ok": report.ok, "applied": report.applied, "verified": report.verified,
            "format": report.format,
            "problems": [{"name": p.name, "value": p.value, "reason": p.reason}
                         for p in report.problems]}


def graph(cam: Any, name: str, cache: dict[str, Any]) -> dict[str, Any]:
    """The dependency neighbourhood of ``name`` from the authoring graph (XML only):
    what it reads, what invalidates it / it invalidates, what it selects."""
    from ...authoring.graph import build_graph
    from ...authoring.model import parse_document
    doc = cache.get("doc")
    if doc is None:
        doc = cache["doc"] = parse_document(cam.nodemap.to_xml())
    try:
        g = build_graph(doc, name)
    except KeyError as exc:
        return {"error": str(exc.args[0])}
    return {"name": name, "nodes": dict(g.nodes),
            "edges": [{"source": e.source, "target": e.target, "kind": e.kind,
                       "label": e.label} for e in g.edges]}
