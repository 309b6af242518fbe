"""Serial-camera URLs: ``SCHEME:<pyserial port or URL>?<our options>&<pyserial's options>``.

``fcb:/dev/ttyUSB0?address=1`` and ``sxh485:socket://127.0.0.1:7000?address=2&logging=debug``
mix two kinds of query parameters: the transport's own (``address``, ``baudrate`` …) and
those of a pyserial URL handler (``logging`` for ``socket://`` …).  :func:`split_serial_url`
separates them and refuses anything that belongs to neither — with close matches — instead
of letting a typo (``?adress=1``) become part of a port name.
"""

from __future__ import annotations

from typing import Iterable

from nodemap.errors import ParameterError
from nodemap.urls import split_scheme, unknown_parameters_error

__all__ = ["PYSERIAL_PARAMETERS", "split_serial_url"]

#: The query parameters each pyserial URL handler understands (pyserial 3.5).
PYSERIAL_PARAMETERS: dict[str, frozenset[str]] = {
    "socket": frozenset({"logging"}),
    "loop": frozenset({"logging"}),
    "rfc2217": frozenset({"ign_set_control", "poll_modem", "timeout", "logging"}),
    "spy": frozenset({"file", "color", "raw", "all"}),
    "alt": frozenset({"class"}),
    "hwgrep": frozenset({"n", "skip_busy"}),
    "cp2110": frozenset(),
}


def split_serial_url(url: str, scheme: str, ours: Iterable[str],
                     example: str) -> tuple[str, dict[str, str]]:
    """``url`` → ``(pyserial port or URL with its own parameters, {our option: text})``.

    Raises ParameterError (a NodeMapError and a ValueError: the user's to fix, a usage error
    on the command line) for a URL of another scheme, without a port, or with unknown
    parameters (named, with close matches).
    """
    given_scheme, rest = split_scheme(url)
    if given_scheme != scheme:
        raise ParameterError(f"{url!r} is not an {scheme}: URL")
    base, sep, query = rest.partition("?")
    if not base:
        raise ParameterError(f"{url!r} names no serial port; e.g. {example}")
    handler = base.partition("://")[0].lower() if "://" in base else ""
    theirs_allowed = PYSERIAL_PARAMETERS.get(handler, frozenset())
    ours = set(ours)
    mine: dict[str, str] = {}
    theirs: list[str] = []
    unknown: list[str] = []
    for item in query.split("&") if sep else []:
        if not item:
            continue
        key, _, value = item.partition("=")
        if key in theirs_allowed and (key not in ours or handler == "rfc2217"):
            theirs.append(item)       # rfc2217's own timeout is the handler's
        elif key in ours:
            mine[key] = value
        else:
            unknown.append(key)
    if unknown:
        raise unknown_parameters_error(url, unknown, ours | theirs_allowed)
    return base + ("?" + "&".join(theirs) if theirs else ""), mine
