"""``nodemap demo``: three simulated cameras, one feature API — no hardware needed.

It starts, inside this process:

* a GigE Vision device speaking GVCP on a loopback address (127.0.0.2:3956, or a free
  port if that is taken), serving ``xml/demo-camera.xml`` — an area-scan camera
  description this project wrote — with the power-on values in :data:`DEMO_REGISTERS`;
* a Sony FCB block camera speaking VISCA on a pseudo-terminal (a loopback TCP socket
  where ptys do not exist, e.g. Windows);
* an SXH485 serial JPEG camera on another pty (or TCP socket);

then opens each with ``nodemap.open(url)`` and shows the same calls on all three: list
the features, read, write, execute a command, save the feature set, change it, load it
back, and take a JPEG snapshot from the SXH485 camera.  Everything it starts is
stopped before it returns; the exit status is 0 only if every step worked.

:func:`start_simulator` is also what ``nodemap sim gige|fcb|sxh485`` runs.
"""

from __future__ import annotations

import os
import signal
import struct
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

from rich.markup import escape

__all__ = ["DEMO_REGISTERS", "DEMO_XML", "Simulator", "start_simulator", "wait_for_signal",
           "run"]

DEMO_XML = "demo-camera.xml"

#: Power-on register values of the simulated demo camera (address → 32-bit value).
DEMO_REGISTERS: dict[int, int] = {
    0xA000: 1280,        # Width
    0xA004: 960,         # Height
    0xA010: 1280,        # SensorWidth
    0xA014: 960,         # SensorHeight
    0xA018: 0x01080001,  # PixelFormat = Mono8
    0xA020: 1000,        # ExposureTime raw (10 us units) = 10 ms
    0xA028: 0,           # Gain[All]
    0xA02C: 12,          # Gain[Red]
    0xA030: 0,           # Gain[Green]
    0xA034: 18,          # Gain[Blue]
    0xA054: 385,         # DeviceTemperature[Sensor] = 38.5 C
    0xA058: 412,         # DeviceTemperature[Mainboard] = 41.2 C
}


class Simulator:
    """Running simulated device(s): ``urls`` to open, ``close()`` to stop everything."""

    def __init__(self, kind: str, urls: list[str], closers: list[Callable[[], None]],
                 transport: str = "") -> None:
        self.kind = kind
        self.urls = urls
        self.transport = transport
        self._closers = closers

    def close(self) -> None:
        while self._closers:
            closer = self._closers.pop()
            try:
                closer()
            except Exception:  # noqa: BLE001 - best effort: stop the rest too
                pass

    def __enter__(self) -> "Simulator":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _has_pty() -> bool:
    return hasattr(os, "openpty") and os.name == "posix"


def _start_gige(xml: Path | None, addresses: list[str], port: int | None) -> Simulator:
    from nodemap.transports.gvcp.device import SimulatedDevice

    from .resources import read_description

    if xml is None:
        data, name, registers = read_description(DEMO_XML), DEMO_XML, dict(DEMO_REGISTERS)
    else:
        data, name, registers = xml.read_bytes(), xml.name, {}
    candidates = [(a, port or 3956) for a in (addresses or ["127.0.0.2"])]
    if not addresses and port is None:
        candidates.append(("127.0.0.2", 0))   # 3956 taken: any free port
    last: Exception | None = None
    for address, udp_port in candidates:
        device = SimulatedDevice(data, address=address, port=udp_port, xml_name=name,
                                 manufacturer="nodemap", model="NM-Demo-1300",
                                 registers=registers)
        try:
            device.start()
        except OSError as exc:
            last = exc
            continue
        url = f"gvcp://{address}" + (f":{device.port}" if device.port != 3956 else "")
        return Simulator("gige", [url], [device.stop], "udp")
    raise OSError(f"cannot bind a simulated GigE device on {candidates}: {last}")


def _split_tcp(tcp: str) -> tuple[str, int]:
    host, _, port = tcp.rpartition(":")
    return host or "127.0.0.1", int(port)


def _start_fcb(cameras: int, tcp: str | None) -> Simulator:
    from nodemap.transports.fcb.device import SimServer

    server = SimServer(cameras=cameras)
    transport = "pty"
    if tcp is None and _has_pty():
        try:
            server.start_pty()
        except OSError:
            server = SimServer(cameras=cameras)
            server.start_tcp()
            transport = "tcp"
    else:
        server.start_tcp(*(_split_tcp(tcp) if tcp else ("127.0.0.1", 0)))
        transport = "tcp"
    urls = [f"fcb:{server.url}?address={n}" for n in range(1, cameras + 1)]
    return Simulator("fcb", urls, [server.close], transport)


def _start_sxh485(addresses: list[int], tcp: str | None) -> Simulator:
    from nodemap.transports.sxh485.device import PtyServer, SimulatedCamera, SimulatedLine, TcpServer

    line = SimulatedLine([SimulatedCamera(address=a) for a in addresses or [1]])
    server: Any
    if tcp is None and _has_pty():
        try:
            server = PtyServer(line).start()
            serial_url, transport = server.path, "pty"
        except OSError:
            server = TcpServer(line, "127.0.0.1", 0).start()
            serial_url, transport = server.url, "tcp"
    else:
        host, port = _split_tcp(tcp) if tcp else ("127.0.0.1", 0)
        server = TcpServer(line, host, port).start()
        serial_url, transport = server.url, "tcp"
    urls = [f"sxh485:{serial_url}?address={a}" for a in addresses or [1]]
    return Simulator("sxh485", urls, [server.close], transport)


def start_simulator(kind: str, *, xml: Path | None = None, addresses: list[str] | None = None,
                    port: int | None = None, cameras: int = 1, tcp: str | None = None) -> Simulator:
    """Start a simulated ``gige``, ``fcb`` or ``sxh485`` device (threads in this process)."""
    addresses = addresses or []
    if kind == "gige":
        return _start_gige(xml, addresses, port)
    if kind == "fcb":
        return _start_fcb(cameras, tcp)
    if kind == "sxh485":
        try:
            numbers = [int(a, 0) for a in addresses]
        except ValueError:
            raise ValueError(f"sxh485 addresses must be numbers 1-254, not {addresses}") from None
        return _start_sxh485(numbers, tcp)
    raise ValueError(f"unknown simulator {kind!r}; use gige, fcb or sxh485")


def wait_for_signal() -> None:
    """Block until Ctrl-C or SIGTERM."""
    stop = threading.Event()

    def handler(*_: object) -> None:
        stop.set()

    previous = None
    if hasattr(signal, "SIGTERM") and threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, handler)
    try:
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


# --------------------------------------------------------------------------- the demo

class _Show:
    """Prints the demo's narration (rich when available)."""

    def __init__(self) -> None:
        from rich.console import Console

        self.console = Console(highlight=False, soft_wrap=True)

    def title(self, text: str) -> None:
        self.console.rule(f"[bold]{text}")

    def say(self, text: str) -> None:
        self.console.print(text)

    def code(self, text: str, result: Any = None) -> None:
        suffix = "" if result is None else f"   [green]→ {escape(repr(result))}[/green]"
        self.console.print(f"  [cyan]{escape(text)}[/cyan]{suffix}")


def _first(features: Any, names: list[str], test: Callable[[Any], bool]) -> Any:
    for name in names:
        if name in features:
            try:
                feature = features[name]
                if test(feature):
                    return feature
            except Exception:  # noqa: BLE001
                continue
    return None


def _writable_value_feature(features: Any, preferred: list[str]) -> Any:
    def ok(f: Any) -> bool:
        return f.kind in ("Integer", "Enumeration", "Float", "Boolean") and f.access == "RW"

    found = _first(features, preferred, ok)
    if found is not None:
        return found
    return _first(features, list(features), lambda f: ok(f) and f.visibility != "Invisible")


def _new_value(feature: Any) -> Any:
    current = feature.value
    if feature.kind == "Enumeration":
        others = [e for e in feature.entries if e != current]
        return others[0] if others else current
    if feature.kind == "Boolean":
        return not current
    low, high = feature.min, feature.max
    inc = feature.inc if feature.kind == "Integer" else None
    target = low + (high - low) / 2
    if feature.kind == "Integer":
        step = int(inc or 1)
        target = int(low) + ((int(target) - int(low)) // step) * step
        if target == current:
            target = int(low) if current != low else int(low) + step
    return target


def _tour(show: _Show, label: str, url: str, cam: Any, workdir: Path,
          plan: dict[str, list[str]]) -> None:
    """The same calls on any camera."""
    from . import persist

    features = cam.features
    visible = [n for n in features
               if features[n].kind not in ("Category", "EnumEntry", "Port")
               and features[n].visibility not in ("Invisible",)]
    show.say(f"[bold]{label}[/bold] at [yellow]{url}[/yellow]: {len(visible)} features")
    show.code(f'cam = nodemap.open("{url}")')
    show.code("[n for n in cam.features][:8]", visible[:8])
    reads = [n for n in plan.get("read", []) if n in features] or \
        [n for n in visible if features[n].access in ("RO", "RW") and
         features[n].kind != "Command"][:4]
    for name in reads:
        show.code(f'cam.features["{name}"].value', features[name].value)
    target = _writable_value_feature(features, plan.get("write", []))
    if target is not None:
        before = target.value
        value = _new_value(target)
        target.value = value
        show.code(f'cam.features["{target.name}"].value = {value!r}')
        show.code(f'cam.features["{target.name}"].value', target.value)
    for name, value in plan.get("before_execute", []):
        if name in features:
            features[name].value = value
            show.code(f'cam.features["{name}"].value = {value!r}')
    command = _first(features, plan.get("execute", []) +
                     [n for n in features if features[n].kind == "Command"],
                     lambda f: f.kind == "Command" and f.access in ("WO", "RW"))
    if command is not None:
        command.execute()
        deadline = time.monotonic() + 10
        while not command.is_done() and time.monotonic() < deadline:
            time.sleep(0.02)
        show.code(f'cam.features["{command.name}"].execute()', "done" if command.is_done() else
                  "still running")
    # save, change, load
    path = workdir / f"{label.split()[0].lower()}.nmfs"
    count = persist.save(cam, path)
    show.code(f'persist.save(cam, "{path.name}")', f"{count} assignments")
    if target is not None and target.access == "RW":
        saved = target.value
        target.value = before
        show.code(f'cam.features["{target.name}"].value = {before!r}   # change it')
        report = persist.load(cam, path)
        show.code(f'persist.load(cam, "{path.name}")',
                  f"{report.applied} applied, {report.verified} verified, "
                  f"{len(report.problems)} problems")
        for problem in report.problems[:3]:
            show.say(f"    [yellow]not restored: {escape(str(problem))}[/yellow]")
        if len(report.problems) > 3:
            show.say(f"    [yellow]… and {len(report.problems) - 3} more (the device refuses "
                     f"them in its current mode)[/yellow]")
        show.code(f'cam.features["{target.name}"].value', target.value)
        if target.value != saved:
            raise RuntimeError(f"{label}: the feature set did not restore "
                               f"{target.name} = {saved!r}")


def run(keep: Path | None = None) -> int:
    """Run the demo; returns the exit status."""
    import nodemap

    show = _Show()
    failures: list[str] = []
    sims: list[Simulator] = []
    tmp = tempfile.TemporaryDirectory(prefix="nodemap-demo-")
    workdir = Path(keep) if keep else Path(tmp.name)
    workdir.mkdir(parents=True, exist_ok=True)
    show.title("nodemap demo: three simulated cameras, one feature API")
    try:
        started: dict[str, Simulator] = {}
        for kind, what in (("gige", "GigE Vision camera (GVCP on loopback UDP)"),
                           ("fcb", "Sony FCB block camera (VISCA on a serial line)"),
                           ("sxh485", "SXH485 serial JPEG camera")):
            try:
                sim = start_simulator(kind)
            except Exception as exc:  # noqa: BLE001 - report and go on with the others
                failures.append(f"{kind}: could not start the simulator: {exc}")
                show.say(f"[red]✗ {what}: {exc}[/red]")
                continue
            sims.append(sim)
            started[kind] = sim
            show.say(f"✓ started a simulated {what} → [yellow]{sim.urls[0]}[/yellow]"
                     f" ({sim.transport})")
        plans: dict[str, tuple[str, dict[str, list]]] = {
            "gige": ("GigE camera", {
                "read": ["DeviceModelName", "Width", "Height", "PixelFormat", "ExposureTime",
                         "DeviceTemperature"],
                "write": ["Width"],
                "before_execute": [("TriggerMode", "On")],
                "execute": ["TriggerSoftware"]}),
            "fcb": ("FCB camera", {
                "read": ["ZoomPosition", "FocusMode", "WhiteBalanceMode", "ExposureMode"],
                "write": ["ZoomPosition", "WhiteBalanceMode"],
                "execute": ["MemorySet", "ZoomStop"]}),
            "sxh485": ("SXH485 camera", {
                "read": ["Resolution", "ImageQuality", "PacketSize", "DeviceStatus"],
                "write": ["Resolution", "ImageQuality"],
                "execute": ["TriggerSoftware"]}),
        }
        for kind, sim in started.items():
            label, plan = plans[kind]
            show.title(label)
            url = sim.urls[0]
            try:
                with nodemap.open(url) as cam:
                    _tour(show, label, url, cam, workdir, plan)
                    if kind == "sxh485":
                        _snapshot(show, cam, workdir)
            except Exception as exc:  # noqa: BLE001 - the demo reports, then fails at the end
                failures.append(f"{label}: {type(exc).__name__}: {exc}")
                show.say(f"[red]✗ {label}: {type(exc).__name__}: {exc}[/red]")
    finally:
        for sim in reversed(sims):
            sim.close()
        if keep is None:
            tmp.cleanup()
    show.title("summary")
    if failures:
        for failure in failures:
            show.say(f"[red]✗ {failure}[/red]")
        show.say("The demo did not complete; the messages above say what failed.")
        return 1
    show.say("✓ the same calls — features, .value, .execute(), persist.save/load — drove a "
             "GigE Vision, a Sony FCB and an SXH485 camera.")
    show.say("Every simulator was stopped.  Next: README.md (applications, vendors, the "
             "nodemap command); try `nodemap sim gige` in one terminal and "
             "`nodemap features gvcp://127.0.0.2` in another.")
    return 0


def _snapshot(show: _Show, cam: Any, workdir: Path) -> None:
    path = workdir / "snapshot.jpg"
    data = cam.snapshot(path)
    size = ""
    try:
        from PIL import Image

        with Image.open(path) as image:
            size = f"{image.size[0]}x{image.size[1]} "
    except Exception:  # noqa: BLE001 - pillow is optional
        pass
    show.code(f'cam.snapshot("{path.name}")', f"{len(data)} bytes of {size}JPEG")
    if data[:2] != b"\xff\xd8":
        raise RuntimeError("the snapshot is not a JPEG")


# re-exported for `struct` users of DEMO_REGISTERS (big-endian 32-bit values)
def register_bytes(address: int) -> bytes:
    """The power-on bytes of a demo register."""
    return struct.pack(">I", DEMO_REGISTERS.get(address, 0))
