"""The simulated device honours AcquisitionMode: SingleFrame sends one frame per
AcquisitionStart, MultiFrame AcquisitionFrameCount frames, Continuous until
AcquisitionStop; after a finite acquisition the device is idle again and the next
AcquisitionStart sends again.  cam.stream() / cam.grab() work whatever mode the camera
was left in.  Frames are counted exactly; the timeouts only bound the waits."""

from __future__ import annotations

import pytest

from nodemap.errors import TimeoutError

from tests.demo import demo_camera

W, H = 64, 48
# after the last frame of a finite acquisition, how long we wait for a frame that must
# never come: generous, and not a timing assertion (a frame late by more still counts)
QUIET = 1.0


@pytest.fixture
def cam():
    with demo_camera(Width=W, Height=H, AcquisitionFrameRate=200.0) as pair:
        yield pair


def _frames_after_start(device, camera, receiver, expected_max: int) -> list[int]:
    """Execute AcquisitionStart and take frames until none comes within QUIET seconds
    (bounded by expected_max + 5 frames)."""
    camera.features["AcquisitionStart"].execute()
    ids = []
    for _ in range(expected_max + 5):
        try:
            frame = receiver.next_frame(5.0 if not ids else QUIET)
        except TimeoutError:
            break
        assert frame.status == "complete"
        ids.append(frame.frame_id)
        frame.release()
    return ids


def _wait_idle(device, seconds: float = 5.0) -> None:
    streamer = device.streamer
    if streamer is not None and streamer._thread is not None:
        streamer._thread.join(seconds)
    assert streamer is None or not streamer.running


@pytest.mark.parametrize("mode,count,expected", [("SingleFrame", 5, 1), ("MultiFrame", 3, 3),
                                                 ("MultiFrame", 1, 1)])
def test_finite_modes_send_exactly_their_frames_then_idle(cam, mode, count, expected):
    device, camera = cam
    camera.features["AcquisitionMode"].value = mode
    camera.features["AcquisitionFrameCount"].value = count
    stream = camera.stream(packet_size=1400)   # not started: we drive the device
    try:
        receiver = stream.source.receiver
        receiver.start()
        for _round in range(2):                            # idle again: it sends again
            ids = _frames_after_start(device, camera, receiver, expected)
            assert len(ids) == expected, (mode, ids, receiver.stats)
            assert ids == sorted(ids)
            _wait_idle(device)
        receiver.stop()
        assert receiver.stats["incomplete"] == 0
    finally:
        stream.close()


def test_continuous_streams_until_stop(cam):
    device, camera = cam
    camera.features["AcquisitionMode"].value = "Continuous"
    with camera.stream(packet_size=1400) as stream:
        got = [f.frame_id for f in stream.frames(12, timeout=5.0)]
        assert len(got) == 12
        assert device.streamer is not None and device.streamer.running
    _wait_idle(device)


@pytest.mark.parametrize("mode", ["SingleFrame", "MultiFrame", "Continuous"])
def test_grab_and_stream_work_in_every_mode_and_keep_it(cam, mode):
    device, camera = cam
    camera.features["AcquisitionMode"].value = mode
    camera.features["AcquisitionFrameCount"].value = 2
    for _ in range(3):
        frame = camera.grab(timeout=5.0)
        assert frame.status == "complete" and (frame.width, frame.height) == (W, H)
    with camera.stream() as stream:
        assert len(list(stream.frames(5, timeout=5.0))) == 5
    assert camera.features["AcquisitionMode"].value == mode
