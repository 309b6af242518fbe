"""cam.stream() / cam.grab() end to end against our simulated GigE Vision device
(demo-camera.xml): pixels, formats, packet sizes, seeded stream faults, vanishing device,
start/stop cycles, many cameras at once.  Counts only, no timing assertions."""

from __future__ import annotations

import contextlib
import threading

import numpy as np
import psutil
import pytest

import nodemap
from nodemap.errors import TimeoutError, UnsupportedError
from nodemap.imaging import Stream
from nodemap.transports.gvcp import pattern

from tests.demo import demo_camera

W, H = 160, 120


@pytest.fixture
def demo():
    """Start demo cameras on fresh loopback addresses; (device, camera) pairs closed after."""
    with contextlib.ExitStack() as made:
        def make(stream_faults: str | None = None, width: int = W, height: int = H,
                 frame_rate: float = 200.0):
            return made.enter_context(demo_camera(
                {"stream_faults": stream_faults}, Width=width, Height=height,
                AcquisitionFrameRate=frame_rate))

        yield make


def ramp(frame_id: int, width: int = W, height: int = H) -> np.ndarray:
    return (np.arange(width)[None, :] + np.arange(height)[:, None] + frame_id) % 255


def check_frames(stream: Stream, n: int, timeout: float = 5.0) -> list[int]:
    ids = []
    for frame in stream.frames(n, timeout=timeout):
        assert frame.status == "complete", (frame, stream.stats)
        assert frame.pixel_format == "Mono8"
        assert np.array_equal(frame.array, ramp(frame.frame_id, frame.width, frame.height))
        ids.append(frame.frame_id)
    return ids


def test_stream_every_pixel_on_the_ramp(demo):
    _device, cam = demo()
    with cam.stream(buffers=4) as stream:
        ids = check_frames(stream, 10)
        assert ids == sorted(ids)
        stats = stream.stats
    assert stats["completed"] >= 10 and stats["incomplete"] == 0
    assert cam.features["SCPS0PacketSize"].value == stream.source.packet_size


def test_negotiated_and_fixed_packet_sizes(demo):
    _device, cam = demo()
    with cam.stream(max_packet_size=4000) as stream:
        assert stream.source.packet_size == 4000          # the largest test packet that got here
        check_frames(stream, 3)
    with cam.stream(packet_size=1400) as stream:
        assert stream.source.packet_size == 1400
        check_frames(stream, 3)
    assert cam.features["SCPS0PacketSize"].value == 1400


@pytest.mark.parametrize("name", ["Mono10", "Mono12", "Mono16", "Mono10p", "Mono12p",
                                  "Mono10Packed", "Mono12Packed", "RGB8", "BGR8",
                                  "YCbCr422_8", "BayerRG8"])
def test_pixel_formats_unpack_to_the_simulator_values(demo, name):
    _device, cam = demo(width=32, height=6)
    assert name in cam.features["PixelFormat"].entries, f"the demo camera lost {name}"
    cam.features["PixelFormat"].value = name
    frame = cam.grab(timeout=5.0)
    assert frame.status == "complete" and frame.pixel_format == name
    code = frame.pixel_format_code
    want = [[pattern.ramp_pixel(code, x, y, frame.frame_id) for x in range(32)] for y in range(6)]
    got = frame.array
    if name == "YCbCr422_8":                              # raw (H, W, 2): (Y, chroma)
        assert np.array_equal(got[..., 0], ramp(frame.frame_id, 32, 6))
        assert (got[..., 1] == 128).all()
    else:
        assert np.asarray(got).tolist() == [[list(v) if isinstance(v, tuple) else v
                                             for v in row] for row in want]


@pytest.mark.parametrize("faults", ["drop=0.02,seed=1", "drop=0.10,seed=2",
                                    "duplicate=0.01,reorder=0.01,seed=3",
                                    "drop=0.02,duplicate=0.01,reorder=0.01,seed=4"])
def test_seeded_stream_faults_every_frame_complete(demo, faults):
    _device, cam = demo(stream_faults=faults, frame_rate=100.0)
    with cam.stream(buffers=8, packet_size=1400) as stream:
        check_frames(stream, 15)
        stats = stream.stats
    if "drop" in faults:
        assert stats["resend_requests"] > 0 and stats["resent_packets"] > 0


def test_extended_ids(demo):
    _device, cam = demo(stream_faults="drop=0.03,seed=9")
    with cam.stream(extended_ids=True, packet_size=1400) as stream:
        check_frames(stream, 8)
        assert stream.stats["resend_requests"] > 0


def test_device_vanishing_mid_stream_times_out(demo):
    device, cam = demo(width=320, height=240, frame_rate=50.0)
    with cam.stream(buffers=4, packet_size=1400) as stream:
        check_frames(stream, 2)
        device.stop()                                     # the camera is gone
        with pytest.raises(TimeoutError, match=r"no frame from GigE Vision device"):
            for _ in range(20):                           # bounded: frames in the queue, then
                stream.next(1.0)                          # at most one incomplete, then silence
        cam.link.client.control_lost.set()                # nothing to release on close


def test_grab_and_unsupported_link(demo):
    _device, cam = demo()
    frame = cam.grab(timeout=5.0)
    assert frame.complete and np.array_equal(frame.array, ramp(frame.frame_id))

    class NoImages:
        port = None

        def close(self) -> None:
            pass

    bare = object.__new__(nodemap.Camera)
    bare.link = NoImages()
    with pytest.raises(UnsupportedError, match="cannot stream images"):
        bare.stream()


def test_100_start_stop_cycles_leak_no_socket_or_thread(demo):
    _device, cam = demo(frame_rate=100.0)
    process = psutil.Process()
    with cam.stream(buffers=2, packet_size=1400) as stream:
        stream.next(5.0)
    threads, fds = threading.active_count(), process.num_fds()
    for cycle in range(100):
        with cam.stream(buffers=2, packet_size=1400) as stream:
            if cycle % 25 == 0:
                assert stream.next(5.0).status == "complete"
    assert threading.active_count() <= threads
    assert process.num_fds() <= fds


def test_four_cameras_stream_at_once_every_frame_complete(demo):
    cams = [demo(frame_rate=50.0)[1] for _ in range(4)]
    results: dict[int, list] = {}
    errors: list[BaseException] = []

    def run(i: int, cam) -> None:
        try:
            with cam.stream(buffers=4, packet_size=1400) as stream:
                results[i] = check_frames(stream, 10)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(cams)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sorted(results) == [0, 1, 2, 3] and all(len(v) == 10 for v in results.values())


def test_thirty_two_cameras_open_at_once(demo):
    cams = [demo(width=32, height=8, frame_rate=20.0)[1] for _ in range(32)]
    streams = [cam.stream(buffers=2, packet_size=1400) for cam in cams]
    try:
        for s in streams:
            s.start()
        for s in streams:
            frame = s.next(10.0)
            assert frame.status == "complete"
            assert np.array_equal(frame.array, ramp(frame.frame_id, 32, 8))
    finally:
        for s in streams:
            s.close()
