"""One VISCA line (RS-232 daisy chain or RS-485): the bus shared by up to 7 cameras.

A :class:`FcbBus` owns the serial port, a lock that keeps each packet whole on the
wire and one reader thread that splits the reply stream (:class:`ReplyParser`) and
routes every reply to the :class:`CameraSession` of the camera that sent it.  Links
to cameras on the same line share one bus (:func:`acquire_bus` / :func:`release_bus`).

A :class:`CameraSession` is the I/O shell around a camera's sans-IO
:class:`~.session.ViscaSession`, which decides everything VISCA needs without request ids
(one request awaiting its first reply, the two command sockets, matching completions and
errors by socket, re-sends, late replies drained, late ACKs tracked, "buffer full"
retried): the shell sends, waits on a condition variable that the reader thread
notifies, and turns the outcomes into the engine's errors.

Every wait is bounded: a silent camera gives :class:`nodemap.errors.TimeoutError`.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

from nodemap.errors import DeviceError, PortError, TimeoutError

from . import protocol as p
from .session import (Answer, Failed, GiveUp, Job, Kind, Request, RetryLater, Routed, Started,
                      ViscaSession)

__all__ = ["FcbBus", "CameraSession", "Job", "device_error", "acquire_bus", "release_bus", "open_buses"]

log = logging.getLogger("nodemap.fcb")
_monotonic = time.monotonic


class CameraSession:
    """One camera address on a bus: the threads' side of its :class:`ViscaSession`."""

    def __init__(self, bus: "FcbBus", address: int) -> None:
        self.bus = bus
        self.address = address
        self.visca = ViscaSession(address, timeout=bus.timeout, retries=bus.retries,
                                  completion_timeout=bus.completion_timeout)
        self._cond = threading.Condition()
        self._request_lock = threading.Lock()
        self._failure: Exception | None = None

    # ------------------------------------------------------------ public API
    @property
    def timeout(self) -> float:
        return self.bus.timeout

    @property
    def network_changes(self) -> int:
        return self.visca.network_changes

    def jobs(self) -> dict[int, Job]:
        with self._cond:
            return dict(self.visca.jobs)

    def command(self, packet: bytes, *, label: str, key: Any = None, value: int = 0,
                wait: bool = True, completion_timeout: float | None = None) -> Job:
        """Send a socket command; return its Job after the ACK (``wait=False``) or
        after its completion.  Raises DeviceError / TimeoutError naming ``label``."""
        completion_timeout = completion_timeout or self.bus.completion_timeout
        self._reserve_socket(label, completion_timeout)
        job: Job | None = None
        try:
            job = self._send_command(packet, label, key, value)
        finally:
            if job is None or job.socket == 0:  # no ACK took the reservation over
                with self._cond:
                    self.visca.unreserve()
                    self._cond.notify_all()
        if wait:
            self.wait_job(job, completion_timeout)
        return job

    def wait_job(self, job: Job, timeout: float | None = None) -> None:
        timeout = timeout or self.bus.completion_timeout
        with self._cond:
            if not self._cond.wait_for(lambda: job.done, timeout):
                self.visca.forget(job, "no completion")
                self._cond.notify_all()
                raise TimeoutError(
                    f"{job.label}: camera {self.address} acknowledged the command on socket "
                    f"{job.socket} but sent no completion within {timeout:g} s (lost reply or "
                    f"a motion slower than completion_timeout; raise it in the URL: "
                    f"&completion_timeout=30)")
        if job.error is not None:
            raise device_error(job.label, self.address, job.error)
        if job.lost:
            raise PortError(f"{job.label}: camera {self.address} on {self.bus.name}: the command "
                            f"on socket {job.socket} was interrupted ({job.lost_reason}); its "
                            f"outcome is unknown, read the feature back or retry")

    def inquiry(self, packet: bytes, *, label: str) -> bytes:
        """Send an inquiry and return the reply data (``Y0 50 data FF``)."""
        reply = self._request(Request(Kind.INQUIRY, label, packet))
        if isinstance(reply, p.ErrorReply):
            raise device_error(label, self.address, reply)
        assert isinstance(reply, p.Completion)
        return reply.data

    def cancel(self, socket: int) -> bool:
        """Cancel the command on ``socket``: True if cancelled, False if it was idle."""
        label = f"cancel socket {socket}"
        reply = self._request(Request(Kind.CANCEL, label, p.encode_cancel(self.address, socket),
                                      socket=socket))
        if isinstance(reply, p.ErrorReply):
            if reply.code == p.ErrorCode.CANCELLED:
                return True
            if reply.code == p.ErrorCode.NO_SOCKET:
                return False
            raise device_error(label, self.address, reply)
        return True

    def if_clear(self) -> None:
        """``8X 01 00 01 FF``: clear this camera's command buffers (running commands end)."""
        reply = self._request(Request(Kind.PLAIN, "IF_Clear", p.encode_if_clear(self.address)))
        if isinstance(reply, p.ErrorReply):
            raise device_error("IF_Clear", self.address, reply)
        with self._cond:
            self.visca.clear_jobs("IF_Clear emptied the command buffers")
            self._cond.notify_all()

    # ------------------------------------------------------------ internals
    def _reserve_socket(self, label: str, completion_timeout: float) -> None:
        deadline = _monotonic() + completion_timeout
        visca = self.visca
        with self._cond:
            while not visca.can_reserve():
                left = deadline - _monotonic()
                if left <= 0:
                    busy = ", ".join(j.label for j in visca.jobs.values()) or "commands awaiting ACK"
                    raise TimeoutError(
                        f"{label}: both command sockets of camera {self.address} stayed busy "
                        f"for {completion_timeout:g} s ({busy}); cancel one or raise "
                        f"completion_timeout")
                self._cond.wait(min(left, 0.5))
                for job in visca.expire_stale(_monotonic(), completion_timeout):
                    log.warning("camera %d: %s on socket %d never completed; freeing the socket",
                                self.address, job.label, job.socket)
            visca.reserve()

    def _send_command(self, packet: bytes, label: str, key: Any, value: int) -> Job:
        retries = 0
        deadline = _monotonic() + self.bus.completion_timeout
        while True:
            request = Request(Kind.COMMAND, label, packet, key=key, value=value)
            answer = self._request(request)
            step = self.visca.after_command(request, answer, retries, _monotonic(), deadline)
            if isinstance(step, Started):
                return step.job
            if isinstance(step, Failed):
                raise device_error(label, self.address, step.error)
            assert isinstance(step, RetryLater)
            retries += 1
            log.info("camera %d: %s hit 'buffer full' (a socket we did not know of is busy); "
                     "retrying after a completion", self.address, label)
            with self._cond:
                self._cond.wait(step.wait)

    def _request(self, request: Request) -> Answer:
        """Send ``request.packet`` and wait for its first reply, re-sending after each
        silent ``timeout`` (the session decides; see :class:`ViscaSession`)."""
        visca = self.visca
        answered = lambda: request.result is not None or self._failure is not None  # noqa: E731
        with self._request_lock:
            with self._cond:
                while (wait := visca.quiet_wait(_monotonic())) > 0:
                    self._cond.wait(wait)
                self._failure = None
                packet = visca.start(request, _monotonic())
            step: object = None
            try:
                while True:
                    self.bus.send(packet)
                    with self._cond:
                        if self._cond.wait_for(answered, max(0.0, visca.wait_for(_monotonic()))):
                            break
                        step = visca.on_timeout(_monotonic())
                    if isinstance(step, GiveUp):
                        break
                    log.warning("camera %d: no reply to %s (%s) within %g s; re-sending",
                                self.address, request.label, p.hexdump(packet), self.timeout)
            finally:
                with self._cond:
                    result = visca.finish(_monotonic())
                    failure = self._failure
        if failure is not None:
            raise failure
        if result is not None:
            return result
        attempts = step.attempts if isinstance(step, GiveUp) else request.sends
        raise TimeoutError(
            f"{request.label}: camera {self.address} on {self.bus.name} did not answer "
            f"{p.hexdump(packet)} within {self.timeout:g} s ({attempts} attempt(s)); check "
            f"power, cabling, the camera address and the baud rate (FCB default 9600)")

    def fail(self, error: Exception) -> None:
        """The bus died: wake every waiter with ``error``."""
        with self._cond:
            if self.visca.pending is not None:
                self._failure = error
            self.visca.clear_jobs(str(error))
            self._cond.notify_all()

    def on_reply(self, reply: p.Reply) -> None:
        """Route one reply from this camera (reader thread)."""
        socket = getattr(reply, "socket", 0)
        with self._cond:
            job = self.visca.jobs.get(socket) if socket else None
            routed = self.visca.on_reply(reply, _monotonic())
            self._cond.notify_all()
        if routed is Routed.STRAY:
            log.debug("camera %d: stray %s dropped", self.address, p.describe(reply))
        elif routed is Routed.LATE_ACK:
            log.debug("camera %d: late ACK on socket %d (a re-sent command)", self.address, socket)
        elif routed is Routed.JOB_FAILED and isinstance(reply, p.ErrorReply):
            if job is not None and job.value and reply.code != p.ErrorCode.CANCELLED:
                log.warning("camera %d: %s failed: %s", self.address, job.label, reply.text)
        elif routed is Routed.NETWORK_CHANGE:
            log.info("camera %d reports a network change (Y0 38 FF): the chain was "
                     "re-cabled; addresses may need AddressSet", self.address)

    def job_for(self, key: Any) -> Job | None:
        """The most recent busy job started for ``key`` (a register address)."""
        with self._cond:
            return self.visca.job_for(key)


def device_error(label: str, address: int, reply: p.ErrorReply) -> DeviceError:
    remedies: dict[int, str] = {
        p.ErrorCode.NOT_EXECUTABLE: "check the value range and the camera mode (e.g. "
                                    "ExposureMode=Manual before Gain, FocusMode=Manual "
                                    "before FocusPosition, Power on)",
        p.ErrorCode.SYNTAX: "this camera model does not know the command: check the "
                            "address/encoding in the XML",
        p.ErrorCode.MESSAGE_LENGTH: "the packet is too long: check the encoding count in the XML",
        p.ErrorCode.BUFFER_FULL: "both sockets busy: wait for a completion or cancel",
    }
    remedy = remedies.get(reply.code, "")
    text = f"{label}: camera {address} answered error {reply.text}"
    return DeviceError(text + (f"; {remedy}" if remedy else ""), status=reply.code)


class FcbBus:
    """A serial line carrying VISCA to cameras 1–7 (and broadcasts to 8)."""

    def __init__(self, serial: Any, *, name: str = "", timeout: float = 1.0, retries: int = 2,
                 completion_timeout: float = 15.0) -> None:
        self.serial = serial
        self.name = name or getattr(serial, "port", None) or "serial line"
        self.timeout = timeout
        self.retries = retries
        self.completion_timeout = completion_timeout
        self.cameras_found: int | None = None
        self.garbage_bytes = 0
        self._write_lock = threading.Lock()
        self._sessions: dict[int, CameraSession] = {}
        self._sessions_lock = threading.Lock()
        self._parser = p.ReplyParser()
        self._broadcast_cond = threading.Condition()
        self._broadcast_replies: list[p.Reply] = []
        self._stop = threading.Event()
        self._error: Exception | None = None
        self.refcount = 0
        self.key: str = ""
        self._reader = threading.Thread(target=self._read_loop, name=f"fcb-reader {self.name}",
                                        daemon=True)
        self._reader.start()

    def session(self, address: int) -> CameraSession:
        if not 1 <= address <= 7:
            raise ValueError(f"VISCA camera address {address} outside 1–7 (8 is broadcast)")
        with self._sessions_lock:
            if address not in self._sessions:
                self._sessions[address] = CameraSession(self, address)
            return self._sessions[address]

    def send(self, packet: bytes) -> None:
        if self._error is not None:
            raise PortError(f"the VISCA line {self.name} is broken: {self._error}")
        if log.isEnabledFor(logging.DEBUG):
            try:
                note = p.describe(p.parse_request(packet))
            except p.ViscaCodecError as exc:
                note = str(exc)
            log.debug("→ %s  %s", p.hexdump(packet), note)
        with self._write_lock:
            try:
                self.serial.write(packet)
                self.serial.flush()
            except Exception as exc:  # serial.SerialException, OSError
                raise PortError(f"writing {p.hexdump(packet)} to {self.name} failed: {exc}") from exc

    # ------------------------------------------------------------ broadcasts
    def address_set(self) -> int:
        """``88 30 01 FF``: number the chain 1, 2, …; returns the number of cameras."""
        reply = self._broadcast(p.encode_address_set(1), p.AddressSetReply, "AddressSet")
        assert isinstance(reply, p.AddressSetReply)
        self.cameras_found = reply.next_address - 1
        log.info("%s: AddressSet found %d camera(s)", self.name, self.cameras_found)
        return self.cameras_found

    def if_clear_all(self) -> None:
        """``88 01 00 01 FF``: clear the command buffers of every camera."""
        self._broadcast(p.encode_if_clear(), p.IfClearReply, "IF_Clear (broadcast)")

    def broadcast_command(self, category: int, command: int, payload: bytes = b"") -> None:
        """``88 01 CC DD .. FF`` to every camera; VISCA gives no per-camera answer."""
        self.send(p.encode_command(p.BROADCAST, category, command, payload))

    def _broadcast(self, packet: bytes, kind: type, label: str) -> p.Reply:
        for attempt in range(self.retries + 1):
            with self._broadcast_cond:
                self._broadcast_replies.clear()
            self.send(packet)
            deadline = time.monotonic() + self.timeout
            with self._broadcast_cond:
                while True:
                    for reply in self._broadcast_replies:
                        if isinstance(reply, kind):
                            return reply
                    left = deadline - time.monotonic()
                    if left <= 0 or self._error is not None:
                        break
                    self._broadcast_cond.wait(left)
        raise TimeoutError(
            f"{label}: no answer on {self.name} within {self.timeout:g} s "
            f"({self.retries + 1} attempt(s)); check that a camera is connected and powered, "
            f"the cabling (RS-232 chain closed back to the controller) and the baud rate "
            f"(FCB default 9600), or open with &init=none to skip start-up")

    # ------------------------------------------------------------ reading
    def _read_loop(self) -> None:
        while not self._stop.is_set():
            try:
                waiting = getattr(self.serial, "in_waiting", 0) or 0
                data = self.serial.read(max(1, waiting))
            except Exception as exc:  # serial.SerialException, OSError, ...
                if self._stop.is_set():
                    break
                self._error = exc
                log.error("%s: reading failed: %s", self.name, exc)
                err = PortError(f"the VISCA line {self.name} failed: {exc}")
                with self._sessions_lock:
                    sessions = list(self._sessions.values())
                for session in sessions:
                    session.fail(err)
                with self._broadcast_cond:
                    self._broadcast_cond.notify_all()
                break
            if data:
                self.feed(data)

    def feed(self, data: bytes) -> None:
        """Parse received bytes and route each reply (the reader thread calls this)."""
        for item in self._parser.feed(data):
            if isinstance(item, p.Garbage):
                self.garbage_bytes += len(item.data)
                log.debug("← %s  %s", p.hexdump(item.data), item.reason)
                continue
            log.debug("← %s", p.describe(item))
            if isinstance(item, (p.AddressSetReply, p.IfClearReply)):
                with self._broadcast_cond:
                    self._broadcast_replies.append(item)
                    self._broadcast_cond.notify_all()
                continue
            camera = item.camera
            if not 1 <= camera <= 7:
                log.debug("reply from camera address %d ignored", camera)
                continue
            self.session(camera).on_reply(item)

    def close(self) -> None:
        self._stop.set()
        try:
            self.serial.cancel_read()
        except Exception:
            pass
        self._reader.join(timeout=2.0)
        try:
            self.serial.close()
        except Exception:  # pragma: no cover - platform dependent
            pass
        with self._sessions_lock:
            sessions = list(self._sessions.values())
        for session in sessions:
            session.fail(PortError(f"the VISCA line {self.name} was closed"))

    def __repr__(self) -> str:
        return f"<FcbBus {self.name} cameras={self.cameras_found}>"


_BUSES: dict[str, FcbBus] = {}
_BUSES_LOCK = threading.Lock()


def acquire_bus(key: str, opener: Callable[[], FcbBus],
                init: Callable[[FcbBus], None] | None = None) -> FcbBus:
    """The bus for line ``key`` (one per serial line), created by ``opener`` on first use
    and started by ``init`` (AddressSet, IF_Clear)."""
    with _BUSES_LOCK:
        bus = _BUSES.get(key)
        if bus is None:
            bus = opener()
            bus.key = key
            try:
                if init is not None:
                    init(bus)
            except BaseException:
                bus.close()
                raise
            _BUSES[key] = bus
        bus.refcount += 1
        return bus


def release_bus(bus: FcbBus) -> None:
    """Drop one user of ``bus``; the last one closes the serial line."""
    with _BUSES_LOCK:
        bus.refcount -= 1
        if bus.refcount > 0:
            return
        if _BUSES.get(bus.key) is bus:
            del _BUSES[bus.key]
    bus.close()


def open_buses() -> dict[str, FcbBus]:
    """The buses currently open (for diagnostics and tests)."""
    with _BUSES_LOCK:
        return dict(_BUSES)
