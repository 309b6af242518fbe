"""Feature-set save/load times on generated descriptions of 1k, 10k and 100k features.

    .venv/bin/python benchmarks/bench_persist.py            # 1000 10000 100000
    .venv/bin/python benchmarks/bench_persist.py 2000 4000  # other sizes

Each description has a Root category tree and, per feature, an Integer on its own
register, all streamable.  Every 7th feature's maximum is a formula of the previous
feature's register (a dependency edge), and every 50th feature is an integer selector
(4 values) selecting the next three features, whose registers it indexes.  The device is
a MemoryPort.  Printed: features, assignments, seconds to build the node map, to save
(``persist.dumps``) and to load (``persist.loads``, with verification), and the save
time per feature (flat when save is linear).
"""

from __future__ import annotations

import sys
import time

import nodemap
from nodemap import persist

NS = "http://www.genicam.org/GenApi/Version_1_1"


def generate(count: int) -> bytes:
    """A description with ``count`` streamable features (see the module docstring)."""
    parts: list[str] = []
    groups = [list(range(start, min(start + 1000, count))) for start in range(0, count, 1000)]
    parts.append('<Category Name="Root">' + "".join(
        f"<pFeature>Group{g}</pFeature>" for g in range(len(groups))) + "</Category>")
    for g, members in enumerate(groups):
        parts.append(f'<Category Name="Group{g}">' + "".join(
            f"<pFeature>F{i}</pFeature>" for i in members) + "</Category>")
    selector_of: dict[int, int] = {}
    for i in range(0, count, 50):
        for j in range(i + 1, min(i + 4, count)):
            selector_of[j] = i
    for i in range(count):
        selects = ""
        if i % 50 == 0:
            selects = "".join(f"<pSelected>F{j}</pSelected>" for j in range(i + 1, min(i + 4, count)))
        if i % 7 == 0 and i > 0:
            bound = f"<pMax>M{i}</pMax>"
            parts.append(f'<IntSwissKnife Name="M{i}"><pVariable Name="P">F{i - 1}Reg</pVariable>'
                         f'<Formula>P + 100000</Formula></IntSwissKnife>')
        else:
            bound = "<Max>1000000</Max>"
        high = "<Max>3</Max>" if i % 50 == 0 else bound
        parts.append(f'<Integer Name="F{i}"><Streamable>Yes</Streamable><pValue>F{i}Reg</pValue>'
                     f'<Min>0</Min>{high}{selects}</Integer>')
        index = f'<pIndex Offset="{count * 4}">F{selector_of[i]}</pIndex>' if i in selector_of else ""
        parts.append(f'<IntReg Name="F{i}Reg"><Address>{4 * i:#x}</Address>{index}<Length>4</Length>'
                     f'<AccessMode>RW</AccessMode><pPort>Device</pPort><Sign>Unsigned</Sign>'
                     f'<Endianess>BigEndian</Endianess></IntReg>')
    body = "".join(parts)
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<RegisterDescription ModelName="Bench" '
            f'VendorName="nodemap" SchemaMajorVersion="1" SchemaMinorVersion="1" '
            f'SchemaSubMinorVersion="0" MajorVersion="1" MinorVersion="0" SubMinorVersion="0" '
            f'StandardNameSpace="None" ToolTip="benchmark" ProductGuid="0" VersionGuid="0" '
            f'xmlns="{NS}">{body}<Port Name="Device"/></RegisterDescription>').encode()


def run(count: int) -> dict[str, float]:
    xml = generate(count)
    start = time.perf_counter()
    nm = nodemap.NodeMap.from_xml(xml)
    nm.connect(nodemap.MemoryPort(count * 16 + 64))
    built = time.perf_counter()
    text, report = persist.render(nm)
    saved = time.perf_counter()
    fresh = nodemap.NodeMap.from_xml(xml)
    fresh.connect(nodemap.MemoryPort(count * 16 + 64))
    reloaded = time.perf_counter()
    loaded = persist.loads(fresh, text)
    done = time.perf_counter()
    if not loaded.ok or report.skipped:
        raise SystemExit(f"{count}: {len(loaded.problems)} problems, {len(report.skipped)} skipped")
    return {"features": count, "assignments": report.assignments, "build": built - start,
            "save": saved - built, "load": done - reloaded}


def main(argv: list[str]) -> int:
    sizes = [int(a) for a in argv] or [1000, 10000, 100000]
    print(f"{'features':>9} {'lines':>8} {'build s':>8} {'save s':>8} {'load s':>8} "
          f"{'save µs/feature':>16}")
    for count in sizes:
        r = run(count)
        print(f"{r['features']:>9} {r['assignments']:>8} {r['build']:>8.2f} {r['save']:>8.2f} "
              f"{r['load']:>8.2f} {1e6 * r['save'] / count:>16.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
