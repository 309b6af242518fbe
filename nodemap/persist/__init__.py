"""Feature sets: save a camera's configuration to a text file and restore it later.

    from nodemap import persist
    persist.save(cam, "camera.nmfs")                   # nodemap's format; -> count
    persist.save(cam, "camera.pfs", format="pfs")      # GenApi / pylon feature file
    report = persist.store(cam, "camera.nmfs")         # the same, -> SaveReport
    for item in report.skipped: print("not saved:", item)
    report = persist.load(cam, "camera.nmfs")          # either format, by content
    for problem in report.problems: print(problem)

Two formats, one model.  ``nmfs`` (:mod:`nodemap.persist.nmfs`): ``NAME = VALUE`` lines
under a ``# nodemap feature set 1`` header, values typed by kind, names escaped so every
name round-trips.  ``pfs`` (:mod:`nodemap.persist.pfs`): the GenApi ``CFeatureBag``
layout pylon Viewer reads and writes — a comment header with GenApi's magic GUID, then
``Name<TAB>Value`` lines.  :func:`load` tells them apart by content (the GUID line).

What is saved, in which order, and how selectors are visited:
:mod:`nodemap.persist.selection`.  How a file is restored (validated whole before
anything is applied, then replayed, retried and verified):
:mod:`nodemap.persist.replay`.  Saving to a path is atomic
(:mod:`nodemap.persist.files`): a failed write leaves the previous file intact.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, TextIO

from ..errors import FeatureSetError, NodeMapError
from ..nodemap import NodeMap
from . import nmfs, pfs
from .files import decode, write_atomic
from .model import Assignment, LoadReport, Problem, SaveReport, Skipped
from .nmfs import FORMAT_VERSION, HEADER  # noqa: F401 - public
from .replay import replay
from .selection import plan as _plan
from .values import format_pfs_value, format_value, parse_pfs_value, parse_value

__all__ = ["FORMAT_VERSION", "FORMATS", "Assignment", "Problem", "LoadReport", "SaveReport",
           "Skipped", "FeatureSetError", "plan", "dumps", "render", "save", "store", "loads",
           "load", "parse", "detect", "format_value", "parse_value", "format_pfs_value",
           "parse_pfs_value", "names"]

FORMATS = ("nmfs", "pfs")


def _nodemap(target: object) -> NodeMap:
    """Accept a Camera, a NodeMap or a Features mapping."""
    found: object = target
    if hasattr(target, "nodemap"):
        found = target.nodemap
    elif hasattr(target, "_nodemap") and not hasattr(target, "names"):
        found = target._nodemap
    if not isinstance(found, NodeMap):
        raise TypeError(f"a feature set is saved from and loaded into a NodeMap, a Camera or "
                        f"their features, not {type(target).__name__}")
    return found


def _device_label(nm: NodeMap) -> str:
    parts = []
    for name in ("DeviceVendorName", "DeviceModelName", "DeviceSerialNumber"):
        if name in nm:
            try:
                value = nm.features[name].value
            except (NodeMapError, KeyError):
                continue
            if value:
                parts.append(str(value).strip("\0 "))
    if not parts and nm.documents and hasattr(nm.documents[0], "root"):
        root = nm.documents[0].root
        parts = [root.get("VendorName", ""), root.get("ModelName", "")]
    return " ".join(p for p in parts if p) or "unknown"


def _check_format(file_format: str) -> str:
    if file_format not in FORMATS:
        raise FeatureSetError(f"unknown feature-set format {file_format!r}; use "
                              f"{' or '.join(FORMATS)}")
    return file_format


def plan(target: object) -> tuple[list[Assignment], str]:
    """The assignments a feature set of ``target`` holds (nmfs texts) and the selection
    rule used ("streamable" or "writable").  Reads (and visits selectors on) the device."""
    nm = _nodemap(target)
    with nm.lock:
        result = _plan(nm)
    out = []
    for entry in result.entries:
        try:
            text = format_value(entry.kind, entry.value)
        except ValueError:
            continue
        context = tuple((k, format_value(_kind(nm, k), v)) for k, v in entry.context)
        out.append(Assignment(entry.name, text, 0, context, entry.is_selector))
    return out, result.selection


def _kind(nm: NodeMap, name: str) -> str:
    try:
        return str(nm.features[name].kind)
    except (KeyError, NodeMapError):
        return "Enumeration"


def render(target: object, file_format: str = "nmfs") -> tuple[str, SaveReport]:
    """The feature set of ``target`` as text in ``file_format``, and its report."""
    nm = _nodemap(target)
    _check_format(file_format)
    with nm.lock:
        result = _plan(nm)
        label = _device_label(nm)
    codec = pfs if file_format == "pfs" else nmfs
    text, count, unwritable = codec.render(label, result.selection, result.entries,
                                           result.skipped)
    return text, SaveReport(count, file_format, result.selection,
                            (*result.skipped, *unwritable))


def dumps(target: object, *, format: str = "nmfs") -> str:  # noqa: A002 - the natural name
    """The feature set of ``target`` (Camera/NodeMap) as text."""
    return render(target, format)[0]


def store(target: object, destination: str | os.PathLike[str] | TextIO, *,
          format: str | None = None) -> SaveReport:  # noqa: A002
    """Write the feature set to a path (atomically) or a text file; returns the report.

    ``format`` is "nmfs" or "pfs"; by default a path ending in ``.pfs`` gets "pfs" and
    everything else "nmfs"."""
    if format is None:
        suffix = "" if hasattr(destination, "write") else Path(destination).suffix
        format = "pfs" if suffix.lower() == ".pfs" else "nmfs"
    text, report = render(target, format)
    if hasattr(destination, "write"):
        destination.write(text)
    else:
        write_atomic(destination, text.encode("utf-8"))
    return report


def save(target: object, destination: str | os.PathLike[str] | TextIO, *,
         format: str | None = None) -> int:  # noqa: A002
    """Write the feature set to a path or text file; returns the number of assignments.

    See :func:`store` for the formats and for the report of what was left out."""
    return store(target, destination, format=format).assignments


def detect(text: str) -> str:
    """"pfs" for a GenApi feature file (magic GUID on the first line), else "nmfs"."""
    return "pfs" if pfs.is_pfs(text) else "nmfs"


def parse(text: str, file_format: str | None = None) -> list[Assignment]:
    """The assignments of a feature-set text; FeatureSetError names every malformed line."""
    file_format = _check_format(file_format or detect(text))
    return pfs.parse(text) if file_format == "pfs" else nmfs.parse(text)


def loads(target: object, text: str, *, verify: bool = True,
          format: str | None = None,  # noqa: A002
          source: str = "the feature set") -> LoadReport:
    """Replay a feature-set text on ``target`` and report what could not be restored.

    Raises FeatureSetError (nothing applied) when a line cannot be read at all."""
    file_format = _check_format(format or detect(text))
    try:
        assignments = parse(text, file_format)
    except FeatureSetError as exc:
        raise exc.with_context(f"{source}: {exc}") from None
    return replay(_nodemap(target), assignments, file_format, verify=verify, source=source)


def load(target: object, source: str | os.PathLike[str] | TextIO, *, verify: bool = True,
         format: str | None = None) -> LoadReport:  # noqa: A002
    """Restore a feature set from a path or file (either format); see :func:`loads`."""
    if hasattr(source, "read"):
        name = str(getattr(source, "name", "the feature set"))
        try:
            data = source.read()
        except UnicodeDecodeError as exc:
            raise FeatureSetError(f"{name}: not UTF-8 text ({exc.reason}); nothing was "
                                  f"applied") from None
        text = decode(data, name) if isinstance(data, bytes) else data
    else:
        name = str(source)
        text = decode(Path(source).read_bytes(), name)
    return loads(target, text, verify=verify, format=format, source=name)


def names(assignments: Iterable[Assignment]) -> list[str]:
    """The distinct feature names of some assignments, first appearance order."""
    return list(dict.fromkeys(a.name for a in assignments))

