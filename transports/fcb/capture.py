"""VISCA packets in a capture, annotated for ``nodemap decode``.

Framing: a VISCA packet starts with an address byte (``81``–``88`` from the host,
``90``–``F0`` from a camera) and ends at ``FF`` within 16 bytes.  Command names come from
``xml/sony-fcb.xml`` (the virtual address carries category and command bytes).
"""

from __future__ import annotations

from typing import Any

from nodemap.capture import CaptureContext, Decoded, names_by_key
from nodemap.errors import NodeMapError
from nodemap.resources import read_description

from ..codec import CodecError
from . import protocol as v

__all__ = ["FcbCaptureDecoder"]


def _visca_key(address: int) -> tuple[int, int]:
    return ((address >> 32) & 0xFF, (address >> 24) & 0xFF)


class FcbCaptureDecoder:
    """The VISCA :class:`~nodemap.plugin.CaptureDecoder`."""

    name = "visca"
    priority = 20

    def __init__(self, **_: Any) -> None:
        self._cache: dict[Any, str] | None = None

    def _names(self) -> dict[Any, str]:
        if self._cache is None:
            try:
                self._cache = names_by_key(read_description("sony-fcb.xml"), _visca_key,
                                           "sony-fcb.xml")
            except (FileNotFoundError, NodeMapError):
                self._cache = {}
        return self._cache

    def decode_next(self, data: bytes, context: CaptureContext) -> tuple[int, Decoded] | None:
        first = data[0]
        if (0x81 <= first <= 0x88 or (first & 0x0F == 0 and first >> 4 >= 0x9)) and \
                0xFF in data[:16]:
            end = data.index(0xFF) + 1
            return end, self._decode(data[:end])
        return None

    def _decode(self, raw: bytes) -> Decoded:
        try:
            if 0x81 <= raw[0] <= 0x88 and not (raw[0] == 0x88 and raw[1] == 0x30 and
                                                 len(raw) == 4 and raw[2] >= 2):
                item: Any = v.parse_request(raw)
                direction = "request"
            else:
                item = v.parse_reply(raw)
                direction = "reply"
        except CodecError as exc:
            try:
                item = v.parse_reply(raw)
                direction = "reply"
            except CodecError:
                return Decoded("visca", raw, f"VISCA? {raw.hex(' ')}", error=str(exc))
        summary = f"VISCA {direction}: {v.describe(item)}"
        details: list[str] = []
        if isinstance(item, (v.CommandRequest, v.InquiryRequest)):
            name = self._names().get((item.category, item.command))
            if name:
                if isinstance(item, v.CommandRequest) and item.payload:
                    value = (v.from_nibbles(item.payload)
                             if all(b <= 0x0F for b in item.payload) else item.payload[-1])
                    details.append(f"{name} ← 0x{value:x} ({value})")
                elif isinstance(item, v.InquiryRequest):
                    details.append(f"read {name}")
                else:
                    details.append(name)
        return Decoded("visca", raw, summary, tuple(details), fields={"direction": direction})
