"""Device URLs: ``scheme:rest`` (``gvcp://10.0.0.2``, ``fcb:/dev/ttyUSB0?address=1``).

The scheme picks a transport plugin (``nodemap.app.plugins``); the rest is the plugin's to
read.  These helpers are shared by every plugin so URLs read the same way everywhere.
"""

from __future__ import annotations

import difflib
from typing import Iterable

from .errors import NodeMapError, ParameterError

__all__ = ["split_scheme", "unknown_parameters_error"]


def split_scheme(url: str) -> tuple[str, str]:
    """``"fcb:/dev/ttyUSB0?address=1"`` → ``("fcb", "/dev/ttyUSB0?address=1")``;
    ``"gvcp://10.0.0.2"`` → ``("gvcp", "10.0.0.2")`` (a leading ``//`` is not part of the rest).
    """
    scheme, sep, rest = url.partition(":")
    if not sep or not scheme or not scheme.replace("-", "").replace("+", "").isalnum():
        raise NodeMapError(f"{url!r} has no scheme; a device URL looks like gvcp://HOST, "
                           f"fcb:PORT?address=N or mem:FILE.xml (nodemap --help lists them)")
    if rest.startswith("//"):
        rest = rest[2:]
    return scheme.lower(), rest


def unknown_parameters_error(url: str, unknown: Iterable[str],
                             known: Iterable[str]) -> ParameterError:
    """A ParameterError (a ValueError) naming each unknown URL parameter of ``url`` with close matches."""
    known = sorted(set(known))
    parts = []
    for name in sorted(set(unknown)):
        close = difflib.get_close_matches(name, known, n=2, cutoff=0.6)
        parts.append(f"{name!r}" + (f" (did you mean {' or '.join(close)}?)" if close else ""))
    return ParameterError(f"unknown URL parameter{'s' if len(parts) > 1 else ''} "
                      f"{', '.join(parts)} in {url!r}; known: {', '.join(known)}")
