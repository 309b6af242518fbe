"""File access benchmark: our ``cam.files`` beside the reference's FileProtocolAdapter.

Run on demand (never a test)::

    .venv/bin/python benchmarks/bench_files.py [--size 65536] [--repeats 5]

Both drive the same simulated GigE device (xml/demo-camera.xml, 512-byte
FileAccessBuffer) over loopback GVCP through the same port: ours as ``cam.files``, the
reference as ``genicam.genapi.FileProtocolAdapter`` on a ``genicam.genapi.NodeMap``
connected to an ``AbstractPort`` that forwards to ``cam.port``.  Prints the median
seconds to write and to read ``--size`` bytes of ``UserData``, the throughput and the
ratio (reference time / ours: above 1 means we are faster), and the GVCP requests each
side needed (counted at the device).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def _median(repeats: int, run: Callable[[], Any]) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=65536, help="bytes per transfer")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    import nodemap
    from nodemap.resources import read_description
    from nodemap.transports.gvcp.device import SimulatedDevice
    from nodemap.transports.gvcp.sim import DEMO_REGISTERS
    from tests.addresses import loopback
    from tests.files.inproc import Reference

    xml = read_description("demo-camera.xml")
    device = SimulatedDevice(xml, address=loopback(), xml_name="demo-camera.xml",
                             registers=dict(DEMO_REGISTERS))
    device.start()
    data = bytes((i * 7) & 0xFF for i in range(args.size))
    try:
        with nodemap.open(f"gvcp://{device.address}?timeout=2") as cam:
            reference = Reference(cam.port, xml)
            rows = []
            for label, write, read in (
                    ("nodemap", lambda: cam.files.write("UserData", data),
                     lambda: cam.files.read("UserData")),
                    ("reference", lambda: reference.write("UserData", data),
                     lambda: reference.read("UserData", len(data)))):
                before = device.stats["received"]
                write()
                assert read() == data, f"{label}: read back differs"
                requests = device.stats["received"] - before
                rows.append((label, _median(args.repeats, write), _median(args.repeats, read),
                             requests))
    finally:
        device.stop()
    print(f"UserData, {args.size} bytes, 512-byte buffer, loopback GVCP, median of "
          f"{args.repeats}")
    print(f"{'':10} {'write s':>9} {'read s':>9} {'write KB/s':>11} {'read KB/s':>10} "
          f"{'GVCP requests (write+read)':>27}")
    for label, write_s, read_s, requests in rows:
        print(f"{label:10} {write_s:9.4f} {read_s:9.4f} {args.size / write_s / 1e3:11.0f} "
              f"{args.size / read_s / 1e3:10.0f} {requests:27d}")
    ours, theirs = rows[0], rows[1]
    print(f"ratio (reference / nodemap): write {theirs[1] / ours[1]:.2f}x, "
          f"read {theirs[2] / ours[2]:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
