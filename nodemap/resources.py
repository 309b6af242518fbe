"""Where the XML descriptions this project ships (``xml/`` in the repository) live.

In a source checkout or editable install they are read from ``<repo>/xml``; a wheel
installs them under ``<prefix>/share/nodemap/xml``.
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["description_path", "read_description"]

_CANDIDATES = (
    Path(__file__).resolve().parent.parent / "xml",
    Path(sys.prefix) / "share" / "nodemap" / "xml",
)


def description_path(name: str) -> Path:
    """Path of a shipped description, e.g. ``description_path("sony-fcb.xml")``."""
    for folder in _CANDIDATES:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"shipped description {name!r} not found in {', '.join(map(str, _CANDIDATES))}")


def read_description(name: str) -> bytes:
    """The bytes of a shipped description."""
    return description_path(name).read_bytes()
