"""GVCP benchmark (run on demand, not a test): ``python benchmarks/bench_gvcp.py``.

1. Sequential READREG round trips per second against Aravis's fake camera
   (127.0.0.1:3956): our client vs Aravis's own client through its GObject binding
   (run by Debian's /usr/bin/python3 in a subprocess), interleaved rounds, medians.
2. Registers per second of a bulk ``read_many`` against our simulated device with
   concatenation on vs off (and our sequential READREG/s against the simulator).

Prints a table and the ratios.  Needs gir1.2-aravis-0.8 + python3-gi for part 1.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nodemap.transports.gvcp import protocol as p  # noqa: E402
from nodemap.transports.gvcp.client import GvcpClient  # noqa: E402

SYSTEM_PYTHON = "/usr/bin/python3"
WIDTH_REGISTER = 0x100        # Aravis fake camera: WidthRegister

FAKE_CAMERA = r"""
import gi, sys
gi.require_version("Aravis", "0.8")
from gi.repository import Aravis, GLib
cam = Aravis.GvFakeCamera.new("lo", "BENCH")
print("running", flush=True)
loop = GLib.MainLoop()
GLib.timeout_add(int(float(sys.argv[1]) * 1000), loop.quit)
loop.run()
"""

ARAVIS_CLIENT = r"""
import gi, sys, time
gi.require_version("Aravis", "0.8")
from gi.repository import Aravis
n, address = int(sys.argv[1]), int(sys.argv[2], 0)
camera = Aravis.Camera.new("127.0.0.1")
device = camera.get_device()
device.read_register(address)
start = time.perf_counter()
for _ in range(n):
    device.read_register(address)
print(n / (time.perf_counter() - start), flush=True)
"""


def _answers(address: tuple[str, int]) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        try:
            s.sendto(p.DiscoveryCmd(1).encode(), address)
            return len(s.recv(2048)) > 8
        except OSError:
            return False


def ours_sequential(host: str, n: int, address: int, port: int = p.GVCP_PORT) -> float:
    with GvcpClient(host, port, timeout=0.5, retries=3) as c:
        c.read_register(address)
        start = time.perf_counter()
        for _ in range(n):
            c.read_register(address)
        return n / (time.perf_counter() - start)


def aravis_sequential(n: int, address: int) -> float:
    out = subprocess.run([SYSTEM_PYTHON, "-c", ARAVIS_CLIENT, str(n), hex(address)],
                         capture_output=True, text=True, timeout=300)
    if out.returncode:
        raise RuntimeError(out.stderr.strip()[-400:])
    return float(out.stdout.strip().splitlines()[-1])


def bulk(device: tuple[str, int], registers: int, rounds: int) -> float:
    with GvcpClient(*device, timeout=0.5) as c:
        requests = [(0xA000 + 4 * i, 4) for i in range(registers)]
        c.read_many(requests)
        start = time.perf_counter()
        for _ in range(rounds):
            c.read_many(requests)
        return registers * rounds / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20000, help="READREGs per sequential round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--registers", type=int, default=1000, help="registers per bulk read")
    args = parser.parse_args()
    rows: list[tuple[str, str, float]] = []

    fake = None
    if os.path.exists(SYSTEM_PYTHON) and not _answers(("127.0.0.1", p.GVCP_PORT)):
        fake = subprocess.Popen([SYSTEM_PYTHON, "-c", FAKE_CAMERA, "600"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not _answers(("127.0.0.1", p.GVCP_PORT)):
            time.sleep(0.1)
    try:
        if _answers(("127.0.0.1", p.GVCP_PORT)):
            ours, theirs = [], []
            for _ in range(args.rounds):
                ours.append(ours_sequential("127.0.0.1", args.n, WIDTH_REGISTER))
                theirs.append(aravis_sequential(args.n, WIDTH_REGISTER))
            rows.append(("READREG sequential, Aravis fake camera", "nodemap GvcpClient",
                         statistics.median(ours)))
            rows.append(("READREG sequential, Aravis fake camera", "Aravis ArvGvDevice (GObject)",
                         statistics.median(theirs)))
        else:
            print("Aravis fake camera unavailable: skipping the Aravis comparison", file=sys.stderr)
    finally:
        if fake is not None:
            fake.terminate()
            fake.wait(10)

    # The simulators run in their own processes (as a real device would), not in ours.
    sims = [subprocess.Popen([sys.executable, "-m", "nodemap.transports.gvcp.device", "--address", addr,
                              *extra], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for addr, extra in (("127.0.0.61", []), ("127.0.0.62", ["--no-concatenation"]))]
    try:
        for sim in sims:
            sim.stdout.readline()
        on, off = ("127.0.0.61", p.GVCP_PORT), ("127.0.0.62", p.GVCP_PORT)
        seq = [ours_sequential(on[0], args.n, 0xA000) for _ in range(args.rounds)]
        rows.append(("READREG sequential, our simulator", "nodemap GvcpClient", statistics.median(seq)))
        rounds = max(1, 20000 // args.registers)
        con = [bulk(on, args.registers, rounds) for _ in range(args.rounds)]
        coff = [bulk(off, args.registers, max(1, rounds // 10)) for _ in range(args.rounds)]
        rows.append((f"read_many({args.registers} registers), our simulator",
                     "concatenation on (135/READREG)", statistics.median(con)))
        rows.append((f"read_many({args.registers} registers), our simulator",
                     "concatenation off (1/READREG)", statistics.median(coff)))
    finally:
        for sim in sims:
            sim.terminate()
            sim.wait(10)

    width = max(len(r[0]) for r in rows)
    print(f"{'measurement':<{width}}  {'who':<32} {'per second':>12}")
    print("-" * (width + 47))
    for what, who, rate in rows:
        print(f"{what:<{width}}  {who:<32} {rate:>12,.0f}")
    rates = {(r[0], r[1]): r[2] for r in rows}
    ours_a = rates.get(("READREG sequential, Aravis fake camera", "nodemap GvcpClient"))
    theirs_a = rates.get(("READREG sequential, Aravis fake camera", "Aravis ArvGvDevice (GObject)"))
    print()
    if ours_a and theirs_a:
        print(f"ours / Aravis, sequential READREG on the fake camera: {ours_a / theirs_a:.2f}x "
              "(target >= 1x)")
    on_rate = rows[-2][2]
    off_rate = rows[-1][2]
    print(f"bulk read, concatenation on / off: {on_rate / off_rate:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
