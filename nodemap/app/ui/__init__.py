"""``nodemap ui URL``: a local web viewer (feature tree, editing, live view, feature sets).

:func:`~nodemap.app.ui.server.serve` starts it; :func:`~nodemap.app.ui.server.main` is the
command-line entry the CLI wires.  Needs the optional ``ui`` extra (aiohttp).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .server import Server

__all__ = ["serve", "main"]


def serve(*args: Any, **kwargs: Any) -> Server:
    """:func:`nodemap.app.ui.server.serve`, imported on first use (aiohttp is optional)."""
    from .server import serve as _serve
    return _serve(*args, **kwargs)


def main(argv: list[str] | None = None) -> int:
    from .server import main as _main
    return _main(argv)
