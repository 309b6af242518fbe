"""Run a generated map on the GenApi reference and on nodemap; list every disagreement.

:func:`compare_map` loads the same XML into both node maps over identical memories and
compares every node the reference knows of a comparable kind (features or not; Ports by
access only) — value, int_value, min, max, inc, access, entries, register length (the
:mod:`tests.reference.oracle` facts) plus unit, visibility, representation and category
membership — at three moments:

1. the initial memory state;
2. after each write of the scenario (the outcome — accepted, or the normalised error
   class — must agree too, and so must every byte either side wrote) and after each
   invalidation of a node it makes (``INode.invalidate_node()`` against
   ``Feature.invalidate()``);
3. at each value of each selector (Enumeration: every entry; Integer: min..max, at most
   four values).

Both sides failing a read counts as agreement only when the normalised errors agree
(:func:`tests.reference.oracle.same_value`); such reads are counted apart from the
readable comparisons, by (reference error, our error) kind, in :class:`Tally`.

The reference's frozen Automatic slope (a reference defect nodemap does not copy, pinned
in tests/reference/test_rules_converter.py) is counted apart too (``reference_slope``):
a Converter's min > max where nodemap has the same two in order, a Converter with a
declared slope over it getting the two swapped, and a write the reference refuses
against such bounds — which is then made on the reference without its range check, so
that both sides go on from the same state.
"""

from __future__ import annotations

import collections
import re
from typing import Any

import attrs

from tests.reference import oracle
from tests.reference.memory import SparseMemory

from .model import INVALIDATE, MapSpec

__all__ = ["Tally", "compare_map", "GeneratorError"]

EXTENDED = ("unit", "visibility", "representation", "features")


class GeneratorError(AssertionError):
    """The reference refused a generated document: a defect of the generator."""


@attrs.define
class Tally:
    """What one or many maps compared."""

    maps: int = 0
    readable: int = 0
    readable_ok: int = 0
    both_failed: collections.Counter[tuple[str, str]] = attrs.field(factory=collections.Counter)
    #: differences explained by the reference's stale cache (see ``_Run.snapshot``)
    stale_reference: int = 0
    #: min/max differences from the reference's frozen Automatic slope (min > max)
    reference_slope: int = 0
    differences: list[str] = attrs.field(factory=list)

    def add(self, other: "Tally") -> None:
        self.maps += other.maps
        self.readable += other.readable
        self.readable_ok += other.readable_ok
        self.stale_reference += other.stale_reference
        self.reference_slope += other.reference_slope
        self.both_failed.update(other.both_failed)
        self.differences += other.differences


def _memory(spec: MapSpec) -> SparseMemory:
    memory = SparseMemory(spec.profile, seed=spec.seed)
    for address, data in spec.presets:
        memory.preset(address, data)
    return memory


def _ref_extended(nm: Any, name: str, kind: str) -> dict[str, Any]:
    import genicam.genapi as genapi

    node = nm.get_node(name)
    out: dict[str, Any] = {}
    out["visibility"] = oracle._ref_get(lambda: genapi.EVisibility(int(node.node.visibility)).name)
    if kind in ("Integer", "Float"):
        out["unit"] = oracle._ref_get(lambda: node.unit)
        out["representation"] = oracle._ref_get(
            lambda: genapi.ERepresentation(int(node.representation)).name)
    if kind == "Category":
        out["features"] = oracle._ref_get(lambda: tuple(n.node.name for n in node.features))
    return out


def _our_extended(nm: Any, name: str, kind: str) -> dict[str, Any]:
    feature = nm.features[name]
    out: dict[str, Any] = {}
    out["visibility"] = oracle._ours_get(lambda: feature.visibility)
    if kind in ("Integer", "Float"):
        out["unit"] = oracle._ours_get(lambda: feature.unit)
        out["representation"] = oracle._ours_get(lambda: feature.representation)
    if kind == "Category":
        out["features"] = oracle._ours_get(lambda: tuple(feature.features))
    return out


def _ref_access(nm: Any, name: str) -> Any:
    return oracle._ref_get(lambda: oracle._access_name(nm.get_node(name).node.get_access_mode()))


def _ref_write(nm: Any, name: str, value: Any, verify: bool = True) -> Any:
    node = nm.get_node(name)
    try:
        if value is None:
            node.execute()
        elif verify:
            node.value = value
        else:
            node.set_value(value, False)
    except Exception as exc:
        return oracle.normalise_reference_error(exc)
    return None


def _our_write(nm: Any, name: str, value: Any) -> Any:
    try:
        feature = nm.features[name]
        if value is None:
            feature.execute()
        else:
            feature.value = value
    except Exception as exc:
        return oracle.normalise_our_error(exc)
    return None


def _declared_names(xml: bytes) -> set[str]:
    """Node names the document declares (enumeration entries and inline register terms
    under the names GenApi gives them)."""
    from lxml import etree

    from nodemap.loader import nested_name

    root = etree.fromstring(xml)
    names: set[str] = set()
    for element in root:
        tag = etree.QName(element).localname
        name = element.get("Name")
        if name:
            names.add(name)
        for child in element:
            child_tag = etree.QName(child).localname
            child_name = child.get("Name")
            if not child_name:
                continue
            if child_tag == "EnumEntry":
                names.add(f"EnumEntry_{name}_{child_name}")
            elif child_tag == "StructEntry":
                names.add(child_name)
            elif child_tag == "IntSwissKnife":
                names.add(nested_name(tag, name, child_name))
    return names


def _swapped(ref: oracle.Facts, ours: oracle.Facts) -> bool:
    """nodemap's min and max are the reference's two bounds swapped."""
    numbers = (int, float)
    if not all(isinstance(v, numbers) for v in (ref.min, ref.max, ours.min, ours.max)):
        return False
    return bool(oracle.same_value(ref.min, ours.max) and oracle.same_value(ref.max, ours.min))


def _slope_defect(ref: oracle.Facts, ours: oracle.Facts) -> bool:
    """The reference's min > max, and nodemap's bounds are the same two swapped."""
    return _swapped(ref, ours) and bool(ref.min > ref.max)


class _Run:
    def __init__(self, spec: MapSpec) -> None:
        import genicam.genapi as genapi

        xml = spec.xml()
        self.xml = xml
        base = _memory(spec)
        self.ref_memory, self.our_memory = base.clone(), base.clone()
        try:
            self.ref = oracle.load_reference(xml, self.ref_memory, "Device")
        except Exception as exc:
            raise GeneratorError(f"the reference refuses the generated map: {exc}\n"
                                 f"{xml.decode()}") from None
        self.ours = oracle.load_ours(xml, self.our_memory, "Device")
        self.names: list[str] = []
        self.ports: list[str] = []
        declared = _declared_names(xml)
        for node in self.ref.nodes:
            name = node.node.name
            if name not in declared:
                continue  # the reference's own helper nodes (<Converter>_ConvertFrom ...)
            if oracle._ref_kind(node) is not None:
                self.names.append(name)
            elif genapi.EInterfaceType(int(node.node.principal_interface_type)).name == "intfIPort":
                self.ports.append(name)
        self.names.sort()
        self.ports.sort()
        self.tally = Tally(maps=1)

    def differ(self, stage: str, text: str) -> None:
        self.tally.differences.append(f"[{stage}] {text}")

    def snapshot(self, stage: str) -> None:
        for name in self.names:
            ref = oracle.reference_feature_facts(self.ref, name)
            ours = oracle.our_feature_facts(self.ours, name)
            diffs = oracle.compare_facts(ref, ours)
            if diffs and (_slope_defect(ref, ours) or (
                    _swapped(ref, ours) and self._frozen_slope_upstream(name))):
                # The reference works out an Automatic slope once, at the first bounds
                # it computes, and keeps it when a pVariable later reverses the slope:
                # it then reports min > max.  nodemap reports them in order.  A
                # Converter over such a node (with a declared slope) then gets the two
                # bounds swapped too.
                self.tally.reference_slope += len(diffs)
                diffs = [d for d in diffs if d.attribute not in ("min", "max")]
            if diffs and stage != "initial" and all(d.attribute != "access" for d in diffs):
                # The reference serves a node's cached value until its own dependency
                # graph invalidates it: a write to an overlapping bit field (another
                # StructEntry of the register) does not (nodemap neither: docs/core.md,
                # "Register bytes are shared by span"), nor (for one read) a selector
                # change right after a write to an indexed value, where nodemap re-reads.
                # Where the reference, once its caches are dropped (InvalidateNodes,
                # written values kept), agrees with nodemap, the difference is the
                # reference's stale cache: counted, not a disagreement.  nodemap is
                # invalidated alike: a value kept from a write that invalidated nothing
                # outlives one invalidation on both sides (docs/core.md), so both must
                # see the same ones.  Not an access mode: the reference keeps some
                # across a write on purpose (an Integer written through its pValue,
                # tests/reference/test_rules_written_node.py), and InvalidateNodes would
                # hide that from the next write too.
                self.ref._invalidate_nodes()
                self.ours.invalidate()
                again = oracle.reference_feature_facts(self.ref, name)
                if not oracle.compare_facts(again, ours):
                    self.tally.stale_reference += len(diffs)
                    diffs = []
            bad = {d.attribute for d in diffs}
            for d in diffs:
                self.differ(stage, str(d))
            if "kind" in bad:
                continue
            for attribute in oracle.ATTRIBUTES:
                value = getattr(ref, attribute)
                if value is None or attribute == "access":
                    continue
                if isinstance(value, oracle.Raised):
                    other = getattr(ours, attribute)
                    if attribute not in bad and isinstance(other, oracle.Raised):
                        self.tally.both_failed[(value.error, other.error)] += 1
                    continue
                self.tally.readable += 1
                self.tally.readable_ok += attribute not in bad
            ref_more = _ref_extended(self.ref, name, ref.kind)
            our_more = _our_extended(self.ours, name, ref.kind)
            for attribute, value in ref_more.items():
                if not oracle.same_value(value, our_more.get(attribute)):
                    self.differ(stage, f"{name}.{attribute}: reference={value!r} "
                                       f"ours={our_more.get(attribute)!r}")
        for name in self.ports:
            ref_access = _ref_access(self.ref, name)
            our_access = oracle._ours_get(lambda: self.ours.features[name].access)
            if not oracle.same_value(ref_access, our_access):
                self.differ(stage, f"{name}.access (Port): reference={ref_access} ours={our_access}")

    def _frozen_slope_upstream(self, name: str) -> bool:
        """A Converter ``name``'s bounds come from (through pValues) shows the
        reference's frozen Automatic slope now (:func:`_slope_defect`)."""
        seen = {name}
        todo = [name]
        while todo and len(seen) < 200:
            node = self.ours.node(todo.pop())
            upstream = node.text("pValue") if node.definition.type in (
                "Converter", "IntConverter") else None
            if not upstream or upstream in seen or upstream not in self.ours:
                continue
            seen.add(upstream)
            ref = oracle.reference_feature_facts(self.ref, upstream)
            if _slope_defect(ref, oracle.our_feature_facts(self.ours, upstream)):
                return True
            todo.append(upstream)
        return False

    def _refused_by_frozen_slope(self, outcome: Any) -> bool:
        """``outcome`` is a reference RangeError thrown by a Converter whose bounds show
        the frozen Automatic slope (:func:`_slope_defect`) now."""
        if not (isinstance(outcome, oracle.Raised) and outcome.error == "RangeError"):
            return False
        found = re.search(r"must be (?:equal or )?(?:greater|smaller).*thrown in node "
                          r"'([^']+)'", outcome.detail)
        if found is None or found.group(1) not in self.ours:
            return False
        node = found.group(1)
        if self.ours.node(node).definition.type not in ("Converter", "IntConverter"):
            return False
        return _slope_defect(oracle.reference_feature_facts(self.ref, node),
                             oracle.our_feature_facts(self.ours, node))

    def invalidate(self, name: str) -> None:
        """Invalidate ``name`` on both sides (InvalidateNode; Feature.invalidate), then
        compare: the access modes kept (an Enumeration's entries', a failed condition's)
        must agree; a value nodemap reads from the device again where the reference
        serves a stale cache falls under the stale-cache rule of :meth:`snapshot`."""
        stage = f"invalidate {name}"
        ref: Any = None
        try:
            self.ref.get_node(name).node.invalidate_node()
        except Exception as exc:
            ref = oracle.normalise_reference_error(exc)
        ours: Any = None
        try:
            self.ours.features[name].invalidate()
        except Exception as exc:
            ours = oracle.normalise_our_error(exc)
        if (ref is not None or ours is not None) and not oracle.same_value(ref, ours):
            self.differ(stage, f"outcome: reference={ref} ours={ours}")
        self.snapshot(stage)

    def write(self, name: str, value: Any) -> None:
        if value is INVALIDATE:
            self.invalidate(name)
            return
        stage = f"write {name}={value!r}"
        ref = _ref_write(self.ref, name, value)
        # judged before nodemap writes: the write may change the bounds compared
        # (a pVariable of the Converter written through its own pValue)
        frozen = self._refused_by_frozen_slope(ref)
        ours = _our_write(self.ours, name, value)
        if ours is None and frozen:
            # The reference refused the value against a Converter's frozen Automatic
            # slope (its min > max, see snapshot): nodemap wrote it.  The reference
            # writes it too without its range check, so both sides go on in step.
            ref = _ref_write(self.ref, name, value, verify=False)
            self.tally.reference_slope += 1
        if (ref is not None or ours is not None) and not oracle.same_value(ref, ours):
            self.differ(stage, f"outcome: reference={ref} ours={ours}")
        ref_bytes = self.ref_memory.written_bytes()
        our_bytes = self.our_memory.written_bytes()
        for address in sorted(set(ref_bytes) | set(our_bytes)):
            if self.ref_memory.peek(address, 1) != self.our_memory.peek(address, 1):
                self.differ(stage, f"memory byte {address:#x}: reference "
                                   f"{self.ref_memory.peek(address, 1).hex()} ours "
                                   f"{self.our_memory.peek(address, 1).hex()}")
                break
        self.snapshot(stage)

    def sweep(self, selector: str, symbols: list[str] | None) -> None:
        if symbols is not None:
            values: list[Any] = list(symbols)
        else:
            node = self.ref.get_node(selector)
            try:
                lo, hi = int(node.min), int(node.max)
            except Exception:
                return
            values = list(range(lo, min(hi, lo + 3) + 1))
        for value in values:
            self.write(selector, value)


def compare_map(spec: MapSpec, enum_symbols: dict[str, list[str]] | None = None) -> Tally:
    """Every disagreement of one generated map (initial state, writes, selector sweeps)."""
    run = _Run(spec)
    run.snapshot("initial")
    for name, value in spec.writes:
        run.write(name, value)
    for selector in spec.selectors:
        symbols = None
        node = run.ref.get_node(selector)
        if oracle._ref_kind(node) == "Enumeration":
            symbols = [e.symbolic for e in node.entries]
        run.sweep(selector, symbols)
    return run.tally
