"""Differential: our chunk feature values and access equal genicam's ChunkAdapterGEV (GigE
Vision trailers) and ChunkAdapterU3V (USB3 Vision's, little-endian)."""

from __future__ import annotations

import struct

import pytest

from tests.peers import require_genicam
from hypothesis import given, settings
from hypothesis import strategies as st

from nodemap import NodeMap

from .xmlsrc import CHUNKS, FEATURES, XML, gev_payload, trailer_payload

genapi = require_genicam()


def _reference_access(node: object) -> str:
    return genapi.EAccessMode(int(node.node.get_access_mode())).name  # type: ignore[attr-defined]


_chunk = st.sampled_from(sorted(CHUNKS)).flatmap(
    lambda cid: st.tuples(st.just(cid), st.binary(min_size=CHUNKS[cid][1],
                                                  max_size=CHUNKS[cid][1])))
_image = st.tuples(st.just(0xA0000001), st.binary(max_size=32))


ADAPTERS = {"gev": "ChunkAdapterGEV", "u3v": "ChunkAdapterU3V"}


@settings(max_examples=60, deadline=None)
@given(layout=st.sampled_from(sorted(ADAPTERS)), image=_image,
       chunks=st.lists(_chunk, max_size=4, unique_by=lambda c: c[0]))
def test_chunk_values_equal_the_reference(layout: str, image: tuple[int, bytes],
                                          chunks: list[tuple[int, bytes]]) -> None:
    payload = trailer_payload([image, *chunks], layout)
    ref = genapi.NodeMap()
    ref.load_xml_from_string(XML)
    adapter = getattr(genapi, ADAPTERS[layout])(ref)
    adapter.attach_buffer(payload, len(payload))
    ours = NodeMap.from_xml(XML.encode())
    ours.attach_chunks(payload, layout=layout)
    for name in FEATURES:
        theirs = ref.get_node(name)
        access = _reference_access(theirs)
        assert ours.node(name).access() == access, name
        if access == "RO":
            value = ours.features[name].value
            expected = theirs.value
            if isinstance(expected, float) and expected != expected:
                assert value != value, name
            elif isinstance(expected, int):
                # GenApi returns int64: an unsigned 64-bit value above 2**63 wraps
                assert value % 2**64 == expected % 2**64, name
            else:
                assert value == expected, name


def test_reference_sees_the_payload_as_we_do() -> None:
    payload = gev_payload([(0x1002, struct.pack(">d", 1234.5))])
    ref = genapi.NodeMap()
    ref.load_xml_from_string(XML)
    adapter = genapi.ChunkAdapterGEV(ref)
    assert adapter.check_buffer_layout(payload, len(payload))
    adapter.attach_buffer(payload, len(payload))
    ours = NodeMap.from_xml(XML.encode())
    ours.attach_chunks(payload)
    assert ours.features["ChunkExposureTime"].value == ref.get_node("ChunkExposureTime").value


def test_each_layout_is_the_other_adapters_corrupt_payload() -> None:
    """The byte order matters: ChunkAdapterU3V refuses big-endian trailers and
    ChunkAdapterGEV little-endian ones; read with the wrong layout, ours reports the
    layout problem (result.error) and leaves the features NA, never a wrong value."""
    chunks = [(0xA0000001, b"\x01\x02\x03\x04"), (0x1002, struct.pack(">d", 1234.5))]
    for layout, other in (("gev", "u3v"), ("u3v", "gev")):
        payload = trailer_payload(chunks, layout)
        ref = genapi.NodeMap()
        ref.load_xml_from_string(XML)
        assert getattr(genapi, ADAPTERS[layout])(ref).check_buffer_layout(payload, len(payload))
        assert not getattr(genapi, ADAPTERS[other])(ref).check_buffer_layout(payload,
                                                                             len(payload))
        ours = NodeMap.from_xml(XML.encode())
        result = ours.attach_chunks(payload, layout=other)
        named = "USB3 Vision" if other == "u3v" else "GigE Vision"
        assert result.error is not None and named in result.error, result.error
        assert "ChunkExposurePort" not in result.bound
        assert ours.node("ChunkExposureTime").access() == "NA"
        right = NodeMap.from_xml(XML.encode())
        right.attach_chunks(payload, layout=layout)
        assert right.features["ChunkExposureTime"].value == 1234.5
