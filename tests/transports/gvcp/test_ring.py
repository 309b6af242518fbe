"""The PACKET_MMAP ring path of GvspReceiver against the plain socket path: the same frames
(random payloads, packet sizes, seeded loss / duplication / reordering, extended ids) give
byte-identical frames, statuses and counts.  The ring needs root (CAP_NET_RAW): without it
these tests are skipped and the receiver falls back to the socket, which is checked too.
"""

from __future__ import annotations

import random
import sys

import pytest

from nodemap.transports.gvcp import ring
from nodemap.transports.gvcp.receiver import GvspReceiver

from ...addresses import loopback
from ...peers import missing
from .gvsp_sender import FrameSender

W, H = 320, 240


@pytest.fixture
def ring_required() -> None:
    """Linux without the ring is a platform skip; on Linux (CI runs as root) a missing
    ring is a missing peer: skipped with the reason here, a failure in CI."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the packet ring (PACKET_MMAP) is Linux only")
    if not ring.available():
        missing("the packet ring needs CAP_NET_RAW (root) and NODEMAP_GVSP_NO_RING unset")


needs_ring = pytest.mark.usefixtures("ring_required")


def _run(use_ring: bool, frames: list[tuple[int, bytes]], packet_size: int,
         **faults: object) -> tuple[list[tuple[int, str, bytes]], bool]:
    address = loopback()
    rx = GvspReceiver(buffer_size=W * H, buffers=4, packet_size=packet_size,
                      bind=(address, 0), rcvbuf=4 * 1024 * 1024, force_rcvbuf=False,
                      ring=use_ring)
    tx = FrameSender(rx.address, address=address, packet_size=packet_size, seed=7,
                     **faults)   # type: ignore[arg-type]
    rx.device = tx.gvcp_address
    rx.resend = True
    out = []
    try:
        rx.start()
        used = rx._ring is not None
        for fid, payload in frames:
            tx.send_frame(fid, W, H, payload=payload)
            frame = rx.next_frame(10.0)
            out.append((frame.frame_id, frame.status, bytes(frame.payload)))
            frame.release()
    finally:
        rx.close()
        tx.close()
    return out, used


def _frames(seed: int, count: int) -> list[tuple[int, bytes]]:
    rng = random.Random(seed)
    return [(fid, rng.randbytes(W * H)) for fid in range(1, count + 1)]


@needs_ring
@pytest.mark.parametrize("packet_size", [576, 1500, 8000])
def test_ring_and_socket_deliver_identical_frames(packet_size: int) -> None:
    frames = _frames(packet_size, 6)
    by_ring, used = _run(True, frames, packet_size)
    assert used
    by_socket, used_socket = _run(False, frames, packet_size)
    assert not used_socket
    assert by_ring == by_socket
    assert all(status == "complete" for _, status, _ in by_ring)
    assert [payload for _, _, payload in by_ring] == [p for _, p in frames]


@needs_ring
@pytest.mark.parametrize("faults", [{"drop": 0.05}, {"duplicate": 0.05, "reorder": 0.1},
                                    {"extended": True}])
def test_ring_repairs_faults_like_the_socket(faults: dict[str, object]) -> None:
    frames = _frames(3, 5)
    by_ring, _ = _run(True, frames, 1500, **faults)
    by_socket, _ = _run(False, frames, 1500, **faults)
    assert by_ring == by_socket
    assert [payload for _, _, payload in by_ring] == [p for _, p in frames]


def test_ring_not_asked_means_socket() -> None:
    rx = GvspReceiver(buffer_size=64, buffers=1, bind=(loopback(), 0), force_rcvbuf=False,
                      ring=False)
    try:
        rx.start()
        assert rx._ring is None
    finally:
        rx.close()


def test_filter_accepts_only_the_stream_port() -> None:
    prog = ring.udp_filter("127.1.2.3", 4242)
    assert prog[-1] == (0x06, 0, 0, 0x40000)          # accept
    assert (0x15, 1, 0, 4242) in prog                 # the port test
    assert (0x15, 1, 0, 0x7F010203) in prog           # the address test
    assert not any(insn[3] == 0x7F010203 for insn in ring.udp_filter("0.0.0.0", 4242))


@needs_ring
def test_kernel_drops_of_a_full_ring_are_counted() -> None:
    """A ring nobody empties fills up; what the kernel then drops is reported once."""
    import socket
    import time

    address = loopback()
    rx_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx_sock.bind((address, 0))
    port = rx_sock.getsockname()[1]
    small = ring.PacketRing(address, port, block_size=1 << 16, block_nr=2,
                            block_timeout_ms=1)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        ring.attach_filter(rx_sock, ring.DROP_ALL)
        for _ in range(400):                      # 400 kB into a 128 kB ring
            tx.sendto(bytes(1000), (address, port))
        dropped = 0
        deadline = time.monotonic() + 10
        for _ in range(1000):
            dropped += small.drops()
            if dropped >= 200 or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        assert 200 <= dropped < 400
        assert small.drops() == 0                  # counted once
    finally:
        tx.close()
        small.close()
        rx_sock.close()
