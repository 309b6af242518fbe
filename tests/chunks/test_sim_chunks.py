"""The simulated demo camera's chunk data end to end: ChunkModeActive/ChunkSelector/
ChunkEnable through its XML, payload type 0x4001 frames whose chunks carry the values the
device used for that frame, PayloadSize that counts them, and the GenICam reference's
ChunkAdapterGEV reading the same payload the same way."""

from __future__ import annotations

import struct
from collections.abc import Iterator

import pytest

from tests.peers import require_genicam

import nodemap
from nodemap.chunks import parse_gev
from nodemap.resources import read_description
from nodemap.transports.gvcp import gvsp
from nodemap.transports.gvcp.sim_chunks import IMAGE_CHUNK_ID

from ..demo import demo_camera

ENTRIES = ("Timestamp", "FrameID", "ExposureTime", "Gain", "Width", "Height", "OffsetX",
           "OffsetY", "PixelFormat", "LineStatusAll")
W, H = 96, 64


@pytest.fixture
def cam() -> Iterator[nodemap.Camera]:  # type: ignore[name-defined]
    with demo_camera(Width=W, Height=H, OffsetX=16, OffsetY=4,
                     AcquisitionFrameRate=200.0) as (device, camera):
        camera.device = device  # type: ignore[attr-defined]
        yield camera


def enable(cam, *entries: str) -> None:
    f = cam.features
    f["ChunkModeActive"].value = True
    for entry in f["ChunkSelector"].entries:
        f["ChunkSelector"].value = entry
        f["ChunkEnable"].value = entry in entries


def full_payload(frame) -> bytes:
    """The whole block as sent: the image, then what the receiver put in frame.chunks."""
    return bytes(frame.payload)[:frame.width * frame.height] + bytes(frame.chunks)


def test_every_chunk_carries_this_frames_values(cam) -> None:
    enable(cam, *ENTRIES)
    f = cam.features
    f["ChunkSelector"].value = "Width"           # the host's selector: must stay as set
    f["ExposureTime"].value = 2470.0
    f["GainSelector"].value = "Blue"             # Gain[Blue] = 18 at power-on
    image = W * H
    expected_size = image + 8 + sum(8 + n for n in (8, 8, 8, 4, 4, 4, 4, 4, 4, 4))
    assert f["PayloadSize"].value == expected_size
    with cam.stream(buffers=4) as stream:
        frames = list(stream.frames(4, timeout=10.0))
    assert f["ChunkSelector"].value == "Width"   # the device walked its selector privately
    for frame in frames:
        assert frame.status == "complete" and frame.payload_type == 0x4001
        payload = full_payload(frame)
        assert len(payload) == expected_size
        chunks = frame.chunks
        chunks.bind(cam.nodemap)
        values = {e: chunks[f"Chunk{e}"].value for e in ENTRIES}
        assert values == {
            "Timestamp": frame.timestamp, "FrameID": frame.frame_id, "ExposureTime": 2470.0,
            "Gain": 18, "Width": W, "Height": H, "OffsetX": 16, "OffsetY": 4,
            "PixelFormat": "Mono8", "LineStatusAll": 5}
        assert all(chunks[f"Chunk{e}"].access == "RO" for e in ENTRIES)
        # the view lists the chunk features only (not ChunkModeActive, selectors, registers)
        assert sorted(chunks) == sorted(f"Chunk{e}" for e in ENTRIES)
        assert chunks.to_dict() == {f"Chunk{e}": v for e, v in values.items()}
        # the GigE Vision layout: the image is the first chunk, tags after each chunk
        parsed = parse_gev(payload)
        assert parsed[-1].chunk_id == IMAGE_CHUNK_ID and parsed[-1].offset == 0
        assert len(parsed[-1].data) == image and len(parsed) == 11


def test_exposure_chunk_follows_the_feature_frame_by_frame(cam) -> None:
    """ExposureTime changed between software triggers: each frame's chunk holds the value
    the feature had when that frame was made."""
    enable(cam, "FrameID", "ExposureTime")
    f = cam.features
    f["TriggerMode"].value = "On"
    seen = []
    with cam.stream(buffers=4) as stream:
        for exposure in (100.0, 5000.0, 730.0):
            f["ExposureTime"].value = exposure
            f["TriggerSoftware"].execute()
            frame = stream.next(timeout=10.0)
            frame.chunks.bind(cam.nodemap)
            seen.append((frame.chunks["ChunkFrameID"].value == frame.frame_id,
                         frame.chunks["ChunkExposureTime"].value))
    assert seen == [(True, 100.0), (True, 5000.0), (True, 730.0)]


def test_grab_chunks_cli_prints_the_simulators_chunks(cam) -> None:
    from nodemap.app.chunks_view import format_chunks

    enable(cam, "FrameID", "ExposureTime", "Width")
    cam.features["ExposureTime"].value = 640.0
    frame = cam.grab(timeout=10.0)
    assert format_chunks(frame, cam.nodemap) == (
        f"frame {frame.frame_id}: ChunkExposureTime=640.0 ChunkFrameID={frame.frame_id} "
        f"ChunkWidth={W}")


def test_disabled_chunks_are_na_and_not_sent(cam) -> None:
    enable(cam, "FrameID", "PixelFormat")
    assert cam.features["PayloadSize"].value == W * H + 8 + (8 + 8) + (4 + 8)
    frame = cam.grab(timeout=10.0)
    frame.chunks.bind(cam.nodemap)
    assert frame.chunks["ChunkFrameID"].value == frame.frame_id
    assert frame.chunks["ChunkPixelFormat"].value == "Mono8"
    for entry in ("Timestamp", "ExposureTime", "Gain", "Width", "LineStatusAll"):
        assert frame.chunks[f"Chunk{entry}"].access == "NA", entry
        assert frame.chunks[f"Chunk{entry}"].value is None


def test_chunk_mode_off_sends_plain_images(cam) -> None:
    enable(cam, *ENTRIES)
    cam.features["ChunkModeActive"].value = False
    assert cam.features["PayloadSize"].value == W * H
    frame = cam.grab(timeout=10.0)
    assert frame.payload_type == gvsp.PayloadType.IMAGE and frame.chunks is None


def test_reference_chunk_adapter_reads_the_simulators_payload(cam) -> None:
    genapi = require_genicam()
    enable(cam, *ENTRIES)
    cam.features["ExposureTime"].value = 880.0
    with cam.stream(buffers=4) as stream:
        frames = list(stream.frames(3, timeout=10.0))
    ref = genapi.NodeMap()
    ref.load_xml_from_string(read_description("demo-camera.xml").decode())
    adapter = genapi.ChunkAdapterGEV(ref)
    for frame in frames:
        payload = full_payload(frame)
        assert adapter.check_buffer_layout(payload, len(payload))
        adapter.attach_buffer(payload, len(payload))
        frame.chunks.bind(cam.nodemap)
        for entry in ENTRIES:
            name = f"Chunk{entry}"
            theirs = ref.get_node(name).value
            ours = frame.chunks[name].value
            if isinstance(theirs, int):
                theirs %= 2**64                   # GenApi integers are int64
            assert ours == theirs, (name, ours, theirs)
        assert ref.get_node("ChunkFrameID").value == frame.frame_id
        assert ref.get_node("ChunkExposureTime").value == 880.0
        adapter.detach_buffer()


def test_block_ids_in_extended_id_mode_reach_the_frame_id_chunk(cam) -> None:
    """With 64-bit block ids the FrameID chunk (8 bytes) carries the full block id."""
    device = cam.device
    device.memory.set32(0x0960, 0x40000000)      # GVSP configuration: 64-bit block ids
    device._next_block = 2**40                   # as if the camera had run for years
    enable(cam, "FrameID")
    frame = cam.grab(timeout=10.0)
    frame.chunks.bind(cam.nodemap)
    assert frame.frame_id >= 2**40
    assert frame.chunks["ChunkFrameID"].value == frame.frame_id
    raw = parse_gev(full_payload(frame))[0]
    assert struct.unpack(">Q", raw.data)[0] == frame.frame_id


def test_register_names_skip_chunk_and_event_ports() -> None:
    """`nodemap decode`/`reg` name device addresses: the demo XML's chunk and event
    registers (addresses 0, 2, 8 … inside a chunk or an event) are not device registers."""
    from nodemap.capture import RegisterNames

    names = RegisterNames()
    names.add_xml(read_description("demo-camera.xml"))
    assert names.lookup(0x0002) is None and names.lookup(0x0008) is None
    assert names.lookup(0xA200).name == "ChunkModeActiveReg"
    assert not any(r.name.startswith(("ChunkTimestamp", "EventExposureEnd"))
                   for r in names.registers)
