"""Run by Debian's /usr/bin/python3 (python3-gi, gir1.2-aravis-0.8): Aravis opens a GigE
Vision device, enables chunks through the device's own XML (``arv_camera_set_chunks``),
streams and reads each buffer's chunks with its chunk parser.  Prints one JSON list.

    /usr/bin/python3 aravis_chunk_reader.py ADDRESS FRAMES
"""

import json
import sys

import gi

gi.require_version("Aravis", "0.8")
from gi.repository import Aravis  # noqa: E402

INTEGERS = ("ChunkFrameID", "ChunkTimestamp", "ChunkWidth", "ChunkHeight", "ChunkOffsetX",
            "ChunkOffsetY", "ChunkPixelFormat", "ChunkLineStatusAll", "ChunkGain")


def main(address: str, frames: int) -> None:
    camera = Aravis.Camera.new(address)
    camera.set_region(16, 4, 64, 48)
    camera.set_exposure_time(2000.0)
    camera.set_chunks("FrameID,Timestamp,ExposureTime,Width,Height,OffsetX,OffsetY,"
                      "PixelFormat,LineStatusAll,Gain")
    parser = camera.create_chunk_parser()
    stream = camera.create_stream(None, None)
    size = camera.get_payload()
    for _ in range(4):
        stream.push_buffer(Aravis.Buffer.new_allocate(size))
    camera.start_acquisition()
    out = []
    try:
        for _ in range(frames):
            buffer = stream.timeout_pop_buffer(10_000_000)
            if buffer is None:
                break
            record = {"status": int(buffer.get_status()), "frame_id": buffer.get_frame_id(),
                      "timestamp": buffer.get_timestamp(), "has_chunks": buffer.has_chunks(),
                      "payload_size": size, "chunks": None}
            if buffer.get_status() == Aravis.BufferStatus.SUCCESS:
                chunks = {name: parser.get_integer_value(buffer, name) for name in INTEGERS}
                chunks["ChunkExposureTime"] = parser.get_float_value(buffer, "ChunkExposureTime")
                record["chunks"] = chunks
            out.append(record)
            stream.push_buffer(buffer)
    finally:
        camera.stop_acquisition()
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
