"""Run harvesters (the reference GenApi over the same GenTL producer) in a separate
process and print what it sees as JSON: every feature's facts and some frames.

    python harvesters_oracle.py PRODUCER.cti INDEX FRAMES [NAME=VALUE ...]

Assignments are written (in order) before the facts are read.  Frames are grabbed after;
each reported as width, height, pixel format, frame id, the SHA-256 of its image bytes and
the values of the chunk features harvesters attached for it.
The facts of the producer's own modules (system, interface, local device, data stream)
are reported too.
A separate process because two GenTL consumers in one process would share (and fight
over) one producer instance.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))


def _plain(value):
    from tests.reference.oracle import Raised

    if isinstance(value, Raised):
        return {"raised": value.error, "detail": value.detail}
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    return value


def _all_facts(nm) -> dict:
    from tests.reference.oracle import _ref_kind, reference_feature_facts

    names = sorted(n.node.name for n in nm.nodes
                   if n.node.is_feature() and _ref_kind(n) is not None)
    facts = {}
    for name in names:
        f = reference_feature_facts(nm, name)
        facts[name] = {"kind": f.kind, **{a: _plain(getattr(f, a)) for a in
                                         ("access", "value", "int_value", "min", "max",
                                          "inc", "entries", "length")
                                         if getattr(f, a) is not None}}
    return facts


def _chunk_values(nm) -> dict:
    """{feature: value} of the readable ``Chunk…`` features while a buffer is held
    (harvesters has attached its chunk data to the remote node map)."""
    from tests.reference.oracle import Raised, reference_feature_facts

    values = {}
    for n in nm.nodes:
        name = n.node.name
        if not name.startswith("Chunk") or not n.node.is_feature():
            continue
        facts = reference_feature_facts(nm, name)
        if facts.access in ("RO", "RW") and facts.value is not None \
                and not isinstance(facts.value, Raised):
            values[name] = _plain(facts.value)
    return values


def main(argv: list[str]) -> int:
    from harvesters.core import Harvester

    producer, index, frames = argv[0], int(argv[1]), int(argv[2])
    assignments = [a.split("=", 1) for a in argv[3:]]
    h = Harvester()
    h.add_file(producer)
    h.update()
    out: dict = {"devices": [{"serial": d.serial_number, "id": d.id_, "model": d.model}
                             for d in h.device_info_list]}
    ia = h.create(index)
    try:
        nm = ia.remote_device.node_map
        for name, text in assignments:
            node = nm.get_node(name)
            node.from_string(text)
        out["facts"] = _all_facts(nm)
        out["modules"] = {}
        for label, module in (("system", ia.system), ("interface", ia.interface),
                              ("local_device", ia.device), ("data_stream", ia.data_streams[0])):
            try:
                out["modules"][label] = _all_facts(module.node_map)
            except Exception as exc:  # noqa: BLE001 - reported, the test decides
                out["modules"][label] = {"error": f"{type(exc).__name__}: {exc}"}
        out["frames"] = []
        if frames:
            ia.num_buffers = max(ia.num_buffers, 4)
            ia.start()
            for _ in range(frames):
                with ia.fetch(timeout=10) as buffer:
                    c = buffer.payload.components[0]
                    data = bytes(c.data.tobytes())
                    out["frames"].append({"width": int(c.width), "height": int(c.height),
                                          "pixel_format": str(c.data_format),
                                          "frame_id": int(buffer.frame_id),
                                          "sha256": hashlib.sha256(data).hexdigest(),
                                          "bytes": len(data),
                                          "chunks": _chunk_values(nm)})
            ia.stop()
    finally:
        ia.destroy()
        h.reset()
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
