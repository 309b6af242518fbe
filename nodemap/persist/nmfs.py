"""nodemap's own feature-set text format (``.nmfs``): render and parse (pure, no device).

::

    # nodemap feature set 1
    # device: nodemap NM-Demo-1300
    # selection: streamable
    PixelFormat = Mono8
    GainSelector = Red
    Gain = 33
    "Gain\\u00a0Extra" = 4
    # not saved: TestPattern: not readable and writable now (access RO)

* UTF-8 text, one assignment per line (lines end at ``\\n``; a ``\\r`` before it is
  ignored), replayed top to bottom.  ``#`` starts a comment line; blank lines are ignored.
* ``NAME = VALUE``.  A name made only of letters, digits and ``_ - . : [ ]`` is written
  as it is; any other name (a space or non-breaking space, a leading ``#``, an ``=``, a
  quote, a control character, an empty name) is written as a JSON string with every
  non-ASCII character escaped: ``"Gain\\u00a0Extra" = 4``, ``"#Hidden" = 1``.  Such a
  name therefore never starts a comment and never loses a character to whitespace
  trimming; every name round-trips.
* The value is read by the feature's kind (see :mod:`nodemap.persist.values`).
"""

from __future__ import annotations

import json
import re
from typing import Iterable

from ..errors import FeatureSetError
from .model import Assignment, Entry, Skipped
from .values import format_value

__all__ = ["FORMAT_VERSION", "HEADER", "quote_name", "render", "parse"]

FORMAT_VERSION = 1
HEADER = f"# nodemap feature set {FORMAT_VERSION}"
_HEADER_RE = re.compile(r"#\s*nodemap feature set\s+(\S+)\s*$")
_BARE_EXTRA = frozenset("_-.:[]")


def _bare(name: str) -> bool:
    return bool(name) and all(c.isalnum() or c in _BARE_EXTRA for c in name) \
        and name.isprintable()


def quote_name(name: str) -> str:
    """``name`` as it appears before ``=``: bare when safe, else a JSON string."""
    return name if _bare(name) else json.dumps(name, ensure_ascii=True)


def render(label: str, selection: str, entries: Iterable[Entry],
           skipped: Iterable[Skipped]) -> tuple[str, int, list[Skipped]]:
    """The file text, the number of assignments in it, and entries it could not hold."""
    lines = [HEADER, f"# device: {_one_line(label)}", f"# selection: {selection}",
             "# one assignment per line, replayed in order; see nodemap.persist"]
    count = 0
    unwritable: list[Skipped] = []
    for entry in entries:
        try:
            text = format_value(entry.kind, entry.value)
        except ValueError as exc:
            context = tuple((k, format_value("Enumeration", v) if isinstance(v, str) else str(v))
                            for k, v in entry.context)
            unwritable.append(Skipped(entry.name, str(exc), context))
            continue
        lines.append(f"{quote_name(entry.name)} = {text}")
        count += 1
    for item in [*skipped, *unwritable]:
        lines.append(f"# not saved: {_one_line(str(item))}")
    return "\n".join(lines) + "\n", count, unwritable


def _one_line(text: str) -> str:
    return " ".join(text.split())


def parse(text: str) -> list[Assignment]:
    """The assignments of an nmfs text; FeatureSetError lists every malformed line."""
    out: list[Assignment] = []
    errors: list[tuple[int, str]] = []
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.removesuffix("\r").strip()
        if not line:
            continue
        if line.startswith("#"):
            header = _HEADER_RE.match(line)
            if header and number == 1 and header.group(1) != str(FORMAT_VERSION):
                errors.append((number, f"this is feature-set format {header.group(1)!r}; this "
                                       f"nodemap reads format {FORMAT_VERSION} (update nodemap)"))
            continue
        try:
            name, value = _split(line)
        except ValueError as exc:
            errors.append((number, f"{_shorten(raw)}: {exc}"))
            continue
        out.append(Assignment(name, value, number))
    if errors:
        raise FeatureSetError(summarise(errors), problems=tuple(errors))
    return out


def _split(line: str) -> tuple[str, str]:
    if line.startswith('"'):
        try:
            name, end = json.JSONDecoder().raw_decode(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"the quoted name is not a complete JSON string ({exc.msg})") \
                from None
        if not isinstance(name, str):
            raise ValueError("the quoted name is not a JSON string")
        rest = line[end:].lstrip()
        if not rest.startswith("="):
            raise ValueError("is not NAME = VALUE (no '=' after the quoted name)")
        return name, rest[1:].strip()
    name, sep, value = line.partition("=")
    name = name.strip()
    if not sep:
        raise ValueError("is not NAME = VALUE (no '=')")
    if not name:
        raise ValueError("is not NAME = VALUE (no name before '=')")
    if any(c.isspace() for c in name):
        raise ValueError("is not NAME = VALUE (a name with spaces must be written as a "
                         "JSON string, e.g. \"My Name\" = 1)")
    return name, value.strip()


def _shorten(raw: str) -> str:
    text = raw.removesuffix("\r")
    return repr(text if len(text) <= 60 else text[:57] + "...")


def summarise(errors: list[tuple[int, str]], limit: int = 5) -> str:
    """One message for a list of ``(line, message)``: count, then the first few."""
    shown = "; ".join(f"line {line}: {message}" for line, message in errors[:limit])
    more = f"; and {len(errors) - limit} more" if len(errors) > limit else ""
    noun = "line" if len(errors) == 1 else "lines"
    return f"{len(errors)} {noun} cannot be used, so nothing was applied: {shown}{more}"
