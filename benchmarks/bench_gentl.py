"""GenTL benchmark (run on demand, not a test): ``python benchmarks/bench_gentl.py``.

Both sides drive the same producer and device, each in a fresh child process (a producer
is one instance per process; two consumers in one process would share it):

1. frames: ``--frames`` frames grabbed, each frame's pixels touched as a numpy array
   (``frame.array`` / harvesters' ``component.data``), frames/s and CPU ms per frame
   (``time.process_time``: every thread of the child, the producer's included — the same
   producer on both sides, so the difference is the consumer's overhead);
2. port reads: 4-byte GCReadPort reads per second at the address of the remote device's
   XML (its first port URL: valid on every producer), nodemap's GenTLPort vs harvesters'
   DevicePort;
3. feature reads: ``Width`` read through each side's GenApi (nodemap's engine vs the
   reference), per second, as the XML's caching allows.

Rounds alternate sides; medians and ratios (nodemap / harvesters; > 1 is nodemap faster,
for CPU ms < 1 is nodemap cheaper) are printed.  Needs the genicam / genicam2 wheels
(viky.cti, TLSimu.cti) and harvesters.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CASES = {"tlsimu-mono": ("tlsimu", 0), "tlsimu-color": ("tlsimu", 1), "viky": ("viky", 0)}


def _producer(name: str) -> Path:
    from tests.transports.gentl.producers import producer_file

    path = producer_file(name)
    if path is None:
        raise SystemExit(f"producer {name} not installed (pip install genicam genicam2)")
    return path


def run_ours(path: str, index: int, frames: int, reads: int) -> dict:
    import nodemap

    out = {}
    with nodemap.open(f"gentl:{path}?index={index}") as cam:
        with cam.stream(buffers=8) as stream:
            stream.next(10).array           # first frame: warm-up
            wall, cpu = time.perf_counter(), time.process_time()
            for frame in stream.frames(frames, timeout=10):
                frame.array.sum()
            out["wall"] = time.perf_counter() - wall
            out["cpu"] = time.process_time() - cpu
            out["size"] = f"{frame.width}x{frame.height} {frame.pixel_format}"
        port, address = cam.port, cam.xml_url.address
        t = time.perf_counter()
        for _ in range(reads):
            port.read(address, 4)
        out["port_reads_s"] = reads / (time.perf_counter() - t)
        width = cam.features["Width"]
        t = time.perf_counter()
        for _ in range(reads):
            width.value
        out["feature_reads_s"] = reads / (time.perf_counter() - t)
    return out


def run_harvesters(path: str, index: int, frames: int, reads: int) -> dict:
    from harvesters.core import Harvester

    out = {}
    h = Harvester()
    h.add_file(path)
    h.update()
    ia = h.create(index)
    try:
        ia.num_buffers = 8
        ia.start()
        with ia.fetch(timeout=10) as b:
            b.payload.components[0].data
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(frames):
            with ia.fetch(timeout=10) as b:
                c = b.payload.components[0]
                c.data.sum()
        out["wall"] = time.perf_counter() - wall
        out["cpu"] = time.process_time() - cpu
        out["size"] = f"{c.width}x{c.height} {c.data_format}"
        ia.stop()
        port = ia.remote_device.port
        address = port.url_info_list[0].file_register_address
        t = time.perf_counter()
        for _ in range(reads):
            port.read(address, 4)
        out["port_reads_s"] = reads / (time.perf_counter() - t)
        width = ia.remote_device.node_map.Width
        t = time.perf_counter()
        for _ in range(reads):
            width.value
        out["feature_reads_s"] = reads / (time.perf_counter() - t)
    finally:
        ia.destroy()
        h.reset()
    return out


def child(side: str, case: str, frames: int, reads: int) -> dict:
    producer, index = CASES[case]
    run = subprocess.run([sys.executable, __file__, "--child", side, "--case", case,
                          "--frames", str(frames), "--reads", str(reads)],
                         capture_output=True, text=True, timeout=600)
    if run.returncode != 0:
        raise SystemExit(f"{side} on {case} failed:\n{run.stderr[-2000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", action="append", choices=sorted(CASES))
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--reads", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--child", choices=("ours", "harvesters"))
    args = ap.parse_args()
    if args.child:
        producer, index = CASES[args.case[0]]
        fn = run_ours if args.child == "ours" else run_harvesters
        print(json.dumps(fn(str(_producer(producer)), index, args.frames, args.reads)))
        return 0
    cases = args.case or list(CASES)
    print(f"GenTL: {args.frames} frames, {args.reads} reads, {args.rounds} rounds, medians")
    header = (f"{'case':14} {'side':11} {'image':22} {'frames/s':>9} {'CPU ms/frame':>13} "
              f"{'port reads/s':>13} {'feature reads/s':>16}")
    print(header)
    print("-" * len(header))
    for case in cases:
        results: dict[str, list[dict]] = {"ours": [], "harvesters": []}
        for _ in range(args.rounds):
            for side in ("ours", "harvesters"):
                results[side].append(child(side, [case][0], args.frames, args.reads))
        med = {}
        for side, runs in results.items():
            med[side] = {
                "fps": statistics.median(args.frames / r["wall"] for r in runs),
                "cpu_ms": statistics.median(1000 * r["cpu"] / args.frames for r in runs),
                "port": statistics.median(r["port_reads_s"] for r in runs),
                "feature": statistics.median(r["feature_reads_s"] for r in runs),
                "size": runs[0]["size"]}
            m = med[side]
            print(f"{case:14} {'nodemap' if side == 'ours' else side:11} {m['size']:22} "
                  f"{m['fps']:9.1f} {m['cpu_ms']:13.3f} {m['port']:13.0f} {m['feature']:16.0f}")
        o, h = med["ours"], med["harvesters"]
        print(f"{case:14} {'ratio':11} {'':22} {o['fps'] / h['fps']:8.2f}× "
              f"{o['cpu_ms'] / h['cpu_ms']:12.2f}× {o['port'] / h['port']:12.2f}× "
              f"{o['feature'] / h['feature']:15.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
