"""Our GVSP receiver against real peers as sources: Aravis's fake camera and
viva-genicam's FakeGigeCamera (with packet drops it must recover by PACKETRESEND)."""

from __future__ import annotations

import numpy as np
import pytest

import nodemap
from tests.viva import viva_camera

pytestmark = pytest.mark.peer


def test_aravis_fake_camera_frames_complete_on_its_ramp(fake_camera):
    host, _port = fake_camera
    with nodemap.open(f"gvcp://{host}") as cam:
        cam.features["PixelFormat"].value = "Mono8"       # other tests share this camera
        cam.features["Width"].value = 512
        cam.features["Height"].value = 512
        for packet_size in (1400, None):              # fixed, then negotiated (no test packet)
            with cam.stream(buffers=8, packet_size=packet_size) as stream:
                for frame in stream.frames(8, timeout=5.0):
                    assert frame.status == "complete", stream.stats
                    w, h = frame.width, frame.height
                    ramp = (np.arange(w)[None, :] + np.arange(h)[:, None] + frame.frame_id) % 255
                    assert np.array_equal(frame.array, ramp), f"frame {frame.frame_id}"
                assert stream.stats["incomplete"] == 0


@pytest.mark.parametrize("mode", ["SingleFrame", "MultiFrame", "Continuous"])
def test_aravis_fake_camera_grab_and_stream_in_every_acquisition_mode(fake_camera, mode):
    host, _port = fake_camera
    with nodemap.open(f"gvcp://{host}") as cam:
        f = cam.features
        f["PixelFormat"].value = "Mono8"
        f["Width"].value = 256
        f["Height"].value = 256
        if mode not in f["AcquisitionMode"].entries:
            pytest.skip(f"Aravis's fake camera has no AcquisitionMode {mode}")
        f["AcquisitionMode"].value = mode
        for _ in range(2):
            frame = cam.grab(timeout=5.0)
            assert frame.status == "complete" and (frame.width, frame.height) == (256, 256)
        with cam.stream(buffers=4, packet_size=1400) as stream:
            assert len([fr for fr in stream.frames(4, timeout=5.0)
                        if fr.status == "complete"]) == 4
        assert f["AcquisitionMode"].value == mode
        f["AcquisitionMode"].value = "Continuous"          # other tests share this camera


def _frames(drops: list[tuple[int, int]]):
    with viva_camera(width=320, height=240, packet_resend=True, drop_packets=drops) as address:
        with nodemap.open(f"gvcp://{address}") as cam:
            with cam.stream(buffers=8, packet_size=1400) as stream:
                frames = {f.frame_id: (f.status, np.array(f.array))
                          for f in stream.frames(6, timeout=5.0)}
                return frames, stream.stats


def test_viva_fake_camera_dropped_packets_recovered_by_resend():
    reference, ref_stats = _frames([])
    drops = [(2, 5), (3, 1), (4, 30), (5, 0), (5, 40)]      # (block, packet); 0 = the leader
    frames, stats = _frames(drops)
    assert ref_stats["resend_requests"] == 0
    assert sorted(frames) == sorted(reference) == [1, 2, 3, 4, 5, 6]
    for block, (status, pixels) in frames.items():
        assert status == "complete"
        assert np.array_equal(pixels, reference[block][1]), f"block {block} differs"
    assert stats["resend_requests"] >= 4 and stats["incomplete"] == 0
