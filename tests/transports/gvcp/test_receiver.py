"""GvspReceiver against an in-test GVSP sender (the codec): reassembly, resend, faults,
buffer ownership, malformed input, vanishing sources and resource leaks.

Every test binds its own loopback address (127.x.y.z) and port 0; no timing assertions —
counts are checked, and every wait has a generous bound.
"""

from __future__ import annotations

import gc
import logging
import random
import threading

import numpy as np
import psutil
import pytest

from nodemap.errors import TimeoutError
from nodemap.imaging import Stream
from nodemap.transports.gvcp import gvsp
from nodemap.transports.gvcp.receiver import STAT_KEYS, GvspReceiver

from .gvsp_sender import FrameSender, ramp

W, H = 320, 240
_rng = random.Random()


def loopback() -> str:
    return f"127.{_rng.randint(1, 254)}.{_rng.randint(1, 254)}.{_rng.randint(2, 254)}"


@pytest.fixture
def pair():
    """(receiver, sender) on a fresh loopback address; closed at teardown."""
    made: list = []

    def make(buffers: int = 4, buffer_size: int = W * H, **sender_options):
        address = loopback()
        packet_size = sender_options.pop("packet_size", 1500)
        receiver_options = sender_options.pop("receiver", {})
        rx = GvspReceiver(buffer_size=buffer_size, buffers=buffers, packet_size=packet_size,
                          bind=(address, 0), rcvbuf=4 * 1024 * 1024, force_rcvbuf=False,
                          **receiver_options)
        tx = FrameSender(rx.address, address=address, packet_size=packet_size,
                         **sender_options)
        rx.device = tx.gvcp_address
        rx.resend = receiver_options.get("resend", True)
        made.append((rx, tx))
        rx.start()
        return rx, tx

    yield make
    for rx, tx in made:
        rx.close()
        tx.close()


def expected(frame_id: int, width: int = W, height: int = H) -> np.ndarray:
    return np.frombuffer(ramp(width, height, frame_id), np.uint8).reshape(height, width)


def test_stats_keys():
    rx = GvspReceiver(buffer_size=16, buffers=1, bind=(loopback(), 0), force_rcvbuf=False)
    try:
        for key in ("completed", "incomplete", "packets", "missing_packets", "resend_requests",
                    "resent_packets", "duplicates", "late_packets", "underruns", "bytes",
                    "malformed"):
            assert key in rx.stats and key in STAT_KEYS
    finally:
        rx.close()


@pytest.mark.parametrize("extended", [False, True])
@pytest.mark.parametrize("packet_size", [576, 1500, 8000])
def test_clean_stream_every_pixel(pair, extended, packet_size):
    rx, tx = pair(extended=extended, packet_size=packet_size)
    for fid in range(1, 11):
        tx.send_frame(fid, W, H)
        frame = rx.next_frame(5.0)
        assert frame.status == "complete" and frame.missing_packets == 0
        assert (frame.frame_id, frame.width, frame.height) == (fid, W, H)
        assert frame.pixel_format == "Mono8" and frame.timestamp == fid * 1000
        assert np.array_equal(frame.array, expected(fid))
    assert rx.stats["completed"] == 10
    assert rx.stats["incomplete"] == rx.stats["malformed"] == rx.stats["late_packets"] == 0
    assert rx.stats["bytes"] > 10 * W * H


def _run_faulty(rx, tx, frames: int) -> list:
    statuses = []
    for fid in range(1, frames + 1):
        tx.send_frame(fid, W, H)
        frame = rx.next_frame(5.0)
        assert frame.frame_id == fid
        if frame.status == "complete":
            assert np.array_equal(frame.array, expected(fid)), f"frame {fid} corrupted"
        statuses.append(frame.status)
        del frame
    return statuses


@pytest.mark.parametrize("drop,seed", [(0.02, 11), (0.10, 12)])
def test_loss_recovered_by_resend(pair, drop, seed):
    rx, tx = pair(drop=drop, seed=seed)
    statuses = _run_faulty(rx, tx, 30)
    assert statuses == ["complete"] * 30
    assert rx.stats["resend_requests"] > 0 and rx.stats["resent_packets"] > 0
    assert tx.resend_commands, "the sender saw no PACKETRESEND"


def test_loss_recovered_in_extended_id_mode(pair):
    rx, tx = pair(drop=0.05, seed=5, extended=True)
    assert _run_faulty(rx, tx, 15) == ["complete"] * 15
    assert all(cmd.extended for cmd in tx.resend_commands)


def test_duplication_and_reordering(pair):
    rx, tx = pair(duplicate=0.01, reorder=0.01, seed=7)
    assert _run_faulty(rx, tx, 30) == ["complete"] * 30
    assert rx.stats["duplicates"] + rx.stats["late_packets"] > 0


def test_all_faults_at_once_every_frame_complete(pair):
    rx, tx = pair(drop=0.02, duplicate=0.01, reorder=0.01, seed=99)
    assert _run_faulty(rx, tx, 30) == ["complete"] * 30


def test_truly_lost_packet_gives_incomplete_frame_with_hole_zeroed(pair):
    rx, tx = pair(unrecoverable=[(2, 5)])
    tx.send_frame(1, W, H)
    tx.send_frame(2, W, H)
    tx.send_frame(3, W, H)
    frames = [rx.next_frame(5.0) for _ in range(3)]
    assert [f.frame_id for f in frames] == [1, 2, 3]
    assert [f.status for f in frames] == ["complete", "incomplete", "complete"]
    bad = frames[1]
    assert bad.missing_packets == 1
    ds = tx.data_size
    flat = np.asarray(bad.array).ravel()
    assert not flat[4 * ds:5 * ds].any()                         # the hole is zeroed
    good = expected(2).ravel()
    assert np.array_equal(flat[:4 * ds], good[:4 * ds])
    assert np.array_equal(flat[5 * ds:], good[5 * ds:])
    assert rx.stats["incomplete"] == 1 and rx.stats["missing_packets"] == 1
    assert rx.stats["resend_requests"] >= 1


def test_no_resend_means_incomplete_never_complete(pair):
    rx, tx = pair(drop=0.1, seed=3, receiver={"resend": False})
    statuses = _run_faulty(rx, tx, 10)
    assert "incomplete" in statuses
    assert rx.stats["resend_requests"] == 0


def test_late_packets_of_older_frame_never_corrupt_newer(pair):
    rx, tx = pair()
    tx.send_frame(1, W, H)
    f1 = rx.next_frame(5.0)
    old = tx.sent[1]
    tx.send_frame(2, W, H, faults=False)
    f2 = rx.next_frame(5.0)
    for pkt in old[1:6]:                        # block 1's data arrives again, late
        tx.send_raw(pkt)
    tx.send_frame(3, W, H)
    f3 = rx.next_frame(5.0)
    assert [f.status for f in (f1, f2, f3)] == ["complete"] * 3
    assert np.array_equal(f2.array, expected(2))
    assert np.array_equal(f3.array, expected(3))
    assert rx.stats["late_packets"] >= 5


def test_malformed_datagrams_counted_not_raised(pair):
    rx, tx = pair()
    junk = [b"", b"\x00", b"\x00" * 7, b"\xff" * 8,                     # short, bad type
            gvsp.encode_header(0, 9, 1, 0),                              # truncated leader
            gvsp.encode_header(0, 9, 2, 9),                              # truncated trailer
            bytes([0, 0, 0, 9, 0x85, 0, 0, 0]) + b"\0" * 4]             # EI flag, short
    rng = random.Random(4)
    junk += [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64))) for _ in range(200)]
    for datagram in junk:
        tx.send_raw(datagram)
    tx.send_frame(50, W, H)
    frame = rx.next_frame(5.0)
    while frame.frame_id != 50:                 # junk may have opened a bogus block
        frame = rx.next_frame(5.0)
    assert frame.status == "complete" and np.array_equal(frame.array, expected(50))
    assert rx.stats["malformed"] >= 4


def test_underrun_when_the_application_holds_every_buffer(pair):
    rx, tx = pair(buffers=2)
    held = []
    for fid in range(1, 3):
        tx.send_frame(fid, W, H)
        held.append(rx.next_frame(5.0))
    tx.send_frame(3, W, H)                      # no free buffer: dropped, counted
    tx.send_frame(4, W, H)
    with pytest.raises(TimeoutError, match="no frame"):
        rx.next_frame(0.5)
    assert rx.stats["underruns"] >= 1
    # the held frames were never overwritten
    assert np.array_equal(held[0].array, expected(1))
    assert np.array_equal(held[1].array, expected(2))
    arr = held[0].array                         # a view keeps its buffer ...
    held.clear()
    gc.collect()
    assert rx.pool.free == 1
    del arr                                     # ... until it goes too
    assert rx.pool.free == 2
    tx.send_frame(5, W, H)
    frame = rx.next_frame(5.0)
    assert frame.frame_id == 5 and np.array_equal(frame.array, expected(5))


def test_release_returns_buffer(pair):
    rx, tx = pair(buffers=1)
    tx.send_frame(1, W, H)
    frame = rx.next_frame(5.0)
    assert rx.pool.free == 0
    frame.release()
    assert rx.pool.free == 1


def test_source_vanishing_mid_frame_times_out(pair):
    rx, tx = pair(receiver={"retention": 0.2})
    tx.send_frame(1, W, H)
    assert rx.next_frame(5.0).status == "complete"
    half = tx.packets(2, ramp(W, H, 2), width=W, height=H)
    for pkt in half[:len(half) // 2]:
        tx.send_raw(pkt)
    tx.close()                                  # gone: no more packets, no resends
    got = []
    with pytest.raises(TimeoutError, match=r"no frame from GigE Vision device .* within 1 s"):
        for _ in range(3):
            got.append(rx.next_frame(1.0))
    assert all(f.status == "incomplete" for f in got)


def test_rcvbuf_cap_warns_naming_rmem_max(caplog):
    with open("/proc/sys/net/core/rmem_max") as fh:
        cap = int(fh.read())
    with caplog.at_level(logging.WARNING, logger="nodemap.gvsp"):
        rx = GvspReceiver(buffer_size=16, buffers=1, bind=(loopback(), 0), rcvbuf=cap * 4,
                          force_rcvbuf=False)
        rx.close()
    assert any("net.core.rmem_max" in r.getMessage() for r in caplog.records)


def test_stream_wrapper_and_100_start_stop_cycles_leak_nothing(pair):
    rx, tx = pair()
    process = psutil.Process()
    threads_before = threading.active_count()
    fds_before = process.num_fds()
    stream = Stream(rx)
    for cycle in range(100):
        with stream if cycle == 99 else _Cycle(stream):
            if cycle % 10 == 0:
                tx.send_frame(cycle + 1, W, H)
                assert stream.next(5.0).frame_id == cycle + 1
    assert threading.active_count() <= threads_before
    assert process.num_fds() <= fds_before
    assert rx._thread is None
    gc.collect()


class _Cycle:
    """start()/stop() around a block without closing (the last cycle closes)."""

    def __init__(self, stream: Stream) -> None:
        self.stream = stream

    def __enter__(self) -> Stream:
        return self.stream.start()

    def __exit__(self, *exc: object) -> None:
        self.stream.stop()


def test_100_receivers_opened_and_closed_leak_nothing():
    process = psutil.Process()
    threads_before = threading.active_count()
    fds_before = process.num_fds()
    for _ in range(100):
        rx = GvspReceiver(buffer_size=1024, buffers=2, bind=(loopback(), 0), force_rcvbuf=False)
        rx.start()
        rx.close()
    assert threading.active_count() <= threads_before
    assert process.num_fds() <= fds_before
