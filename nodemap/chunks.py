"""Chunk data: the room where frame payload chunks meet the node map.

A device in chunk mode appends chunks (exposure time, timestamp, frame id …) to each
frame.  GigE Vision lays them out so that they are read from the END of the payload
backwards: ``… data | chunk id (4 B) | length (4 B)`` — big-endian — then the chunk
before it, and so on to the start.  USB3 Vision uses the same trailers in little-endian
(the ``u3v`` layout, as GenApi's ``ChunkAdapterU3V``).  The "generic" layout (GenTL)
comes as a list of (chunk id, offset, length) descriptors from the transport instead.

``Port`` nodes with ``<ChunkID>`` are bound to the chunk of that id: a :class:`ChunkPort`
over that chunk's bytes is connected as the Port node; a chunk that is missing from the
frame leaves the port unconnected, so the features behind it are NA (as in GenApi's
``ChunkAdapterGEV``).  Bad layouts (lengths that overrun the payload, too many chunks)
raise :class:`ChunkError` from the parsers and are counted, never fatal, in
:func:`attach`.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from nodemap.errors import AccessError, NodeMapError
from nodemap.portfeatures import features_on_ports

if TYPE_CHECKING:  # pragma: no cover
    from nodemap.nodemap import NodeMap

__all__ = ["Chunk", "ChunkError", "ChunkPort", "ChunkValue", "ChunkView", "AttachResult",
           "parse_gev", "parse_u3v", "parse_trailers", "parse_generic", "LAYOUTS", "chunk_ports", "chunk_features", "attach", "MAX_CHUNKS"]

#: At most this many chunks are read from one payload (a guard against crafted trailers).
MAX_CHUNKS = 4096
#: A trailer (chunk id, length) per layout: GigE Vision big-endian, USB3 Vision little-endian.
_TRAILERS = {"gev": struct.Struct(">II"), "u3v": struct.Struct("<II")}
#: The layouts :func:`attach` knows.
LAYOUTS = ("gev", "u3v", "generic")


class ChunkError(NodeMapError):
    """A payload's chunk layout is not valid (a length overruns, too many chunks …)."""


@attrs.frozen(slots=True)
class Chunk:
    """One chunk: its id, where its data starts in the payload, and the data."""

    chunk_id: int
    offset: int
    data: bytes


def parse_gev(payload: bytes | bytearray | memoryview, *, max_chunks: int = MAX_CHUNKS,
              image_before: bool = False) -> list[Chunk]:
    """The chunks of a GigE Vision chunk payload (big-endian trailers), last chunk first:
    :func:`parse_trailers` with the ``gev`` layout."""
    return parse_trailers(payload, "gev", max_chunks=max_chunks, image_before=image_before)


def parse_u3v(payload: bytes | bytearray | memoryview, *, max_chunks: int = MAX_CHUNKS,
              image_before: bool = False) -> list[Chunk]:
    """The chunks of a USB3 Vision chunk payload (little-endian trailers), last chunk
    first: :func:`parse_trailers` with the ``u3v`` layout."""
    return parse_trailers(payload, "u3v", max_chunks=max_chunks, image_before=image_before)


def parse_trailers(payload: bytes | bytearray | memoryview, layout: str, *,
                   max_chunks: int = MAX_CHUNKS, image_before: bool = False) -> list[Chunk]:
    """The chunks of a payload laid out with trailers (``layout`` "gev" or "u3v"), last
    chunk first (as read from the end).

    ``image_before``: ``payload`` is what follows the image data of an extended-chunk
    frame (``frame.chunks``), so it opens with the image chunk's own trailer, whose length
    covers bytes not in ``payload``: that first trailer ends the parse without an error.

    Raises ChunkError when a trailer's length runs past the start of the payload, when
    fewer than 8 bytes remain for a trailer, or after ``max_chunks`` chunks.
    """
    trailer = _trailer(layout)
    view = memoryview(payload).cast("B")
    end = len(view)
    chunks: list[Chunk] = []
    while end > 0:
        if len(chunks) >= max_chunks:
            raise ChunkError(f"chunk payload of {len(view)} bytes holds more than "
                             f"{max_chunks} chunks; refusing the rest")
        if end < trailer.size:
            raise ChunkError(f"chunk payload: {end} byte(s) left at the start, too few for a "
                             f"chunk id and length (8 bytes); the layout is not "
                             f"{_LAYOUT_NAMES[layout]}")
        chunk_id, length = trailer.unpack_from(view, end - trailer.size)
        start = end - trailer.size - length
        if start < 0 and image_before and end == trailer.size:
            break  # the image chunk: its data is the frame's pixels, before this slice
        if start < 0:
            raise ChunkError(f"chunk 0x{chunk_id:08X} claims {length} bytes but only "
                             f"{end - trailer.size} precede its trailer at offset "
                             f"{end - trailer.size}; the payload is truncated or corrupt "
                             f"(or not {_LAYOUT_NAMES[layout]})")
        chunks.append(Chunk(chunk_id, start, bytes(view[start:end - trailer.size])))
        end = start
    return chunks


_LAYOUT_NAMES = {"gev": "GigE Vision (big-endian trailers)",
                 "u3v": "USB3 Vision (little-endian trailers)"}


def _trailer(layout: str) -> struct.Struct:
    trailer = _TRAILERS.get(layout)
    if trailer is None:
        raise ChunkError(f"chunk layout {layout!r} is not one of {', '.join(LAYOUTS)}")
    return trailer


def parse_generic(payload: bytes | bytearray | memoryview,
                  descriptors: Iterable[tuple[int, int, int]], *,
                  max_chunks: int = MAX_CHUNKS) -> list[Chunk]:
    """Chunks described by (chunk id, offset, length) triples (the generic layout)."""
    view = memoryview(payload).cast("B")
    chunks: list[Chunk] = []
    for chunk_id, offset, length in descriptors:
        if len(chunks) >= max_chunks:
            raise ChunkError(f"more than {max_chunks} chunk descriptors; refusing the rest")
        if offset < 0 or length < 0 or offset + length > len(view):
            raise ChunkError(f"chunk 0x{chunk_id:08X} at offset {offset} with {length} bytes "
                             f"runs outside the {len(view)}-byte payload")
        chunks.append(Chunk(chunk_id, offset, bytes(view[offset:offset + length])))
    return chunks


class ChunkPort:
    """A Port over one chunk's bytes: address 0 is the chunk's first byte."""

    def __init__(self, chunk_id: int, data: bytes) -> None:
        self.chunk_id = chunk_id
        self._data = bytearray(data)

    def _check(self, address: int, length: int) -> None:
        if address < 0 or length < 0 or address + length > len(self._data):
            raise AccessError(f"chunk 0x{self.chunk_id:08X} holds {len(self._data)} bytes; "
                              f"{length} byte(s) at 0x{address:X} lie outside it (the XML "
                              f"expects a larger chunk than the device sent)")

    def read(self, address: int, length: int) -> bytes:
        self._check(address, length)
        return bytes(self._data[address:address + length])

    def write(self, address: int, data: bytes) -> None:
        self._check(address, len(data))
        self._data[address:address + len(data)] = data


def chunk_ports(nodemap: "NodeMap") -> dict[str, int]:
    """{Port node name: chunk id} for every Port node with a constant ``<ChunkID>``."""
    cached: dict[str, int] | None = getattr(nodemap, "_chunk_port_ids", None)
    if cached is not None:
        return cached
    found: dict[str, int] = {}
    for name in nodemap.names:
        if nodemap.element_type(name) != "Port":
            continue
        node = nodemap.node(name)
        text = node.text("ChunkID")
        if not text:
            continue
        text = text.strip()
        found[name] = int(text, 16)
    # cached on the node map (which does not declare it): the XML does not change
    nodemap._chunk_port_ids = found  # type: ignore[attr-defined]
    return found


def chunk_features(nodemap: "NodeMap") -> tuple[str, ...]:
    """The chunk features: value nodes named ``Chunk…`` that read a chunk port, without the
    registers a named feature wraps (``ChunkExposureTime``, not ``ChunkExposureTimeReg``),
    and not chunk *controls* such as ``ChunkModeActive`` or ``ChunkSelector`` (they read
    the device)."""
    cached: tuple[str, ...] | None = getattr(nodemap, "_chunk_feature_names", None)
    if cached is not None:
        return cached
    ports = set(chunk_ports(nodemap))

    def accept(name: str) -> bool:
        kind = nodemap.element_type(name)
        return name.startswith("Chunk") and kind not in _NOT_VALUES and kind != "EnumEntry"

    result = features_on_ports(nodemap, ports, accept)
    nodemap._chunk_feature_names = result  # type: ignore[attr-defined]
    return result


@attrs.frozen(slots=True)
class AttachResult:
    """What :func:`attach` did: the ports bound, the ports left NA, layout problems."""

    bound: tuple[str, ...]
    missing: tuple[str, ...]
    error: str | None = None


def attach(nodemap: "NodeMap", payload: bytes | bytearray | memoryview | None, *,
           layout: str = "gev", image_before: bool = False,
           descriptors: Iterable[tuple[int, int, int]] | None = None) -> AttachResult:
    """Bind the node map's chunk ports to the chunks in ``payload`` (None: detach all).

    A bad layout does not raise: the chunks parsed before the problem stay bound, the
    rest are NA, and the problem is in ``result.error`` (and counted in
    ``nodemap.chunk_errors``).
    """
    ports = chunk_ports(nodemap)
    error: str | None = None
    chunks: list[Chunk] = []
    if payload is not None:
        try:
            if layout == "generic":
                chunks = parse_generic(payload, descriptors or ())
            else:
                chunks = _parse_tolerant(payload, layout, image_before)
        except ChunkError as exc:
            error = str(exc)
    if isinstance(chunks, _Partial):
        error = chunks.error
    by_id: dict[int, Chunk] = {}
    for chunk in chunks:
        by_id.setdefault(chunk.chunk_id, chunk)  # the chunk nearest the end wins
    bound: list[str] = []
    missing: list[str] = []
    with nodemap.lock:
        if error is not None:
            # a counter the node map does not declare: chunk layouts that failed to parse
            nodemap.chunk_errors = getattr(nodemap, "chunk_errors", 0) + 1  # type: ignore[attr-defined]
        for name, chunk_id in ports.items():
            found = by_id.get(chunk_id)
            if found is None:
                nodemap.bind(None, name)
                missing.append(name)
            else:
                nodemap.bind(ChunkPort(chunk_id, found.data), name)
                bound.append(name)
    return AttachResult(tuple(bound), tuple(missing), error)


class _Partial(list[Chunk]):
    """Chunks parsed before a layout problem, with the problem."""

    error: str | None = None


def _parse_tolerant(payload: bytes | bytearray | memoryview, layout: str,
                    image_before: bool = False) -> list[Chunk]:
    trailer = _trailer(layout)   # an unknown layout is an error, not a partial parse
    try:
        return parse_trailers(payload, layout, image_before=image_before)
    except ChunkError as exc:
        # Keep what was read before the problem: re-parse chunk by chunk.
        partial = _Partial()
        partial.error = str(exc)
        view = memoryview(payload).cast("B")
        end = len(view)
        while end >= trailer.size and len(partial) < MAX_CHUNKS:
            chunk_id, length = trailer.unpack_from(view, end - trailer.size)
            start = end - trailer.size - length
            if start < 0:
                break
            partial.append(Chunk(chunk_id, start, bytes(view[start:end - trailer.size])))
            end = start
        return partial


@attrs.frozen(slots=True)
class ChunkValue:
    """One chunk feature as it was in one frame: its value (None when not readable)."""

    name: str
    access: str
    value: Any


class ChunkView(Mapping[str, ChunkValue]):
    """The chunk features of one frame: ``view["ChunkExposureTime"].value``.

    Reading attaches this frame's chunks to the node map (under its lock) and reads the
    feature; values are kept per frame, so later frames do not change them.

    ``descriptors``: (chunk id, offset in ``data``, length) triples when the transport
    reports where each chunk lies (GenTL's DSGetBufferChunkData, the "generic" layout);
    without them ``data`` is parsed as trailers from the end, GigE Vision's
    (``layout="gev"``, big-endian) or USB3 Vision's (``layout="u3v"``, little-endian).
    """

    def __init__(self, data: bytes, nodemap: "NodeMap | None" = None, *,
                 descriptors: Iterable[tuple[int, int, int]] | None = None,
                 layout: str = "gev") -> None:
        _trailer(layout)  # a mistyped layout fails here, not at the first read
        self.raw = bytes(data)
        self.layout = layout
        self.descriptors = None if descriptors is None else tuple(descriptors)
        self._nodemap = nodemap
        self._values: dict[str, ChunkValue] = {}
        self._lock = threading.Lock()

    def bind(self, nodemap: "NodeMap") -> None:
        self._nodemap = nodemap
        self._values.clear()

    def __bytes__(self) -> bytes:
        return self.raw

    def attach(self, nodemap: "NodeMap") -> AttachResult:
        """Bind ``nodemap``'s chunk ports to this frame's chunks (see :func:`attach`)."""
        if self.descriptors is not None:
            return attach(nodemap, self.raw, layout="generic", descriptors=self.descriptors)
        return attach(nodemap, self.raw, layout=self.layout, image_before=True)

    def __bool__(self) -> bool:
        """True when the frame carries chunk data (``if frame.chunks:`` needs no node map)."""
        return bool(self.raw)

    def __len__(self) -> int:
        return len(self._names())

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def _names(self) -> list[str]:
        return list(chunk_features(self._need()))

    def _need(self) -> "NodeMap":
        if self._nodemap is None:
            raise AccessError("this frame's chunks are not bound to a node map: call "
                              "frame.chunks.bind(cam.nodemap) (or cam.nodemap.attach_chunks"
                              "(frame)) first")
        return self._nodemap

    def __getitem__(self, name: str) -> ChunkValue:
        with self._lock:
            known = self._values.get(name)
            if known is not None:
                return known
            nm = self._need()
            if name not in nm:
                raise KeyError(name)
            with nm.lock:
                if getattr(nm, "_chunk_owner", None) is not self:
                    self.attach(nm)
                    # NodeMap declares _chunk_owner as None (no owner yet): a ChunkView owns it
                    nm._chunk_owner = self  # type: ignore[assignment]
                node = nm.node(name)
                access = node.access()
                value = None
                if access in ("RO", "RW"):
                    try:
                        value = node.get()
                    except NodeMapError:
                        access = "NA"
            result = ChunkValue(name, access, value)
            self._values[name] = result
            return result

    def to_dict(self) -> dict[str, Any]:
        """{feature name: value} of every readable chunk feature of this frame."""
        return {name: item.value for name in self if (item := self[name]).value is not None}


_NOT_VALUES = frozenset({"Port", "Category", "Command", "StructReg"})
