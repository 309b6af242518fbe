"""Peer: Aravis (its GigE Vision client and chunk parser, through gi) streams from our
simulated demo camera, enables chunks through our XML and reads back the values the
simulator put in each frame."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from nodemap.resources import read_description
from nodemap.transports.gvcp.device import SimulatedDevice
from nodemap.transports.gvcp.sim import DEMO_REGISTERS
from tests.aravis import SYSTEM_PYTHON, _aravis_available
from tests.peers import missing

from ..addresses import loopback

pytestmark = pytest.mark.peer

READER = Path(__file__).with_name("aravis_chunk_reader.py")
GAIN_ALL = 37


def test_aravis_chunk_parser_reads_the_simulators_chunks() -> None:
    reason = _aravis_available()
    if reason:
        missing(reason)
    registers = dict(DEMO_REGISTERS)
    registers[0xA028] = GAIN_ALL                       # Gain[All], the selected gain
    device = SimulatedDevice(read_description("demo-camera.xml"), address=loopback(),
                             registers=registers).start()
    try:
        done = subprocess.run([SYSTEM_PYTHON, str(READER), device.address, "4"],
                              capture_output=True, text=True, timeout=120)
        streamer = device.streamer
    finally:
        device.stop()
    assert done.returncode == 0, done.stderr[-2000:]
    frames = json.loads(done.stdout)
    assert len(frames) == 4, done.stderr[-2000:]
    assert streamer is not None and streamer.chunks is not None
    assert frames[0]["payload_size"] == 64 * 48 + streamer.chunks.tail_size()
    good = [f for f in frames if f["status"] == 0]
    assert len(good) >= 3, frames                      # loopback: no loss expected
    for frame in good:
        assert frame["has_chunks"]
        assert frame["chunks"] == {
            "ChunkFrameID": frame["frame_id"], "ChunkTimestamp": frame["timestamp"],
            "ChunkWidth": 64, "ChunkHeight": 48, "ChunkOffsetX": 16, "ChunkOffsetY": 4,
            "ChunkPixelFormat": 0x01080001, "ChunkLineStatusAll": DEMO_REGISTERS[0xA080],
            "ChunkGain": GAIN_ALL, "ChunkExposureTime": 2000.0}
    assert len({f["frame_id"] for f in good}) == len(good)
