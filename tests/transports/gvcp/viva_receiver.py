"""viva-genicam as the receiver (run in a child process, inside the test's network
namespace): discover the one device on 127.0.0.1, open it, set the geometry, stream
``--frames`` frames and print, as one JSON line, per frame its block id, viva's status and
whether every Mono8 pixel equals the ramp pixel(x, y) = (x + y + block id) % 255, then
viva's stream statistics."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys

import numpy as np
import viva_genicam as vg


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--packet-size", type=int, default=0, help="0: viva negotiates")
    ap.add_argument("--width", type=int, default=320)
    ap.add_argument("--height", type=int, default=240)
    a = ap.parse_args()
    infos = vg.discover(timeout_ms=1500, iface="127.0.0.1", all=True)
    if len(infos) != 1:
        print(json.dumps({"error": f"discovered {infos!r}"}))
        return 1
    cam = vg.connect_gige(infos[0])
    frames = []
    try:
        cam.set_integer("Width", a.width)
        cam.set_integer("Height", a.height)
        cam.set_enum("PixelFormat", "Mono8")
        with cam.stream(packet_size=a.packet_size or None) as stream:
            for _ in range(a.frames):
                frame = stream.next_frame(5000)
                if frame is None:
                    frames.append(None)
                    continue
                pixels = frame.to_numpy()
                h, w = pixels.shape[:2]
                ramp = (np.arange(w)[None, :] + np.arange(h)[:, None] + frame.block_id) % 255
                frames.append({"block_id": frame.block_id, "complete": frame.is_complete,
                               "status": str(frame.status), "shape": [h, w],
                               "ramp": bool(np.array_equal(pixels, ramp))})
            stats = dataclasses.asdict(stream.stats())
    finally:
        cam.close()
    print(json.dumps({"model": infos[0].model, "frames": frames, "stats": stats}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
