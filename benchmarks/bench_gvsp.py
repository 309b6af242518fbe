"""GVSP receivers side by side: the same source feeds nodemap, Aravis, viva-genicam and
pyGigEVision in turn; 1024×1024 Mono8 at 1400- and 8000-byte packets.

    .venv/bin/python benchmarks/bench_gvsp.py [--source aravis|sim|both] [--frames 150]

For each (source, packet size, receiver) one subprocess opens the camera with that
receiver's own API, streams ``--frames`` frames and reports frames/s, MB/s, CPU ms per
frame (its process CPU time — user + system, all threads — divided by frames) and
incomplete frames.  Ratios are against nodemap.  Then the highest rate our simulated
device sources (as fast as it can) with our receiver keeping up.  Run on demand; tests
never time anything.  Each receiver runs alone (sources stay up, receivers take turns).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SYSTEM_PYTHON = "/usr/bin/python3"
WIDTH = HEIGHT = 1024


# ----------------------------------------------------------------------------- receivers
# Each runs in its own process and prints one JSON line.

def _result(frames: int, incomplete: int, cpu: float, wall: float, nbytes: int) -> None:
    print(json.dumps({"frames": frames, "incomplete": incomplete, "cpu": cpu, "wall": wall,
                      "bytes": nbytes}), flush=True)


def recv_nodemap(host: str, packet_size: int, frames: int, rate: float | None) -> None:
    sys.path.insert(0, str(ROOT))
    import nodemap

    with nodemap.open(f"gvcp://{host}") as cam:
        _configure_nodemap(cam, rate)
        with cam.stream(buffers=16, packet_size=packet_size) as stream:
            stream.next(5.0)                      # warm up: first frame not timed
            got = incomplete = nbytes = 0
            c0, t0 = time.process_time(), time.monotonic()
            for frame in stream.frames(frames, timeout=5.0):
                got += 1
                incomplete += frame.status != "complete"
                nbytes += frame.payload.nbytes
                frame.release()
            cpu, wall = time.process_time() - c0, time.monotonic() - t0
            stats = stream.stats
    print(f"# nodemap: {stats['packets'] / max(1, stats['receive_calls']):.1f} packets per "
          f"receive call, {stats['resend_requests']} resend requests", file=sys.stderr)
    _result(got, incomplete, cpu, wall, nbytes)


def _configure_nodemap(cam, rate: float | None) -> None:
    f = cam.features
    f["Width"].value = WIDTH
    f["Height"].value = HEIGHT
    if "PixelFormat" in f:
        f["PixelFormat"].value = "Mono8"
    if rate is not None and "AcquisitionFrameRate" in f:
        fr = f["AcquisitionFrameRate"]
        # 0: as fast as the source goes (the demo camera's 0, else its maximum)
        fr.value = min(rate, fr.max) if rate else (0.0 if fr.min <= 0 else fr.max)


def recv_aravis(host: str, packet_size: int, frames: int, rate: float | None) -> None:
    import gi
    gi.require_version("Aravis", "0.8")
    from gi.repository import Aravis

    cam = Aravis.Camera.new(host)
    cam.set_region(0, 0, WIDTH, HEIGHT)
    cam.set_pixel_format(0x01080001)
    if rate is not None:
        lo, hi = cam.get_frame_rate_bounds()
        cam.set_frame_rate(min(rate, hi) if rate else hi)
    cam.gv_set_packet_size(packet_size)
    stream = cam.create_stream(None, None)
    payload = cam.get_payload()
    for _ in range(16):
        stream.push_buffer(Aravis.Buffer.new_allocate(payload))
    cam.set_acquisition_mode(Aravis.AcquisitionMode.CONTINUOUS)
    cam.start_acquisition()
    buf = stream.timeout_pop_buffer(5_000_000)          # warm up
    if buf is not None:
        stream.push_buffer(buf)
    got = incomplete = nbytes = 0
    c0, t0 = time.process_time(), time.monotonic()
    while got < frames:
        buf = stream.timeout_pop_buffer(5_000_000)
        if buf is None:
            break
        got += 1
        if buf.get_status() != Aravis.BufferStatus.SUCCESS:
            incomplete += 1
        else:
            nbytes += payload
        stream.push_buffer(buf)
    cpu, wall = time.process_time() - c0, time.monotonic() - t0
    cam.stop_acquisition()
    _result(got, incomplete, cpu, wall, nbytes)


def recv_viva(host: str, packet_size: int, frames: int, rate: float | None) -> None:
    import viva_genicam as vg

    infos = [d for d in vg.discover(timeout_ms=800, iface="127.0.0.1", all=True)
             if getattr(d, "ip", None) == host]
    if not infos:
        raise SystemExit(f"viva-genicam did not discover {host}")
    cam = vg.connect_gige(infos[0])
    try:
        cam.set_integer("Width", WIDTH)
        cam.set_integer("Height", HEIGHT)
        if rate is not None:
            try:
                cam.set_float("AcquisitionFrameRate", rate or 1000.0)
            except Exception:  # noqa: BLE001 - some sources clamp or lack it
                pass
        with cam.stream(packet_size=packet_size, deliver_incomplete=True) as stream:
            stream.next_frame(5000)
            got = incomplete = nbytes = 0
            c0, t0 = time.process_time(), time.monotonic()
            while got < frames:
                frame = stream.next_frame(5000)
                if frame is None:
                    break
                got += 1
                status = str(getattr(frame, "status", "complete")).lower()
                incomplete += "complete" not in status or "incomplete" in status
                nbytes += WIDTH * HEIGHT
            cpu, wall = time.process_time() - c0, time.monotonic() - t0
    finally:
        cam.close()
    _result(got, incomplete, cpu, wall, nbytes)


RECEIVERS = {"nodemap": recv_nodemap, "aravis": recv_aravis, "viva": recv_viva}


def _child(argv: list[str]) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("receiver")
    ap.add_argument("host")
    ap.add_argument("packet_size", type=int)
    ap.add_argument("frames", type=int)
    ap.add_argument("--rate", type=float, default=None)
    a = ap.parse_args(argv)
    RECEIVERS[a.receiver](a.host, a.packet_size, a.frames, a.rate)


# ----------------------------------------------------------------------------- harness

def _python_for(receiver: str) -> str | None:
    if receiver == "aravis":
        if not os.path.exists(SYSTEM_PYTHON):
            return None
        ok = subprocess.run([SYSTEM_PYTHON, "-c", "import gi; gi.require_version('Aravis', "
                             "'0.8'); from gi.repository import Aravis"], capture_output=True)
        return SYSTEM_PYTHON if ok.returncode == 0 else None
    if receiver == "viva":
        ok = subprocess.run([sys.executable, "-c", "import viva_genicam"], capture_output=True)
        return sys.executable if ok.returncode == 0 else None
    return sys.executable


def measure(receiver: str, host: str, packet_size: int, frames: int,
            rate: float | None) -> dict | str:
    python = _python_for(receiver)
    if python is None:
        return "not installed"
    cmd = [python, str(Path(__file__).resolve()), "_recv", receiver, host, str(packet_size),
           str(frames)] + (["--rate", str(rate)] if rate is not None else [])
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return "timed out"
    for line in reversed(out.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return f"failed: {(out.stderr or out.stdout).strip().splitlines()[-1:]}"


def _answers(address: tuple[str, int]) -> bool:
    sys.path.insert(0, str(ROOT))
    from nodemap.transports.gvcp import protocol as p
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.3)
        try:
            s.sendto(p.DiscoveryCmd(1).encode(), address)
            return bool(s.recv(2048))
        except OSError:
            return False


def start_aravis_source() -> subprocess.Popen | None:
    if _python_for("aravis") is None or _answers(("127.0.0.1", 3956)):
        return None
    proc = subprocess.Popen([SYSTEM_PYTHON, str(ROOT / "tests/transports/gvcp/aravis_fake.py"),
                             "--lifetime", "900"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(100):
        if _answers(("127.0.0.1", 3956)):
            return proc
        time.sleep(0.1)
    proc.kill()
    return None


def start_sim_source(address: str):
    sys.path.insert(0, str(ROOT))
    from nodemap.transports.gvcp.sim import DEMO_REGISTERS
    from nodemap.resources import read_description
    from nodemap.transports.gvcp.device import SimulatedDevice

    registers = {**DEMO_REGISTERS, 0xA014: 1024}     # SensorHeight 1024 (the demo has 960)
    return SimulatedDevice(read_description("demo-camera.xml"), address=address,
                           registers=registers).start()


def _row(name: str, r: dict | str, base: dict | None) -> str:
    if isinstance(r, str):
        return f"  {name:<14} {r}"
    fps = r["frames"] / r["wall"] if r["wall"] else 0.0
    mbs = r["bytes"] / r["wall"] / 1e6 if r["wall"] else 0.0
    cpu_ms = 1000 * r["cpu"] / r["frames"] if r["frames"] else float("nan")
    ratio = ""
    if base is not None and base is not r and base["frames"]:
        base_ms = 1000 * base["cpu"] / base["frames"]
        ratio = f"  CPU/frame ×{cpu_ms / base_ms:.2f} of nodemap"
    return (f"  {name:<14} {fps:8.1f} fps {mbs:8.1f} MB/s {cpu_ms:8.3f} CPU ms/frame "
            f"{r['incomplete']:4d} incomplete{ratio}")


def run(sources: list[str], frames: int, receivers: list[str]) -> None:
    print(f"GVSP receivers, {WIDTH}×{HEIGHT} Mono8, {frames} frames each "
          f"(CPU = receiver process user+system time / frames)")
    for source in sources:
        proc = dev = None
        if source == "aravis":
            proc = start_aravis_source()
            if proc is None:
                print("\nsource Aravis fake camera: unavailable (not installed, or "
                      "127.0.0.1:3956 busy)")
                continue
            host, rate, label = "127.0.0.1", 0.0, "Aravis fake camera (its top rate)"
        else:
            dev = start_sim_source("127.0.88.1")
            host, rate, label = "127.0.88.1", 100.0, "nodemap simulated device at 100 fps"
        try:
            for packet_size in (1400, 8000):
                print(f"\nsource {label}, packet size {packet_size}")
                results = {}
                for receiver in receivers:
                    results[receiver] = measure(receiver, host, packet_size, frames, rate)
                base = results.get("nodemap") if isinstance(results.get("nodemap"), dict) \
                    else None
                for receiver, r in results.items():
                    print(_row(receiver, r, base), flush=True)
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(10)
            if dev is not None:
                dev.stop()
    # the highest rate our simulated device sources with our receiver keeping up
    dev = start_sim_source("127.0.88.2")
    try:
        print("\nnodemap simulated device as fast as it can → nodemap receiver")
        for packet_size in (1400, 8000):
            # as fast as it can, then lower fixed rates until no frame is incomplete
            for rate in (0.0, 600.0, 400.0, 300.0, 200.0, 150.0, 100.0):
                r = measure("nodemap", "127.0.88.2", packet_size, frames, rate)
                label = f"{packet_size} B " + ("max" if not rate else f"@{rate:g}")
                print(_row(label, r, None), flush=True)
                if isinstance(r, dict) and r["incomplete"] == 0:
                    break
    finally:
        dev.stop()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_recv":
        _child(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", choices=["aravis", "sim", "both"], default="both")
    ap.add_argument("--frames", type=int, default=150)
    ap.add_argument("--receivers", default="nodemap,aravis,viva")
    a = ap.parse_args()
    sources = ["aravis", "sim"] if a.source == "both" else [a.source]
    if shutil.which("arv-tool-0.8") is None:
        print("(arv-tool-0.8 absent: Aravis may be missing)")
    run(sources, a.frames, a.receivers.split(","))


if __name__ == "__main__":
    main()
