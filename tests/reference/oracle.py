"""The differential oracle: what the GenApi reference and nodemap each say about a file.

:func:`reference_facts` loads a description into ``genicam.genapi.NodeMap`` (the
EMVA reference), connects a :class:`~tests.reference.memory.SparseMemory` as its
port and records, for every *feature* (``INode.is_feature()``: reachable from the
root category) of a comparable kind, one :class:`Facts`: kind, access mode, value,
min, max, inc, implemented enumeration entries, enumeration integer value,
register length.  :func:`our_facts` records the same through nodemap's public API
(the public API in README.md).  Attributes are read in one fixed order on both sides (names
sorted; per feature access → value → int_value → min → max → inc → entries) so
caches see the same history.

An attribute that raises is recorded as :class:`Raised` with a *normalised* error
name so the two sides compare: reference ``AccessException`` ↔ nodemap
``AccessError`` → ``"AccessError"``; ``OutOfRangeException`` ↔ ``RangeError`` →
``"RangeError"`` (also ``InvalidArgumentException``: an unknown enumeration symbol,
which the public API makes a ``RangeError``); the binding's own ``UnicodeDecodeError``
on a string of random bytes → ``"Undecodable"``, which agrees with any text of ours
(and is not counted as a readable comparison); every other reference exception →
``"Error"`` (with the class in ``detail``); every other
:class:`nodemap.errors.NodeMapError` → ``"Error"``; any other Python exception from
nodemap (a bug) → ``"Crash"`` which never agrees.  A generic reference ``"Error"``
(e.g. LogicalErrorException: a Boolean register holding neither OnValue nor
OffValue, a formula dividing by zero) agrees with our ``"Error"`` or ``"RangeError"``;
AccessError and RangeError must match exactly.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable

import attrs

from .memory import SparseMemory, reference_port

__all__ = [
    "Raised", "Facts", "Difference", "KINDS", "ATTRIBUTES",
    "load_reference", "load_ours", "reference_facts", "our_facts", "reference_feature_facts",
    "our_feature_facts", "compare_facts", "same_value", "normalise_reference_error",
    "normalise_our_error", "device_port_name",
]

#: Facts attributes compared, in read order.
ATTRIBUTES = ("access", "value", "int_value", "min", "max", "inc", "entries", "length")

#: The reference's principal interface (by EInterfaceType name) → our kind.
KINDS = {
    "intfIInteger": "Integer",
    "intfIFloat": "Float",
    "intfIBoolean": "Boolean",
    "intfICommand": "Command",
    "intfIString": "String",
    "intfIRegister": "Register",
    "intfICategory": "Category",
    "intfIEnumeration": "Enumeration",
}


@attrs.frozen(slots=True)
class Raised:
    """An attribute read (or write) that raised; compared by normalised ``error`` only."""

    error: str
    detail: str = attrs.field(default="", eq=False)

    def __str__(self) -> str:
        return f"<raised {self.error}: {self.detail[:160]}>"


@attrs.frozen(slots=True)
class Facts:
    """Everything compared about one feature.  ``None`` = not applicable to the kind."""

    name: str
    kind: str
    access: Any = None
    value: Any = None
    int_value: Any = None
    min: Any = None
    max: Any = None
    inc: Any = None
    entries: Any = None
    length: Any = None


@attrs.frozen(slots=True)
class Difference:
    name: str
    attribute: str
    reference: Any
    ours: Any

    def __str__(self) -> str:
        return f"{self.name}.{self.attribute}: reference={_show(self.reference)} ours={_show(self.ours)}"


def _show(value: Any) -> str:
    text = str(value) if isinstance(value, Raised) else repr(value)
    return text if len(text) <= 200 else text[:200] + "…"


# --------------------------------------------------------------------------- errors
def normalise_reference_error(exc: BaseException) -> Raised:
    name = type(exc).__name__
    if isinstance(exc, UnicodeDecodeError):
        # Not GenApi: the genicam binding decodes a string's bytes as UTF-8 in Python
        # and raises on invalid bytes (random memory); GenApi itself returned them.
        return Raised("Undecodable", f"{name}: {exc}")
    mapped = {"AccessException": "AccessError", "OutOfRangeException": "RangeError",
              "InvalidArgumentException": "RangeError"}.get(name, "Error")
    return Raised(mapped, f"{name}: {exc}")


def normalise_our_error(exc: BaseException) -> Raised:
    from nodemap import errors

    if isinstance(exc, errors.AccessError):
        return Raised("AccessError", f"AccessError: {exc}")
    if isinstance(exc, errors.RangeError):
        return Raised("RangeError", f"RangeError: {exc}")
    if isinstance(exc, errors.NodeMapError):
        return Raised("Error", f"{type(exc).__name__}: {exc}")
    return Raised("Crash", f"{type(exc).__module__}.{type(exc).__name__}: {exc}")


# --------------------------------------------------------------------------- loading
def _source_bytes(xml: bytes | str | Path) -> bytes:
    return Path(xml).read_bytes() if isinstance(xml, (str, Path)) else bytes(xml)


def device_port_name(xml: bytes | str | Path) -> str:
    """``Device`` when the file has such a Port node, else its first Port node."""
    from .seeding import port_names

    names = port_names(xml)
    return "Device" if "Device" in names or not names else names[0]


def load_reference(xml: bytes | str | Path, memory: SparseMemory | None,
                   port_name: str | None = None) -> Any:
    """A reference NodeMap for ``xml`` (plain or zip) with ``memory`` connected."""
    import genicam.genapi as genapi

    data = _source_bytes(xml)
    nm = genapi.NodeMap()
    if data[:2] == b"PK":
        fd, tmp = tempfile.mkstemp(suffix=".zip")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            nm.load_xml_from_zip_file(tmp)
        finally:
            os.unlink(tmp)
    elif isinstance(xml, (str, Path)):
        nm.load_xml_from_file(str(xml))
    else:
        nm.load_xml_from_string(data.decode("utf-8"))
    if memory is not None:
        nm.connect(reference_port(memory), port_name or device_port_name(data))
    return nm


def load_ours(xml: bytes | str | Path, memory: SparseMemory | None,
              port_name: str | None = None) -> Any:
    """A nodemap NodeMap for ``xml`` with ``memory`` connected."""
    import nodemap

    source: Any = Path(xml) if isinstance(xml, str) else xml
    nm = nodemap.NodeMap.from_xml(source)
    if memory is not None:
        nm.connect(memory, name=port_name or device_port_name(_source_bytes(xml)))
    return nm


# --------------------------------------------------------------------------- reading
def _ref_kind(node: Any) -> str | None:
    import genicam.genapi as genapi

    return KINDS.get(genapi.EInterfaceType(int(node.node.principal_interface_type)).name)


def _access_name(mode: Any) -> str:
    import genicam.genapi as genapi

    try:
        name = genapi.EAccessMode(int(mode)).name
    except (TypeError, ValueError):
        name = str(mode)
    return name if name in ("RW", "RO", "WO", "NA", "NI") else f"?{name}"


def _ref_get(fn: Any) -> Any:
    try:
        return fn()
    except Exception as exc:  # the reference's exceptions derive from Exception
        return normalise_reference_error(exc)


def reference_feature_facts(nm: Any, name: str) -> Facts:
    """Facts of one reference node (any name, feature or not)."""
    import genicam.genapi as genapi

    node = nm.get_node(name)
    kind = _ref_kind(node)
    facts: dict[str, Any] = {"access": _ref_get(lambda: _access_name(node.node.get_access_mode()))}
    if kind in ("Integer", "Float", "Boolean", "String", "Enumeration"):
        facts["value"] = _ref_get(lambda: node.value)
    if kind == "Enumeration":
        facts["int_value"] = _ref_get(node.get_int_value)
    if kind in ("Integer", "Float"):
        facts["min"] = _ref_get(lambda: node.min)
        facts["max"] = _ref_get(lambda: node.max)
        if kind == "Integer":
            facts["inc"] = _ref_get(lambda: node.inc)
        else:
            facts["inc"] = _ref_get(lambda: node.inc if node.has_inc() else None)
    if kind == "Enumeration":
        facts["entries"] = _ref_get(lambda: tuple(
            e.symbolic for e in node.entries
            if e.node.get_access_mode() != genapi.EAccessMode.NI))
    if kind == "Register":
        facts["length"] = _ref_get(lambda: node.length)
    return Facts(name=name, kind=kind or "?", **facts)


def reference_facts(xml: bytes | str | Path, memory: SparseMemory,
                    names: Iterable[str] | None = None, port_name: str | None = None) -> dict[str, Facts]:
    """Facts of every comparable feature the reference lists (or of ``names``)."""
    nm = load_reference(xml, memory, port_name)
    if names is None:
        names = [n.node.name for n in nm.nodes if n.node.is_feature() and _ref_kind(n) is not None]
    return {name: reference_feature_facts(nm, name) for name in sorted(names)}


def _ours_get(fn: Any) -> Any:
    try:
        return fn()
    except Exception as exc:
        return normalise_our_error(exc)


def our_feature_facts(nm: Any, name: str) -> Facts:
    """Facts of one nodemap feature, through the public Feature API only."""
    try:
        feature = nm.features[name]
    except Exception as exc:
        return Facts(name=name, kind="missing", access=normalise_our_error(exc))
    kind = _ours_get(lambda: feature.kind)
    kind = kind if isinstance(kind, str) else f"?{kind}"
    facts: dict[str, Any] = {"access": _ours_get(lambda: feature.access)}
    if kind in ("Integer", "Float", "Boolean", "String", "Enumeration"):
        facts["value"] = _ours_get(lambda: feature.value)
    if kind == "Enumeration":
        facts["int_value"] = _ours_get(lambda: feature.int_value)
    if kind in ("Integer", "Float"):
        facts["min"] = _ours_get(lambda: feature.min)
        facts["max"] = _ours_get(lambda: feature.max)
        facts["inc"] = _ours_get(lambda: feature.inc)
    if kind == "Enumeration":
        facts["entries"] = _ours_get(lambda: tuple(feature.entries))
    if kind == "Register":
        facts["length"] = _ours_get(
            lambda: feature.length if hasattr(type(feature), "length") else len(feature.value))
    return Facts(name=name, kind=kind, **facts)


def our_facts(xml: bytes | str | Path, memory: SparseMemory,
              names: Iterable[str] | None = None, port_name: str | None = None) -> dict[str, Facts]:
    """Facts of every feature nodemap lists (or of ``names``), same shape and order."""
    nm = load_ours(xml, memory, port_name)
    if names is None:
        names = list(nm.features)
    return {name: our_feature_facts(nm, name) for name in sorted(names)}


# --------------------------------------------------------------------------- comparing
def same_value(reference: Any, ours: Any) -> bool:
    """Equality as the differential tests define it (floats to 1e-9 relative)."""
    if isinstance(reference, Raised) and reference.error == "Undecodable":
        # bytes the binding could not hand over as text: any text of ours is accepted
        # (the bytes themselves are compared by the memory checks and Register reads)
        return isinstance(ours, str)
    if isinstance(reference, Raised) or isinstance(ours, Raised):
        if not (isinstance(reference, Raised) and isinstance(ours, Raised)):
            return False
        if reference.error == "Undecodable":
            return False
        if reference.error == "Error":  # a generic reference failure: any typed failure of ours
            return ours.error in ("Error", "RangeError")
        return reference == ours
    if isinstance(reference, float) or isinstance(ours, float):
        if isinstance(reference, (int, float)) and isinstance(ours, (int, float)) \
                and not isinstance(ours, bool):
            if math.isnan(reference) and math.isnan(ours):
                return True
            return math.isclose(reference, ours, rel_tol=1e-9, abs_tol=1e-300)
        return False
    if isinstance(reference, (tuple, list)) and isinstance(ours, (tuple, list)):
        return tuple(reference) == tuple(ours)
    if isinstance(reference, bytes) or isinstance(ours, bytes):
        return bytes(reference) == bytes(ours) if isinstance(ours, (bytes, bytearray)) else False
    return bool(reference == ours)


def compare_facts(reference: Facts, ours: Facts) -> list[Difference]:
    """Every attribute on which ``ours`` disagrees with ``reference``."""
    if ours.kind != reference.kind:
        return [Difference(reference.name, "kind", reference.kind, ours.kind)]
    out = []
    for attribute in ATTRIBUTES:
        ref_value, our_value = getattr(reference, attribute), getattr(ours, attribute)
        if ref_value is None and our_value is None:
            continue
        if not same_value(ref_value, our_value):
            out.append(Difference(reference.name, attribute, ref_value, our_value))
    return out
