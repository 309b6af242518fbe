"""The simulated device reading its own GenApi XML: which register writes are the SFNC
acquisition commands, and what Width/Height/PixelFormat/... the host has programmed.

The device stays description-agnostic: it serves whatever XML it was given, and this
room asks that XML (through a node map bound directly to the device's register memory,
never through GVCP) where ``AcquisitionStart``, ``AcquisitionStop``, ``TriggerSoftware``
and ``TestEventGenerate`` (the SFNC command that sends a Test event) write, and, at each AcquisitionStart, for a snapshot of the image
and acquisition features.  A feature the XML lacks takes the documented default; a
description without ``AcquisitionStart`` simply never streams.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

import attrs

from nodemap.errors import NodeMapError
from nodemap.nodemap import NodeMap
from nodemap.nodes.registers import IntReg
from nodemap.nodes.values import Command

__all__ = ["AcquisitionFeatures", "CommandRegister", "Snapshot", "COMMANDS"]

log = logging.getLogger("nodemap.gvcp.device")

COMMANDS = ("AcquisitionStart", "AcquisitionStop", "TriggerSoftware", "TestEventGenerate")
MONO8 = 0x01080001


@attrs.frozen(slots=True)
class CommandRegister:
    """A Command feature's register: it fires when a write leaves ``decode(bytes) == value``."""

    name: str
    address: int
    length: int
    value: int
    decode: Callable[[bytes], int]

    def fired(self, data: bytes) -> bool:
        return self.decode(data) == self.value


@attrs.frozen(slots=True)
class Snapshot:
    """The image and acquisition settings at AcquisitionStart."""

    width: int = 640
    height: int = 480
    offset_x: int = 0
    offset_y: int = 0
    pixel_format: int = MONO8
    payload_size: int | None = None
    frame_rate: float = 0.0            # 0: as fast as the link allows
    mode: str = "Continuous"           # Continuous | SingleFrame | MultiFrame
    frame_count: int = 1               # MultiFrame
    triggered: bool = False            # TriggerMode On: one frame per TriggerSoftware


class _MemoryPort:
    """A Port straight onto the device's register memory (no GVCP, no access checks)."""

    def __init__(self, memory: Any) -> None:
        self.memory = memory

    def read(self, address: int, length: int) -> bytes:
        return bytes(self.memory.read(address, length))

    def write(self, address: int, data: bytes) -> None:
        self.memory.write(address, data)


class AcquisitionFeatures:
    """The device's own node map over its memory; built once per served XML."""

    def __init__(self, xml: bytes, memory: Any) -> None:
        self.nodemap = NodeMap.from_xml(xml)
        port_names = [n for n in self.nodemap.names if self._is_port(n)]
        for name in port_names or ["Device"]:
            self.nodemap.connect(_MemoryPort(memory), name)
        self.commands: dict[str, CommandRegister] = {}
        for name in COMMANDS:
            command = self._command(name)
            if command is not None:
                self.commands[name] = command

    def _is_port(self, name: str) -> bool:
        try:
            return self.nodemap.node(name).kind == "Port"
        except (KeyError, NodeMapError):
            return False

    def _command(self, name: str) -> CommandRegister | None:
        if name not in self.nodemap:
            return None
        try:
            node = self.nodemap.node(name)
            if not isinstance(node, Command):
                raise NodeMapError(f"it is {_article(node.kind)} {node.kind}, not a Command")
            register, _ = node.source()
            if not isinstance(register, IntReg):          # IntReg and MaskedIntReg decode ints
                return None
            return CommandRegister(name, register.get_address(), register.length(),
                                   node.command_value(), register.decode)
        except (NodeMapError, KeyError) as exc:
            log.warning("%s in the served XML has no plain register (%s): the simulated "
                        "device will not react to it", name, exc)
            return None

    @property
    def streams(self) -> bool:
        return "AcquisitionStart" in self.commands

    def fired(self, address: int, memory: Any) -> list[str]:
        """Commands whose register spans ``address`` and whose value now says 'execute'."""
        out = []
        for command in self.commands.values():
            if command.address <= address < command.address + command.length:
                if command.fired(memory.read(command.address, command.length)):
                    out.append(command.name)
        return out

    def _value(self, name: str, default: Any, attribute: str = "value") -> Any:
        if name not in self.nodemap:
            return default
        try:
            return getattr(self.nodemap.features[name], attribute)
        except (NodeMapError, KeyError, AttributeError) as exc:
            log.debug("cannot read %s from the served XML (%s): using %r", name, exc, default)
            return default

    def snapshot(self) -> Snapshot:
        """Read the features now (caches dropped first: the host writes behind our back)."""
        self.nodemap.invalidate()
        d = Snapshot()
        mode = str(self._value("AcquisitionMode", d.mode))
        trigger = str(self._value("TriggerMode", "Off"))
        return Snapshot(
            width=int(self._value("Width", d.width)),
            height=int(self._value("Height", d.height)),
            offset_x=int(self._value("OffsetX", 0)),
            offset_y=int(self._value("OffsetY", 0)),
            pixel_format=int(self._value("PixelFormat", d.pixel_format, "int_value")),
            payload_size=self._value("PayloadSize", None),
            frame_rate=float(self._value("AcquisitionFrameRate", 0.0) or 0.0),
            mode=mode if mode in ("Continuous", "SingleFrame", "MultiFrame") else "Continuous",
            frame_count=max(1, int(self._value("AcquisitionFrameCount", 1) or 1)),
            triggered=trigger == "On")


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"
