"""`nodemap grab` on the demo GigE and SXH485 simulators: frames saved, JSON report, the
statistics, and a camera that cannot make images refused clearly."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.cli.conftest import start_device, stop_device


@pytest.fixture(params=["gige", "sxh485"])
def camera(request):
    device = start_device(request.param)
    yield device
    stop_device(device)


def test_grab_saves_frames_and_reports(cli, camera, tmp_path):
    out = tmp_path / "frames"
    count = 3 if camera.kind == "gige" else 1
    result = cli("grab", camera.url, "-n", str(count), "-o", str(out), "--format", "npy",
                 "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert len(report["frames"]) == count
    assert all(f["status"] == "complete" for f in report["frames"])
    assert report["stats"]["completed"] >= count
    for row in report["frames"]:
        pixels = np.load(row["path"])
        if camera.kind == "gige":     # the demo camera's ramp, Mono8 1280x960
            assert pixels.shape == (960, 1280) and row["pixel_format"] == "Mono8"
            y, x = np.mgrid[0:960, 0:1280]
            assert np.array_equal(pixels, ((x + y + row["frame_id"]) % 255).astype(np.uint8))
        else:                         # a decoded JPEG snapshot
            assert row["pixel_format"] == "JPEG" and pixels.ndim in (2, 3)
            assert pixels.shape[:2] == (row["height"], row["width"])


def test_grab_to_one_png_file(cli, camera, tmp_path):
    target = tmp_path / "one.png"
    result = cli("grab", camera.url, "-o", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "completed" in result.output and "frames/s" in result.output


def test_grab_on_a_camera_without_images_says_what_it_offers(cli):
    device = start_device("fcb")
    try:
        result = cli("grab", device.url)
    finally:
        stop_device(device)
    assert result.exit_code != 0
    assert "cannot stream images" in result.output
