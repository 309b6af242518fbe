"""Frame: lazy arrays, views, release, save formats, and numpy kept out of `import nodemap`."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from nodemap.errors import RangeError, UnsupportedError
from nodemap.imaging import Frame


def ramp(width: int, height: int, frame_id: int = 0) -> bytearray:
    return bytearray((x + y + frame_id) % 255 for y in range(height) for x in range(width))


def test_frame_fields_and_lazy_view():
    buf = ramp(8, 4, 3)
    frame = Frame(memoryview(buf), width=8, height=4, pixel_format=0x01080001, frame_id=3,
                  timestamp=123456789, offset_x=2, offset_y=1)
    assert frame.pixel_format == "Mono8" and frame.pixel_format_code == 0x01080001
    assert frame.status == "complete" and frame.complete and frame.missing_packets == 0
    assert frame.chunks is None and frame.payload_type == 1
    assert frame._array is None                     # nothing unpacked yet
    arr = frame.array
    assert arr.shape == (4, 8)
    assert arr[2, 5] == (5 + 2 + 3) % 255
    assert np.shares_memory(arr, np.frombuffer(buf, np.uint8))
    assert frame.array is arr                       # cached


def test_unknown_format_keeps_bytes_and_says_so():
    frame = Frame(b"\x01\x02\x03\x04", width=2, height=2, pixel_format=0x0108FFFF)
    assert frame.pixel_format == "0x0108FFFF"
    assert bytes(frame.payload) == b"\x01\x02\x03\x04"
    with pytest.raises(UnsupportedError, match=r"0x0108FFFF.*frame\.payload"):
        frame.array


def test_release_drops_the_pixels():
    frame = Frame(ramp(4, 4), width=4, height=4, pixel_format="Mono8")
    frame.release()
    with pytest.raises(UnsupportedError, match="released"):
        frame.array


def test_bad_status_is_refused():
    with pytest.raises(RangeError, match="'lost'"):
        Frame(b"\0", width=1, height=1, pixel_format="Mono8", status="lost")


@pytest.mark.parametrize("suffix", [".png", ".tiff"])
def test_save_mono8_and_mono16_lossless(tmp_path, suffix):
    frame = Frame(ramp(16, 8, 7), width=16, height=8, pixel_format="Mono8")
    path = frame.save(tmp_path / f"f{suffix}")
    with Image.open(path) as img:
        assert img.mode == "L"
        assert np.array_equal(np.asarray(img), frame.array)
    values = np.arange(16 * 8, dtype="<u2").reshape(8, 16) * 300
    f16 = Frame(bytearray(values.tobytes()), width=16, height=8, pixel_format="Mono16")
    path = f16.save(tmp_path / f"g{suffix}")
    with Image.open(path) as img:
        assert np.array_equal(np.asarray(img).astype(np.uint16), values)


def test_save_rgb_npy_raw(tmp_path):
    rgb = np.random.default_rng(1).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    frame = Frame(bytearray(rgb.tobytes()), width=7, height=5, pixel_format="RGB8")
    with Image.open(frame.save(tmp_path / "c.png")) as img:
        assert img.mode == "RGB" and np.array_equal(np.asarray(img), rgb)
    bgr = Frame(bytearray(rgb[..., ::-1].tobytes()), width=7, height=5, pixel_format="BGR8")
    with Image.open(bgr.save(tmp_path / "b.png")) as img:
        assert np.array_equal(np.asarray(img), rgb)
    assert np.array_equal(np.load(frame.save(tmp_path / "c.npy")), rgb)
    assert frame.save(tmp_path / "c.raw").read_bytes() == rgb.tobytes()
    with pytest.raises(RangeError, match="'.gif'"):
        frame.save(tmp_path / "c.gif")


def test_jpeg_frame_decodes_with_pillow(tmp_path):
    img = Image.new("RGB", (20, 10), (200, 30, 60))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=95)
    frame = Frame(out.getvalue(), width=20, height=10, pixel_format="JPEG", payload_type=6)
    assert frame.pixel_format == "JPEG" and frame.pixel_format_code == 0
    assert frame.array.shape == (10, 20, 3)
    assert abs(int(frame.array[5, 10, 0]) - 200) < 8
    assert frame.save(tmp_path / "s.jpg").read_bytes() == out.getvalue()


def test_import_nodemap_does_not_import_numpy():
    code = ("import sys, nodemap, nodemap.imaging, nodemap.imaging.pfnc; "
            "assert 'numpy' not in sys.modules, 'numpy imported'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
