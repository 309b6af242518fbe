"""A small GVSP source for receiver tests, made with the codec (transports/gvcp/gvsp.py).

``FrameSender`` sends frames of the diagonal ramp pixel(x, y) = (x + y + frame_id) % 255
to a receiver, optionally with seeded faults (drop / duplicate / reorder), and answers
PACKETRESEND commands on its own "GVCP" UDP socket from the frames it retains — like a
camera, without any register space.  Everything is bounded: it sends what it is told to.
"""

from __future__ import annotations

import random
import socket
import threading
from typing import Iterable

from nodemap.transports.gvcp import gvsp
from nodemap.transports.gvcp import protocol as p

MONO8 = 0x01080001


def ramp(width: int, height: int, frame_id: int) -> bytes:
    """Aravis's fake-camera pattern: pixel(x, y) = (x + y + frame_id) % 255."""
    cycle = bytes(range(255)) * ((width + height + frame_id) // 255 + 2)
    out = bytearray()
    for y in range(height):
        start = (y + frame_id) % 255
        out += cycle[start:start + width]
    return bytes(out)


class FrameSender:
    """Send GVSP frames from ``address`` (an IP to bind) to ``target``."""

    def __init__(self, target: tuple[str, int], *, address: str = "127.0.0.1",
                 packet_size: int = 1500, extended: bool = False, drop: float = 0.0,
                 duplicate: float = 0.0, reorder: float = 0.0, seed: int = 1,
                 retain: int = 16, unrecoverable: Iterable[tuple[int, int]] = ()) -> None:
        self.target = target
        self.packet_size = packet_size
        self.extended = extended
        self.data_size = gvsp.data_per_packet(packet_size, extended)
        self.drop, self.duplicate, self.reorder = drop, duplicate, reorder
        self.rng = random.Random(seed)
        self.retain = retain
        self.unrecoverable = set(unrecoverable)   # (block, packet) never sent, nor resent
        self.sent: dict[int, list[bytes]] = {}
        self.resend_commands: list[p.PacketResendCmd] = []
        self.stream = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.stream.bind((address, 0))
        self.gvcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.gvcp.bind((address, 0))
        self.gvcp.settimeout(0.05)
        self.gvcp_address = self.gvcp.getsockname()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve_resends, daemon=True,
                                        name="test-gvsp-resend")
        self._thread.start()

    # ------------------------------------------------------------------ packets

    def packets(self, block_id: int, payload: bytes, *, width: int, height: int,
                pixel_format: int = MONO8, timestamp: int = 0, chunks: bool = False
                ) -> list[bytes]:
        ds = self.data_size
        out = [gvsp.encode_image_leader(block_id, timestamp=timestamp, pixel_format=pixel_format,
                                        width=width, height=height, chunks=chunks,
                                        extended=self.extended)]
        n = 0
        for n, off in enumerate(range(0, len(payload), ds), start=1):
            out.append(gvsp.encode_payload(block_id, n, payload[off:off + ds],
                                           extended=self.extended))
        out.append(gvsp.encode_trailer(block_id, n + 1, size_y=height,
                                       payload_type=gvsp.PayloadType.IMAGE
                                       | (gvsp.EXTENDED_CHUNK if chunks else 0),
                                       chunk_data_length=0 if chunks else None,
                                       chunk_layout_id=0 if chunks else None,
                                       extended=self.extended))
        return out

    def send_frame(self, block_id: int, width: int, height: int, *, payload: bytes | None = None,
                   pixel_format: int = MONO8, faults: bool = True, chunks: bool = False) -> None:
        data = payload if payload is not None else ramp(width, height, block_id)
        pkts = self.packets(block_id, data, width=width, height=height,
                            pixel_format=pixel_format, timestamp=block_id * 1000, chunks=chunks)
        with self._lock:
            self.sent[block_id] = pkts
            for old in sorted(self.sent)[:-self.retain]:
                del self.sent[old]
        order = list(range(len(pkts)))
        held: int | None = None
        for i in order:
            if (block_id, i) in self.unrecoverable:
                continue
            if faults and self.drop and self.rng.random() < self.drop:
                continue
            if faults and self.reorder and held is None and self.rng.random() < self.reorder:
                held = i
                continue
            self.stream.sendto(pkts[i], self.target)
            if faults and self.duplicate and self.rng.random() < self.duplicate:
                self.stream.sendto(pkts[i], self.target)
            if held is not None:
                self.stream.sendto(pkts[held], self.target)
                held = None
        if held is not None:
            self.stream.sendto(pkts[held], self.target)

    def send_raw(self, datagram: bytes) -> None:
        self.stream.sendto(datagram, self.target)

    # ------------------------------------------------------------------ resend

    def _serve_resends(self) -> None:
        while not self._stop.is_set():
            try:
                data, _peer = self.gvcp.recvfrom(2048)
            except (socket.timeout, OSError):
                continue
            try:
                cmd = p.decode_command(data)
            except Exception:  # noqa: BLE001 - a test double: ignore junk
                continue
            if not isinstance(cmd, p.PacketResendCmd):
                continue
            self.resend_commands.append(cmd)
            with self._lock:
                pkts = self.sent.get(cmd.block_id)
            for pid in range(cmd.first_packet, cmd.last_packet + 1):
                if pkts is None or pid >= len(pkts) or (cmd.block_id, pid) in self.unrecoverable:
                    continue
                pkt = bytearray(pkts[pid])
                if self.extended:
                    pkt[2:4] = (gvsp.FLAG_PACKET_RESEND).to_bytes(2, "big")
                else:
                    pkt[0:2] = gvsp.STATUS_PACKET_RESEND.to_bytes(2, "big")
                try:
                    self.stream.sendto(bytes(pkt), self.target)
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.stream.close()
        self.gvcp.close()
