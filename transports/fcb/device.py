"""A simulated Sony FCB block camera (one or several on one VISCA line).

Try the whole stack without hardware::

    python -m nodemap.transports.fcb.device --pty            # prints /dev/pts/N
    python -m nodemap.transports.fcb.device --tcp 127.0.0.1:5678 --cameras 2
    python -c "import nodemap; cam = nodemap.open('fcb:/dev/pts/N?address=1'); ..."

The camera is stateful: zoom and focus move over time (Tele/Wide/Stop, direct
positions complete when the lens arrives), memories store and recall settings, two
command sockets are tracked.  Errors are the real ones: an out-of-range value or a
command the current mode forbids → ``Y0 6z 41`` after the ACK, any command while the
power is off → ``Y0 60 41``, a third command while both sockets are busy →
``Y0 60 03``, an unknown or malformed packet → ``Y0 60 02``, a packet over 16 bytes →
``Y0 60 01``.  A :class:`SimLine` hosts the cameras of one daisy chain (AddressSet
numbers them 1, 2, … in order).  Faults for tests: reply delay, seeded line noise,
dropped replies, held commands and a silent line (the shared
:class:`~nodemap.transports.faults.Faults`: ``drop_next(kind)``, ``hold``, ``silent``).

Timing is driven by the caller's clock (``feed(data, now)`` / ``due(now)``), so the
model is deterministic; :class:`SimServer` runs it on a pty or a TCP socket.
"""

from __future__ import annotations

import argparse
import heapq
import logging
import os
import random
import select
import socket
import sys
import threading
import time
from typing import Callable, cast

import attrs

from ..faults import Faults
from . import protocol as p

__all__ = ["SimConfig", "Faults", "SimCamera", "SimLine", "SimServer", "main", "PARAMETERS"]

log = logging.getLogger("nodemap.fcb.device")

ZOOM_MAX = 0x7AC0
FOCUS_MIN, FOCUS_MAX = 0x1000, 0xC000
MEMORIES = 6
AE_FULL_AUTO, AE_MANUAL, AE_SHUTTER, AE_IRIS, AE_BRIGHT = 0x00, 0x03, 0x0A, 0x0B, 0x0D


@attrs.frozen(slots=True)
class SimParam:
    """A plain parameter the simulated camera knows: ``04 DD value`` / inquiry ``04 DD``."""

    name: str
    command: int
    nibbles: int  # 0: one raw byte
    allowed: frozenset[int]
    default: int
    executable: Callable[["SimCamera"], bool] | None = None
    category: int = 0x04


def _r(lo: int, hi: int) -> frozenset[int]:
    return frozenset(range(lo, hi + 1))


ONOFF = frozenset((2, 3))
PARAMETERS: tuple[SimParam, ...] = (
    SimParam("Power", 0x00, 0, ONOFF, 2),
    SimParam("FocusMode", 0x38, 0, ONOFF, 2),
    SimParam("WhiteBalanceMode", 0x35, 0, _r(0, 5), 0),
    SimParam("ExposureMode", 0x39, 0,
             frozenset((AE_FULL_AUTO, AE_MANUAL, AE_SHUTTER, AE_IRIS, AE_BRIGHT)), 0),
    SimParam("ExposureCompensationEnable", 0x3E, 0, ONOFF, 3),
    SimParam("BacklightCompensation", 0x33, 0, ONOFF, 3),
    SimParam("Shutter", 0x4A, 4, _r(0, 0x15), 0x0B,
             lambda c: c.values["ExposureMode"] in (AE_MANUAL, AE_SHUTTER)),
    SimParam("Iris", 0x4B, 4, _r(0, 0x11), 0x0D,
             lambda c: c.values["ExposureMode"] in (AE_MANUAL, AE_IRIS)),
    SimParam("Gain", 0x4C, 4, _r(0, 0x0F), 0x01,
             lambda c: c.values["ExposureMode"] == AE_MANUAL),
    SimParam("Bright", 0x4D, 4, _r(0, 0x1F), 0x0F,
             lambda c: c.values["ExposureMode"] == AE_BRIGHT),
    SimParam("ExposureCompensation", 0x4E, 4, _r(0, 0x0E), 0x07),
    # Parameters a real FCB has that the shipped XML leaves out (a vendor adds them by XML).
    SimParam("Aperture", 0x42, 4, _r(0, 0x0F), 0x05),
    SimParam("LRReverse", 0x61, 0, ONOFF, 3),
    SimParam("Freeze", 0x62, 0, ONOFF, 3),
    SimParam("DigitalZoom", 0x06, 0, ONOFF, 2),
)
_BY_COMMAND = {(q.category, q.command): q for q in PARAMETERS}
_MEMORY_KEYS = ("FocusMode", "WhiteBalanceMode", "ExposureMode", "Shutter", "Iris", "Gain",
                "Bright", "ExposureCompensationEnable", "ExposureCompensation",
                "BacklightCompensation", "Aperture")


@attrs.define
class SimConfig:
    """Behaviour knobs.  Speeds are in position units per second."""

    reply_delay: float = 0.0
    noise: float = 0.0           # probability of noise bytes before a reply
    noise_max: int = 4           # at most this many noise bytes
    seed: int = 0
    zoom_speed: float = ZOOM_MAX / 0.25
    focus_speed: float = (FOCUS_MAX - FOCUS_MIN) / 0.25
    one_push_time: float = 0.02
    power_time: float = 0.02
    model_id: int = 0x0712
    rom_version: int = 0x0117


class _Job:
    __slots__ = ("socket", "cancelled", "finished", "muted")

    def __init__(self, socket: int, muted: bool = False) -> None:
        self.socket = socket
        self.cancelled = False
        self.finished = False
        self.muted = muted  # a broadcast command: no replies


class _Axis:
    """A lens group moving at constant speed."""

    def __init__(self, position: int, lo: int, hi: int, speed: float) -> None:
        self.lo, self.hi, self.speed = lo, hi, speed
        self.start, self.target, self.t0, self.v = position, position, 0.0, speed

    def position(self, now: float) -> int:
        delta = self.target - self.start
        moved = min(abs(delta), self.v * max(0.0, now - self.t0))
        return int(round(self.start + (moved if delta >= 0 else -moved)))

    def move(self, target: int, now: float, speed: float | None = None) -> float:
        """Start moving (at ``speed``, default the configured one); return the arrival time."""
        self.start, self.t0 = self.position(now), now
        self.target = max(self.lo, min(self.hi, target))
        self.v = speed or self.speed
        return now + abs(self.target - self.start) / self.v

    def stop(self, now: float) -> None:
        self.start = self.target = self.position(now)
        self.t0 = now


class SimCamera:
    """One simulated FCB camera; ``handle`` turns a request into scheduled replies."""

    def __init__(self, address: int = 1, config: SimConfig | None = None) -> None:
        self.address = address
        self.config = config or SimConfig()
        self.values: dict[str, int] = {q.name: q.default for q in PARAMETERS}
        self.zoom = _Axis(0, 0, ZOOM_MAX, self.config.zoom_speed)
        self.focus = _Axis(0x4000, FOCUS_MIN, FOCUS_MAX, self.config.focus_speed)
        self.memories: dict[int, dict[str, int]] = {}
        self.sockets: dict[int, _Job | None] = {1: None, 2: None}
        self.zoom_job: _Job | None = None
        self.focus_job: _Job | None = None
        self.received: list[p.Request] = []
        self._line: "SimLine | None" = None

    # ---------------------------------------------------------------- scheduling glue
    def _emit(self, at: float, packet: bytes, kind: str) -> None:
        assert self._line is not None, "a SimCamera runs on a SimLine"
        self._line.schedule(at, packet, kind)

    def _later(self, at: float, action: Callable[[float], None]) -> None:
        assert self._line is not None
        self._line.schedule_call(at, action)

    def _finish(self, job: _Job, at: float, error: int | None = None) -> None:
        """End ``job`` at ``at``: free its socket and send completion (or the error)."""
        def done(now: float) -> None:
            if job.finished or job.cancelled:
                return
            job.finished = True
            if self.sockets.get(job.socket) is job:
                self.sockets[job.socket] = None
            if job.muted:
                return
            if error is None:
                self._emit(now, p.encode_completion(self.address, job.socket), "completion")
            else:
                self._emit(now, p.encode_error(self.address, job.socket, error), "error")
        self._later(at, done)

    # ---------------------------------------------------------------- requests
    def handle(self, request: p.Request, now: float) -> None:
        self.received.append(request)
        if isinstance(request, p.InquiryRequest):
            self._inquiry(request, now)
        elif isinstance(request, p.CancelRequest):
            self._cancel(request.socket, now)
        elif isinstance(request, p.IfClearRequest):
            self.if_clear(now)
            if request.address != p.BROADCAST:
                self._emit(now, p.encode_completion(self.address, 0), "completion")
        elif isinstance(request, p.CommandRequest):
            self._command(request, now)

    def if_clear(self, now: float) -> None:
        for number, job in self.sockets.items():
            if job is not None:
                job.cancelled = True
                self.sockets[number] = None
        self.zoom.stop(now)
        self.focus.stop(now)

    def reply_error(self, code: int, now: float, socket: int = 0) -> None:
        self._emit(now, p.encode_error(self.address, socket, code), "error")

    def _cancel(self, socket: int, now: float) -> None:
        job = self.sockets.get(socket)
        if job is None:
            self.reply_error(p.ErrorCode.NO_SOCKET, now, socket)
            return
        job.cancelled = True
        self.sockets[socket] = None
        if job is self.zoom_job:
            self.zoom.stop(now)
        if job is self.focus_job:
            self.focus.stop(now)
        self.reply_error(p.ErrorCode.CANCELLED, now, socket)

    def _inquiry(self, request: p.InquiryRequest, now: float) -> None:
        key = (request.category, request.command)
        data: bytes | None = None
        if request.payload:
            data = None
        elif key == (0x00, 0x02):
            c = self.config
            data = bytes((0x00, 0x20, c.model_id >> 8, c.model_id & 0xFF,
                          c.rom_version >> 8, c.rom_version & 0xFF, 0x02))
        elif key == (0x04, 0x47):
            data = p.to_nibbles(self.zoom.position(now), 4)
        elif key == (0x04, 0x48):
            data = p.to_nibbles(self.focus.position(now), 4)
        elif key in _BY_COMMAND:
            param = _BY_COMMAND[key]
            value = self.values[param.name]
            data = p.to_nibbles(value, param.nibbles) if param.nibbles else bytes((value,))
        if data is None:
            self.reply_error(p.ErrorCode.SYNTAX, now)
        else:
            self._emit(now, p.encode_completion(self.address, 0, data), "inquiry")

    def broadcast(self, request: p.CommandRequest, now: float) -> None:
        """A ``88 01 ..`` command: executed by every camera, answered by none."""
        self.received.append(request)
        key, payload = (request.category, request.command), request.payload
        if self._known(key) and self._well_formed(key, payload) and (
                self.values["Power"] == 2 or key == (0x04, 0x00)):
            self._execute(key, payload, _Job(0, muted=True), now)

    @staticmethod
    def _known(key: tuple[int, int]) -> bool:
        return key in _BY_COMMAND or key in ((0x04, 0x07), (0x04, 0x08), (0x04, 0x47),
                                             (0x04, 0x48), (0x04, 0x18), (0x04, 0x3F),
                                             (0x04, 0x02))

    def _command(self, request: p.CommandRequest, now: float) -> None:
        key, payload = (request.category, request.command), request.payload
        if not self._known(key) or not self._well_formed(key, payload):
            self.reply_error(p.ErrorCode.SYNTAX, now)
            return
        if self.values["Power"] == 3 and key != (0x04, 0x00):
            self.reply_error(p.ErrorCode.NOT_EXECUTABLE, now)
            return
        free = [n for n, job in sorted(self.sockets.items()) if job is None]
        if not free:
            self.reply_error(p.ErrorCode.BUFFER_FULL, now)
            return
        job = _Job(free[0])
        self.sockets[job.socket] = job
        self._emit(now, p.encode_ack(self.address, job.socket), "ack")
        error = self._execute(key, payload, job, now)
        if error is not None:
            self._finish(job, now, error)

    def _well_formed(self, key: tuple[int, int], payload: bytes) -> bool:
        if key in _BY_COMMAND:
            param = _BY_COMMAND[key]
            if param.nibbles:
                return len(payload) == param.nibbles and all(b <= 0x0F for b in payload)
            return len(payload) == 1
        if key in ((0x04, 0x47), (0x04, 0x48)):
            return len(payload) == 4 and all(b <= 0x0F for b in payload)
        if key == (0x04, 0x3F):
            return len(payload) == 2 and payload[0] <= 2 and payload[1] <= 0x0F
        return len(payload) == 1

    def _execute(self, key: tuple[int, int], payload: bytes, job: _Job, now: float) -> int | None:
        """Run a command that holds ``job``; return an error code or None (scheduled)."""
        nx = p.ErrorCode.NOT_EXECUTABLE
        manual_focus = self.values["FocusMode"] == 3
        if key == (0x04, 0x07):  # zoom stop / tele / wide (standard or variable speed)
            sub = payload[0]
            if sub == 0x00:
                self.zoom.stop(now)
            elif sub in (0x02, 0x03) or sub >> 4 in (2, 3):
                tele = sub == 0x02 or sub >> 4 == 2
                speed = None if sub in (2, 3) else self.config.zoom_speed * ((sub & 0xF) + 1) / 8
                self.zoom.move(ZOOM_MAX if tele else 0, now, speed)
            else:
                return nx
            self._supersede("zoom_job", now)
            self._finish(job, now)
            return None
        if key == (0x04, 0x08):  # focus stop / far / near
            if not manual_focus or payload[0] not in (0, 2, 3):
                return nx
            if payload[0] == 0:
                self.focus.stop(now)
            else:
                self.focus.move(FOCUS_MIN if payload[0] == 2 else FOCUS_MAX, now)
            self._supersede("focus_job", now)
            self._finish(job, now)
            return None
        if key == (0x04, 0x47):  # zoom direct
            target = p.from_nibbles(payload)
            if target > ZOOM_MAX:
                return nx
            self._supersede("zoom_job", now)
            self.zoom_job = job
            self._finish(job, self.zoom.move(target, now))
            return None
        if key == (0x04, 0x48):  # focus direct
            target = p.from_nibbles(payload)
            if not manual_focus or not FOCUS_MIN <= target <= FOCUS_MAX:
                return nx
            self._supersede("focus_job", now)
            self.focus_job = job
            self._finish(job, self.focus.move(target, now))
            return None
        if key == (0x04, 0x18):  # one-push AF trigger
            if payload[0] != 0x01 or not manual_focus:
                return nx
            sharp = FOCUS_MIN + (self.zoom.position(now) * (FOCUS_MAX - FOCUS_MIN)) // ZOOM_MAX
            self._supersede("focus_job", now)
            self.focus_job = job
            self.focus.move(sharp, now)
            self._finish(job, now + self.config.one_push_time)
            return None
        if key == (0x04, 0x02):  # aperture reset / up / down
            step = {0x00: None, 0x02: 1, 0x03: -1}
            if payload[0] not in step:
                return nx
            delta = step[payload[0]]
            value = 0x05 if delta is None else self.values["Aperture"] + delta
            self.values["Aperture"] = max(0, min(0x0F, value))
            self._finish(job, now)
            return None
        if key == (0x04, 0x3F):  # memory reset / set / recall
            op, number = payload
            if number >= MEMORIES:
                return nx
            if op == 0:
                self.memories.pop(number, None)
            elif op == 1:
                self.memories[number] = {k: self.values[k] for k in _MEMORY_KEYS}
                self.memories[number]["zoom"] = self.zoom.position(now)
                self.memories[number]["focus"] = self.focus.position(now)
            else:
                memory = self.memories.get(number)
                if memory is None:
                    return nx
                for k in _MEMORY_KEYS:
                    self.values[k] = memory[k]
                self._supersede("zoom_job", now)
                self._supersede("focus_job", now)
                arrive = max(self.zoom.move(memory["zoom"], now),
                             self.focus.move(memory["focus"], now))
                self._finish(job, arrive)
                return None
            self._finish(job, now)
            return None
        param = _BY_COMMAND[key]
        value = p.from_nibbles(payload) if param.nibbles else payload[0]
        if key == (0x04, 0x38) and value == 0x10:  # focus auto/manual toggle
            value = 5 - self.values["FocusMode"]
        if value not in param.allowed or (param.executable and not param.executable(self)):
            return nx
        self.values[param.name] = value
        delay = self.config.power_time if param.name == "Power" else 0.0
        self._finish(job, now + delay)
        return None

    def _supersede(self, attr: str, now: float) -> None:
        """A new motion replaces the running one: that command completes now."""
        old = getattr(self, attr)
        if old is not None and not old.finished and not old.cancelled:
            held = old.socket               # the socket number the motion holds
            if self.sockets.get(held) is old:
                self.sockets[held] = None
            old.finished = True
            if not old.muted:
                self._emit(now, p.encode_completion(self.address, old.socket), "completion")
        setattr(self, attr, None)


class SimLine:
    """A daisy chain of simulated cameras behind one serial port (the device side).

    ``feed(data, now)`` takes controller bytes; ``due(now)`` returns the bytes to send
    by ``now``; ``next_time()`` says when the next reply is due.
    """

    def __init__(self, cameras: int | list[SimCamera] = 1, config: SimConfig | None = None,
                 faults: Faults | None = None) -> None:
        self.config = config or SimConfig()
        if isinstance(cameras, int):
            cameras = [SimCamera(i + 1, self.config) for i in range(cameras)]
        self.cameras = cameras
        for camera in cameras:
            camera._line = self
        self.faults = faults or Faults()
        self.rng = random.Random(self.config.seed)
        self._parser = p.RequestParser()
        self._queue: list[tuple[float, int, object, str]] = []
        self._seq = 0
        self.log: list[bytes] = []  # every packet received, in order (for tests)
        self.rx = bytearray()        # every byte received, raw (for tests)
        self._held: list[Callable[[float], None]] = []
        self.lock = threading.RLock()

    def camera(self, address: int) -> SimCamera:
        for camera in self.cameras:
            if camera.address == address:
                return camera
        raise KeyError(address)

    def schedule(self, at: float, packet: bytes, kind: str) -> None:
        self._push(at + self.config.reply_delay, packet, kind)

    def schedule_call(self, at: float, action: Callable[[float], None]) -> None:
        self._push(at, action, "call")

    def _push(self, at: float, item: object, kind: str) -> None:
        self._seq += 1
        heapq.heappush(self._queue, (at, self._seq, item, kind))

    def feed(self, data: bytes, now: float) -> None:
        with self.lock:
            self.rx += data
            for item in self._parser.feed(data):
                if isinstance(item, p.Garbage):
                    self._garbage(item.data, now)
                    continue
                self.log.append(item.encode())
                log.debug("sim ← %s  %s", p.hexdump(item.encode()), p.describe(item))
                self._dispatch(item, now)

    def _garbage(self, data: bytes, now: float) -> None:
        heads = [i for i, b in enumerate(data) if 0x81 <= b <= 0x87]
        if not heads:
            return
        start = heads[-1]
        camera = self._find(data[start] & 0x0F)
        if camera is None:
            return
        code = p.ErrorCode.MESSAGE_LENGTH if len(data) - start > p.MAX_PACKET else p.ErrorCode.SYNTAX
        self.log.append(bytes(data[start:]))
        camera.reply_error(code, now)

    def _find(self, address: int) -> SimCamera | None:
        for camera in self.cameras:
            if camera.address == address:
                return camera
        return None

    def _dispatch(self, request: p.Request, now: float) -> None:
        if isinstance(request, p.AddressSetRequest):
            for offset, camera in enumerate(self.cameras):
                camera.address = request.first + offset
            self._push(now + self.config.reply_delay,
                       p.encode_address_set_reply(request.first + len(self.cameras)), "broadcast")
            return
        if isinstance(request, p.IfClearRequest) and request.address == p.BROADCAST:
            for camera in self.cameras:
                camera.if_clear(now)
            self._push(now + self.config.reply_delay, p.encode_if_clear_reply(), "broadcast")
            return
        if isinstance(request, p.CommandRequest) and request.address == p.BROADCAST:
            for each in self.cameras:  # broadcast commands get no reply
                each.broadcast(request, now)
            return
        target = self._find(request.address)
        if target is not None:
            target.handle(request, now)

    def release(self, now: float = 0.0) -> None:
        """End ``faults.hold``: the commands held back finish now."""
        with self.lock:
            self.faults.hold = False
            held, self._held = self._held, []
            for action in held:
                self.schedule_call(now, action)

    def next_time(self) -> float | None:
        with self.lock:
            return self._queue[0][0] if self._queue else None

    def due(self, now: float) -> bytes:
        """Bytes to put on the line by ``now`` (replies in order, noise, drops applied)."""
        out = bytearray()
        with self.lock:
            while self._queue and self._queue[0][0] <= now:
                at, _, item, kind = heapq.heappop(self._queue)
                if kind == "call":
                    action = cast(Callable[[float], None], item)   # pushed by schedule_call
                    if self.faults.hold:
                        self._held.append(action)
                    else:
                        action(at)
                    continue
                packet = cast(bytes, item)                          # pushed by schedule
                if self.faults.silent or self.faults.take_drop(kind):
                    log.debug("sim dropped %s", p.hexdump(packet))
                    continue
                if self.config.noise and self.rng.random() < self.config.noise:
                    count = self.rng.randint(1, max(1, self.config.noise_max))
                    out += bytes(self.rng.choice((self.rng.randrange(0x80), 0xFF))
                                 for _ in range(count))
                log.debug("sim → %s", p.hexdump(packet))
                out += packet
        return bytes(out)


class SimServer:
    """Run a :class:`SimLine` on a pty (POSIX) or a loopback TCP socket, in a thread."""

    def __init__(self, line: SimLine | None = None, *, cameras: int = 1,
                 config: SimConfig | None = None) -> None:
        self.line = line or SimLine(cameras, config)
        self.url = ""            # what to put after "fcb:"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._fd: int | None = None
        self._slave: int | None = None
        self._listener: socket.socket | None = None

    # ---------------------------------------------------------------- start
    def start_pty(self) -> "SimServer":
        """Open a pty pair; the client opens ``self.url`` (the slave's path)."""
        if not hasattr(os, "openpty"):
            raise OSError("pseudo-terminals need a POSIX system; use start_tcp()")
        import tty

        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no CR/LF mangling before pyserial configures it
        self._fd, self._slave = master, slave
        self.url = os.ttyname(slave)
        self._run(self._serve_pty)
        return self

    def start_tcp(self, host: str = "127.0.0.1", port: int = 0) -> "SimServer":
        """Listen on ``host:port`` (0: any free port); ``self.url`` is ``socket://host:port``."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(1)
        listener.settimeout(0.05)
        self._listener = listener
        self.url = f"socket://{host}:{listener.getsockname()[1]}"
        self._run(self._serve_tcp)
        return self

    def _run(self, target: Callable[[], None]) -> None:
        self._thread = threading.Thread(target=target, name=f"fcb-sim {self.url}", daemon=True)
        self._thread.start()

    def _wait(self) -> float:
        nxt = self.line.next_time()
        if nxt is None:
            return 0.05
        return min(0.05, max(0.0, nxt - time.monotonic()))

    def _serve_pty(self) -> None:
        fd = self._fd
        assert fd is not None
        while not self._stop.is_set():
            readable, _, _ = select.select([fd], [], [], self._wait())
            now = time.monotonic()
            if readable:
                try:
                    data = os.read(fd, 1024)
                except OSError:  # EIO while no client has the slave open
                    data = b""
                    time.sleep(0.01)
                if data:
                    self.line.feed(data, now)
            out = self.line.due(time.monotonic())
            if out:
                self._write_fd(fd, out)

    def _write_fd(self, fd: int, data: bytes) -> None:
        view = memoryview(data)
        while view and not self._stop.is_set():
            try:
                written = os.write(fd, view)
            except BlockingIOError:
                time.sleep(0.001)
                continue
            except OSError:
                return
            view = view[written:]

    def _serve_tcp(self) -> None:
        listener = self._listener
        assert listener is not None
        while not self._stop.is_set():
            try:
                conn, _ = listener.accept()
            except (socket.timeout, OSError):
                continue
            with conn:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._serve_conn(conn)

    def _serve_conn(self, conn: socket.socket) -> None:
        while not self._stop.is_set():
            readable, _, _ = select.select([conn], [], [], self._wait())
            if readable:
                try:
                    data = conn.recv(1024)
                except OSError:
                    return
                if not data:
                    return
                self.line.feed(data, time.monotonic())
            out = self.line.due(time.monotonic())
            if out:
                try:
                    conn.sendall(out)
                except OSError:
                    return

    # ---------------------------------------------------------------- stop
    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        for fd in (self._fd, self._slave):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._fd = self._slave = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def __enter__(self) -> "SimServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def main(argv: list[str] | None = None) -> int:
    """Command line: run simulated FCB cameras until Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m nodemap.transports.fcb.device",
        description="Simulated Sony FCB camera(s) speaking VISCA on a pty or a TCP socket.")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--pty", action="store_true", help="open a pseudo-terminal (POSIX)")
    where.add_argument("--tcp", metavar="HOST:PORT",
                       help="listen on HOST:PORT (use with fcb:socket://HOST:PORT)")
    parser.add_argument("--cameras", type=int, default=1, help="cameras on the line (1-7)")
    parser.add_argument("--reply-delay", type=float, default=0.0, help="seconds before each reply")
    parser.add_argument("--noise", type=float, default=0.0,
                        help="probability of noise bytes before a reply (0-1)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the noise generator")
    parser.add_argument("--zoom-time", type=float, default=3.0,
                        help="seconds for a full wide→tele zoom travel")
    parser.add_argument("--focus-time", type=float, default=2.0,
                        help="seconds for a full focus travel")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every packet")
    args = parser.parse_args(argv)
    if not 1 <= args.cameras <= 7:
        parser.error("--cameras must be 1-7")
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(name)s %(message)s")
    config = SimConfig(reply_delay=args.reply_delay, noise=args.noise, seed=args.seed,
                       zoom_speed=ZOOM_MAX / max(args.zoom_time, 1e-3),
                       focus_speed=(FOCUS_MAX - FOCUS_MIN) / max(args.focus_time, 1e-3))
    server = SimServer(cameras=args.cameras, config=config)
    if args.pty:
        server.start_pty()
    else:
        host, _, port = args.tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    print(server.url, flush=True)
    print(f"# {args.cameras} simulated FCB camera(s); open with "
          f"nodemap.open('fcb:{server.url}?address=1'); Ctrl-C stops", file=sys.stderr, flush=True)
    try:
        while True:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
