"""The VS-1 Port: the virtual register space of :class:`~nodemap.transports.vs1.protocol.RegisterMap`
served from the live link state (result readers, connection states, boot page).

Everything is read-only; any access inside a proprietary service's block raises
:class:`~nodemap.errors.UnsupportedError` with the explanation.
"""

from __future__ import annotations

import logging
from typing import Sequence

from nodemap.errors import AccessError, DeviceError, PortError, UnsupportedError

from .boot import BootPage
from .net import ServiceStates
from .protocol import BOOT_FIELDS, RegisterMap, Slot, Vs1Unmapped, Vs1Unsupported
from .results import ResultReader

__all__ = ["VS1Port"]

log = logging.getLogger("nodemap.vs1")


def _u64(value: int) -> bytes:
    return int(value).to_bytes(8, "little", signed=False)


def _text(value: str, length: int) -> bytes:
    """UTF-8, cut to ``length`` bytes on a character boundary, NUL-padded."""
    data = value.encode("utf-8", errors="replace")
    if len(data) > length:
        data = data[:length].decode("utf-8", errors="ignore").encode("utf-8")
    return data + bytes(length - len(data))


class VS1Port:
    """Port over the VS-1 link state (see :class:`RegisterMap` for the layout)."""

    def __init__(self, readers: Sequence[ResultReader | None], states: ServiceStates,
                 boot: BootPage | None) -> None:
        self.map = RegisterMap()
        self._readers = list(readers)
        self._states = states
        self._boot = boot

    def _render(self, slot: Slot) -> bytes:
        kind = slot.kind
        if kind.startswith("result_"):
            reader = self._readers[slot.index] if slot.index < len(self._readers) else None
            if kind == "result_string":
                latest = reader.latest if reader else None
                return _text(latest.text if latest else "", slot.length)
            if reader is None:
                return _u64(0)
            if kind == "result_count":
                return _u64(reader.count)
            if kind == "result_dropped":
                return _u64(reader.dropped)
            if kind == "result_buffered":
                return _u64(reader.buffered)
            latest = reader.latest  # result_timestamp
            return _u64(int(latest.received * 1_000_000) if latest else 0)
        if kind == "connection_state":
            return int(self._states.get(slot.index)).to_bytes(4, "little")
        if kind == "boot":
            field = BOOT_FIELDS[slot.index]
            if self._boot is None:
                raise DeviceError(f"VS-1 {field.feature} (0x{slot.start:08X}): the HTTP "
                                  f"boot-parameter page is disabled in the vs1:// URL (http=0)")
            parameters = self._boot.parameters()
            if field.label not in parameters:
                raise DeviceError(
                    f"VS-1 {field.feature} (0x{slot.start:08X}): the boot-parameter page "
                    f"{self._boot.url} has no {field.label!r} entry (it has: "
                    f"{', '.join(sorted(parameters))}); cam.boot_parameters() shows what it holds")
            return _text(parameters[field.label], slot.length)
        raise AssertionError(kind)  # pragma: no cover - RegisterMap only yields the kinds above

    def _slot(self, address: int, length: int) -> Slot:
        try:
            return self.map.slot(address, length)
        except Vs1Unsupported as exc:
            raise UnsupportedError(str(exc)) from None
        except Vs1Unmapped as exc:
            raise PortError(str(exc)) from None

    def read(self, address: int, length: int) -> bytes:
        slot = self._slot(address, length)
        data = self._render(slot)
        offset = address - slot.start
        out = data[offset:offset + length]
        if log.isEnabledFor(logging.DEBUG):
            log.debug("VS-1 read 0x%08X+%d (%s) -> %s", address, length, slot.name, out.hex())
        return out

    def write(self, address: int, data: bytes) -> None:
        slot = self._slot(address, len(data))  # raises UnsupportedError for vskit blocks
        raise AccessError(f"VS-1 {slot.name} (0x{slot.start:08X}) is read-only: the published "
                          f"services offer no way to change it")

    def read_many(self, requests: Sequence[tuple[int, int]]) -> list[bytes]:
        return [self.read(address, length) for address, length in requests]

