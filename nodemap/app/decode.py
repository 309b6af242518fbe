"""Annotate captured packets of every transport that has a capture decoder.

``nodemap decode`` uses this; so can a script::

    from nodemap.app.decode import Decoder
    for packet in Decoder().decode_text("42 01 00 82 00 08 00 26 00 00 0d 04 00 00 05 dc"):
        print(packet.render())
    # WRITEREG_CMD (0x0082) req 0x0026 flags 0x01 (ack required)
    #   SCPS0 (Stream Channel #0 Packet Size) (0x00000d04) ← 0x000005dc (1500)

Input is hex text with any spacing, newlines, ``0x`` prefixes or ``:``/``-`` separators;
lines starting with ``#`` and lines that are not hex are skipped (so a whole capture file
with its comments can be pasted).  The hex is one byte stream, split into packets by each
protocol's own framing: every installed transport plugin's
:class:`~nodemap.plugin.CaptureDecoder` is asked in ascending priority whether a packet of
its protocol starts at the current offset (SXH485's ``EB 90`` magic first, VISCA's
address/terminator framing next, GVCP's length field last).  Register names come from each
transport's shipped description and from any ``--xml`` the user passes; an ack is matched
with the command of the same request id seen earlier in the stream.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from ..capture import CaptureContext, Decoded, RegisterNames, hex_bytes
from ..plugin import CaptureDecoder
from .plugins import plugins

__all__ = ["Decoded", "Decoder", "RegisterNames", "decoder_options", "hex_bytes"]


def decoder_options() -> list[Any]:
    """The command-line options every plugin's decoder adds to ``nodemap decode``."""
    return [option for plugin in plugins().values() for option in plugin.decode_options]


class Decoder:
    """Splits a byte stream into packets and annotates each (see the module docstring).

    ``options`` are the decoders' own (e.g. ``sxh485_profile="h200"``).
    """

    def __init__(self, xml: Iterable[Any] = (), **options: Any) -> None:
        self.context = CaptureContext(options=dict(options))
        for source in xml:
            self.context.names.add_xml(
                source, label=str(source) if isinstance(source, (str, Path)) else "xml")
        decoders: list[CaptureDecoder] = []
        for plugin in plugins().values():
            decoder = plugin.capture_decoder(**options)
            if decoder is not None:
                decoders.append(decoder)
        self.decoders = sorted(decoders, key=lambda d: d.priority)

    @property
    def names(self) -> RegisterNames:
        return self.context.names

    def decode_text(self, text: str) -> list[Decoded]:
        data, _ = hex_bytes(text)
        return self.decode_bytes(data)

    def decode_bytes(self, data: bytes) -> list[Decoded]:
        out: list[Decoded] = []
        offset = 0
        while offset < len(data):
            size, decoded = self._next(data[offset:])
            out.append(decoded)
            offset += max(size, 1)
        return out

    def _next(self, rest: bytes) -> tuple[int, Decoded]:
        for decoder in self.decoders:
            claimed = decoder.decode_next(rest, self.context)
            if claimed is not None:
                return claimed
        return len(rest), Decoded("unknown", rest, f"{len(rest)} stray bytes: {rest.hex(' ')}",
                                  error="too short for any packet" if len(rest) < 8 else
                                  "no installed decoder recognises these bytes")
