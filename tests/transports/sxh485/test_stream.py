"""The one acquisition API on SXH485: cam.stream() / cam.grab() give JPEG snapshot frames."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import nodemap
from nodemap.errors import PortError, ProtocolError
from nodemap.transports.sxh485.protocol import RESOLUTIONS
from nodemap.transports.sxh485.stream import jpeg_size

from .conftest import Rig


def test_stream_and_grab_give_jpeg_frames(rig: Rig) -> None:
    with nodemap.open(rig.url(1)) as cam:
        with cam.stream() as stream:
            frames = list(stream.frames(2, timeout=5.0))
            assert stream.stats["completed"] == 2
        frame = cam.grab(timeout=5.0)
    for f in frames + [frame]:
        assert f.pixel_format == "JPEG" and f.status == "complete" and f.payload_type == 6
        assert bytes(f.payload).startswith(b"\xff\xd8")
        with Image.open(io.BytesIO(bytes(f.payload))) as img:
            assert (f.width, f.height) == img.size
            assert np.array_equal(f.array, np.asarray(img.convert(img.mode)))
        assert (f.width, f.height) in RESOLUTIONS
    assert bytes(frame.payload) == rig.camera(1).image     # the latest picture it took
    assert [f.frame_id for f in frames] == [1, 2]


def test_stopped_stream_refuses_frames(rig: Rig) -> None:
    with nodemap.open(rig.url(1)) as cam:
        stream = cam.stream()
        with pytest.raises(PortError, match="stopped"):
            stream.source.next_frame(1.0)
        stream.close()


def test_jpeg_size_parser() -> None:
    out = io.BytesIO()
    Image.new("L", (37, 21)).save(out, format="JPEG")
    assert jpeg_size(out.getvalue()) == (37, 21)
    with pytest.raises(ProtocolError, match="start-of-frame"):
        jpeg_size(b"\xff\xd8\xff\xd9")
