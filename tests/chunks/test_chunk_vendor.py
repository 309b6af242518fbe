"""Differential on a vendor description with chunks: same payload, same chunk features."""

from __future__ import annotations

import random

import pytest

from nodemap.chunks import chunk_ports
from nodemap.errors import NodeMapError
from tests.peers import SHARED, require_genicam
from tests.reference.manifest import require_shared_file
from tests.reference.memory import SparseMemory
from tests.reference.oracle import load_ours, load_reference

from .xmlsrc import gev_payload

genapi = require_genicam()
VENDOR = SHARED / "genicam-xml" / "Basler-acA1300-30gm.xml"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_vendor_chunk_features_equal_the_reference(seed: int) -> None:
    require_shared_file(VENDOR)
    ours = load_ours(VENDOR, SparseMemory())
    ref = load_reference(VENDOR, SparseMemory())
    ids = sorted(set(chunk_ports(ours).values()))
    assert ids, "the vendor file has chunk ports"
    rng = random.Random(seed)
    present = [cid for cid in ids if rng.random() < 0.7]
    payload = gev_payload([(cid, rng.randbytes(64)) for cid in present])
    genapi.ChunkAdapterGEV(ref).attach_buffer(payload, len(payload))
    ours.attach_chunks(payload)
    compared = 0
    for name in ours.names:
        if not name.startswith("Chunk") or ours.element_type(name) in ("Category", "Port"):
            continue
        node = ref.get_node(name)
        access = genapi.EAccessMode(int(node.node.get_access_mode())).name
        assert ours.node(name).access() == access, name
        if access in ("RO", "RW") and ours.element_type(name) not in ("Command", "StructReg"):
            try:
                theirs = node.value
            except Exception as exc:  # noqa: BLE001 - the reference's errors are plain
                if "Exception" not in type(exc).__name__:
                    raise
                with pytest.raises(NodeMapError, match=name):
                    ours.node(name).get()
                continue
            mine = ours.node(name).get()
            if isinstance(theirs, int) and not isinstance(theirs, bool):
                assert mine % 2**64 == theirs % 2**64, name
            elif isinstance(theirs, float) and theirs != theirs:
                assert mine != mine, name
            else:
                assert str(mine) == str(theirs), name
            compared += 1
    print(f"{VENDOR.name}: {len(present)}/{len(ids)} chunks, {compared} values compared")
    assert compared > 0, "no chunk feature was readable: the test compared nothing"
