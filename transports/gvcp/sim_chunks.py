"""The simulated device's chunk data: what its XML declares, what the host enabled, and the
bytes each frame carries.

Description-driven, like the rest of the device: every ``ChunkSelector`` entry ``X`` whose
feature ``ChunkX`` reads a register on a ``<Port>`` with a ``<ChunkID>`` is a chunk the
device can send.  The register (IntReg, MaskedIntReg or FloatReg: address, length,
endianness) says how to encode the value, so the device writes exactly what the XML
reads back.  The value of chunk ``X`` is the frame's timestamp for ``Timestamp``, its
block id for ``FrameID``, and otherwise the device's own feature ``X`` at the time the
frame is made (``ExposureTime``, ``Gain``, ``Width`` … ``LineStatusAll``; an Enumeration
gives its integer value).

At AcquisitionStart :meth:`SimChunks.plan` reads ``ChunkModeActive`` and, per selector
entry, ``ChunkEnable`` (through the side-effect-free :class:`.sim_probe.Probe`); with
chunk mode active the streamer sends payload type 0x4001 blocks laid out the GigE Vision
way — the image is the first chunk, every chunk's data is followed by its tag, chunk id
(4 bytes) then data length (4 bytes), big-endian::

    image | IMAGE_CHUNK_ID | len(image) | data 1 | id 1 | len 1 | … | data n | id n | len n

so a receiver parsing from the end finds every chunk.  The XML's ``PayloadSize`` must
count the tags and enabled chunks (the demo camera's does).
"""

from __future__ import annotations

import logging
import struct
import zlib
from collections.abc import Callable
from typing import Any

import attrs

from nodemap.chunks import chunk_ports
from nodemap.errors import NodeMapError
from nodemap.nodes.registers import FloatReg, IntReg, RegisterNode

from .sim_probe import Probe

__all__ = ["IMAGE_CHUNK_ID", "ChunkSpec", "ChunkPlan", "SimChunks", "FrameChunks"]

log = logging.getLogger("nodemap.gvcp.device")

#: Chunk id of the image chunk (the frame's pixels) in extended chunk mode.  The device
#: chooses it; no ``<ChunkID>`` port reads it.
IMAGE_CHUNK_ID = 0x4E4D0000
_TAG = struct.Struct(">II")
#: Selector entries whose value is the frame's, not a device feature's.
FRAME_VALUES = ("Timestamp", "FrameID")


@attrs.frozen(slots=True)
class ChunkSpec:
    """One chunk the device can send: selector entry, chunk id, data length, encoders."""

    entry: str
    feature: str
    chunk_id: int
    length: int
    fields: tuple[tuple[int, int, Callable[[Any], bytes]], ...]   # (address, length, encode)

    def data(self, value: Any) -> bytes:
        out = bytearray(self.length)
        for address, length, encode in self.fields:
            raw = encode(value)
            for i in range(length):
                out[address + i] |= raw[i]
        return bytes(out)


@attrs.frozen(slots=True)
class ChunkPlan:
    """The chunks one acquisition sends (fixed at AcquisitionStart)."""

    specs: tuple[ChunkSpec, ...]

    @property
    def entries(self) -> tuple[str, ...]:
        return tuple(spec.entry for spec in self.specs)

    @property
    def layout_id(self) -> int:
        """A 32-bit id that changes with the set of chunks (the trailer's chunk_layout_id)."""
        return zlib.crc32(b"".join(_TAG.pack(s.chunk_id, s.length) for s in self.specs)) or 1

    def tail_size(self) -> int:
        """Bytes after the image: its tag and every chunk with its tag."""
        return _TAG.size + sum(spec.length + _TAG.size for spec in self.specs)

    def tail(self, image_length: int, values: dict[str, Any]) -> bytes:
        """The bytes that follow the image data of one frame."""
        out = bytearray(_TAG.pack(IMAGE_CHUNK_ID, image_length))
        for spec in self.specs:
            out += spec.data(values.get(spec.entry, 0))
            out += _TAG.pack(spec.chunk_id, spec.length)
        return bytes(out)


def _encoder(register: RegisterNode) -> Callable[[Any], bytes] | None:
    if isinstance(register, FloatReg):
        fmt = ("<" if register.little else ">") + ("f" if register.length() == 4 else "d")
        return lambda value: struct.pack(fmt, float(value))
    if isinstance(register, IntReg):
        length = register.length()
        if type(register) is IntReg:
            order = register.byteorder
            mask = (1 << (8 * length)) - 1
            return lambda value: (int(round(value)) & mask).to_bytes(length, order)
        return lambda value: register.encode(int(round(value)))
    return None


class SimChunks:
    """The chunks a description declares, and how to fill them for a frame."""

    def __init__(self, probe: Probe) -> None:
        self.probe = probe
        nm = probe.nodemap
        ports = chunk_ports(nm)
        self.available: dict[str, ChunkSpec] = {}
        for entry in probe.entries("ChunkSelector"):
            feature = f"Chunk{entry}"
            if feature not in nm:
                continue
            try:
                spec = self._spec(entry, feature, ports)
            except (NodeMapError, KeyError, ValueError) as exc:
                log.warning("chunk %s: %s; the simulated device will not send it", entry, exc)
                continue
            if spec is not None:
                self.available[entry] = spec

    def _spec(self, entry: str, feature: str, ports: dict[str, int]) -> ChunkSpec | None:
        nm = self.probe.nodemap
        registers: list[RegisterNode] = []
        seen = {feature}
        stack = [feature]
        while stack:
            node = nm.node(stack.pop())
            if isinstance(node, RegisterNode) and node.port_name in ports:
                registers.append(node)
                continue
            for dependency in node.dependencies:
                if dependency not in seen and dependency in nm:
                    seen.add(dependency)
                    stack.append(dependency)
        port_names = {r.port_name for r in registers}
        if len(port_names) != 1:
            if registers:
                log.warning("chunk %s reads %d chunk ports; the simulated device sends only "
                            "chunks read through one", entry, len(port_names))
            return None
        fields = []
        for register in registers:
            encode = _encoder(register)
            if encode is None:
                log.warning("chunk %s: %s is a %s, which the simulated device cannot fill",
                            entry, register.name, type(register).__name__)
                return None
            fields.append((register.get_address(), register.length(), encode))
        length = max(address + size for address, size, _ in fields)
        length += -length % 4                           # chunk data is 32-bit aligned
        return ChunkSpec(entry, feature, ports[port_names.pop()], length, tuple(fields))

    def plan(self) -> ChunkPlan | None:
        """The chunks to send now (None: chunk mode off, or no chunk enabled or known)."""
        if not self.available or not self.probe.value("ChunkModeActive", False):
            return None
        enabled = [entry for entry, on in self.probe.selected("ChunkSelector", "ChunkEnable")
                   if on and entry in self.available]
        return ChunkPlan(tuple(self.available[entry] for entry in enabled))

    def values(self, plan: ChunkPlan, block_id: int, timestamp: int) -> dict[str, Any]:
        """The value of each planned chunk for a frame made now."""
        nm = self.probe.nodemap
        wanted = {entry: (0, "int_value" if entry in nm and nm.element_type(entry) ==
                          "Enumeration" else "value")
                  for entry in plan.entries if entry not in FRAME_VALUES}
        out: dict[str, Any] = self.probe.values(wanted)
        out.update(Timestamp=timestamp, FrameID=block_id)
        return out


class FrameChunks:
    """What the streamer needs for one acquisition: the tail of each frame."""

    def __init__(self, chunks: SimChunks, plan: ChunkPlan) -> None:
        self.chunks = chunks
        self.plan = plan
        self.layout_id = plan.layout_id

    def tail_size(self) -> int:
        return self.plan.tail_size()

    def tail(self, block_id: int, timestamp: int, image_length: int) -> bytes:
        return self.plan.tail(image_length, self.chunks.values(self.plan, block_id, timestamp))
