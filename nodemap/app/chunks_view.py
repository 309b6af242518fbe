"""``nodemap grab --chunks``: a frame's chunk features as {name: value} and one text line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from nodemap.imaging.frame import Frame
    from nodemap.nodemap import NodeMap


def chunk_values(frame: "Frame", nodemap: "NodeMap") -> dict[str, Any]:
    """{chunk feature: value} of ``frame`` read through ``nodemap`` ({} without chunks)."""
    view = frame.chunks
    if view is None:
        return {}
    view.bind(nodemap)
    return view.to_dict()


def format_chunks(frame: "Frame", nodemap: "NodeMap") -> str:
    """One line: ``frame 7: ChunkExposureTime=1000.0 ChunkFrameID=7 …`` (sorted by name)."""
    values = chunk_values(frame, nodemap)
    body = " ".join(f"{name}={value}" for name, value in sorted(values.items()))
    return f"frame {frame.frame_id}: {body or '(no chunk data)'}"
