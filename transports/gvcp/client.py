"""GVCP client: one UDP socket per device, control privilege and heartbeat.

:class:`GvcpClient` is a :class:`nodemap.port.Port` (``read``/``write``/``read_many``)
over a device's register space.  It is the I/O shell around a
:class:`~.session.GvcpSession`, which owns request ids, ack matching (stale, mismatched,
malformed and PENDING_ACK answers) and the adaptive retransmission timer; the client
adds the socket, the kernel's receive timeout, a lock and the engine's error types:

- 4-byte aligned 4-byte accesses use READREG/WRITEREG; anything else READMEM/WRITEMEM,
  split into legal (≤536-byte, 4-byte aligned) chunks, with read-modify-write for
  unaligned writes of other lengths; a READREG/WRITEREG at an unaligned address (or a
  4-byte access at one) is refused with a :class:`PortError` naming the address;
- ``read_many`` packs up to 135 registers per READREG when the device's GVCP capability
  (0x0934) announces concatenation;
- ``take_control()`` writes CCP and starts a heartbeat thread that reads CCP well inside
  the device's heartbeat timeout; lost control is detected, logged and reported
  (``control_lost`` event, ``on_control_lost`` callback, and an explicit error on the
  next write); ``close()`` releases control (CCP = 0).

Timing: by default the session's adaptive timer (see :mod:`.session`): an operation
gives up after about a second without an answer; ``timeout``/``retries`` select a fixed
timer of ``retries`` attempts of ``timeout`` seconds; ``deadline`` caps any operation,
PENDING_ACK included.
"""

from __future__ import annotations

import logging
import socket
import struct
import sys
import threading
import time
from typing import Callable, Sequence, cast

from nodemap.errors import DeviceError, PortError, ProtocolError, TimeoutError

from . import protocol as p
from .errors import status_error, unaligned_error
from .protocol import Register as R
from .protocol import Status
from .session import (MATCHED, GiveUp, GvcpSession, Malformed, Matched, Mismatched, Outcome,
                      Pending, Policy, Stale)

__all__ = ["GvcpClient"]

log = logging.getLogger("nodemap.gvcp")

Tap = Callable[[str, tuple[str, int], bytes], None]
_U32 = struct.Struct(">I")
_u32_at = p.u32_at
_monotonic = time.monotonic
# A receive that timed out: socket.timeout with Python's timeouts, EAGAIN (BlockingIOError)
# with the kernel's SO_RCVTIMEO on a blocking socket.
_RECV_TIMEOUTS = (socket.timeout, BlockingIOError)
# Linux: the receive timeout lives in the kernel (SO_RCVTIMEO on a blocking socket), so a
# send or recv is one system call instead of poll() + the call that Python's socket
# timeouts make.  Elsewhere (struct timeval differs, Windows takes milliseconds): Python's.
_KERNEL_TIMEOUT = sys.platform.startswith("linux") and hasattr(socket, "SO_RCVTIMEO")
_TIMEVAL = struct.Struct("@ll")


def _timeval(seconds: float) -> bytes:
    """A struct timeval for SO_RCVTIMEO/SO_SNDTIMEO; at least 1 µs, as 0 means "forever"."""
    us = max(1, int(seconds * 1_000_000))
    return _TIMEVAL.pack(us // 1_000_000, us % 1_000_000)


class GvcpClient:
    """Register access to one GigE Vision device at ``host:port``."""

    def __init__(self, host: str, port: int = p.GVCP_PORT, *, timeout: float | None = None,
                 retries: int | None = None, deadline: float | None = None,
                 policy: Policy | None = None, tap: Tap | None = None,
                 on_control_lost: Callable[[str], None] | None = None) -> None:
        if retries is not None and retries < 1:
            raise ValueError("retries must be at least 1 (the number of attempts)")
        self.host = host
        self.port = port
        self.session = GvcpSession(policy or Policy.from_options(timeout, retries, deadline))
        self.tap = tap
        self.on_control_lost = on_control_lost
        self.control_lost = threading.Event()
        self.control_lost_reason = ""
        self._capabilities: int | None = None
        self._heartbeat_timeout_ms = 3000
        self._ccp_value = 0
        self._lock = threading.RLock()
        self._hb_thread: threading.Thread | None = None
        self._hb_stop = threading.Event()
        self._closed = False
        try:
            self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self._sock.connect((host, port))
        except OSError as exc:
            raise PortError(f"cannot open a UDP socket to GigE Vision device {host}:{port}: {exc} "
                            "— check the address and that a route to it exists") from exc
        self._kernel_timeout = _KERNEL_TIMEOUT
        self._sock_timeout: float | None = None
        first = self.session.window
        try:
            if self._kernel_timeout:
                self._sock.settimeout(None)    # blocking: the kernel times the waits out
            self._apply_timeout(first)
            if self._kernel_timeout:
                # A bound against a send blocking on a full buffer, as Python's timeout was.
                self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO,
                                      _timeval(max(first, 0.2)))
        except OSError:
            self._kernel_timeout = False
            self._apply_timeout(first)
        self.local_address = self._sock.getsockname()

    def __repr__(self) -> str:
        return f"<GvcpClient {self.host}:{self.port}{' controlling' if self.has_control else ''}>"

    @property
    def stats(self) -> dict[str, int]:
        """Counters: sent, retries, stale, mismatched, malformed, pending."""
        return self.session.stats

    @property
    def policy(self) -> Policy:
        return self.session.policy

    # ------------------------------------------------------------------ transactions

    def _apply_timeout(self, seconds: float) -> None:
        """Make the next ``recv`` wait at most ``seconds``."""
        if self._kernel_timeout:
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _timeval(seconds))
        else:
            self._sock.settimeout(seconds)
        self._sock_timeout = seconds

    def transact(self, build: Callable[[int], p.Command], expect_length: int | None = None
                 ) -> p.Ack:
        """Send the command built for a fresh request id and return its matching ack.

        Raises TimeoutError when the session gives up (see :mod:`.session`).
        ``expect_length``: the payload length a successful ack must have.
        """
        if self._closed:
            raise self._closed_error()
        with self._lock:
            debug = log.isEnabledFor(logging.DEBUG)
            raw = self.session.request(build, _monotonic(), expect_length=expect_length,
                                       fast=not debug)
            if debug:
                log.debug("→ %s:%d %s", self.host, self.port, self.session.describe())
            data, ack = self._exchange(raw, debug)
        return ack if ack is not None else p.decode_ack(data)

    def _exchange(self, raw: bytes, debug: bool) -> tuple[bytes, p.Ack | None]:
        """Send ``raw`` (the session's current operation) and wait for its ack; the caller
        holds the lock.

        Returns ``(datagram, None)`` when the ack is exactly the success ack the session's
        fast path expects (its header compared as bytes, nothing decoded; off when
        ``debug`` is on, so that the ack is logged), ``(datagram, ack)`` for any other
        accepted ack.  Raises TimeoutError when the session gives up.
        """
        session = self.session
        sock = self._sock
        wait = session.window
        if self._sock_timeout != wait:
            self._apply_timeout(wait)
        if self.tap:
            self.tap("out", (self.host, self.port), raw)
        try:
            sock.send(raw)
        except ConnectionRefusedError:
            pass             # an earlier ICMP port-unreachable; the retries handle silence
        except OSError as exc:
            raise PortError(f"sending to {self.host}:{self.port} failed: {exc}") from exc
        while True:
            data: bytes | None
            try:
                data = sock.recv(2048)
            except _RECV_TIMEOUTS:
                data = None
            except ConnectionRefusedError:
                # Nobody listens (ICMP unreachable): wait out this attempt, then retry.
                time.sleep(max(0.0, session.expires_at - _monotonic()))
                data = None
            except OSError as exc:
                raise PortError(f"receiving from {self.host}:{self.port} failed: {exc}") from exc
            if data is not None:
                if self.tap:
                    self.tap("in", (self.host, self.port), data)
                outcome = session.on_datagram(data, _monotonic())
                if outcome is MATCHED:
                    return data, None
                if outcome.__class__ is Matched:
                    if debug:
                        log.debug("← %s:%d %s", self.host, self.port, outcome.ack)
                    return data, outcome.ack
                self._log_dropped(outcome, data, debug)
                remaining = session.expires_at - _monotonic()
                if remaining > 0:
                    self._apply_timeout(remaining)
                    continue
            step = session.on_timeout(_monotonic())
            if isinstance(step, GiveUp):
                raise self._give_up_error(step)
            if debug:
                log.debug("retry %d of id %d (waiting %.0f ms)", step.attempt + 1,
                          session.req_id, step.wait * 1000)
            self._apply_timeout(step.wait)
            self._send(step.data)

    def _send(self, raw: bytes) -> None:
        if self.tap:
            self.tap("out", (self.host, self.port), raw)
        try:
            self._sock.send(raw)
        except ConnectionRefusedError:
            pass             # an earlier ICMP port-unreachable; the retries handle silence
        except OSError as exc:
            raise PortError(f"sending to {self.host}:{self.port} failed: {exc}") from exc

    def _log_dropped(self, outcome: Outcome, data: bytes, debug: bool) -> None:
        if isinstance(outcome, Pending):
            if debug:
                log.debug("← %s:%d %s", self.host, self.port, outcome.ack)
        elif isinstance(outcome, Stale):
            if debug:
                log.debug("dropping stale ack id %d (waiting for %d): %s",
                          outcome.req_id, self.session.req_id, data[:16].hex(" "))
        elif isinstance(outcome, (Malformed, Mismatched)):
            log.debug("dropping %s from %s:%d: %s", outcome.__class__.__name__.lower(),
                      self.host, self.port, outcome.reason)

    def _closed_error(self) -> PortError:
        return PortError(f"the GVCP connection to {self.host}:{self.port} is closed")

    def _give_up_error(self, step: GiveUp) -> TimeoutError:
        if step.pending:
            return TimeoutError(
                f"GigE Vision device {self.host}:{self.port} did not complete {step.command}: "
                f"{step.reason} — the device keeps saying it is busy; if the operation is "
                "legitimately that slow, raise ?deadline= (seconds)")
        return TimeoutError(
            f"no answer from GigE Vision device {self.host}:{self.port} to {step.command} "
            f"{step.reason} — check that the device is powered and reachable, and that no "
            "firewall blocks UDP 3956 (raise ?timeout= / ?retries= for slow links)")

    def _check(self, ack: p.Ack, what: str, address: int | None = None) -> None:
        if ack.status != Status.SUCCESS:
            err = status_error(ack.status, what, address)
            if ack.status == Status.ACCESS_DENIED and self.control_lost.is_set():
                err = err.with_context(f"{err} (control was lost: {self.control_lost_reason})")
            raise err

    def _unaligned(self, command: str, address: int) -> PortError:
        return unaligned_error(command, address, f"{self.host}:{self.port}")

    # ------------------------------------------------------------------ registers

    def read_registers(self, addresses: Sequence[int]) -> list[int]:
        """READREG, concatenated in packets of ≤135 addresses when the device allows it,
        one by one otherwise."""
        for address in addresses:
            if address & 3:
                raise self._unaligned("READREG", address)
        out: list[int] = []
        step = p.MAX_READREG if self.concatenation else 1
        for i in range(0, len(addresses), step):
            chunk = tuple(addresses[i:i + step])
            # The session accepts only the ack code answering the command sent.
            ack = cast(p.ReadRegAck,
                       self.transact(lambda rid: p.ReadRegCmd(rid, chunk), 4 * len(chunk)))
            if ack.status != Status.SUCCESS:
                bad = chunk[len(ack.values)] if len(ack.values) < len(chunk) else chunk[0]
                self._check(ack, f"READREG 0x{bad:08X}", bad)
            out.extend(ack.values)
        return out

    def read_register(self, address: int) -> int:
        # The hot path of every feature read: one precompiled pack, a byte comparison of
        # the ack header (see GvcpSession.on_datagram), no packet objects unless something
        # is unusual.
        if address & 3:
            raise self._unaligned("READREG", address)
        if self._closed:
            raise self._closed_error()
        with self._lock:
            debug = log.isEnabledFor(logging.DEBUG)
            raw = self.session.read_register(address, _monotonic(), not debug)
            if debug:
                log.debug("→ %s:%d %s", self.host, self.port, self.session.describe())
            data, ack = self._exchange(raw, debug)
        if ack is None:
            return _u32_at(data, 8)
        self._check(ack, f"READREG 0x{address:08X}", address)
        return cast(p.ReadRegAck, ack).values[0]   # the session matched a READREG_ACK

    def write_registers(self, pairs: Sequence[tuple[int, int]]) -> None:
        for address, _ in pairs:
            if address & 3:
                raise self._unaligned("WRITEREG", address)
        step = p.MAX_WRITEREG if self.concatenation else 1
        for i in range(0, len(pairs), step):
            chunk = tuple((a, v & 0xFFFFFFFF) for a, v in pairs[i:i + step])
            ack = cast(p.WriteRegAck, self.transact(lambda rid: p.WriteRegCmd(rid, chunk), 4))
            if ack.status != Status.SUCCESS:
                index = min(ack.index, len(chunk) - 1)
                self._check(ack, f"WRITEREG 0x{chunk[index][0]:08X}", chunk[index][0])

    def write_register(self, address: int, value: int) -> None:
        if address & 3:
            raise self._unaligned("WRITEREG", address)
        if self._closed:
            raise self._closed_error()
        with self._lock:
            debug = log.isEnabledFor(logging.DEBUG)
            raw = self.session.write_register(address, value, _monotonic(), not debug)
            if debug:
                log.debug("→ %s:%d %s", self.host, self.port, self.session.describe())
            ack = self._exchange(raw, debug)[1]
        if ack is not None:
            self._check(ack, f"WRITEREG 0x{address:08X}=0x{value & 0xFFFFFFFF:08X}", address)

    def read_memory(self, address: int, count: int,
                    progress: Callable[[int, int], None] | None = None) -> bytes:
        """READMEM of an aligned span, in ≤536-byte chunks."""
        if address % 4 or count % 4:
            raise ValueError(f"READMEM needs 4-byte alignment (0x{address:X}, {count} bytes)")
        out = bytearray()
        while len(out) < count:
            here = address + len(out)
            n = min(p.MAX_MEM, count - len(out))
            ack = cast(p.ReadMemAck, self.transact(lambda rid: p.ReadMemCmd(rid, here, n), 4 + n))
            self._check(ack, f"READMEM 0x{here:08X} +{n}", here)
            if ack.address != here:
                raise ProtocolError(f"READMEM_ACK for 0x{ack.address:08X}, asked 0x{here:08X} from "
                                    f"GigE Vision device {self.host}:{self.port}", address=here)
            out += ack.data
            if progress:
                progress(len(out), count)
        return bytes(out)

    def write_memory(self, address: int, data: bytes) -> None:
        if address % 4 or len(data) % 4:
            raise ValueError(f"WRITEMEM needs 4-byte alignment (0x{address:X}, {len(data)} bytes)")
        for offset in range(0, len(data), p.MAX_MEM):
            here = address + offset
            chunk = bytes(data[offset:offset + p.MAX_MEM])
            ack = self.transact(lambda rid: p.WriteMemCmd(rid, here, chunk), 4)
            if ack.status == Status.NOT_IMPLEMENTED:
                words = struct.unpack(f">{len(chunk) // 4}I", chunk)
                self.write_registers([(here + 4 * i, w) for i, w in enumerate(words)])
                continue
            self._check(ack, f"WRITEMEM 0x{here:08X} +{len(chunk)}", here)

    # ------------------------------------------------------------------ Port contract

    def read(self, address: int, length: int) -> bytes:
        if length == 4:     # a register: READREG, which refuses an unaligned address
            return _U32.pack(self.read_register(address))
        if length <= 0:
            return b""
        start = address & ~3
        end = (address + length + 3) & ~3
        return self.read_memory(start, end - start)[address - start:address - start + length]

    def write(self, address: int, data: bytes) -> None:
        if len(data) == 4:  # a register: WRITEREG, which refuses an unaligned address
            self.write_register(address, _U32.unpack(data)[0])
            return
        if not data:
            return
        start = address & ~3
        end = (address + len(data) + 3) & ~3
        if start != address or end != address + len(data):
            span = bytearray(self.read_memory(start, end - start))
            span[address - start:address - start + len(data)] = data
            data = bytes(span)
        self.write_memory(start, data)

    def read_many(self, requests: Sequence[tuple[int, int]]) -> list[bytes]:
        """Batch reads: aligned 4-byte registers go out concatenated when allowed."""
        results: list[bytes | None] = [None] * len(requests)
        regs = [(i, a) for i, (a, n) in enumerate(requests) if n == 4 and not a % 4]
        if regs:
            values = self.read_registers([a for _, a in regs])
            for (i, _), v in zip(regs, values):
                results[i] = struct.pack(">I", v)
        out: list[bytes] = []
        for got, (address, length) in zip(results, requests):
            out.append(got if got is not None else self.read(address, length))
        return out

    # ------------------------------------------------------------------ capabilities

    @property
    def capabilities(self) -> int:
        """GVCP capability register (0x0934), read once."""
        if self._capabilities is None:
            try:
                self._capabilities = self.read_register(R.GVCP_CAPABILITY)
            except DeviceError:
                self._capabilities = 0
        return self._capabilities

    @property
    def concatenation(self) -> bool:
        return bool(self.capabilities & p.Capability.CONCATENATION)

    # ------------------------------------------------------------------ control

    @property
    def has_control(self) -> bool:
        return bool(self._ccp_value) and not self.control_lost.is_set()

    def take_control(self, *, exclusive: bool = False, heartbeat: bool = True) -> None:
        """Become the primary application (CCP) and keep it with a heartbeat thread."""
        value = p.CCP_EXCLUSIVE if exclusive else p.CCP_CONTROL
        try:
            self.write_register(R.CCP, value)
        except DeviceError as exc:
            if exc.status == Status.ACCESS_DENIED:
                raise exc.with_context(
                    f"cannot take control of GigE Vision device {self.host}: another application "
                    "holds it (CCP) — close it, wait for its heartbeat to expire, or open with "
                    "?control=0 to read only") from exc
            raise
        self._ccp_value = value
        self.control_lost.clear()
        self.control_lost_reason = ""
        try:
            self._heartbeat_timeout_ms = self.read_register(R.HEARTBEAT_TIMEOUT) or 3000
        except PortError:
            self._heartbeat_timeout_ms = 3000
        if heartbeat:
            self._hb_stop.clear()
            self._hb_thread = threading.Thread(target=self._heartbeat, daemon=True,
                                               name=f"gvcp-heartbeat-{self.host}")
            self._hb_thread.start()
        log.info("control of %s:%d taken (CCP=0x%X, heartbeat timeout %d ms)", self.host,
                 self.port, value, self._heartbeat_timeout_ms)

    @property
    def heartbeat_period(self) -> float:
        """A third of the device's heartbeat timeout, at most one second."""
        return min(1.0, max(0.02, self._heartbeat_timeout_ms / 3000))

    def _heartbeat(self) -> None:
        last_ok = time.monotonic()
        while not self._hb_stop.wait(self.heartbeat_period):
            try:
                reason = self._check_control()
            except PortError as exc:
                if self._hb_stop.is_set() or self._closed:
                    return
                if time.monotonic() - last_ok > self._heartbeat_timeout_ms / 1000:
                    self._lose_control(f"heartbeat unanswered for over "
                                       f"{self._heartbeat_timeout_ms} ms ({exc})")
                    return
                log.warning("heartbeat to %s failed, will retry: %s", self.host, exc)
                continue
            last_ok = time.monotonic()
            if reason:
                self._lose_control(reason)
                return

    def _check_control(self) -> str:
        """One heartbeat: read CCP (and, with concatenation, the primary application's
        port and address, GigE Vision 2.0); return why control is lost, or ""."""
        if self.concatenation:
            ccp, app_port, app_ip = self.read_registers(
                [R.CCP, R.PRIMARY_APP_PORT, R.PRIMARY_APP_IP])
        else:
            ccp, app_port, app_ip = self.read_register(R.CCP), 0, 0
        if not ccp & (p.CCP_CONTROL | p.CCP_EXCLUSIVE):
            return f"device reports CCP=0x{ccp:X} (heartbeat expired or control taken away)"
        if app_port and app_ip:
            mine = (p._ip(app_ip), app_port)
            if mine != (self.local_address[0], self.local_address[1]):
                return (f"device reports {mine[0]}:{mine[1]} as its primary application "
                        f"(we are {self.local_address[0]}:{self.local_address[1]})")
        return ""

    def _lose_control(self, reason: str) -> None:
        self.control_lost_reason = reason
        self.control_lost.set()
        log.error("lost control of GigE Vision device %s:%d: %s — reopen the device to regain it",
                  self.host, self.port, reason)
        if self.on_control_lost:
            try:
                self.on_control_lost(reason)
            except Exception:  # pragma: no cover - user callback
                log.exception("on_control_lost callback failed")

    def release_control(self) -> None:
        """Stop the heartbeat and write CCP = 0."""
        self._hb_stop.set()
        if self._hb_thread is not None and self._hb_thread is not threading.current_thread():
            self._hb_thread.join(5)
        self._hb_thread = None
        if self._ccp_value and not self.control_lost.is_set():
            try:
                self.write_register(R.CCP, 0)
                log.info("control of %s:%d released", self.host, self.port)
            except PortError as exc:
                log.warning("releasing control of %s failed: %s", self.host, exc)
        self._ccp_value = 0

    def close(self) -> None:
        if self._closed:
            return
        try:
            self.release_control()
        finally:
            self._closed = True
            self._sock.close()

    def __enter__(self) -> "GvcpClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
