"""GenApi core benchmark: nodemap side by side with the GenICam reference (and Aravis).

Run on demand (never a test)::

    .venv/bin/python benchmarks/bench_core.py [--files NAME ...] [--repeats 5]

Measures, printing one table per measurement with ratios:

(a) opening the largest shared vendor XMLs (median of ``--repeats``): nodemap
    ``NodeMap.from_xml`` vs the reference's ``NodeMap.load_xml_from_file`` (its XML
    cache cleared first) vs, when Debian's Aravis GObject bindings are present,
    ``Aravis.Gc.new`` run by ``/usr/bin/python3`` in a child process;
(b) cached reads of every readable Integer, Float, Enumeration and Boolean feature both
    sides answer (after one warm-up pass), reads/s, per kind and in total; (b') the same
    reads right after invalidating every node, which evaluates formulas and reads the
    registers again, timed once both sides ran ``--warm-rounds`` invalidated rounds (the
    first invalidated round after open is printed beside it); (b'') selector sweeps, timed
    after one timing's worth of sweep rounds on each side;
(c) peak RSS of a fresh child process that opens the largest file and reads every
    feature the reference lists (value, bounds, entries), each side alone, and of a
    child that only imports (the interpreter baseline); ``VmHWM`` on Linux because
    ``ru_maxrss`` is inherited across exec from the (large) parent, ``ru_maxrss``
    elsewhere;
(d) ``import nodemap`` time in a fresh process (median) and whether sympy came with it.

Both node maps read the same deterministic sparse memory (``tests/reference/memory.py``,
all zeros) through their port, through the public API on both sides
(``nm.features[name].value`` against the reference's ``node.value``).  Targets
(benchmarks/README.md): open ≥ 10× faster than the reference; cached reads ≥ 2× the
reference's rate; reads after an invalidation ≥ 1×; RSS ≤ the reference's;
``import nodemap`` < 100 ms without sympy.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SHARED_XML = Path(os.environ.get("NODEMAP_SHARED", REPO.parent / "shared")) / "genicam-xml"
#: how many of the shared files, largest first, the benchmark opens and reads by default
DEFAULT_COUNT = 5
SYSTEM_PYTHON = "/usr/bin/python3"


# ------------------------------------------------------------------------- helpers
#: the clock of the in-process timings: CPU time of this process by default (both sides
#: run in it, one thread each), so the ratios do not swing with the load of a shared
#: machine; ``--clock wall`` for elapsed time
CLOCK: Callable[[], float] = time.process_time


def median_time(fn: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = CLOCK()
        fn()
        times.append(CLOCK() - start)
    return statistics.median(times)


def ratio(reference: float | None, ours: float | None, *, higher_is_better: bool = False) -> str:
    if not reference or not ours:
        return "-"
    value = ours / reference if higher_is_better else reference / ours
    return f"{value:.2f}×"


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    print(f"\n== {title}")
    print("  ".join(str(h).ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(c).rjust(w) if i else str(c).ljust(w)
                        for i, (c, w) in enumerate(zip(row, widths))))


def run_child(code: str, python: str = sys.executable, timeout: float = 300) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=timeout,
                         env=env, cwd=str(REPO))
    if out.returncode != 0:
        raise RuntimeError(f"child failed ({out.returncode}): {out.stderr.strip()[-800:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def resolve_files(names: list[str]) -> list[Path]:
    files = []
    for name in names:
        path = Path(name)
        if not path.exists():
            path = SHARED_XML / name
        if not path.exists():
            sys.exit(f"no such XML file: {name} (looked in {SHARED_XML})")
        files.append(path)
    return files


def largest_files(count: int) -> list[Path]:
    """The ``count`` largest XML files of the shared folder (plain XML, largest first)."""
    if not SHARED_XML.is_dir():
        sys.exit(f"no shared XML folder at {SHARED_XML} (set NODEMAP_SHARED)")
    files = sorted(SHARED_XML.glob("*.xml"), key=lambda p: p.stat().st_size, reverse=True)
    return files[:count]


# ------------------------------------------------------------------------- (a) open
def open_ours(path: Path) -> Any:
    import nodemap

    return nodemap.NodeMap.from_xml(path)


def open_reference(path: Path) -> Any:
    import genicam.genapi as genapi

    genapi.NodeMap.clear_xml_cache()
    nm = genapi.NodeMap()
    nm.load_xml_from_file(str(path))
    return nm


ARAVIS_OPEN = r"""
import ctypes, json, statistics, sys, time
import gi
gi.require_version("Aravis", "0.8")
from gi.repository import Aravis
path, repeats = sys.argv[1] if len(sys.argv) > 1 else PATH, REPEATS
data = open(path, "rb").read()
buf = ctypes.create_string_buffer(data, len(data))
device = Aravis.FakeDevice.new("bench")
times = []
for _ in range(repeats):
    start = time.perf_counter()
    gc = Aravis.Gc.new(device, ctypes.addressof(buf), len(data))
    times.append(time.perf_counter() - start)
    del gc
print(json.dumps({"seconds": statistics.median(times)}))
"""


def open_aravis(path: Path, repeats: int) -> float | None:
    if not Path(SYSTEM_PYTHON).exists():
        return None
    code = ARAVIS_OPEN.replace("PATH", repr(str(path))).replace("REPEATS", str(repeats))
    try:
        return float(run_child(code, python=SYSTEM_PYTHON)["seconds"])
    except Exception as exc:  # Aravis bindings absent or different: optional column
        print(f"  (Aravis skipped for {path.name}: {str(exc)[:120]})")
        return None


def bench_open(files: list[Path], repeats: int, aravis: bool) -> dict[str, Any]:
    rows, results = [], {}
    for path in files:
        ours = median_time(lambda: open_ours(path), repeats)
        ref = median_time(lambda: open_reference(path), repeats)
        arv = open_aravis(path, repeats) if aravis else None
        results[path.name] = {"ours": ours, "reference": ref, "aravis": arv}
        rows.append([path.name, f"{path.stat().st_size / 1e6:.2f} MB", f"{ours * 1e3:.1f}",
                     f"{ref * 1e3:.1f}", ratio(ref, ours),
                     f"{arv * 1e3:.1f}" if arv else "-", ratio(arv, ours) if arv else "-"])
    table(f"(a) open XML, median of {repeats} [ms]  (target: ours ≥ 10× faster than the reference)",
          ["file", "size", "nodemap", "reference", "speed-up", "aravis", "vs aravis"], rows)
    return results


# ------------------------------------------------------------------------- (b) reads
READ_KINDS = ("Integer", "Float", "Enumeration", "Boolean")


def readable_features(path: Path) -> dict[str, list[str]]:
    """Readable Integer, Float, Enumeration and Boolean nodes (features and the nodes
    behind them: every node the reference lists) on which both sides answer without an
    error at the zero memory state, by kind (the reference's kind)."""
    from tests.reference import oracle
    from tests.reference.memory import SparseMemory

    listed = oracle.load_reference(path, None)
    every = [n.node.name for n in listed.nodes if oracle._ref_kind(n) in READ_KINDS]
    del listed
    ref = oracle.reference_facts(path, SparseMemory("zero"), names=every)
    ours_nm = oracle.load_ours(path, SparseMemory("zero"))
    names: dict[str, list[str]] = {kind: [] for kind in READ_KINDS}
    for name, facts in ref.items():
        if facts.kind not in READ_KINDS or facts.access not in ("RO", "RW"):
            continue
        if isinstance(facts.value, oracle.Raised):
            continue
        try:
            ours_nm.features[name].value
        except Exception:
            continue
        names[facts.kind].append(name)
    return names


#: fewest reads one timing makes (more rounds over short lists): short timings are noise
MIN_READS = 20000


#: invalidated rounds each side runs before (b') is timed: both sides get faster over their
#: first rounds after open (allocations settling, and nodemap compiling a node's access at
#: its second computation); (b'') warms up a whole timing's rounds already.  The first
#: invalidated round after open is timed on its own and printed beside the steady figure.
WARM_ROUNDS = 10


def _rates(path: Path, names: list[str], rounds: int, repeats: int, *, invalidate: bool,
           warm_rounds: int = WARM_ROUNDS) -> tuple[float, float, float | None, float | None]:
    """(ours, reference, ours first, reference first) reads/s over ``names``, ``rounds``
    times; with ``invalidate`` every round starts by invalidating every node (the
    reference's ``_invalidate_nodes``, our ``NodeMap.invalidate()``), so each read
    evaluates again: formulas, bounds-free access modes and register reads from the
    (same) memory.  With ``invalidate`` the first invalidated round after the warm-up
    pass is timed alone ("first"), then ``warm_rounds`` more run untimed on each side."""
    from tests.reference import oracle
    from tests.reference.memory import SparseMemory

    rounds = max(rounds, -(-(MIN_READS // (10 if invalidate else 1)) // len(names)))
    ref_nm = oracle.load_reference(path, SparseMemory("zero"))
    ref_nodes = [ref_nm.get_node(n) for n in names]
    our_nm = oracle.load_ours(path, SparseMemory("zero"))
    our_features = [our_nm.features[n] for n in names]
    for node in ref_nodes:  # warm-up: build the nodes and fill the caches
        node.value
    for feature in our_features:
        feature.value

    def read_ref(count: int = rounds) -> None:
        for _ in range(count):
            if invalidate:
                ref_nm._invalidate_nodes()
            for node in ref_nodes:
                node.value

    def read_ours(count: int = rounds) -> None:
        for _ in range(count):
            if invalidate:
                our_nm.invalidate()
            for feature in our_features:
                feature.value

    ref_first = our_first = None
    if invalidate:
        ref_first = len(names) / median_time(lambda: read_ref(1), 1)
        our_first = len(names) / median_time(lambda: read_ours(1), 1)
        read_ref(warm_rounds)
        read_ours(warm_rounds)
    total = rounds * len(names)
    ref_rate = total / median_time(read_ref, repeats)
    our_rate = total / median_time(read_ours, repeats)
    return our_rate, ref_rate, our_first, ref_first


def derived_memory(path: Path) -> Callable[[], Any]:
    """A factory of fresh copies of the file's "derived" memory (tests/reference/seeding:
    registers preset to values their consumers accept, so selectors are implemented)."""
    from tests.reference.memory import SparseMemory
    from tests.reference.seeding import apply_presets, derive_presets

    presets = derive_presets(path, SparseMemory("zero"))
    return lambda: apply_presets(SparseMemory("zero"), presets)


def selector_sweeps(path: Path, memory: Callable[[], Any]
                    ) -> list[tuple[str, list[Any], list[str]]]:
    """(selector, two values to alternate, the nodes it selects that both sides read)
    for every writable selector both sides accept both values for (derived memory)."""
    from tests.reference import oracle

    ours = oracle.load_ours(path, memory())
    ref = oracle.load_reference(path, memory())
    sweeps = []
    for name in ours.names:
        try:
            feature = ours.features[name]
            selected = [n for n in feature.selected if n in ours]
            if not selected or feature.access != "RW" or feature.kind not in (
                    "Enumeration", "Integer"):
                continue
            if feature.kind == "Enumeration":
                values: list[Any] = list(feature.entries)[:2]
            else:
                values = [feature.min, feature.min + feature.inc]
            if len(values) < 2:
                continue
            node = ref.get_node(name)
            for value in (*values, *values):
                feature.value = value
                node.value = value
                if feature.value != node.value:
                    raise ValueError("sides disagree")
                selected = [n for n in selected if _both_read(ours, ref, n)]
        except Exception:
            continue
        if selected:
            sweeps.append((name, values, selected))
    return sweeps


def _both_read(ours: Any, ref: Any, name: str) -> bool:
    try:
        ours.features[name].value
        ref.get_node(name).value
        return True
    except Exception:
        return False


def _sweep_rates(path: Path, memory: Callable[[], Any],
                 sweeps: list[tuple[str, list[Any], list[str]]], rounds: int,
                 repeats: int) -> tuple[float, float, int]:
    """(ours, reference, reads per round): each round writes every selector to its
    other value, then reads what it selects; reads/s counts those reads (the writes
    and the invalidation they cause are inside the time)."""
    from tests.reference import oracle
    from tests.reference.memory import SparseMemory

    ref_nm = oracle.load_reference(path, memory())
    our_nm = oracle.load_ours(path, memory())
    ref_plan = [(ref_nm.get_node(s), values, [ref_nm.get_node(n) for n in selected])
                for s, values, selected in sweeps]
    our_plan = [(our_nm.features[s], values, [our_nm.features[n] for n in selected])
                for s, values, selected in sweeps]
    per_round = sum(len(selected) for _, _, selected in sweeps)
    rounds = max(rounds, -(-(MIN_READS // 10) // per_round))

    def sweep(plan: list[tuple[Any, list[Any], list[Any]]]) -> Callable[[], None]:
        def run() -> None:
            for i in range(rounds):
                for selector, values, selected in plan:
                    selector.value = values[i % 2]
                    for node in selected:
                        node.value
        return run

    sweep(ref_plan)()  # warm-up: build every node on both sides (one timing's rounds)
    sweep(our_plan)()
    total = rounds * per_round
    ref_rate = total / median_time(sweep(ref_plan), repeats)
    our_rate = total / median_time(sweep(our_plan), repeats)
    return our_rate, ref_rate, per_round


def bench_reads(files: list[Path], rounds: int, repeats: int = 3,
                warm_rounds: int = WARM_ROUNDS) -> dict[str, Any]:
    """(b) cached reads and (b') reads right after invalidating every node, per file
    and kind, plus the total over all kinds of a file; (b'') reads right after selector
    changes."""
    results: dict[str, Any] = {}
    cached_rows, fresh_rows, sweep_rows = [], [], []
    for path in files:
        by_kind = readable_features(path)
        everything = [name for kind in READ_KINDS for name in by_kind[kind]]
        if not everything:
            continue
        file_results: dict[str, Any] = {}
        for kind, names in [*by_kind.items(), ("all", everything)]:
            if not names:
                continue
            ours, ref, _, _ = _rates(path, names, rounds, repeats, invalidate=False)
            fresh_rounds = max(1, rounds // 10)
            ours_fresh, ref_fresh, ours_first, ref_first = _rates(
                path, names, fresh_rounds, repeats, invalidate=True, warm_rounds=warm_rounds)
            file_results[kind] = {"features": len(names), "ours": ours, "reference": ref,
                                  "ours_after_invalidate": ours_fresh,
                                  "reference_after_invalidate": ref_fresh,
                                  "ours_first_invalidated_round": ours_first,
                                  "reference_first_invalidated_round": ref_first}
            label = [path.name if kind == READ_KINDS[0] or (kind == "all" and not by_kind[
                READ_KINDS[0]]) else "", kind, str(len(names))]
            cached_rows.append(label + [f"{ours / 1e3:.0f}k", f"{ref / 1e3:.0f}k",
                                        ratio(ref, ours, higher_is_better=True)])
            fresh_rows.append(label + [f"{ours_fresh / 1e3:.1f}k", f"{ref_fresh / 1e3:.1f}k",
                                       ratio(ref_fresh, ours_fresh, higher_is_better=True),
                                       ratio(ref_first, ours_first, higher_is_better=True)])
        memory = derived_memory(path)
        sweeps = selector_sweeps(path, memory)
        if sweeps:
            ours, ref, per_round = _sweep_rates(path, memory, sweeps, max(2, rounds // 5),
                                                repeats)
            file_results["selector_sweep"] = {"selectors": len(sweeps), "reads": per_round,
                                              "ours": ours, "reference": ref}
            sweep_rows.append([path.name, str(len(sweeps)), str(per_round),
                               f"{ours / 1e3:.1f}k", f"{ref / 1e3:.1f}k",
                               ratio(ref, ours, higher_is_better=True)])
        results[path.name] = file_results
    header = ["file", "kind", "features", "nodemap", "reference", "ratio"]
    table(f"(b) cached reads, every readable Integer/Float/Enumeration/Boolean node both sides "
          f"answer ({rounds} rounds, median of {repeats}) [reads/s]  (target: ≥ 2×)",
          header, cached_rows)
    table(f"(b') reads right after invalidating every node ({max(1, rounds // 10)} rounds, "
          f"median of {repeats}, after {warm_rounds} invalidated warm-up rounds on each side; "
          f"'first': the first invalidated round after open, timed alone) [reads/s]  "
          f"(target: ≥ 1×)", [*header, "first"], fresh_rows)
    table(f"(b'') selector sweeps: write each writable selector to another value, read what "
          f"it selects ({max(2, rounds // 5)} rounds, median of {repeats}) [reads/s, writes "
          f"inside the time]  (target: ≥ 1×)",
          ["file", "selectors", "reads/round", "nodemap", "reference", "ratio"], sweep_rows)
    return results


# ------------------------------------------------------------------------- (c) peak RSS
RSS_CHILD = r"""
import json, resource, sys
side, path, names_file = SIDE, PATH, NAMES
if side != "baseline":
    from tests.reference import oracle
    from tests.reference.memory import SparseMemory
    names = json.load(open(names_file))
    if side == "ours":
        import nodemap
        facts = oracle.our_facts(path, SparseMemory("zero"), names=names)
    else:
        import genicam.genapi
        facts = oracle.reference_facts(path, SparseMemory("zero"), names=names)
    count = len(facts)
else:
    import attrs, lxml.etree
    count = 0
peak_kib = None
try:  # VmHWM: this process's own high-water mark (ru_maxrss keeps the parent's across exec)
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                peak_kib = int(line.split()[1])
except OSError:
    pass
maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if sys.platform == "darwin":
    maxrss //= 1024
print(json.dumps({"peak_kib": peak_kib or maxrss, "ru_maxrss_kib": maxrss, "features": count}))
"""


def bench_rss(path: Path) -> dict[str, Any]:
    """Peak memory of a child that opens ``path`` and reads every reference feature.

    Both children read the same names: the features the reference lists (computed
    here, handed over in a temporary JSON file).  The peak is ``VmHWM`` from
    /proc/self/status where available: on Linux ``ru_maxrss`` survives ``exec``, so
    a child forked from this (large) benchmark process would report our own peak.
    Elsewhere ``ru_maxrss`` is used (spawned children there do not inherit it).
    """
    import tempfile

    try:
        import resource  # noqa: F401  (POSIX only)
    except ImportError:
        print("\n== (c) peak RSS: skipped (no 'resource' module on this platform)")
        return {}
    from tests.reference import oracle

    nm = oracle.load_reference(path, None)
    names = sorted(n.node.name for n in nm.nodes
                   if n.node.is_feature() and oracle._ref_kind(n) is not None)
    del nm
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(names, handle)
    try:
        results = {}
        for side in ("baseline", "ours", "reference"):
            code = (RSS_CHILD.replace("SIDE", repr(side)).replace("PATH", repr(str(path)))
                    .replace("NAMES", repr(handle.name)))
            results[side] = run_child(code)
    finally:
        os.unlink(handle.name)
    base = results["baseline"]["peak_kib"] / 1024
    rows = []
    for side in ("ours", "reference"):
        mib = results[side]["peak_kib"] / 1024
        rows.append([side, str(results[side]["features"]), f"{mib:.1f}", f"{mib - base:.1f}"])
    ours_mib = results["ours"]["peak_kib"] / 1024
    ref_mib = results["reference"]["peak_kib"] / 1024
    rows.append(["ratio ref/ours", "", ratio(ref_mib, ours_mib), ratio(ref_mib - base, ours_mib - base)])
    table(f"(c) peak RSS of a fresh process: open {path.name} + read every feature [MiB]  "
          f"(baseline: interpreter+lxml+attrs {base:.1f} MiB; target: ours ≤ reference)",
          ["side", "features", "peak RSS", "above baseline"], rows)
    return results


# ------------------------------------------------------------------------- (d) import time
IMPORT_CHILD = r"""
import json, sys, time
start = time.perf_counter()
import MODULE
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "sympy": "sympy" in sys.modules}))
"""


def bench_import(repeats: int) -> dict[str, Any]:
    results = {}
    rows = []
    for module in ("nodemap", "genicam.genapi"):
        runs = [run_child(IMPORT_CHILD.replace("MODULE", module)) for _ in range(repeats)]
        seconds = statistics.median(r["seconds"] for r in runs)
        sympy = any(r["sympy"] for r in runs)
        results[module] = {"seconds": seconds, "sympy": sympy}
        rows.append([f"import {module}", f"{seconds * 1e3:.1f}", "yes" if sympy else "no"])
    table(f"(d) import time in a fresh process, median of {repeats} [ms]  "
          "(target: import nodemap < 100 ms, no sympy)", ["statement", "ms", "sympy imported"], rows)
    return results


# ------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", nargs="+", default=None,
                        help="XML files (paths, or names in the shared genicam-xml folder); "
                             f"default: the {DEFAULT_COUNT} largest shared ones")
    parser.add_argument("--repeats", type=int, default=5, help="repeats per timing (median)")
    parser.add_argument("--rounds", type=int, default=20,
                        help="cached read rounds over the features (a tenth after invalidations)")
    parser.add_argument("--warm-rounds", type=int, default=WARM_ROUNDS,
                        help="invalidated rounds each side runs before (b') is timed "
                             "(0: time right after the first fill pass)")
    parser.add_argument("--no-aravis", action="store_true", help="skip the Aravis open column")
    parser.add_argument("--only", choices=["open", "reads", "rss", "import"], nargs="+",
                        help="run only these measurements")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--clock", choices=["cpu", "wall"], default="cpu",
                        help="in-process timings in CPU time of this process (default: "
                             "steady on a loaded machine) or elapsed time")
    args = parser.parse_args(argv)
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    files = resolve_files(args.files) if args.files else largest_files(DEFAULT_COUNT)
    largest = max(files, key=lambda p: p.stat().st_size)
    only = set(args.only or ["open", "reads", "rss", "import"])
    print(f"nodemap core benchmark — python {sys.version.split()[0]}, files: "
          f"{', '.join(f.name for f in files)}; clock: {args.clock}")
    results: dict[str, Any] = {}
    if "open" in only:
        results["open"] = bench_open(files, args.repeats, not args.no_aravis)
    if "reads" in only:
        results["reads"] = bench_reads(files, args.rounds, args.repeats, args.warm_rounds)
    if "rss" in only:
        results["rss"] = bench_rss(largest)
    if "import" in only:
        results["import"] = bench_import(args.repeats)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
