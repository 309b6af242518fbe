"""Peer: viva-genicam's FakeGigeCamera (an independent GigE Vision device) streams payload
type 0x4001 frames with chunks; our client enables them through its XML, reads them as
frame.chunks, and the GenICam reference's ChunkAdapterGEV reads the same payloads with the
same XML the same way."""

from __future__ import annotations

import pytest

import nodemap
from tests.peers import require_genicam
from tests.viva import viva_camera

pytestmark = pytest.mark.peer

NAMES = ("ChunkTimestamp", "ChunkExposureTime", "ChunkFrameID", "ChunkWidth", "ChunkHeight")


def test_viva_fake_camera_chunks() -> None:
    with viva_camera(width=64, height=48) as address:
        with nodemap.open(f"gvcp://{address}") as cam:
            f = cam.features
            f["ChunkModeActive"].value = True
            for entry in f["ChunkSelector"].entries:
                f["ChunkSelector"].value = entry
                f["ChunkEnable"].value = True
            exposure = f["ExposureTime"].value
            xml = cam.link.descriptions()[0]
            shots = []
            with cam.stream(buffers=4, packet_size=1400) as stream:
                for frame in stream.frames(3, timeout=5.0):
                    assert frame.status == "complete" and frame.payload_type == 0x4001
                    frame.chunks.bind(cam.nodemap)
                    image = bytes(frame.payload)[:frame.width * frame.height]
                    shots.append((frame.frame_id, frame.timestamp,
                                  {name: frame.chunks[name].value for name in NAMES},
                                  image + bytes(frame.chunks)))
    assert len(shots) == 3
    for frame_id, timestamp, values, _ in shots:
        assert values == {"ChunkTimestamp": timestamp, "ChunkExposureTime": exposure,
                          "ChunkFrameID": frame_id, "ChunkWidth": 64, "ChunkHeight": 48}
    genapi = require_genicam()
    reference = genapi.NodeMap()
    reference.load_xml_from_string(xml.decode())
    adapter = genapi.ChunkAdapterGEV(reference)
    for _, _, values, payload in shots:
        adapter.attach_buffer(payload, len(payload))
        assert {name: reference.get_node(name).value for name in NAMES} == values
        adapter.detach_buffer()
