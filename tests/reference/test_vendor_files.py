"""Every shared vendor XML: nodemap against the GenApi reference, same bytes behind both.

For each file in ``../shared/genicam-xml/`` and each memory profile — ``derived``
(registers preset to meaningful values from the XML, see ``seeding.py``), ``zero``
(all-zero memory: pIsAvailable = 0, empty selectors, error paths) and ``pattern``
(pseudo-random bytes, seed 0: out-of-range values, invalid enumeration values) — both
node maps load the file over identical sparse memories and every feature the reference
lists is read in one fixed order (see ``oracle.py``).  Every profile runs on every file.

Pass criteria (``test_matches_reference``):

* nodemap lists every feature the reference lists;
* agreement ≥ 99.5 % over readable values and bounds (value, int_value, min, max, inc,
  entries, length where the reference answered);
* at least :func:`min_readable` readable comparisons per file and profile (a file whose
  reads mostly fail on both sides compares little: it fails instead of passing
  vacuously).  Reads where both sides fail are counted apart, by (reference error,
  nodemap error) kind, and agree only when both refuse the same way (see
  ``oracle.same_value``); they never count towards the percentage;
* every remaining difference — in any attribute, access modes and error classes
  included — matches a :data:`KNOWN_DIFFERENCES` row naming the reference defect.

``test_writes_and_selector_sweep`` adds, per file (derived memory), a deterministic
scenario: every selector (at most :data:`MAX_SELECTORS`, spread evenly by name) is set
to each of its first values and its selected features compared; then a deterministic
sample of writable features (:data:`MAX_WRITES`) is written (min / another entry / the
opposite boolean) with the outcome, the written bytes and a feature sample compared
after each write.  The per-file agreement table is printed at the end of the session.
"""

from __future__ import annotations

import collections
import faulthandler
import fnmatch
import functools
import os
import zlib
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.peers import require_genicam, require_vendor_xml

from . import oracle, seeding
from .manifest import vendor_xml_paths
from .memory import SparseMemory

THRESHOLD = 99.5
READABLE_ATTRIBUTES = ("value", "int_value", "min", "max", "inc", "entries", "length")

#: Files the reference refuses as they are, and the input fix that lets it load the
#: same content (applied to the reference's copy only; nodemap always gets the file as is).
REFERENCE_INPUT_FIXES: dict[str, str] = {
    "FLIR_BFS_31S4M.xml": "strip the arv-tool header line before '<?xml' (reference: "
                          "'syntax error' at line 1 column 0)",
    "PGR_Blackfly_20E4C.xml": "strip the arv-tool header line before '<?xml' (reference: "
                              "'syntax error' at line 1 column 0)",
}

#: Files the reference refuses even after the fixes above; nodemap must still load them
#: and list every feature reachable from the Root category.
REFERENCE_REFUSES: dict[str, str] = {
    "aravis_genicam.xml": "Aravis's own test description puts elements out of schema order "
                          "(<Description> before <ToolTip> in Category Root, line 22; and more "
                          "after reordering): the reference's schema-driven parser stops with "
                          "'unexpected element encountered'. nodemap accepts elements in any order.",
}

#: Remaining differences, each a documented reference defect:
#: (file glob, feature glob, attribute glob, profile glob, reason).
KNOWN_DIFFERENCES: list[tuple[str, str, str, str, str]] = [
    ("Adimec_Q12A180CXP_1_1_5.xml", "BF_AutoLevelAdjust", "*", "pattern",
     "the reference fails with 'NULL pointer dereferenced' (LogicalErrorException, "
     "Pointer.h) evaluating a pIsAvailable formula over an Enumeration whose register holds "
     "no entry's value; nodemap reports NA"),
    ("Adimec_Q12A180CXP_1_1_5.xml", "UserSetSave", "access", "pattern",
     "same NULL pointer dereference in the reference's access computation"),
]


def _known(file: str, profile: str, diff: oracle.Difference) -> str | None:
    for file_glob, feature_glob, attribute_glob, profile_glob, reason in KNOWN_DIFFERENCES:
        if (fnmatch.fnmatchcase(file, file_glob) and fnmatch.fnmatchcase(diff.name, feature_glob)
                and fnmatch.fnmatchcase(diff.attribute, attribute_glob)
                and fnmatch.fnmatchcase(profile, profile_glob)):
            return reason
    return None


def reference_input(path: Path) -> bytes:
    """The bytes the reference is given for ``path`` (with its documented input fix)."""
    data = path.read_bytes()
    if path.name in REFERENCE_INPUT_FIXES:
        data = data[data.find(b"<?xml"):]
    return data


def base_memory(profile: str) -> SparseMemory:
    """The base content of a profile: zeros (``zero``, ``derived``) or pattern bytes."""
    return SparseMemory("pattern", seed=0) if profile == "pattern" else SparseMemory("zero")


def build_memory(path: Path, profile: str) -> SparseMemory:
    """The shared starting memory for ``path`` (clone it once per side)."""
    base = base_memory(profile)
    if profile != "derived":
        return base
    resolve = None
    if path.name not in REFERENCE_REFUSES:
        ref_nm = oracle.load_reference(reference_input(path), base.clone(),
                                       oracle.device_port_name(path))

        def resolve(name: str) -> int | None:
            try:
                return int(ref_nm.get_node(name).address)
            except Exception:
                return None
    presets = seeding.derive_presets(path, base, resolve)
    return seeding.apply_presets(base, presets)


@functools.lru_cache(maxsize=None)
def _reference_run(path: Path, profile: str) -> tuple[SparseMemory, dict[str, oracle.Facts]]:
    """(starting memory, reference facts) for one file and profile, computed once per session.

    One reference load serves both the address resolution of the derived memory and the
    facts: the presets are applied to the memory behind it and every node is invalidated
    before the first fact is read (checked equal to a fresh load by
    ``test_single_load_equals_fresh_load``).
    """
    base = base_memory(profile)
    behind = base.clone()
    nm = oracle.load_reference(reference_input(path), behind, oracle.device_port_name(path))
    if profile == "derived":
        def resolve(name: str) -> int | None:
            try:
                return int(nm.get_node(name).address)
            except Exception:
                return None
        presets = seeding.derive_presets(path, base, resolve)
        seeding.apply_presets(base, presets)
        seeding.apply_presets(behind, presets)
        nm._invalidate_nodes()  # the binding exposes INodeMap::InvalidateNodes under this name
    names = [n.node.name for n in nm.nodes if n.node.is_feature() and oracle._ref_kind(n) is not None]
    facts = {name: oracle.reference_feature_facts(nm, name) for name in sorted(names)}
    return base, facts


def _root_features(path: Path) -> set[str]:
    """Names reachable from the Root category through pFeature (computed with lxml)."""
    root = etree.fromstring(seeding.xml_bytes(path), etree.XMLParser(resolve_entities=False,
                                                                     no_network=True, huge_tree=True))
    categories: dict[str, list[str]] = {}
    for el in root.iter():
        if isinstance(el.tag, str) and etree.QName(el).localname == "Category":
            categories[el.get("Name", "")] = [
                (c.text or "").strip() for c in el
                if isinstance(c.tag, str) and etree.QName(c).localname == "pFeature"]
    defined = {el.get("Name") for el in root.iter() if isinstance(el.tag, str) and el.get("Name")}
    seen: set[str] = set()
    todo = ["Root"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo += categories.get(name, [])
    return seen & defined


#: From the manifest, not the folder: a missing file fails (CI) or skips by name, it
#: never silently shrinks the lists (tests/reference/conftest.py checks each path).
FILES = vendor_xml_paths()


def _ids(files: list[Path]) -> list[str]:
    return [f.name for f in files]


def test_vendor_folder_present() -> None:
    require_vendor_xml()


# ----------------------------------------------------------------- reference alone
@pytest.mark.parametrize("path", FILES, ids=_ids(FILES))
def test_reference_loads_or_is_documented(path: Path) -> None:
    """The reference loads every file (after its documented input fix) or is listed as refusing."""
    require_genicam()
    if path.name in REFERENCE_REFUSES:
        with pytest.raises(Exception) as info:
            oracle.load_reference(reference_input(path), None)
        assert "RuntimeException" in type(info.value).__name__, info.value
        return
    if path.name in REFERENCE_INPUT_FIXES:
        with pytest.raises(Exception) as info:   # noqa: PT011 - the reference's own type
            oracle.load_reference(path.read_bytes(), None)
        assert "RuntimeException" in type(info.value).__name__, info.value
    oracle.load_reference(reference_input(path), None)


@pytest.mark.parametrize("path", [f for f in FILES if f.name not in REFERENCE_REFUSES][:3] or FILES[:1],
                         ids=_ids([f for f in FILES if f.name not in REFERENCE_REFUSES][:3] or FILES[:1]))
def test_derived_memory_is_deterministic_and_meaningful(path: Path) -> None:
    """Same file → same presets; the derived memory makes more features readable than zeros."""
    require_genicam()
    one, two = build_memory(path, "derived"), build_memory(path, "derived")
    addresses = sorted(one._pages)
    assert addresses == sorted(two._pages)
    assert all(one._pages[a] == two._pages[a] for a in addresses)
    _, derived = _reference_run(path, "derived")
    _, zero = _reference_run(path, "zero")

    def errors(facts: dict[str, oracle.Facts]) -> int:
        return sum(isinstance(getattr(f, a), oracle.Raised) for f in facts.values() for a in oracle.ATTRIBUTES)

    # strictly fewer failing reads: a derivation that changed nothing would not pass
    assert errors(derived) < errors(zero), (errors(derived), errors(zero))


@pytest.mark.parametrize("path", [f for f in FILES if f.name in ("Basler-acA640-300gm.xml",
                                                                   "FLIR-BFS-PGE-23S6C.xml")],
                         ids=lambda p: p.name)
def test_single_load_equals_fresh_load(path: Path) -> None:
    """The session's one-load shortcut gives the same facts as a fresh reference load."""
    require_genicam()
    memory, facts = _reference_run(path, "derived")
    fresh = oracle.reference_facts(reference_input(path), memory.clone(),
                                   port_name=oracle.device_port_name(path))
    assert list(fresh) == list(facts)
    diffs = [d for name in facts for d in oracle.compare_facts(fresh[name], facts[name])]
    assert not diffs, "\n".join(map(str, diffs[:40]))


# ----------------------------------------------------------------- differential
PROFILES = ("derived", "zero", "pattern")
CASES = [(f, profile) for f in FILES for profile in PROFILES]


def min_readable(features: int, profile: str) -> int:
    """The fewest readable comparisons a file must give: half its feature count with
    meaningful (derived) registers, a fifth over zero or pattern bytes, at least 10."""
    return max(10, features // 2 if profile == "derived" else features // 5)


@pytest.mark.parametrize(("path", "profile"), CASES, ids=[f"{f.name}-{p}" for f, p in CASES])
def test_matches_reference(path: Path, profile: str, summary: list[dict[str, Any]]) -> None:
    require_genicam()
    if path.name in REFERENCE_REFUSES:
        pytest.skip(f"reference refuses {path.name}; covered by test_reference_refused_files_load_in_ours")
    memory, ref = _reference_run(path, profile)
    ours_nm = oracle.load_ours(path, memory.clone(), oracle.device_port_name(path))
    listed = set(ours_nm.features)
    not_listed = sorted(set(ref) - listed)
    assert not not_listed, f"{path.name}: nodemap does not list {len(not_listed)} reference features: " \
                           f"{not_listed[:20]}"
    ours = {name: oracle.our_feature_facts(ours_nm, name) for name in sorted(ref)}

    counts = {"readable": 0, "readable_ok": 0, "access": 0, "access_ok": 0, "errors": 0, "errors_ok": 0}
    both_failed: collections.Counter[str] = collections.Counter()
    differences: list[oracle.Difference] = []
    for name, ref_facts in ref.items():
        diffs = oracle.compare_facts(ref_facts, ours[name])
        differences += diffs
        bad = {d.attribute for d in diffs}
        for attribute in oracle.ATTRIBUTES:
            value = getattr(ref_facts, attribute)
            if value is None:
                continue
            ok = attribute not in bad and "kind" not in bad
            if attribute == "access":
                counts["access"] += 1
                counts["access_ok"] += ok
            elif isinstance(value, oracle.Raised):
                counts["errors"] += 1
                counts["errors_ok"] += ok
                other = getattr(ours[name], attribute)
                if ok and isinstance(other, oracle.Raised):
                    both_failed[f"{value.error}/{other.error}"] += 1
            elif attribute in READABLE_ATTRIBUTES:
                counts["readable"] += 1
                counts["readable_ok"] += ok

    unexplained = [d for d in differences if _known(path.name, profile, d) is None]
    percent = 100.0 * counts["readable_ok"] / counts["readable"] if counts["readable"] else 100.0
    summary.append({"file": path.name, "profile": profile, "features": len(ref), "percent": percent,
                    "known": len(differences) - len(unexplained), "unexplained": len(unexplained),
                    "both_failed": dict(both_failed), **counts})
    floor = min_readable(len(ref), profile)
    assert counts["readable"] >= floor, (
        f"{path.name} ({profile} memory): only {counts['readable']} readable comparisons "
        f"(at least {floor} wanted); both sides failed {dict(both_failed)}")
    report = "\n".join(f"  {d}" for d in unexplained[:60])
    more = f"\n  … and {len(unexplained) - 60} more" if len(unexplained) > 60 else ""
    assert percent >= THRESHOLD, (
        f"{path.name} ({profile} memory): agreement {percent:.2f}% < {THRESHOLD}% "
        f"({counts['readable_ok']}/{counts['readable']}); differences:\n{report}{more}")
    assert not unexplained, (
        f"{path.name} ({profile} memory): {len(unexplained)} differences not in KNOWN_DIFFERENCES:\n"
        f"{report}{more}")


@pytest.mark.parametrize("path", [f for f in FILES if f.name in REFERENCE_REFUSES],
                         ids=_ids([f for f in FILES if f.name in REFERENCE_REFUSES]))
def test_reference_refused_files_load_in_ours(path: Path) -> None:
    """Where the reference refuses a file, nodemap loads it and lists the Root features."""
    memory = SparseMemory("zero")
    nm = oracle.load_ours(path, memory, oracle.device_port_name(path))
    listed = set(nm.features)
    expected = _root_features(path)
    missing = sorted(expected - listed)
    assert not missing, f"{path.name}: nodemap does not list {missing[:20]}"
    for name in sorted(expected):  # every listed feature answers without crashing
        facts = oracle.our_feature_facts(nm, name)
        crashes = [a for a in oracle.ATTRIBUTES
                   if isinstance(getattr(facts, a), oracle.Raised) and getattr(facts, a).error == "Crash"]
        assert not crashes, f"{path.name}: {name} crashed on {crashes}: {facts}"


# ----------------------------------------------------------------- writes and selectors
#: Selectors swept per file (spread evenly over the sorted names) and values per selector.
MAX_SELECTORS = 12
VALUES_PER_SELECTOR = 3
#: Features written per file (a deterministic sample: crc32 of the name) and how many
#: features are compared after each write (the written one and its selected ones too).
MAX_WRITES = 25
COMPARED_AFTER_WRITE = 40
WRITE_KINDS = ("Integer", "Float", "Enumeration", "Boolean")


def _spread(names: list[str], count: int) -> list[str]:
    """``count`` names evenly spread over the sorted list (all of them if fewer)."""
    names = sorted(names)
    if len(names) <= count:
        return names
    return [names[(i * len(names)) // count] for i in range(count)]


def _sample(names: list[str], count: int) -> list[str]:
    return sorted(sorted(names, key=lambda n: zlib.crc32(n.encode()))[:count])


def _reference_survives(action: Any) -> bool:
    """Whether the reference survives ``action``, tried first in a forked child: some
    writes make it die of SIGFPE (an integer division by zero inside GenApi, e.g. an
    increment read as 0), which would end the whole test session."""
    if not hasattr(os, "fork"):
        return True
    pid = os.fork()
    if pid == 0:  # the child: try, and leave without running any cleanup
        faulthandler.disable()  # its death is expected and reported by the parent
        try:
            action()
        except BaseException:  # noqa: BLE001 - only a signal death counts
            pass
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status)


class _Scenario:
    """Both node maps over identical derived memories, stepped together."""

    def __init__(self, path: Path) -> None:
        memory, facts = _reference_run(path, "derived")
        self.features = sorted(facts)
        self.ref_memory, self.our_memory = memory.clone(), memory.clone()
        port = oracle.device_port_name(path)
        self.ref = oracle.load_reference(reference_input(path), self.ref_memory, port)
        self.ours = oracle.load_ours(path, self.our_memory, port)
        self.kinds = {name: f.kind for name, f in facts.items()}
        self.differences: list[str] = []
        self.compared = 0
        self.readable = 0
        self.stale = 0
        self.steps = 0
        self.planned = 0
        self.diverged: set[int] = set()
        #: writes the reference dies on (SIGFPE: an integer division by zero inside it)
        self.crashes: list[str] = []

    def value_of(self, name: str) -> Any:
        return oracle._ref_get(lambda: self.ref.get_node(name).value)

    def write(self, name: str, value: Any) -> None:
        from tests.genmaps.compare import _our_write, _ref_write

        self.planned += 1
        if not _reference_survives(lambda: _ref_write(self.ref, name, value)):
            self.crashes.append(f"{name}={value!r}")
            return
        self.steps += 1
        ref, ours = _ref_write(self.ref, name, value), _our_write(self.ours, name, value)
        if (ref is not None or ours is not None) and not oracle.same_value(ref, ours):
            self.differences.append(f"write {name}={value!r}: reference={ref} ours={ours}")
        ref_bytes, our_bytes = self.ref_memory.written_bytes(), self.our_memory.written_bytes()
        for address in sorted(set(ref_bytes) | set(our_bytes)):
            if self.ref_memory.peek(address, 1) != self.our_memory.peek(address, 1) \
                    and address not in self.diverged:
                self.diverged.add(address)
                self.differences.append(f"write {name}={value!r}: memory byte {address:#x} "
                                        f"reference {self.ref_memory.peek(address, 1).hex()} "
                                        f"ours {self.our_memory.peek(address, 1).hex()}")
                break

    def compare(self, stage: str, names: list[str]) -> None:
        for name in names:
            ref = oracle.reference_feature_facts(self.ref, name)
            ours = oracle.our_feature_facts(self.ours, name)
            diffs = oracle.compare_facts(ref, ours)
            if diffs:
                # the reference's stale cache (see tests/genmaps/compare.py): agreeing
                # once the reference drops its caches is not a disagreement
                self.ref._invalidate_nodes()
                self.ours.invalidate()  # alike (a kept written value outlives one)
                if not oracle.compare_facts(oracle.reference_feature_facts(self.ref, name), ours):
                    self.stale += len(diffs)
                    diffs = []
            self.compared += 1
            self.readable += sum(1 for a in READABLE_ATTRIBUTES
                                 if getattr(ref, a) is not None
                                 and not isinstance(getattr(ref, a), oracle.Raised))
            self.differences += [f"[{stage}] {d}" for d in diffs]

    def selected(self, name: str) -> list[str]:
        node = self.ref.get_node(name).node
        return sorted(n.node.name for n in node.selected_features
                      if n.node.name in self.kinds)[:COMPARED_AFTER_WRITE]

    def selector_values(self, name: str) -> list[Any]:
        node = self.ref.get_node(name)
        if self.kinds[name] == "Enumeration":
            import genicam.genapi as genapi

            symbols = [e.symbolic for e in node.entries
                       if e.node.get_access_mode() in (genapi.EAccessMode.RO, genapi.EAccessMode.RW)]
            return symbols[:VALUES_PER_SELECTOR]
        try:
            low, high, inc = int(node.min), int(node.max), int(node.inc)
        except Exception:  # the reference cannot say: nothing to sweep
            return []
        return [v for v in (low + i * max(inc, 1) for i in range(VALUES_PER_SELECTOR)) if v <= high]

    def write_value(self, name: str) -> Any:
        """What the scenario writes to ``name``: min, another entry, the opposite."""
        node = self.ref.get_node(name)
        kind = self.kinds[name]
        try:
            if kind in ("Integer", "Float"):
                return node.min
            if kind == "Boolean":
                return not node.value
            current = node.value
            others = [e.symbolic for e in node.entries if e.symbolic != current]
            return others[0] if others else current
        except Exception:
            return None


@pytest.mark.parametrize("path", FILES, ids=_ids(FILES))
def test_writes_and_selector_sweep(path: Path, summary: list[dict[str, Any]]) -> None:
    require_genicam()
    if path.name in REFERENCE_REFUSES:
        pytest.skip(f"reference refuses {path.name}")
    run = _Scenario(path)
    import genicam.genapi as genapi

    def writable(name: str) -> bool:
        return run.ref.get_node(name).node.get_access_mode() == genapi.EAccessMode.RW

    selectors = [n for n in run.features if run.kinds[n] in ("Integer", "Enumeration")
                 and run.ref.get_node(n).node.is_selector() and writable(n)]
    for selector in _spread(selectors, MAX_SELECTORS):
        watched = [selector] + run.selected(selector)
        for value in run.selector_values(selector):
            run.write(selector, value)
            run.compare(f"{selector}={value!r}", watched)
    candidates = [n for n in run.features if run.kinds[n] in WRITE_KINDS and writable(n)
                  and n not in selectors]
    watched = _sample(run.features, COMPARED_AFTER_WRITE)
    for name in _sample(candidates, MAX_WRITES):
        value = run.write_value(name)
        if value is None:
            continue
        run.write(name, value)
        run.compare(f"after {name}={value!r}", sorted(set(watched) | {name}))
    unexplained = [d for d in run.differences
                   if _known(path.name, "writes", oracle.Difference(
                       d.split("] ")[-1].split(".")[0], "", None, None)) is None]
    summary.append({"file": path.name, "profile": "writes", "features": run.steps,
                    "percent": 100.0 * (1 - len(unexplained) / max(run.compared, 1)),
                    "known": len(run.differences) - len(unexplained),
                    "unexplained": len(unexplained), "readable": run.readable,
                    "readable_ok": run.readable - len(unexplained), "access": run.compared,
                    "access_ok": run.compared, "errors": 0, "errors_ok": 0,
                    "note": f"writes/sweep: {run.steps} steps, {run.compared} feature "
                            f"comparisons, {run.stale} stale-cache differences of the "
                            f"reference, writes it dies on (skipped): {run.crashes}"})
    assert run.steps >= min(5, run.planned) and run.planned >= 1, \
        f"{path.name}: the scenario wrote only {run.steps} of {run.planned} times"
    assert not unexplained, f"{path.name}: {len(unexplained)} differences after writes:\n" + \
        "\n".join(unexplained[:40])
