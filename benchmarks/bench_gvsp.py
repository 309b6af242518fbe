"""GVSP receivers side by side: the same source feeds nodemap, Aravis, viva-genicam,
telegenicam and pyGigEVision in turn; 1024×1024 Mono8 at 1400- and 8000-byte packets.

    .venv/bin/python benchmarks/bench_gvsp.py [--source aravis|sim|both] [--frames 300]
                                              [--repeat 3] [--receivers nodemap,aravis,...]

For each (source, packet size, receiver) one subprocess opens the camera with that
receiver's own API, streams ``--frames`` frames and reports frames/s, MB/s, CPU ms per
frame (its process CPU time — user + system, all threads — divided by frames),
incomplete frames (delivered with holes) and lost ones (block ids never delivered, from the
gaps between the ids received).  Receivers take turns, ``--repeat`` rounds; the table shows the median
of the rounds (incomplete: the sum) and ratios to nodemap.  A receiver that cannot
receive from a source gets a line saying why.  Then the highest rate our simulated device
sources (as fast as it can) with our receiver keeping up.

Sources: Aravis's fake camera at its top rate, and our simulated device (``nodemap sim
gige``'s demo camera, sensor 1024 high) at 100 frames/s.  As root each source runs in a
private network namespace at 127.0.0.1:3956 (tests/netns.py) and so do the receivers
(viva-genicam only discovers devices there; other GigE Vision devices on the machine
cannot interfere); elsewhere the fake camera needs the host's 127.0.0.1:3956 free and our
device uses 127.0.88.1.  Run on demand; tests never time anything.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SYSTEM_PYTHON = "/usr/bin/python3"
WIDTH = HEIGHT = 1024


# ----------------------------------------------------------------------------- receivers
# Each runs in its own process and prints one JSON line.

def _lost(ids: list[int]) -> int:
    """Frames missing between the block ids received (16-bit ids wrap, skipping 0)."""
    lost = 0
    for prev, cur in zip(ids, ids[1:]):
        step = (cur - prev) % 65536
        if cur < prev and prev < 65536:
            step -= 1                       # 0 is not a block id
        lost += max(0, step - 1) if step < 30000 else 0
    return lost


class Timed:
    """What one receiver's timed run saw (filled by :func:`_timed`)."""

    def __init__(self) -> None:
        self.frames = self.incomplete = self.nbytes = 0
        self.ids: list[int] = []
        self.cpu = self.wall = 0.0


def _timed(frames: int, next_frame: Callable[[], Any],
           facts: Callable[[Any], tuple[int, bool, int]]) -> Timed:
    """Time up to ``frames`` deliveries, the same loop for every receiver:
    ``next_frame()`` is the receiver's own wait (None: nothing came, the run ends),
    ``facts(frame)`` gives (block id, complete, bytes counted) and may hand the buffer back."""
    t = Timed()
    c0, t0 = time.process_time(), time.monotonic()
    while t.frames < frames:
        frame = next_frame()
        if frame is None:
            break
        block_id, complete, nbytes = facts(frame)
        t.frames += 1
        t.ids.append(block_id)
        t.incomplete += not complete
        t.nbytes += nbytes
    t.cpu, t.wall = time.process_time() - c0, time.monotonic() - t0
    return t


def _result(t: Timed, stats: dict | None = None) -> None:
    print(json.dumps({"frames": t.frames, "incomplete": t.incomplete, "cpu": t.cpu,
                      "wall": t.wall, "bytes": t.nbytes, "lost": _lost(t.ids),
                      "stats": stats}), flush=True)


def recv_nodemap(host: str, packet_size: int, frames: int, rate: float | None) -> None:
    sys.path.insert(0, str(ROOT))
    import nodemap

    with nodemap.open(f"gvcp://{host}") as cam:
        _configure_nodemap(cam, rate)
        with cam.stream(buffers=16, packet_size=packet_size) as stream:
            stream.next(5.0)                      # warm up: first frame not timed
            delivered = iter(stream.frames(frames, timeout=5.0))

            def facts(frame: Any) -> tuple[int, bool, int]:
                out = (frame.frame_id, frame.status == "complete", frame.payload.nbytes)
                frame.release()
                return out

            timed = _timed(frames, lambda: next(delivered, None), facts)
            stats = stream.stats
    print(f"# nodemap: {stats['packets'] / max(1, stats['receive_calls']):.1f} packets per "
          f"receive call, {stats['resend_requests']} resend requests", file=sys.stderr)
    _result(timed, {k: v for k, v in stats.items() if v})


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

    def facts(buf: Any) -> tuple[int, bool, int]:
        complete = buf.get_status() == Aravis.BufferStatus.SUCCESS
        out = (buf.get_frame_id(), complete, payload if complete else 0)
        stream.push_buffer(buf)
        return out

    timed = _timed(frames, lambda: stream.timeout_pop_buffer(5_000_000), facts)
    cam.stop_acquisition()
    _result(timed)


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

            def facts(frame: Any) -> tuple[int, bool, int]:
                status = str(getattr(frame, "status", "complete")).lower()
                complete = "complete" in status and "incomplete" not in status
                return frame.block_id, complete, WIDTH * HEIGHT

            timed = _timed(frames, lambda: stream.next_frame(5000), facts)
    finally:
        cam.close()
    _result(timed)


def _frame_rate(cam_set, bounds, rate: float | None) -> None:
    """Set AcquisitionFrameRate: ``rate`` (capped), or as fast as it goes when 0."""
    if rate is None:
        return
    try:
        lo, hi = bounds()
        if rate:
            cam_set(min(rate, hi))
        elif lo == 0:                 # our demo camera: 0 means as fast as it goes
            cam_set(0.0)
        else:                         # never 0 elsewhere (Aravis's fake camera stalls)
            cam_set(hi if hi < 1e6 else 1000.0)
    except Exception:  # noqa: BLE001 - a source without the feature, or clamping
        pass


def recv_telegenicam(host: str, packet_size: int, frames: int, rate: float | None) -> None:
    import telegenic as tg

    cam = tg.Camera(host)
    cam.connect()
    try:
        cam.set_integer("Width", WIDTH)
        cam.set_integer("Height", HEIGHT)
        if cam.has_feature("PixelFormat"):
            cam.set_enum("PixelFormat", "Mono8")
        if cam.has_feature("AcquisitionFrameRate"):
            _frame_rate(lambda v: cam.set_float("AcquisitionFrameRate", v),
                        lambda: cam.float_bounds("AcquisitionFrameRate"), rate)
        with cam.start_acquisition(n_buffers=16, packet_size=packet_size) as acq:
            acq.wait_for(5.0)                                 # warm up
            timed = _timed(frames, lambda: acq.wait_for(5.0),
                           lambda frame: (frame.frame_id, bool(frame.is_complete),
                                          frame.received_size))
    finally:
        cam.disconnect()
    _result(timed)


class _PygvPort:
    """nodemap's Port over pyGigEVision's own control connection (used only to find and
    set the features before streaming; the timed part is pyGigEVision's alone)."""

    def __init__(self, client) -> None:
        self.client = client

    def read(self, address: int, length: int) -> bytes:
        return bytes(self.client.read_mem(address, (length + 3) & ~3)[:length])

    def write(self, address: int, data: bytes) -> None:
        if len(data) != 4:
            raise OSError("pyGigEVision writes 4-byte registers only")
        self.client.write_reg(address, int.from_bytes(data, "big"))


def recv_pygigevision(host: str, packet_size: int, frames: int, rate: float | None) -> None:
    import io
    import zipfile

    from pyGigEVision import GVCPClient, GVSPReceiver

    sys.path.insert(0, str(ROOT))
    from nodemap import NodeMap, xmlurl

    client = GVCPClient(host)
    client.connect()
    rx = None
    try:
        # pyGigEVision's fetch_genicam_xml reads a bare all-digit hex address ("100000")
        # as decimal; the URL is read here with nodemap's parser, the bytes with its client
        url = xmlurl.parse(bytes(client.read_mem(0x0200, 512)).split(b"\0")[0].decode())
        xml = bytes(client.read_mem(url.address, (url.length + 3) & ~3)[:url.length])
        if url.zipped:
            with zipfile.ZipFile(io.BytesIO(xml)) as z:
                xml = z.read(next(n for n in z.namelist() if n.lower().endswith(".xml")))
        nm = NodeMap.from_xml(xml)
        nm.connect(_PygvPort(client))
        f = nm.features
        f["Width"].value = WIDTH
        f["Height"].value = HEIGHT
        if "PixelFormat" in f:
            f["PixelFormat"].value = "Mono8"
        if "AcquisitionFrameRate" in f:
            fr = f["AcquisitionFrameRate"]
            _frame_rate(lambda v: setattr(fr, "value", v), lambda: (fr.min, fr.max), rate)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect((host, 3956))                # the local address toward the camera
            local = probe.getsockname()[0]
        # its packet_size is the GVSP datagram (payload = packet_size - 8)
        rx = GVSPReceiver(local_ip=local, camera_ip=host, packet_size=packet_size - 28,
                          max_queue=64)
        client.write_reg(0x0D04, packet_size)                      # SCPS0
        client.write_reg(0x0D18, int.from_bytes(socket.inet_aton(local), "big"))   # SCDA0
        client.write_reg(0x0D00, rx.port)                          # SCP0
        rx.start()
        if "AcquisitionMode" in f:
            f["AcquisitionMode"].value = "Continuous"
        f["AcquisitionStart"].execute()
        rx.get_frame_with_info(5.0)                                # warm up
        timed = _timed(frames, lambda: rx.get_frame_with_info(5.0),
                       lambda item: (item[1]["block_id"], bool(item[1]["complete"]),
                                     item[0].nbytes))
        f["AcquisitionStop"].execute()
        client.write_reg(0x0D00, 0)
    finally:
        if rx is not None:
            rx.close()
        client.disconnect()
    _result(timed)


RECEIVERS = {"nodemap": recv_nodemap, "aravis": recv_aravis, "viva": recv_viva,
             "telegenicam": recv_telegenicam, "pygigevision": recv_pygigevision}
IMPORTS = {"viva": "viva_genicam", "telegenicam": "telegenic", "pygigevision": "pyGigEVision"}


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
    if receiver in IMPORTS:
        ok = subprocess.run([sys.executable, "-c", f"import {IMPORTS[receiver]}"],
                            capture_output=True)
        return sys.executable if ok.returncode == 0 else None
    return sys.executable


def measure(receiver: str, source: "Source", packet_size: int, frames: int) -> dict | str:
    python = _python_for(receiver)
    if python is None:
        return "not installed"
    cmd = [python, str(Path(__file__).resolve()), "_recv", receiver, source.host,
           str(packet_size), str(frames)]
    if source.rate is not None:
        cmd += ["--rate", str(source.rate)]
    try:
        out = subprocess.run(source.command(cmd), capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return "timed out (300 s)"
    for line in reversed(out.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    lines = [line for line in (out.stderr or out.stdout).strip().splitlines() if line.strip()]
    return "cannot receive: " + (lines[-1].strip()[:150] if lines else f"exit {out.returncode}")


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


def _namespace():
    """A private loopback-only network namespace (root, Linux), or None."""
    sys.path.insert(0, str(ROOT))
    from tests import netns
    if netns.unavailable() is not None:
        return None
    return netns.Namespace(lifetime=3600)


class Source:
    """A GVSP source in a process of its own: Aravis's fake camera ("aravis") or our
    simulated device ("sim"), in a private namespace at 127.0.0.1 when one can be made."""

    def __init__(self, kind: str, rate: float | None = None, address: str = "127.0.88.1"):
        self.kind = kind
        self.ns = _namespace()
        self.proc: subprocess.Popen | None = None
        self.why_not = ""
        if kind == "aravis":
            self.host = "127.0.0.1"
            self.rate: float | None = 0.0
            self.label = "Aravis fake camera (its top rate)"
            if _python_for("aravis") is None:
                self.why_not = "Aravis (gir1.2-aravis-0.8 for /usr/bin/python3) is missing"
                return
            argv = [SYSTEM_PYTHON, str(ROOT / "tests/transports/gvcp/aravis_fake.py"),
                    "--lifetime", "3600"]
        else:
            self.host = "127.0.0.1" if self.ns is not None else address
            self.rate = 100.0 if rate is None else rate
            self.label = ("nodemap simulated device " + (f"at {self.rate:g} fps" if self.rate
                                                         else "as fast as it can"))
            argv = [sys.executable, str(Path(__file__).resolve()), "_sim", self.host]
        if self.ns is None and self._answers():
            self.why_not = f"{self.host}:3956 is taken (and no private namespace here)"
            return
        self.proc = subprocess.Popen(self.command(argv), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        for _ in range(150):
            if self._answers():
                return
            time.sleep(0.1)
        self.why_not = "did not answer DISCOVERY within 15 s"
        self.close()

    def _answers(self) -> bool:
        if self.ns is None:
            return _answers((self.host, 3956))
        with self.ns.entered():
            return _answers((self.host, 3956))

    def command(self, argv: list[str]) -> list[str]:
        return self.ns.command(argv) if self.ns is not None else argv

    def close(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
            self.proc = None
        if self.ns is not None:
            self.ns.close()
            self.ns = None


def serve_sim(address: str) -> None:
    """Child: our simulated device (demo camera, sensor 1024 high) until terminated."""
    import signal

    sys.path.insert(0, str(ROOT))
    from nodemap.resources import read_description
    from nodemap.transports.gvcp.device import SimulatedDevice
    from nodemap.transports.gvcp.sim import DEMO_REGISTERS

    registers = {**DEMO_REGISTERS, 0xA014: 1024}     # SensorHeight 1024 (the demo has 960)
    dev = SimulatedDevice(read_description("demo-camera.xml"), address=address,
                          registers=registers).start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while True:
            time.sleep(3600)
    finally:
        dev.stop()


def _summary(runs: list[dict | str]) -> dict | str:
    """Median figures of the runs that measured (incomplete: their sum), or why none did."""
    good = [r for r in runs if isinstance(r, dict) and r["frames"]]
    if not good:
        return next((r for r in runs if isinstance(r, str)), "received no frame")
    return {"fps": statistics.median(r["frames"] / r["wall"] for r in good),
            "mbs": statistics.median(r["bytes"] / r["wall"] / 1e6 for r in good),
            "cpu_ms": statistics.median(1000 * r["cpu"] / r["frames"] for r in good),
            "incomplete": sum(r["incomplete"] for r in good),
            "lost": sum(r.get("lost", 0) for r in good),
            "frames": sum(r["frames"] for r in good), "runs": len(good)}


def _row(name: str, r: dict | str, base: dict | str | None) -> str:
    if isinstance(r, str):
        return f"| {name} | {r} ||||||"
    ratio = ""
    if isinstance(base, dict) and base is not r:
        ratio = (f"×{r['cpu_ms'] / base['cpu_ms']:.2f} | ×{r['fps'] / base['fps']:.2f}")
    else:
        ratio = "1 | 1" if base is r else " | "
    return (f"| {name} | {r['fps']:.0f} | {r['mbs']:.0f} | {r['cpu_ms']:.3f} | "
            f"{r['incomplete']}/{r['frames']} | {r['lost']} | {ratio} |")


HEADER = ("| receiver | frames/s | MB/s | CPU ms/frame | incomplete | lost | CPU vs nodemap "
          "| frames/s vs nodemap |\n|---|---:|---:|---:|---:|---:|---:|---:|")


def run(sources: list[str], frames: int, receivers: list[str], repeat: int,
        search: bool, sizes: tuple[int, ...] = (1400, 8000)) -> None:
    print(f"GVSP receivers, {WIDTH}×{HEIGHT} Mono8, {frames} frames per run, median of "
          f"{repeat} runs (CPU = receiver process user+system time / frames)")
    for kind in sources:
        source = Source(kind)
        try:
            if source.why_not:
                print(f"\nsource {source.label}: unavailable ({source.why_not})")
                continue
            where = "private namespace" if source.ns is not None else "host loopback"
            for packet_size in sizes:
                print(f"\nsource {source.label} at {source.host} ({where}), packet size "
                      f"{packet_size}\n\n{HEADER}")
                runs: dict[str, list[dict | str]] = {r: [] for r in receivers}
                for _ in range(repeat):
                    for receiver in receivers:
                        runs[receiver].append(measure(receiver, source, packet_size, frames))
                results = {r: _summary(v) for r, v in runs.items()}
                base = results.get("nodemap")
                for receiver, r in results.items():
                    print(_row(receiver, r, base), flush=True)
                for r in runs.get("nodemap", []):     # why, when nodemap missed something
                    if isinstance(r, dict) and (r["incomplete"] or r["lost"]):
                        print(f"\nnodemap run with {r['incomplete']} incomplete, {r['lost']} "
                              f"lost: stream.stats {r.get('stats')}")
        finally:
            source.close()
    if search:
        # the highest rate our simulated device sources with our receiver keeping up
        print("\nnodemap simulated device → nodemap receiver: the highest rate with every "
              f"frame complete\n\n{HEADER}")
        for packet_size in sizes:
            for rate in (0.0, 800.0, 600.0, 400.0, 300.0, 200.0, 150.0, 100.0):
                source = Source("sim", rate=rate, address="127.0.88.2")
                try:
                    r = _summary([measure("nodemap", source, packet_size, frames)])
                finally:
                    source.close()
                label = f"{packet_size} B " + ("max" if not rate else f"@{rate:g}")
                print(_row(label, r, None), flush=True)
                if isinstance(r, dict) and r["incomplete"] == 0 and r["lost"] == 0:
                    break


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_recv":
        _child(sys.argv[2:])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_sim":
        serve_sim(sys.argv[2])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", choices=["aravis", "sim", "both"], default="both")
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--receivers", default="nodemap,aravis,viva,telegenicam,pygigevision")
    ap.add_argument("--no-search", action="store_true",
                    help="skip the highest-rate search of our simulated device")
    ap.add_argument("--sizes", default="1400,8000", help="packet sizes, comma-separated")
    a = ap.parse_args()
    sources = ["aravis", "sim"] if a.source == "both" else [a.source]
    run(sources, a.frames, a.receivers.split(","), a.repeat, not a.no_search,
        tuple(int(x) for x in a.sizes.split(",")))


if __name__ == "__main__":
    main()
