"""Hostile GVSP (issue 11): a leader claiming a huge image, packet ids beyond the frame, a
trailer claiming another size, a packet id flood.  Memory stays the buffer pool's (the
receiver never allocates what a device claims), resend requests stay bounded, the frame
is delivered ``incomplete`` or dropped with a counted stat, and the receive thread lives
on: a clean frame after the hostile one arrives complete.  Both socket paths: the
PACKET_MMAP ring (root) and recvmmsg; counts only, generous bounds, no timing."""

from __future__ import annotations

import numpy as np
import psutil
import pytest

from nodemap.errors import TimeoutError
from nodemap.transports.gvcp import gvsp, ring
from nodemap.transports.gvcp.receiver import GvspReceiver

from .gvsp_sender import MONO8, FrameSender, ramp
from .test_receiver import loopback

W, H = 200, 100
PATHS = ["recvmmsg", "ring"]


@pytest.fixture(params=PATHS)
def pair(request):
    if request.param == "ring" and not ring.available():
        pytest.skip("the PACKET_MMAP ring needs CAP_NET_RAW (root) on Linux")
    address = loopback()
    rx = GvspReceiver(buffer_size=W * H, buffers=3, packet_size=1400, bind=(address, 0),
                      rcvbuf=4 * 1024 * 1024, force_rcvbuf=False,
                      ring=request.param == "ring", batch=True, max_resend_rounds=3)
    tx = FrameSender(rx.address, address=address, packet_size=1400)
    rx.device = tx.gvcp_address
    rx.resend = True
    rx.start()
    assert (rx._ring is not None) == (request.param == "ring")
    yield rx, tx
    rx.close()
    tx.close()


def _clean_frame_after(rx: GvspReceiver, tx: FrameSender, block_id: int) -> list:
    """Send a clean frame ``block_id``; return the frames delivered before it (bounded),
    asserting it arrives complete and on the ramp: the receive thread survived."""
    tx.send_frame(block_id, W, H, faults=False)
    before = []
    for _ in range(10):
        frame = rx.next_frame(10.0)
        if frame.frame_id == block_id:
            assert frame.status == "complete", rx.stats
            want = np.frombuffer(ramp(W, H, block_id), np.uint8).reshape(H, W)
            assert np.array_equal(frame.array, want)
            frame.release()
            return before
        before.append((frame.frame_id, frame.status, frame.payload.nbytes))
        frame.release()
    raise AssertionError(f"frame {block_id} never came: {before}, {rx.stats}")


def test_leader_claiming_a_huge_image_never_allocates_it(pair):
    rx, tx = pair
    rss0 = psutil.Process().memory_info().rss
    data = ramp(W, H, 5)
    ds = tx.data_size
    pkts = [gvsp.encode_image_leader(5, timestamp=0, pixel_format=MONO8, width=60000,
                                     height=60000)]            # 3.6 GB claimed
    pkts += [gvsp.encode_payload(5, n, data[off:off + ds])
             for n, off in enumerate(range(0, len(data), ds), start=1)]
    pkts.append(gvsp.encode_trailer(5, len(pkts), size_y=60000))
    for datagram in pkts:
        tx.send_raw(datagram)
    before = _clean_frame_after(rx, tx, 6)
    # delivered incomplete, never more than a pool buffer, never complete
    assert before == [(5, "incomplete", W * H)], (before, rx.stats)
    assert rx.stats["completed"] == 1 and rx.stats["overflows"] >= 1
    # the resend rounds for the claimed 2.6 million packets stay bounded
    assert len(tx.resend_commands) <= 4 * rx.max_resend_rounds * rx.max_resend_ranges
    assert psutil.Process().memory_info().rss - rss0 < 64 * 1024 * 1024


def test_packet_ids_beyond_the_frame_are_counted_and_never_written(pair):
    rx, tx = pair
    pkts = tx.packets(7, ramp(W, H, 7), width=W, height=H)
    hostile = [gvsp.encode_payload(7, pid, b"\xAA" * tx.data_size)
               for pid in (len(pkts) + 3, 5000, 0xFFFFFF)]
    for datagram in pkts[:1] + hostile + pkts[1:]:
        tx.send_raw(datagram)
    before = _clean_frame_after(rx, tx, 8)
    # the device sent more than its frame: flagged, never passed off as complete
    assert before == [(7, "incomplete", W * H)], (before, rx.stats)
    assert rx.stats["overflows"] >= 1 and rx.stats["completed"] == 1


def test_packets_beyond_a_frame_already_complete_are_late(pair):
    rx, tx = pair
    pkts = tx.packets(13, ramp(W, H, 13), width=W, height=H)
    for datagram in pkts[:-1]:               # every data packet: complete on the leader's size
        tx.send_raw(datagram)
    for pid in (len(pkts) + 3, 5000, 0xFFFFFF):
        tx.send_raw(gvsp.encode_payload(13, pid, b"\xAA" * tx.data_size))
    tx.send_raw(gvsp.encode_trailer(13, 0xFFFFFF, size_y=H))
    before = _clean_frame_after(rx, tx, 14)
    assert before == [(13, "complete", W * H)], (before, rx.stats)
    assert rx.stats["late_packets"] >= 3


def test_trailer_claiming_another_size_is_never_trusted_beyond_the_buffer(pair):
    rx, tx = pair
    pkts = tx.packets(9, ramp(W, H, 9), width=W, height=H)
    pkts[-1] = gvsp.encode_trailer(9, len(pkts) - 1, size_y=H * 1000)
    for datagram in pkts:
        tx.send_raw(datagram)
    before = _clean_frame_after(rx, tx, 10)
    # a taller size_y than the leader's is not believed: the leader's frame, whole
    assert before == [(9, "complete", W * H)], (before, rx.stats)


@pytest.mark.parametrize("pid", [0xFFFFFF, 1000])
def test_trailer_with_a_huge_packet_id_grows_nothing(pair, pid):
    rx, tx = pair
    rss0 = psutil.Process().memory_info().rss
    pkts = tx.packets(11, ramp(W, H, 11), width=W, height=H)
    pkts[-1] = gvsp.encode_trailer(11, pid, size_y=H)
    for datagram in pkts[:-2] + pkts[-1:] + pkts[-2:-1]:   # the trailer before the last data
        tx.send_raw(datagram)
    before = _clean_frame_after(rx, tx, 12)
    assert before == [(11, "incomplete", W * H)], (before, rx.stats)
    assert rx.stats["overflows"] >= 1
    assert psutil.Process().memory_info().rss - rss0 < 8 * 1024 * 1024


def test_a_flood_of_blocks_and_ids_keeps_the_pool_and_resends_bounded(pair):
    rx, tx = pair
    rss0 = psutil.Process().memory_info().rss
    for bid in range(100, 400):          # 300 blocks with one stray packet each, no leader
        tx.send_raw(gvsp.encode_payload(bid, (bid * 7919) % 0xFFFFFF + 1, b"\x55" * 64))
    before = _clean_frame_after(rx, tx, 1000)
    assert all(status == "incomplete" for _f, status, _n in before)
    assert rx.pool.count == 3
    assert psutil.Process().memory_info().rss - rss0 < 64 * 1024 * 1024
    bound = 300 * rx.max_resend_rounds * rx.max_resend_ranges
    assert rx.stats["resend_requests"] <= bound
    try:
        while True:                      # nothing else pending that is not a dropped block
            frame = rx.next_frame(0.5)
            frame.release()
    except TimeoutError:
        pass


# ------------------------------------------------------------------ crafted ring blocks
# The ring's run path without a kernel ring (no root needed): the same hostile frames laid
# out as TPACKET_V3 blocks (tests/transports/gvcp/ringcraft.py).

def _hostile_frames() -> dict[str, tuple[list[bytes], str]]:
    from .test_ring_runs import datagrams as crafted

    W2, H2 = 320, 240
    ds = gvsp.data_per_packet(1400)
    data = ramp(W2, H2, 21)
    huge = [gvsp.encode_image_leader(21, timestamp=0, pixel_format=MONO8, width=60000,
                                     height=60000)]
    huge += [gvsp.encode_payload(21, n, data[off:off + ds])
             for n, off in enumerate(range(0, len(data), ds), start=1)]
    huge.append(gvsp.encode_trailer(21, len(huge), size_y=60000))
    beyond = crafted(21, 1400)
    beyond = beyond[:1] + [gvsp.encode_payload(21, pid, b"\xAA" * ds)
                           for pid in (len(beyond) + 3, 5000, 0xFFFFFF)] + beyond[1:]
    trailer = crafted(21, 1400)
    trailer[-1] = gvsp.encode_trailer(21, 0xFFFFFF, size_y=240)
    trailer = trailer[:-2] + trailer[-1:] + trailer[-2:-1]
    return {"huge leader": (huge, "incomplete"), "ids beyond": (beyond, "incomplete"),
            "huge trailer id": (trailer, "incomplete")}


@pytest.mark.parametrize("case", ["huge leader", "ids beyond", "huge trailer id"])
def test_crafted_ring_blocks_with_hostile_frames(case):
    from .test_ring_runs import BLOCK, by_ring

    datagrams, status = _hostile_frames()[case]
    per_block = BLOCK // 1600                       # 1400-byte packets per crafted block
    blocks = [datagrams[i:i + per_block] for i in range(0, len(datagrams), per_block)]
    frames, stats, rx = by_ring(blocks, 1400)
    assert [(f[0], f[1]) for f in frames] == [(21, status)], stats
    assert all(len(f[2]) <= rx.pool.size for f in frames)
    assert stats["overflows"] >= 1 and stats["completed"] == 0
    assert len(rx.pool.buffers) == 4 and all(len(b) == rx.pool.size for b in rx.pool.buffers)
