"""Frame buffer sizing (nodemap.imaging.sizing.payload_size) on registers that lie or are unset."""

from __future__ import annotations

import struct

import pytest

from nodemap.errors import UnsupportedError
from nodemap.imaging.sizing import payload_size
from tests.core.xmlkit import int_reg, load

BODY = int_reg("PayloadSize", 0x0) + int_reg("Width", 0x4) + int_reg("Height", 0x8)


def _map(payload: int, width: int, height: int):
    nm, port = load(BODY)
    port.write(0, struct.pack("<III", payload, width, height))
    return nm


def test_payload_size_wins_when_positive():
    assert payload_size(_map(5000, 10, 10), "cam") == 5000


def test_width_times_height_when_payload_size_is_zero():
    assert payload_size(_map(0, 64, 48), "cam") == 64 * 48      # Mono8 without PixelFormat


@pytest.mark.parametrize(("width", "height"), [(0, 480), (640, 0), (0, 0)])
def test_an_empty_frame_is_a_clear_error_not_a_zero_sized_pool(width: int, height: int):
    with pytest.raises(UnsupportedError, match=r"PayloadSize is not positive.*set Width and Height"):
        payload_size(_map(0, width, height), "cam at 127.0.0.2")
