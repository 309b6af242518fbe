"""A simulated SXH485 camera (or several on one line) on a pty or a TCP socket.

    python -m nodemap.transports.sxh485.device --pty --address 1 [--address 2 ...]
    python -m nodemap.transports.sxh485.device --tcp 127.0.0.1:7000 --address 1 --bad-crc 0.05

prints the pty path (or ``tcp HOST:PORT``) on the first line, then serves until
interrupted; open it with ``sxh485:/dev/pts/N?address=1`` or
``sxh485:socket://127.0.0.1:7000?address=1``.

Each camera answers only frames with its address, obeys broadcast (255) frames
without replying, discards frames with a bad CRC, and produces a real JPEG (Pillow:
colour bars, a grey ramp and a frame counter) at the selected resolution and quality,
served in packets of ``PacketSize`` bytes.  :class:`~nodemap.transports.faults.Faults`
(``noise``, ``corrupt``, ``drop``) injects line noise, corrupted replies and lost replies
from a seeded RNG, so a faulty run repeats exactly.
On a pty the line speed the host set is checked: a camera ignores frames sent at a
speed other than its own (as garbled bytes would be), so a baud-rate change only
works if the host switches after the camera confirmed.

The byte handling (:class:`SimulatedLine`, :class:`LineSession`) is sans-IO; the
servers (:class:`PtyServer`, :class:`TcpServer`) only move bytes.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import select
import socket
import sys
import threading
import time
from typing import Callable, Iterable, Sequence

import attrs

from ..faults import Faults
from .protocol import (BAUD_RATES, BROADCAST, ERROR_BAD_LENGTH, ERROR_BAD_PACKET,
                       ERROR_BAD_VALUE, ERROR_NO_IMAGE, ERROR_UNKNOWN_TYPE, PROFILES, QUALITIES,
                       RESOLUTIONS, Direction, Frame, FrameParser, MessageType, Profile, Status,
                       annotate, encode, get_profile)

__all__ = ["Faults", "SimulatedCamera", "SimulatedLine", "LineSession", "PtyServer",
           "TcpServer", "render_jpeg", "main"]

log = logging.getLogger("nodemap.sxh485.device")

#: JPEG quality per ImageQuality index; 1280×960 has a single quality (the seed).
JPEG_QUALITY = {"High": 80, "Medium": 50, "Low": 20}
TOP_QUALITY = 60
MIN_PACKET, MAX_PACKET = 32, 4096


def render_jpeg(width: int, height: int, quality: int, counter: int, address: int) -> bytes:
    """A test-pattern JPEG: colour bars, a grey ramp and the frame counter."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    bars = [(255, 255, 255), (255, 255, 0), (0, 255, 255), (0, 255, 0),
            (255, 0, 255), (255, 0, 0), (0, 0, 255), (0, 0, 0)]
    top = height * 2 // 3
    for index, colour in enumerate(bars):
        draw.rectangle((index * width // 8, 0, (index + 1) * width // 8 - 1, top - 1), fill=colour)
    ramp = Image.linear_gradient("L").rotate(90).resize((width, height - top)).convert("RGB")
    image.paste(ramp, (0, top))
    draw.rectangle((4, top + 2, min(width - 1, 150), min(height - 1, top + 14)), fill=(0, 0, 0))
    draw.text((6, top + 3), f"#{counter} @{address}", fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


@attrs.define
class SimulatedCamera:
    """One camera's state and its answers (message types in ``seed`` numbering)."""

    address: int = 1
    baud_index: int = 4
    resolution: int = 1
    quality: int = 0
    infrared: int = 0
    low_power: int = 0
    packet_size: int = 512
    frames: int = 0
    image: bytes | None = None
    requests: int = 0
    replies: int = 0

    @property
    def baudrate(self) -> int:
        return BAUD_RATES[self.baud_index]

    @property
    def status(self) -> int:
        flags = Status.OK
        if self.image is not None:
            flags |= Status.IMAGE_READY
        if self.low_power:
            flags |= Status.LOW_POWER
        if self.infrared:
            flags |= Status.INFRARED_ON
        return int(flags)

    def capture(self) -> bytes:
        self.frames += 1
        width, height = RESOLUTIONS[self.resolution]
        quality = TOP_QUALITY if self.resolution == 0 else JPEG_QUALITY[QUALITIES[self.quality]]
        self.image = render_jpeg(width, height, quality, self.frames, self.address)
        return self.image

    def _setting(self, name: str, params: bytes, width: int, low: int, high: int,
                 apply: bool) -> tuple[int, bytes]:
        if not params:
            return self.status, getattr(self, name).to_bytes(width, "little")
        if len(params) != width:
            return ERROR_BAD_LENGTH, b""
        value = int.from_bytes(params, "little")
        if not low <= value <= high:
            return ERROR_BAD_VALUE, b""
        if apply:
            setattr(self, name, value)
        return self.status, params

    def handle(self, message_type: int, params: bytes) -> tuple[int, bytes, Callable[[], None] | None]:
        """(status, reply data, action to run after replying) for one request."""
        settings: dict[int, tuple[str, int, int, int]] = {
            MessageType.BAUD_RATE: ("baud_index", 1, 0, len(BAUD_RATES) - 1),
            MessageType.RESOLUTION: ("resolution", 1, 0, len(RESOLUTIONS) - 1),
            MessageType.IMAGE_QUALITY: ("quality", 1, 0, len(QUALITIES) - 1),
            MessageType.INFRARED: ("infrared", 1, 0, 1),
            MessageType.LOW_POWER: ("low_power", 1, 0, 1),
            MessageType.PACKET_SIZE: ("packet_size", 2, MIN_PACKET, MAX_PACKET),
        }
        if message_type in (MessageType.DEVICE_ADDRESS, MessageType.BAUD_RATE):
            # Confirm with the old address / at the old speed, then switch.
            name = "address" if message_type == MessageType.DEVICE_ADDRESS else "baud_index"
            limits = (1, 254) if name == "address" else (0, len(BAUD_RATES) - 1)
            status, data = self._setting(name, params, 1, *limits, apply=False)
            if params and not status & Status.ERROR:
                value = params[0]
                return status, data, lambda: setattr(self, name, value)
            return status, data, None
        if message_type in settings:
            return (*self._setting(settings[message_type][0], params, *settings[message_type][1:],
                                   apply=True), None)
        if message_type == MessageType.DEVICE_STATUS:
            return (ERROR_BAD_LENGTH, b"", None) if params else (self.status, b"", None)
        if message_type == MessageType.CAPTURE:
            image = self.capture()
            return self.status, len(image).to_bytes(4, "little"), None
        if message_type == MessageType.IMAGE_INFO:
            size = len(self.image) if self.image is not None else 0
            return self.status, size.to_bytes(4, "little"), None
        if message_type == MessageType.READ_PACKET:
            if len(params) != 2:
                return ERROR_BAD_LENGTH, b"", None
            if self.image is None:
                return ERROR_NO_IMAGE, b"", None
            index = int.from_bytes(params, "little")
            start = index * self.packet_size
            if start >= len(self.image):
                return ERROR_BAD_PACKET, b"", None
            return self.status, params + self.image[start:start + self.packet_size], None
        return ERROR_UNKNOWN_TYPE, b"", None


class SimulatedLine:
    """Cameras sharing one line, their profile and the fault injector.  Thread-safe."""

    def __init__(self, cameras: Iterable[SimulatedCamera] | None = None, *,
                 profile: Profile | str = "seed", faults: Faults | None = None) -> None:
        self.cameras: list[SimulatedCamera] = list(cameras) if cameras is not None else [SimulatedCamera()]
        self.profile = get_profile(profile)
        self.faults = faults or Faults()
        self.lock = threading.Lock()
        self.received = bytearray()     # every byte the host sent, for frame-level checks
        self.discarded = 0
        self.ignored_speed = 0
        self._seed_code = {self.profile.code(t): int(t) for t in MessageType}

    def camera(self, address: int) -> SimulatedCamera:
        return next(c for c in self.cameras if c.address == address)

    def session(self) -> "LineSession":
        return LineSession(self)

    def dispatch(self, frame: Frame, line_baud: int | None = None) -> bytes:
        """Bytes to put on the line in answer to one valid request frame."""
        out = bytearray()
        message_type = self._seed_code.get(frame.type, -1)
        for camera in self.cameras:
            if frame.address not in (camera.address, BROADCAST):
                continue
            if line_baud is not None and line_baud != camera.baudrate:
                self.ignored_speed += 1
                log.debug("camera %d at %d bd cannot read a frame sent at %d bd",
                          camera.address, camera.baudrate, line_baud)
                continue
            camera.requests += 1
            old_address = camera.address
            status, data, then = camera.handle(message_type, frame.data)
            if frame.address != BROADCAST:
                reply = Frame(old_address, (frame.type + self.profile.reply_offset) & 0xFF,
                              data, status)
                log.debug("camera %d → %s", old_address, annotate(reply, self.profile))
                camera.replies += 1
                out += self.faults.apply(encode(reply, self.profile))
            if then is not None:
                then()
        return bytes(out)


class LineSession:
    """One host connection to a :class:`SimulatedLine`: bytes in → bytes out."""

    def __init__(self, line: SimulatedLine) -> None:
        self.line = line
        self.parser = FrameParser(line.profile, Direction.REQUEST)

    def receive(self, data: bytes, line_baud: int | None = None) -> bytes:
        out = bytearray()
        with self.line.lock:
            self.line.received += data
            for event in self.parser.feed(data):
                if not isinstance(event, Frame):
                    self.line.discarded += 1
                    log.debug("discarded request: %s", annotate(event, self.line.profile))
                    continue
                log.debug("host → %s", annotate(event, self.line.profile))
                out += self.line.dispatch(event, line_baud)
        return bytes(out)


def _write_all(fd: int, data: bytes, stop: threading.Event, limit: float = 5.0) -> None:
    deadline = time.monotonic() + limit
    view = memoryview(data)
    while view and not stop.is_set() and time.monotonic() < deadline:
        _, writable, _ = select.select([], [fd], [], 0.1)
        if writable:
            try:
                view = view[os.write(fd, view):]
            except BlockingIOError:
                continue


class PtyServer:
    """Serves a :class:`SimulatedLine` on a pseudo-terminal (POSIX only)."""

    def __init__(self, line: SimulatedLine, *, check_speed: bool = True) -> None:
        import termios
        import tty

        self.line = line
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave)
        os.set_blocking(self.master, False)
        self.path = os.ttyname(self._slave)
        self._termios = termios
        self._speeds = {getattr(termios, f"B{rate}"): rate for rate in BAUD_RATES
                        if hasattr(termios, f"B{rate}")}
        self.check_speed = check_speed
        self._stop = threading.Event()
        self._wake_r, self._wake_w = socket.socketpair()
        self._thread = threading.Thread(target=self._run, name=f"sxh485-pty {self.path}",
                                        daemon=True)

    def start(self) -> "PtyServer":
        self._thread.start()
        return self

    def _line_baud(self) -> int | None:
        if not self.check_speed:
            return None
        try:
            return self._speeds.get(self._termios.tcgetattr(self.master)[5])
        except (self._termios.error, OSError):
            return None

    def _run(self) -> None:
        session = self.line.session()
        while not self._stop.is_set():
            readable, _, _ = select.select([self.master, self._wake_r.fileno()], [], [], 1.0)
            if self.master not in readable:
                continue
            try:
                data = os.read(self.master, 65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                break
            if data:
                reply = session.receive(data, self._line_baud())
                if reply:
                    _write_all(self.master, reply, self._stop)

    def close(self) -> None:
        self._stop.set()
        self._wake_w.send(b"\0")
        if self._thread.is_alive():
            self._thread.join(5)
        self._wake_r.close()
        self._wake_w.close()
        for fd in (self.master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self) -> "PtyServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


class TcpServer:
    """Serves a :class:`SimulatedLine` on TCP (pyserial ``socket://HOST:PORT``)."""

    def __init__(self, line: SimulatedLine, host: str = "127.0.0.1", port: int = 0) -> None:
        self.line = line
        self._sock = socket.create_server((host, port))
        self._wake_r, self._wake_w = socket.socketpair()
        self.host, self.port = self._sock.getsockname()[:2]
        self.url = f"socket://{self.host}:{self.port}"
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, name=f"sxh485-tcp {self.port}",
                                        daemon=True)

    def start(self) -> "TcpServer":
        self._thread.start()
        return self

    def _accept(self) -> None:
        while not self._stop.is_set():
            readable, _, _ = select.select([self._sock, self._wake_r], [], [], 1.0)
            if self._sock not in readable or self._stop.is_set():
                continue
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            self._conns.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        session = self.line.session()
        with conn:
            while not self._stop.is_set():
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                reply = session.receive(data)
                if reply:
                    try:
                        conn.sendall(reply)
                    except OSError:
                        return

    def close(self) -> None:
        self._stop.set()
        self._wake_w.send(b"\0")
        for conn in self._conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)      # wakes the recv() of its thread
            except OSError:
                pass
        for thread in [self._thread, *self._threads]:
            if thread.is_alive():
                thread.join(5)
        self._sock.close()
        self._wake_r.close()
        self._wake_w.close()

    def __enter__(self) -> "TcpServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nodemap.transports.sxh485.device",
                                     description="Simulated SXH485 serial JPEG camera(s).")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--pty", action="store_true", help="serve on a new pty (POSIX)")
    where.add_argument("--tcp", metavar="HOST:PORT", help="serve on TCP (e.g. 127.0.0.1:7000)")
    parser.add_argument("--address", type=int, action="append",
                        help="camera address 1-254 (repeat for several cameras; default 1)")
    parser.add_argument("--profile", default="seed", choices=sorted(PROFILES))
    parser.add_argument("--noise", type=float, default=0.0, help="P(noise before a reply)")
    parser.add_argument("--bad-crc", type=float, default=0.0, help="P(a reply is corrupted)")
    parser.add_argument("--lost", type=float, default=0.0, help="P(a reply is lost)")
    parser.add_argument("--seed", type=int, default=0, help="fault RNG seed")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every frame")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        stream=sys.stderr)
    addresses = args.address or [1]
    for address in addresses:
        if not 1 <= address <= 254:
            parser.error(f"address {address} is outside 1-254")
    line = SimulatedLine([SimulatedCamera(address=a) for a in addresses], profile=args.profile,
                         faults=Faults(noise=args.noise, corrupt=args.bad_crc, drop=args.lost,
                                       seed=args.seed))
    server: PtyServer | TcpServer
    if args.pty:
        if os.name != "posix":
            parser.error("--pty needs a POSIX system; use --tcp 127.0.0.1:PORT")
        server = PtyServer(line).start()
        print(server.path, flush=True)
    else:
        host, _, port = args.tcp.rpartition(":")
        server = TcpServer(line, host or "127.0.0.1", int(port)).start()
        print(f"tcp {server.host}:{server.port}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
