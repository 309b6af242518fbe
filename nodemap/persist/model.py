"""The records feature sets are made of: planned entries, parsed assignments, reports."""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["Entry", "Assignment", "Skipped", "Problem", "SaveReport", "LoadReport"]

Context = tuple[tuple[str, str], ...]


@attrs.frozen(slots=True)
class Entry:
    """One planned assignment read from the device: a value, not yet text.

    ``context`` is the path of selector values it was read under, outermost first.
    """

    name: str
    kind: str
    value: Any
    context: tuple[tuple[str, Any], ...] = ()
    is_selector: bool = False
    #: how GenApi shows the value (for the GenApi feature-file format)
    representation: str = ""
    notation: str = "Automatic"
    precision: int = 6


@attrs.frozen(slots=True)
class Assignment:
    """One ``NAME = VALUE`` (or ``Name<TAB>Value``) line; ``context`` = the selector
    assignments in force for it (``(selector, text)`` pairs, outermost first)."""

    name: str
    text: str
    line: int = 0
    context: Context = ()
    is_selector: bool = False


@attrs.frozen(slots=True)
class Skipped:
    """A feature (or one selector value of it) that a save left out, and why."""

    name: str
    reason: str
    context: Context = ()

    def __str__(self) -> str:
        under = ""
        if self.context:
            under = " (with " + ", ".join(f"{k}={v}" for k, v in self.context) + ")"
        return f"{self.name}{under}: {self.reason}"


@attrs.frozen(slots=True)
class Problem:
    """A feature that could not be restored, and why."""

    name: str
    value: str
    reason: str
    line: int = 0
    context: Context = ()

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        under = ""
        if self.context:
            under = " (with " + ", ".join(f"{k}={v}" for k, v in self.context) + ")"
        return f"{where}{self.name} = {self.value}{under}: {self.reason}"


@attrs.frozen(slots=True)
class SaveReport:
    """What a save wrote: how many assignments, in which format and selection rule, and
    every candidate feature that was left out with the reason (nothing is left out
    silently; the file lists them too, as ``# not saved:`` comments)."""

    assignments: int
    format: str
    selection: str
    skipped: tuple[Skipped, ...] = ()

    def __int__(self) -> int:
        return self.assignments


@attrs.frozen(slots=True)
class LoadReport:
    """What :func:`~nodemap.persist.load` did: how many assignments succeeded, how many
    values were read back equal, and every problem."""

    applied: int
    verified: int
    problems: tuple[Problem, ...]
    format: str = "nmfs"

    @property
    def ok(self) -> bool:
        return not self.problems
