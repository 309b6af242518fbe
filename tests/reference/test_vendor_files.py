"""Every shared vendor XML: nodemap against the GenApi reference, same bytes behind both.

For each file in ``../shared/genicam-xml/`` and each memory profile (``derived``:
registers preset to meaningful values from the XML, see ``seeding.py``, every file;
``zero``: all-zero memory, which exercises pIsAvailable = 0, empty selectors and
error paths, files under 400 kB) both node maps load the file over identical sparse memories and every
feature the reference lists is read in one fixed order (see ``oracle.py``).

Pass criteria:

* nodemap lists every feature the reference lists;
* agreement ≥ 99.5 % over readable values and bounds (value, int_value, min,
  max, inc, entries, length where the reference answered);
* every remaining difference — in any attribute, access modes and error classes
  included — matches a :data:`KNOWN_DIFFERENCES` row naming the reference defect;
  anything else fails with a readable diff.

The per-file agreement table is printed at the end of the session.
"""

from __future__ import annotations

import fnmatch
import functools
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.peers import require_genicam, require_vendor_xml

from . import oracle, seeding
from .manifest import size_of, vendor_xml_paths
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


def build_memory(path: Path, profile: str) -> SparseMemory:
    """The shared starting memory for ``path`` (clone it once per side)."""
    base = SparseMemory("zero")
    if profile == "zero":
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
    base = SparseMemory("zero")
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
#: The zero memory runs on the smaller files only (under ZERO_PROFILE_MAX_BYTES) to keep
#: the folder fast; the derived memory runs on every file.
ZERO_PROFILE_MAX_BYTES = 400_000
CASES = [(f, "derived") for f in FILES] + [
    (f, "zero") for f in FILES if size_of(f) < ZERO_PROFILE_MAX_BYTES]


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
            elif attribute in READABLE_ATTRIBUTES:
                counts["readable"] += 1
                counts["readable_ok"] += ok

    unexplained = [d for d in differences if _known(path.name, profile, d) is None]
    percent = 100.0 * counts["readable_ok"] / counts["readable"] if counts["readable"] else 100.0
    summary.append({"file": path.name, "profile": profile, "features": len(ref), "percent": percent,
                    "known": len(differences) - len(unexplained), "unexplained": len(unexplained),
                    **counts})
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
