"""GigE Vision streaming for a Camera: program the device, negotiate, start and stop.

:class:`GvspSource` is the :class:`nodemap.imaging.FrameSource` that ``GvcpLink.open_stream``
returns (``Camera.stream()`` wraps it in a :class:`nodemap.imaging.Stream`).  It

- binds a :class:`.receiver.GvspReceiver` on the interface the GVCP connection uses;
- writes the stream channel's destination (SCDA = that address, SCP = its port);
- negotiates the packet size with SCPS's fire-test-packet bit — the largest size whose test
  packet arrives whole, between 576 and ``max_packet_size`` (and the device's
  GevSCPSPacketSize maximum) — unless ``packet_size=`` fixes it, or the device sends no
  test packet (its current SCPS is kept);
- reads PayloadSize from the node map to size the buffers;
- starts with AcquisitionMode = Continuous (when writable), TLParamsLocked = 1 (when the
  XML has it), AcquisitionStart; stops with AcquisitionStop, TLParamsLocked = 0;
- on close writes SCP = 0 so the device stops sending to a socket that is gone.
"""

from __future__ import annotations

import logging
import socket
import struct
import time
from typing import Any

from nodemap.errors import AccessError, NodeMapError, PortError, UnsupportedError
from nodemap.imaging.frame import Frame
from nodemap.imaging.sizing import payload_size

from .protocol import Register as R
from .protocol import stream_channel_register
from .receiver import GvspReceiver

__all__ = ["GvspSource", "MIN_PACKET_SIZE"]

log = logging.getLogger("nodemap.gvsp")

FIRE_TEST_PACKET = 0x80000000
DO_NOT_FRAGMENT = 0x40000000
MIN_PACKET_SIZE = 576
IP_UDP = 28
GVSP_CONFIGURATION = 0x0960
GVSP_EXTENDED_ID = 0x40000000


def _ip_int(address: str) -> int:
    value: int = struct.unpack(">I", socket.inet_aton(address))[0]
    return value


class GvspSource:
    """Frames from stream channel ``channel`` of the GigE Vision device behind ``link``."""

    def __init__(self, link: Any, nodemap: Any, *, buffers: int = 8,
                 packet_size: int | None = None, channel: int = 0,
                 max_packet_size: int = 9000, probe_timeout: float = 0.15,
                 bind_address: str | None = None, extended_ids: bool | None = None,
                 **receiver_options: Any) -> None:
        self.link = link
        self.nodemap = nodemap
        self.client = link.client
        self.channel = channel
        self.host = self.client.host
        self._running = False
        self._closed = False
        self.scp = stream_channel_register(R.SCP0, channel)
        self.scps = stream_channel_register(R.SCPS0, channel)
        self.scda = stream_channel_register(R.SCDA0, channel)
        self.payload_size = self._payload_size()
        local_ip = bind_address or self.client.local_address[0]
        self.receiver = GvspReceiver(
            buffer_size=self.payload_size, buffers=buffers,
            packet_size=packet_size or 1500, bind=(local_ip, 0),
            device=(self.host, self.client.port), channel=channel, name=self.host,
            **receiver_options)
        try:
            ip, port = self.receiver.address
            if extended_ids is not None:
                self._set_extended_ids(extended_ids)
            self.client.write_register(self.scda, _ip_int(ip))
            self.client.write_register(self.scp, port)
            if packet_size:
                self._write_packet_size(packet_size)
                self.packet_size = self._read_packet_size() or packet_size
            else:
                self.packet_size = self._negotiate(max_packet_size, probe_timeout)
            self.receiver.set_packet_size(self.packet_size)
            log.info("stream channel %d of %s → %s:%d, packet size %d, payload %d bytes, %d "
                     "buffers", channel, self.host, ip, port, self.packet_size,
                     self.payload_size, buffers)
        except BaseException:
            self.receiver.close()
            raise

    # ------------------------------------------------------------------ setup

    def _feature(self, name: str) -> Any | None:
        features = self.nodemap.features
        return features[name] if name in features else None

    def _payload_size(self) -> int:
        return payload_size(self.nodemap, self.host)

    def _set_extended_ids(self, on: bool) -> None:
        """GVSP configuration (0x0960) bit 30: 64-bit block ids / 32-bit packet ids."""
        try:
            value = self.client.read_register(GVSP_CONFIGURATION)
            value = value | GVSP_EXTENDED_ID if on else value & ~GVSP_EXTENDED_ID
            self.client.write_register(GVSP_CONFIGURATION, value)
        except PortError as exc:
            raise UnsupportedError(f"{self.host} does not offer extended-ID streaming (GVSP "
                                   f"configuration 0x0960: {exc}); open the stream without "
                                   "extended_ids") from exc

    def _read_packet_size(self) -> int:
        size: int = self.client.read_register(self.scps) & 0xFFFF
        return size

    def _write_packet_size(self, size: int, fire: bool = False) -> None:
        try:
            current = self.client.read_register(self.scps)
        except PortError:
            current = 0
        value = (current & 0x3FFF0000) | (size & 0xFFFF)
        if fire:
            value |= FIRE_TEST_PACKET | DO_NOT_FRAGMENT
        self.client.write_register(self.scps, value)

    def _size_limits(self, max_packet_size: int) -> tuple[int, int, int]:
        high, inc = max_packet_size, 4
        f = self._feature("GevSCPSPacketSize") or self._feature(f"SCPS{self.channel}PacketSize")
        if f is not None:
            try:
                high = min(high, int(f.max))
                inc = max(1, int(f.inc or 1))
                low = max(MIN_PACKET_SIZE, int(f.min))
                return low, high, inc
            except (NodeMapError, TypeError, ValueError):
                pass
        return MIN_PACKET_SIZE, high, inc

    def _probe(self, size: int, timeout: float) -> bool:
        """Fire one test packet of ``size``; True when it arrives whole."""
        sock = self.receiver._sock   # the receiver thread is not running yet
        self._drain(sock)
        self._write_packet_size(size, fire=True)
        deadline = time.monotonic() + timeout
        buf = bytearray(65536)
        while time.monotonic() < deadline:
            try:
                n = sock.recv_into(buf)
            except (socket.timeout, BlockingIOError, InterruptedError):
                continue
            except OSError:
                return False
            if size - 8 <= n + IP_UDP <= size:
                return True
        return False

    @staticmethod
    def _drain(sock: socket.socket) -> None:
        for _ in range(10000):
            try:
                sock.recv(65536, socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError, socket.timeout):
                return
            except OSError:
                return

    def _negotiate(self, max_packet_size: int, timeout: float) -> int:
        """The largest packet size whose test packet arrives (binary search, like Aravis's
        auto packet size); the device's own value when it sends no test packet."""
        current = self._read_packet_size()
        low, high, inc = self._size_limits(max_packet_size)
        if self._probe(high, timeout):
            best = high
        elif not self._probe(low, timeout):
            log.info("%s sent no SCPS test packet; keeping its packet size %d", self.host,
                     current)
            self._write_packet_size(current or 1500)
            return current or 1500
        else:
            best = low
            lo, hi = low, high           # lo works, hi fails
            while hi - lo > inc:
                mid = (lo + (hi - lo) // 2) // inc * inc
                if mid <= lo:
                    break
                if self._probe(mid, timeout):
                    lo = best = mid
                else:
                    hi = mid
        self._write_packet_size(best)
        self._drain(self.receiver._sock)
        got = self._read_packet_size()
        log.info("negotiated packet size %d with %s (test packets, %d..%d)", got or best,
                 self.host, low, high)
        return got or best

    # ------------------------------------------------------------------ FrameSource

    def start(self) -> None:
        if self._closed:
            raise PortError(f"the stream of {self.host} is closed; open a new one")
        if self._running:
            return
        self.receiver.start()
        try:
            mode = self._feature("AcquisitionMode")
            if mode is not None and mode.is_writable and "Continuous" in mode.entries:
                mode.value = "Continuous"
            locked = self._feature("TLParamsLocked")
            if locked is not None and locked.is_writable:
                locked.value = 1
            start = self._feature("AcquisitionStart")
            if start is None:
                raise UnsupportedError(
                    f"{self.host}'s XML has no AcquisitionStart command: nodemap cannot start "
                    "its stream (start it with the vendor's feature, then use the stream)")
            start.execute()
        except BaseException:
            self.receiver.stop()
            raise
        self._running = True

    def stop(self) -> None:
        if not self._running:
            return
        self._running = False
        try:
            stop = self._feature("AcquisitionStop")
            if stop is not None:
                stop.execute()
            locked = self._feature("TLParamsLocked")
            if locked is not None and locked.is_writable:
                locked.value = 0
        except (PortError, AccessError) as exc:
            log.warning("stopping acquisition on %s failed: %s", self.host, exc)
        finally:
            self.receiver.stop()

    def next_frame(self, timeout: float) -> Frame:
        return self.receiver.next_frame(timeout)

    @property
    def stats(self) -> dict[str, int]:
        return self.receiver.stats

    def close(self) -> None:
        if self._closed:
            return
        try:
            self.stop()
            if not self.client._closed:
                try:
                    self.client.write_register(self.scp, 0)
                except PortError as exc:
                    log.debug("clearing SCP of %s failed: %s", self.host, exc)
        finally:
            self._closed = True
            self.receiver.close()

    def __repr__(self) -> str:
        ip, port = self.receiver.address
        return f"<GvspSource {self.host} channel {self.channel} → {ip}:{port}>"
