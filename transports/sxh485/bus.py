"""One RS-485/RS-232 line shared by every SXH485 camera on it.

Several cameras (addresses) hang on one serial line, so the line is one :class:`Bus`
object with a lock: a request and its reply form one transaction, and transactions of
different cameras (threads) never interleave.  ``Bus.acquire(url, ...)`` returns the
bus already open for that pyserial URL (reference-counted), so two ports opened on the
same line share it.  A reply is accepted only if it comes from the addressed camera
with the expected reply type (and passes the caller's check); anything else on the
line is logged and ignored.  Timeouts and frames with a bad CRC are retried.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, ClassVar

import serial

from nodemap.errors import PortError, ProtocolError, TimeoutError

from .protocol import (BROADCAST, Direction, Discarded, Frame, FrameParser, Profile,
                       Sxh485CodecError,
                       annotate, encode)

__all__ = ["Bus"]

log = logging.getLogger("nodemap.sxh485")

_POLL = 0.02  # seconds per serial read while waiting for a reply (an upper bound only)


class Bus:
    """A serial line speaking one SXH485 profile.  Thread-safe."""

    _open: ClassVar[dict[str, "Bus"]] = {}
    _registry_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, url: str, *, baudrate: int, profile: Profile,
                 serial_options: dict[str, Any] | None = None,
                 line: Any = None) -> None:
        self.url = url
        self.profile = profile
        self.lock = threading.RLock()
        self.users = 0
        self.parser = FrameParser(profile, Direction.REPLY)
        self.sent = 0
        self.received = 0
        self.discarded = 0
        self.retries = 0
        self.ignored = 0        # valid frames not meant for the running transaction
        if line is not None:
            self.serial = line
        else:
            try:
                self.serial = serial.serial_for_url(url, baudrate=baudrate, timeout=_POLL,
                                                    write_timeout=5.0, **(serial_options or {}))
            except (serial.SerialException, ValueError, OSError) as exc:
                raise PortError(
                    f"cannot open serial line {url!r} for SXH485: {exc}; check the device "
                    f"path / pyserial URL and that no other program holds it") from exc

    # -- sharing -------------------------------------------------------------------------
    @classmethod
    def acquire(cls, url: str, *, baudrate: int, profile: Profile,
                serial_options: dict[str, Any] | None = None) -> "Bus":
        """The bus open on ``url`` (opened now if needed); release with :meth:`release`."""
        with cls._registry_lock:
            bus = cls._open.get(url)
            if bus is None:
                bus = cls(url, baudrate=baudrate, profile=profile, serial_options=serial_options)
                cls._open[url] = bus
            elif bus.profile != profile:
                raise PortError(
                    f"serial line {url!r} is already open with the {bus.profile.name!r} "
                    f"SXH485 profile; every camera on one line must use the same profile")
            elif baudrate != bus.baudrate:
                log.warning("serial line %s is already open at %d bd; ignoring baudrate=%d "
                            "(every camera on one line shares its speed)", url, bus.baudrate,
                            baudrate)
            bus.users += 1
            return bus

    def release(self) -> None:
        """Drop one user; the line closes when the last user releases it."""
        with self._registry_lock:
            self.users -= 1
            if self.users > 0:
                return
            if self._open.get(self.url) is self:
                del self._open[self.url]
        self.close()

    def close(self) -> None:
        with self.lock:
            try:
                self.serial.close()
            except Exception:  # pragma: no cover - closing a vanished device
                log.debug("closing %s failed", self.url, exc_info=True)

    # -- line speed ----------------------------------------------------------------------
    @property
    def baudrate(self) -> int:
        return int(self.serial.baudrate)

    def set_baudrate(self, baudrate: int) -> None:
        """Switch the line speed (call only once the cameras use the new speed)."""
        with self.lock:
            log.debug("%s: line speed %d → %d bd", self.url, self.baudrate, baudrate)
            self.serial.baudrate = baudrate

    # -- transactions --------------------------------------------------------------------
    def transact(self, request: Frame, *, reply_type: int | None, timeout: float,
                 retries: int, accept: Callable[[Frame], bool] | None = None,
                 after: Callable[[Frame | None], None] | None = None) -> Frame | None:
        """Send ``request`` and return the matching reply.

        ``reply_type`` None, or a broadcast address, means no reply is expected: the
        frame is sent once and None returned.  Otherwise up to ``1 + retries`` attempts
        are made; an attempt ends at ``timeout`` seconds or as soon as a frame from
        this camera with the expected type fails its CRC.  ``after(reply)`` runs while
        the bus is still locked (e.g. to switch the line speed once confirmed).
        """
        try:
            raw = encode(request, self.profile)
        except Sxh485CodecError as exc:
            raise ProtocolError(f"{self.url}: cannot send to camera {request.address}: {exc}") from None
        with self.lock:
            if reply_type is None or request.address == BROADCAST:
                self._send(request, raw)
                self.serial.flush()
                if after is not None:
                    after(None)
                return None
            for attempt in range(1 + max(0, retries)):
                if attempt:
                    self.retries += 1
                    log.debug("%s: retry %d of %s", self.url, attempt, annotate(request, self.profile))
                self.parser.reset()
                try:
                    self.serial.reset_input_buffer()
                except (serial.SerialException, OSError, AttributeError):  # pragma: no cover
                    pass
                self._send(request, raw)
                reply = self._await(request, reply_type, timeout, accept)
                if reply is not None:
                    if after is not None:
                        after(reply)
                    return reply
        raise TimeoutError(
            f"SXH485 camera at address {request.address} on {self.url} did not answer "
            f"message type 0x{request.type:02X} after {1 + retries} attempts of {timeout:g} s; "
            f"check the address, the baud rate ({self.baudrate} bd), the wiring (A/B swapped?) "
            f"and the profile ({self.profile.name!r})")

    def _send(self, request: Frame, raw: bytes) -> None:
        log.debug("%s → %s | %s", self.url, annotate(request, self.profile), raw.hex(" "))
        try:
            self.serial.write(raw)
        except (serial.SerialException, OSError) as exc:
            raise PortError(f"writing to SXH485 line {self.url!r} failed: {exc}") from exc
        self.sent += 1

    def _await(self, request: Frame, reply_type: int, timeout: float,
               accept: Callable[[Frame], bool] | None) -> Frame | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                waiting = self.serial.in_waiting
                chunk = self.serial.read(min(max(waiting, self.parser.needed()), 65536))
            except (serial.SerialException, OSError) as exc:
                raise PortError(f"reading from SXH485 line {self.url!r} failed: {exc}") from exc
            if not chunk:
                continue
            for event in self.parser.feed(chunk):
                if isinstance(event, Discarded):
                    self.discarded += 1
                    log.debug("%s ← %s", self.url, annotate(event, self.profile))
                    if event.address == request.address and event.type == reply_type:
                        return None      # our reply, corrupted: re-request at once
                    continue
                self.received += 1
                log.debug("%s ← %s", self.url, annotate(event, self.profile))
                if event.address != request.address or event.type != reply_type:
                    self.ignored += 1
                    log.debug("%s: ignored a frame not meant for this transaction "
                              "(addr %d type 0x%02X)", self.url, event.address, event.type)
                    continue
                if accept is not None and not event.is_error and not accept(event):
                    self.ignored += 1
                    log.debug("%s: ignored a stale or inconsistent reply", self.url)
                    continue
                return event
        return None
