"""``nodemap demo``: simulated cameras, one feature API — no hardware needed.

It starts, inside this process, every simulator a transport plugin offers with a demo plan
(:class:`~nodemap.plugin.DemoPlan`) — with nodemap's own plugins:

* a GigE Vision device speaking GVCP on a loopback address (127.0.0.2:3956, or a free
  port if that is taken), serving ``xml/demo-camera.xml`` — an area-scan camera
  description this project wrote;
* a Sony FCB block camera speaking VISCA on a pseudo-terminal (a loopback TCP socket
  where ptys do not exist, e.g. Windows);
* an SXH485 serial JPEG camera on another pty (or TCP socket);

then opens each with ``nodemap.open(url)`` and makes the same calls on all: list the
features, read, write, execute a command, save the feature set, change it, load it back,
and take a picture from every camera that can.  Everything it starts is stopped before it
returns; the exit status is 0 only if every step worked.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from rich.markup import escape

from ..plugin import DemoPlan, Simulator
from .plugins import simulators
from .simulators import start_simulator

if TYPE_CHECKING:
    from ..features import Feature, Features
    from .camera import Camera

__all__ = ["run"]


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


def _first(features: Features, names: list[str],
           test: Callable[[Feature], bool]) -> Feature | None:
    for name in names:
        if name in features:
            try:
                feature = features[name]
                if test(feature):
                    return feature
            except Exception:  # noqa: BLE001
                continue
    return None


def _writable_value_feature(features: Features, preferred: list[str]) -> Feature | None:
    def ok(f: Feature) -> bool:
        return f.kind in ("Integer", "Enumeration", "Float", "Boolean") and f.access == "RW"

    found = _first(features, preferred, ok)
    if found is not None:
        return found
    return _first(features, list(features), lambda f: ok(f) and f.visibility != "Invisible")


def _new_value(feature: Feature) -> Any:
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


def _tour(show: _Show, label: str, url: str, cam: Camera, workdir: Path,
          plan: DemoPlan) -> None:
    """The same calls on any camera."""
    from .. import persist

    features = cam.features
    visible = [n for n in features
               if features[n].kind not in ("Category", "EnumEntry", "Port")
               and features[n].visibility not in ("Invisible",)]
    show.say(f"[bold]{label}[/bold] at [yellow]{url}[/yellow]: {len(visible)} features")
    show.code(f'cam = nodemap.open("{url}")')
    show.code("[n for n in cam.features][:8]", visible[:8])
    reads = [n for n in plan.read if n in features] or \
        [n for n in visible if features[n].access in ("RO", "RW") and
         features[n].kind != "Command"][:4]
    for name in reads:
        show.code(f'cam.features["{name}"].value', features[name].value)
    target = _writable_value_feature(features, list(plan.write))
    if target is not None:
        before = target.value
        value = _new_value(target)
        target.value = value
        show.code(f'cam.features["{target.name}"].value = {value!r}')
        show.code(f'cam.features["{target.name}"].value', target.value)
    for name, value in plan.before_execute:
        if name in features:
            features[name].value = value
            show.code(f'cam.features["{name}"].value = {value!r}')
    command = _first(features, list(plan.execute) +
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
    started: list[tuple[DemoPlan, Simulator]] = []
    tmp = tempfile.TemporaryDirectory(prefix="nodemap-demo-")
    workdir = Path(keep) if keep else Path(tmp.name)
    workdir.mkdir(parents=True, exist_ok=True)
    show.title("nodemap demo: simulated cameras, one feature API")
    try:
        tours = sorted(((spec.demo, name) for name, (_, spec) in simulators().items()
                        if spec.demo is not None and spec.start is not None),
                       key=lambda item: (item[0].order, item[1]))
        for plan, name in tours:
            try:
                sim = start_simulator(name)
            except Exception as exc:  # noqa: BLE001 - report and go on with the others
                failures.append(f"{name}: could not start the simulator: {exc}")
                show.say(f"[red]✗ {plan.description}: {escape(str(exc))}[/red]")
                continue
            sims.append(sim)
            started.append((plan, sim))
            show.say(f"✓ started a simulated {plan.description} → [yellow]{sim.urls[0]}"
                     f"[/yellow] ({sim.transport})")
        for plan, sim in started:
            show.title(plan.label)
            url = sim.urls[0]
            try:
                with nodemap.open(url) as cam:
                    _tour(show, plan.label, url, cam, workdir, plan)
                    if callable(getattr(cam.link, "snapshot", None)):
                        _snapshot(show, cam, workdir)
                    elif callable(getattr(cam.link, "open_stream", None)):
                        _grab(show, plan.label, cam, workdir)
                    _files(show, cam)
            except Exception as exc:  # noqa: BLE001 - the demo reports, then fails at the end
                failures.append(f"{plan.label}: {type(exc).__name__}: {exc}")
                show.say(f"[red]✗ {plan.label}: {type(exc).__name__}: {escape(str(exc))}[/red]")
    finally:
        for sim in reversed(sims):
            sim.close()
        if keep is None:
            tmp.cleanup()
    show.title("summary")
    if failures:
        for failure in failures:
            show.say(f"[red]✗ {escape(failure)}[/red]")
        show.say("The demo did not complete; the messages above say what failed.")
        return 1
    labels = [plan.label for plan, _ in started]
    show.say("✓ the same calls — features, .value, .execute(), persist.save/load, pictures — "
             "drove the " + (", the ".join(labels[:-1]) + " and the " + labels[-1]
                             if len(labels) > 1 else "".join(labels)) + ".")
    show.say("Every simulator was stopped.  Next: README.md (applications, vendors, the "
             "nodemap command); try `nodemap sim gige` in one terminal and "
             "`nodemap features gvcp://127.0.0.2` in another.")
    return 0


def _grab(show: _Show, label: str, cam: Camera, workdir: Path) -> None:
    """Take a few frames from a camera that streams, and save one."""
    features = cam.features
    if "TriggerMode" in features and features["TriggerMode"].access == "RW":
        features["TriggerMode"].value = "Off"
        show.code('cam.features["TriggerMode"].value = "Off"   # free running')
    with cam.stream(buffers=4) as stream:
        frames = [(f.frame_id, f.status) for f in stream.frames(3, timeout=5.0)]
        stats = stream.stats
    show.code("with cam.stream() as s: [(f.frame_id, f.status) for f in s.frames(3)]", frames)
    frame = cam.grab(timeout=5.0)
    path = workdir / f"{label.split()[0].lower()}-frame.png"
    frame.save(path)
    show.code(f'cam.grab().save("{path.name}")',
              f"{frame.width}x{frame.height} {frame.pixel_format} {frame.status}; "
              f"{stats.get('resent_packets', 0)} packets resent")
    if frame.status != "complete" or any(status != "complete" for _, status in frames):
        raise RuntimeError(f"{label}: a frame arrived incomplete")


def _snapshot(show: _Show, cam: Camera, workdir: Path) -> None:
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


def _files(show: _Show, cam: Any) -> None:
    """Upload and read back a file where the description has SFNC file access."""
    from ..files import supports_files

    if not supports_files(cam.nodemap):
        return
    names = cam.files.list()
    show.code("cam.files.list()", names)
    if "UserData" not in names:
        return
    data = b"written by nodemap demo\n" * 40
    cam.files.write("UserData", data)
    show.code('cam.files.write("UserData", data)', f"{len(data)} bytes")
    back = cam.files.read("UserData")
    show.code('cam.files.read("UserData") == data', back == data)
    if back != data:
        raise RuntimeError("the file read back differs from the one written")
