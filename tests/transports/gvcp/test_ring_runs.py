"""The receiver's per-run ring path on crafted TPACKET_V3 blocks (no kernel ring, no root):
runs of full data packets are checked with one strided view and copied at once, and every
packet the run check refuses — reordered, duplicated, resent, of another block, late,
extended-id, with IP options, cut short — still ends where the per-packet path puts it.
Each case compares the frames and counters with what the plain per-packet path makes of
the same datagrams (fed one by one through the receiver's slow path)."""

from __future__ import annotations

import random
import time

import pytest

from nodemap.transports.gvcp import gvsp, ring
from nodemap.transports.gvcp.receiver import GvspReceiver

from .gvsp_sender import MONO8, ramp
from .ringcraft import lay_block

W, H = 320, 240
BLOCK = 1 << 18
BLOCKS = 8


def datagrams(block_id: int, packet_size: int, *, extended: bool = False,
              payload: bytes | None = None) -> list[bytes]:
    data = payload if payload is not None else ramp(W, H, block_id)
    ds = gvsp.data_per_packet(packet_size, extended)
    out = [gvsp.encode_image_leader(block_id, timestamp=block_id, pixel_format=MONO8,
                                    width=W, height=H, extended=extended)]
    n = 0
    for n, off in enumerate(range(0, len(data), ds), start=1):
        out.append(gvsp.encode_payload(block_id, n, data[off:off + ds], extended=extended))
    out.append(gvsp.encode_trailer(block_id, n + 1, size_y=H, extended=extended))
    return out


def resent(datagram: bytes) -> bytes:
    return gvsp.STATUS_PACKET_RESEND.to_bytes(2, "big") + datagram[2:]


def _receiver(packet_size: int, buffers: int = 4) -> GvspReceiver:
    return GvspReceiver(buffer_size=W * H, buffers=buffers, packet_size=packet_size,
                        bind=("127.0.0.1", 0), force_rcvbuf=False, ring=False, resend=False,
                        retention=0.05)


def _drain(rx: GvspReceiver) -> list[tuple[int, str, bytes, int]]:
    # finish whatever is still in flight (no resend here): the service gives it up
    later = time.monotonic() + 10
    for _ in range(4):
        rx._service(later)
        later += 10
    out = []
    while rx.pending:
        f = rx.next_frame(0.1)
        out.append((f.frame_id, f.status, bytes(f.payload), f.missing_packets))
        f.release()
    return out


def by_ring(blocks: list[list[bytes]], packet_size: int, **lay: object
            ) -> tuple[list[tuple[int, str, bytes, int]], dict[str, int], GvspReceiver]:
    rx = _receiver(packet_size)
    layout = ring.RingLayout(bytearray(BLOCK * BLOCKS), BLOCK, BLOCKS)
    rx._ring = layout
    try:
        rows = rx._ring_rows()
        for i, block in enumerate(blocks):
            lay_block(layout.map, layout.current, BLOCK, block,
                      **(lay if i == 0 else {}))  # type: ignore[arg-type]
            ready = layout.ready()
            assert ready is not None
            rx._ring_handle(ready, rows, time.monotonic())
        frames = _drain(rx)
    finally:
        rx._ring = None
        rx.close()
    return frames, dict(rx.stats), rx


def by_packet(blocks: list[list[bytes]], packet_size: int
              ) -> tuple[list[tuple[int, str, bytes, int]], dict[str, int]]:
    rx = _receiver(packet_size)
    try:
        for block in blocks:
            for datagram in block:
                rx.stats["packets"] += 1
                rx.stats["bytes"] += len(datagram)
                rx._handle(datagram, time.monotonic())
        frames = _drain(rx)
    finally:
        rx.close()
    return frames, dict(rx.stats)


def same(blocks: list[list[bytes]], packet_size: int = 1500, **lay: object
         ) -> tuple[list[tuple[int, str, bytes, int]], dict[str, int]]:
    """The ring's frames and counters equal the per-packet path's; returns them."""
    frames, stats, _ = by_ring(blocks, packet_size, **lay)
    ref_frames, ref_stats = by_packet(blocks, packet_size)
    assert frames == ref_frames
    for key in ("completed", "incomplete", "packets", "bytes", "duplicates", "late_packets",
                "missing_packets", "malformed", "resent_packets"):
        assert stats[key] == ref_stats[key], key
    return frames, stats


def _complete(frames, ids) -> None:
    assert [(fid, status) for fid, status, _, _ in frames] == [(i, "complete") for i in ids]
    for fid, _, payload, _ in frames:
        assert payload == ramp(W, H, fid)


@pytest.mark.parametrize("packet_size", [576, 1500, 8000])
def test_clean_frames_in_one_block_and_split_over_blocks(packet_size: int) -> None:
    one = datagrams(1, packet_size)
    two = datagrams(2, packet_size)
    half = len(two) // 2
    frames, stats = same([one, two[:half], two[half:]], packet_size)
    _complete(frames, [1, 2])
    assert stats["packets"] == len(one) + len(two)


def test_two_frames_in_one_block() -> None:
    frames, _ = same([datagrams(1, 1500) + datagrams(2, 1500)])
    _complete(frames, [1, 2])


def test_reordered_packets_inside_a_run() -> None:
    pk = datagrams(3, 1500)
    pk[10], pk[11] = pk[11], pk[10]
    pk[20:23] = [pk[22], pk[20], pk[21]]
    frames, _ = same([pk])
    _complete(frames, [3])


def test_duplicated_packets_inside_a_run_are_counted() -> None:
    pk = datagrams(4, 1500)
    pk = pk[:8] + [pk[7], pk[7]] + pk[8:30] + [pk[5]] + pk[30:]
    frames, stats = same([pk])
    _complete(frames, [4])
    assert stats["duplicates"] == 3


def test_resent_packet_before_its_original() -> None:
    pk = datagrams(5, 1500)
    first = [pk[0], resent(pk[12])] + pk[1:]
    frames, stats = same([first])
    _complete(frames, [5])
    assert stats["resent_packets"] == 1 and stats["duplicates"] == 1


def test_interleaved_blocks() -> None:
    a, b = datagrams(6, 1500), datagrams(7, 1500)
    mixed = a[:20] + b[:15] + a[20:] + b[15:]
    frames, _ = same([mixed])
    _complete(frames, [6, 7])


def test_hole_gives_incomplete_never_complete() -> None:
    pk = datagrams(8, 1500)
    del pk[9]
    frames, stats = same([pk, datagrams(9, 1500)])
    assert [(fid, status) for fid, status, _, _ in frames] == [(8, "incomplete"),
                                                                (9, "complete")]
    ds = gvsp.data_per_packet(1500)
    payload = frames[0][2]
    assert payload[8 * ds:9 * ds] == bytes(ds)                   # the hole zeroed
    assert payload[:8 * ds] == ramp(W, H, 8)[:8 * ds]
    assert frames[0][3] == 1 and stats["missing_packets"] == 1


def test_late_run_of_an_older_block_never_touches_a_newer_one() -> None:
    old, new = datagrams(10, 1500), datagrams(11, 1500)
    frames, stats = same([old, new[:5], old[1:20], new[5:]])
    _complete(frames, [10, 11])
    assert stats["late_packets"] == 19


def test_extended_ids_go_the_slow_path() -> None:
    frames, _ = same([datagrams(12, 1500, extended=True)])
    assert [(fid, status) for fid, status, _, _ in frames] == [(12, "complete")]
    assert frames[0][2] == ramp(W, H, 12)


def test_ip_options_and_other_header_offsets() -> None:
    pk = datagrams(13, 1500)
    frames, _ = same([pk], ip_options={3: 1, 4: 2, 30: 1})
    _complete(frames, [13])
    frames, _ = same([datagrams(14, 1500)], tp_net=100)     # an unaligned IP header
    _complete(frames, [14])


def test_a_datagram_cut_short_is_malformed_not_data() -> None:
    pk = datagrams(15, 1500)
    frames, stats, _ = by_ring([pk], 1500, snap_cut={6: 100})
    assert [(fid, status) for fid, status, _, _ in frames] == [(15, "incomplete")]
    assert stats["malformed"] == 1 and stats["missing_packets"] == 1


def test_a_broken_chain_loses_the_rest_of_the_block_counted() -> None:
    pk = datagrams(16, 1500)
    frames, stats, _ = by_ring([pk], 1500, broken_link=20)
    assert stats["malformed"] == len(pk) - 21
    assert [(fid, status) for fid, status, _, _ in frames] == [(16, "incomplete")]


def test_random_faults_match_the_per_packet_path() -> None:
    rng = random.Random(2026)
    for round_ in range(6):
        packets: list[bytes] = []
        for fid in range(20 * round_ + 1, 20 * round_ + 4):
            pk = datagrams(fid, 1500)
            for i in range(len(pk)):
                r = rng.random()
                if r < 0.03:
                    continue                                       # lost
                packets.append(pk[i])
                if r > 0.97:
                    packets.append(pk[i])                          # duplicated
                if 0.5 < r < 0.52 and len(packets) > 2:
                    packets[-1], packets[-2] = packets[-2], packets[-1]   # reordered
        cuts = sorted(rng.sample(range(1, len(packets)), 3))
        blocks = [packets[a:b] for a, b in zip([0, *cuts], [*cuts, len(packets)])]
        same(blocks)


def test_ring_run_is_taken_in_bulk() -> None:
    """The fast path really runs: a clean frame's data packets go through one run."""
    pk = datagrams(17, 1500)
    calls = []
    rx = _receiver(1500)
    original = rx._ring_run

    def spy(*args):
        got = original(*args)
        calls.append(got[0])
        return got

    rx._ring_run = spy   # type: ignore[method-assign]
    layout = ring.RingLayout(bytearray(BLOCK * BLOCKS), BLOCK, BLOCKS)
    rx._ring = layout
    try:
        lay_block(layout.map, 0, BLOCK, pk)
        rx._ring_handle(layout.ready(), rx._ring_rows(), time.monotonic())
        frame = rx.next_frame(0.1)
        assert frame.status == "complete" and bytes(frame.payload) == ramp(W, H, 17)
        frame.release()
    finally:
        rx._ring = None
        rx.close()
    assert calls and calls[0] == len(pk) - 3     # all full data packets but the short last


def test_a_run_of_a_block_without_a_buffer_touches_nothing() -> None:
    """The application holds the only buffer: the next block is dropped (an underrun) and
    its run is skipped whole, leaving the held frame's pixels as they were."""
    rx = _receiver(1500, buffers=1)
    layout = ring.RingLayout(bytearray(BLOCK * BLOCKS), BLOCK, BLOCKS)
    rx._ring = layout
    try:
        rows = rx._ring_rows()
        one, two = datagrams(20, 1500), datagrams(21, 1500)
        lay_block(layout.map, layout.current, BLOCK, one)
        rx._ring_handle(layout.ready(), rows, time.monotonic())
        held = rx.next_frame(0.1)
        assert held.status == "complete"
        lay_block(layout.map, layout.current, BLOCK, two)
        rx._ring_handle(layout.ready(), rows, time.monotonic())
        assert bytes(held.payload) == ramp(W, H, 20)
        assert rx.pending == 0
        assert rx.stats["underruns"] == 1 and rx.stats["late_packets"] == 0
        assert rx.stats["packets"] == len(one) + len(two)
        held.release()
    finally:
        rx._ring = None
        rx.close()
