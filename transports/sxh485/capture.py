"""SXH485 frames in a capture, annotated for ``nodemap decode``.

Framing: a frame starts ``EB 90``, is sized by its length field and ends with a CRC-16.
Both directions are tried (requests and replies differ in the status byte).  Parameter
names come from ``xml/sxh485.xml``; the wire profile is the ``--profile`` option.
"""

from __future__ import annotations

from typing import Any

from nodemap.capture import CaptureContext, Decoded, names_by_key
from nodemap.errors import NodeMapError, ParameterError
from nodemap.resources import read_description

from ..codec import CodecError
from . import protocol as s

__all__ = ["SXH485CaptureDecoder"]


class SXH485CaptureDecoder:
    """The SXH485 :class:`~nodemap.plugin.CaptureDecoder`: asked first (``EB 90`` magic)."""

    name = "sxh485"
    priority = 10

    def __init__(self, sxh485_profile: str = "seed", **_: Any) -> None:
        self.profile = sxh485_profile
        try:
            s.get_profile(sxh485_profile)
        except CodecError as exc:   # an unknown profile is the user's error, now
            raise ParameterError(f"--profile: {exc}") from None
        self._cache: dict[Any, str] | None = None

    def _names(self) -> dict[Any, str]:
        if self._cache is None:
            try:
                self._cache = names_by_key(read_description("sxh485.xml"),
                                           lambda a: (a >> 20) & 0xFF, "sxh485.xml")
            except (FileNotFoundError, NodeMapError):
                self._cache = {}
        return self._cache

    def decode_next(self, rest: bytes, context: CaptureContext) -> tuple[int, Decoded] | None:
        if rest[:2] != b"\xeb\x90":
            return None
        profile = s.get_profile(self.profile)
        best: tuple[int, Decoded] | None = None
        for direction in (s.Direction.REQUEST, s.Direction.REPLY):
            fixed = 2 + (1 if direction is s.Direction.REPLY and
                         profile.status_position == "before_length" else 0) + profile.length_width
            if len(rest) < 2 + fixed:
                continue
            length = int.from_bytes(rest[2 + fixed - profile.length_width:2 + fixed],
                                    profile.length_order)
            size = 2 + fixed + length + 2
            try:
                frame = s.decode(rest[:size], profile, direction)
            except CodecError as exc:
                if best is None:
                    best = (min(size, len(rest)), Decoded(
                        "sxh485", rest[:size], f"SXH485? {rest[:size].hex(' ')}", error=str(exc)))
                continue
            name = self._names().get(frame.type if direction is s.Direction.REQUEST
                                       else frame.type - 0x80)
            details = [f"parameter {name}"] if name else []
            if frame.data and len(frame.data) <= 4:
                value = int.from_bytes(frame.data, "little")
                details.append(f"value {value} (0x{value:x})")
            summary = f"SXH485 {direction.value}: {s.annotate(frame, profile)}"
            return size, Decoded("sxh485", rest[:size], summary, tuple(details),
                                 fields={"direction": direction.value, "address": frame.address,
                                         "message_type": frame.type})
        if best is None:
            return len(rest), Decoded("sxh485", rest, f"SXH485? {rest.hex(' ')}",
                                      error=f"truncated SXH485 frame ({len(rest)} bytes)")
        return best
