"""The GenApi feature-file format (``.pfs``, GenApi ``CFeatureBag`` / pylon): render and
parse (pure, no device).

Layout, as GenApi's ``Persistence.h`` reads and writes it::

    # {05D8C294-F295-4dfb-9D01-096BD04049F4}
    # GenApi persistence file (version 3.5.0)
    # Device = nodemap NM-Demo-1300 -- saved by nodemap (selection: streamable)
    PixelFormat<TAB>Mono8
    GainSelector<TAB>Red
    Gain<TAB>33
    GainSelector<TAB>All

* The first line must contain the magic GUID ``{05D8C294-F295-4dfb-9D01-096BD04049F4}``
  (a file with the CFeatureBagger GUID ``{4709CB3C-7322-4460-84C3-DA11DDA09939}`` holds
  several bags in ``[name]`` sections and is refused with that reason).
* Then comment lines (``#`` first) and ``Name<TAB>Value`` lines; the value is the rest of
  the line after the first TAB, verbatim (String values keep their spaces).
* Selected features: GenApi 3.5 and pylon write ``Name<TAB>{Selector=Value}<TAB>Value``
  (the selector values the value was read under); we read that form (several selectors
  comma-separated: ``{A=1,B=2}``).  We *write* the classic layout that every GenApi
  version replays line by line: the selector's own line, then the features it selects,
  and the selector's original value last.
* Values are GenApi's ``ToString`` texts (:func:`~nodemap.persist.values.format_pfs_value`).
  The format has no escaping: a name that is empty, starts with ``#`` or holds a TAB or a
  line break, and a String value with a line break, cannot be written; a save in this
  format lists them as not saved (use the nodemap format for those).
"""

from __future__ import annotations

import re
from typing import Iterable

from ..errors import FeatureSetError
from .model import Assignment, Entry, Skipped
from .nmfs import summarise
from .values import format_pfs_value

__all__ = ["MAGIC", "BAGGER_MAGIC", "is_pfs", "render", "parse", "name_problem"]

MAGIC = "{05D8C294-F295-4dfb-9D01-096BD04049F4}"
BAGGER_MAGIC = "{4709CB3C-7322-4460-84C3-DA11DDA09939}"
GENAPI_VERSION = "3.5.0"
_CONTEXT = re.compile(r"\{((?:[^{}\t=,]+=[^{}\t,]*)(?:,[^{}\t=,]+=[^{}\t,]*)*)\}\t")


def is_pfs(text: str) -> bool:
    """Whether ``text`` is a GenApi feature file (by its first line's magic GUID)."""
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    return MAGIC.lower() in first.lower() or BAGGER_MAGIC.lower() in first.lower()


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be written in this format, or None."""
    if not name.strip(" "):
        return "an empty name (or one of spaces only) cannot be written in the GenApi " \
               "feature-file format"
    if name.startswith("#"):
        return "a name starting with '#' would be read as a comment in the GenApi " \
               "feature-file format (save in the nodemap format instead)"
    if any(c in name for c in "\t\n\r"):
        return "a name holding a TAB or a line break cannot be written in the GenApi " \
               "feature-file format (save in the nodemap format instead)"
    return None


def render(label: str, selection: str, entries: Iterable[Entry],
           skipped: Iterable[Skipped]) -> tuple[str, int, list[Skipped]]:
    """The file text, the number of assignments in it, and entries it could not hold."""
    lines = [f"# {MAGIC}", f"# GenApi persistence file (version {GENAPI_VERSION})",
             f"# Device = {' '.join(label.split())} -- saved by nodemap "
             f"(selection: {selection})"]
    count = 0
    unwritable: list[Skipped] = []
    for entry in entries:
        reason = name_problem(entry.name)
        text = ""
        if reason is None:
            try:
                text = format_pfs_value(entry.kind, entry.value,
                                        representation=entry.representation,
                                        notation=entry.notation, precision=entry.precision)
            except ValueError as exc:
                reason = str(exc)
        if reason is not None:
            unwritable.append(Skipped(entry.name, reason,
                                      tuple((k, str(v)) for k, v in entry.context)))
            continue
        lines.append(f"{entry.name}\t{text}")
        count += 1
    for item in [*skipped, *unwritable]:
        lines.append("# not saved: " + " ".join(str(item).split()))
    return "\n".join(lines) + "\n", count, unwritable


def parse(text: str) -> list[Assignment]:
    """The assignments of a GenApi feature file; FeatureSetError lists every bad line."""
    lines = text.lstrip("\ufeff").split("\n")
    first = lines[0] if lines else ""
    if BAGGER_MAGIC.lower() in first.lower():
        message = ("line 1: this is a GenApi CFeatureBagger file (several feature bags in "
                   "[name] sections, e.g. user sets); load a single-bag file (GUID "
                   f"{MAGIC}) instead")
        raise FeatureSetError(message + "; nothing was applied", problems=((1, message),))
    if MAGIC.lower() not in first.lower():
        message = f"line 1: a GenApi feature file starts with a comment holding {MAGIC}"
        raise FeatureSetError(message + "; nothing was applied", problems=((1, message),))
    out: list[Assignment] = []
    errors: list[tuple[int, str]] = []
    for number, raw in enumerate(lines[1:], 2):
        line = raw.removesuffix("\r")
        if not line.strip(" \t") or line.startswith("#"):
            continue
        name, tab, rest = line.partition("\t")
        if not tab:
            shown = line if len(line) <= 60 else line[:57] + "..."
            errors.append((number, f"{shown!r} is not Name<TAB>Value (no TAB)"))
            continue
        if not name:
            errors.append((number, "no feature name before the TAB"))
            continue
        context: tuple[tuple[str, str], ...] = ()
        match = _CONTEXT.match(rest)
        if match:
            pairs = [part.partition("=") for part in match.group(1).split(",")]
            context = tuple((k.strip(), v.strip()) for k, _, v in pairs)
            rest = rest[match.end():]
        out.append(Assignment(name, rest, number, context))
    if errors:
        raise FeatureSetError(summarise(errors), problems=tuple(errors))
    return out
