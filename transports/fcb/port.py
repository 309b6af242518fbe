"""The FCB Port: GenApi register reads/writes ↔ VISCA inquiries/commands.

The register address decides everything (layout in :mod:`nodemap.transports.fcb.address`):
a read of a VALUE register sends the inquiry and returns the decoded value as
``length`` big-endian bytes; a write sends the command and returns after its
completion (``wait_completion=False``: after the ACK).  TRIGGER registers implement
GenApi Command semantics: ``execute()`` writes CommandValue → the command is sent and
the write returns after the ACK; ``is_done()`` reads the register back → CommandValue
while that socket is busy, 0 once its completion (or error) arrived.
"""

from __future__ import annotations

import logging
from typing import Mapping

from nodemap.errors import (AccessError, DeviceError, NodeMapError, PortError, ProtocolError,
                            RangeError)

from . import protocol as p
from .address import Encoding, Kind, VirtualAddress
from .bus import CameraSession, Job, device_error

__all__ = ["FcbPort"]

log = logging.getLogger("nodemap.fcb")


class FcbPort:
    """A :class:`nodemap.port.Port` onto one FCB camera of a VISCA bus."""

    def __init__(self, session: CameraSession, *, names: Mapping[int, str] | None = None,
                 wait_completion: bool = True) -> None:
        self.session = session
        self.names = dict(names or {})
        self.wait_completion = wait_completion
        self._settings: dict[int, int] = {}
        self._triggered: dict[int, Job] = {}

    @property
    def address(self) -> int:
        """The VISCA camera address (1–7)."""
        return self.session.address

    # ------------------------------------------------------------ helpers
    def _name(self, address: int) -> str | None:
        """The XML's name of the register at ``address`` (None: not named there)."""
        return self.names.get(address) or self.names.get(address & ~0xFFFF)

    def label(self, address: int, where: VirtualAddress | None = None) -> str:
        name = self._name(address)
        try:
            visca = (where or VirtualAddress.decode(address)).label()
        except ValueError:
            visca = "not an FCB address"
        return f"{name or 'register'} ({visca}, register 0x{address:X})"

    def _decode(self, address: int) -> VirtualAddress:
        try:
            return VirtualAddress.decode(address)
        except ValueError as exc:
            raise PortError(
                f"{self.names.get(address, 'register')} at 0x{address:X} is not an FCB "
                f"virtual address: {exc}; see transports/fcb/address.py for the layout") from None

    def _payload(self, where: VirtualAddress, label: str, value: int, length: int) -> bytes:
        units = where.value_units(length)
        try:
            if where.encoding is Encoding.NIBBLES:
                return where.fixed + p.to_nibbles(value, units)
            if where.encoding is Encoding.BYTES:
                data = value.to_bytes(units, "big")
                if p.TERMINATOR in data:
                    raise ValueError("FF is the VISCA terminator")
                return where.fixed + data
        except (ValueError, OverflowError) as exc:
            raise RangeError(f"{label}: value {value} (0x{value:X}) does not fit the VISCA "
                             f"encoding ({units} {where.encoding.name.lower()}): {exc}") from None
        return where.fixed

    def _decode_value(self, where: VirtualAddress, label: str, data: bytes, units: int) -> int:
        if len(data) != units:
            raise ProtocolError(
                f"{label}: the inquiry reply carries {len(data)} byte(s) ({p.hexdump(data)}), "
                f"the XML address says {units} {where.encoding.name.lower()}; fix the count "
                f"(N) or the register Length in the XML")
        if where.encoding is Encoding.NIBBLES:
            try:
                return p.from_nibbles(data)
            except p.ViscaCodecError as exc:
                raise ProtocolError(f"{label}: {exc}") from None
        return int.from_bytes(data, "big")

    def _inquire(self, where: VirtualAddress, label: str) -> bytes:
        packet = p.encode_inquiry(self.session.address, where.category, where.command,
                                  where.inquiry_payload)
        return self.session.inquiry(packet, label=label)

    @staticmethod
    def _to_register(label: str, value: int, length: int) -> bytes:
        try:
            return value.to_bytes(length, "big")
        except OverflowError:
            raise ProtocolError(f"{label}: the camera's value 0x{value:X} does not fit the "
                                f"{length}-byte register; enlarge Length in the XML") from None

    # ------------------------------------------------------------ Port contract
    def read(self, address: int, length: int) -> bytes:
        try:
            return self._read(address, length)
        except NodeMapError as exc:
            raise exc.locate(feature=self._name(address), address=address)

    def write(self, address: int, data: bytes) -> None:
        try:
            self._write(address, data)
        except NodeMapError as exc:
            raise exc.locate(feature=self._name(address), address=address)

    def _read(self, address: int, length: int) -> bytes:
        where = self._decode(address)
        label = self.label(address, where)
        if where.kind is Kind.VALUE:
            if where.encoding is Encoding.NONE:
                raise PortError(f"{label}: a VALUE register needs a value encoding (E = 1 or 2)")
            units = where.value_units(length)
            value = self._decode_value(where, label, self._inquire(where, label), units)
            return self._to_register(label, value, length)
        if where.kind is Kind.TRIGGER:
            job = self.session.job_for(address)
            return self._to_register(label, job.value if job is not None else 0, length)
        if where.kind is Kind.SETTING:
            return self._to_register(label, self._settings.get(address, 0), length)
        # INQUIRY block
        units = where.count or (where.offset + length)
        if where.encoding is Encoding.NONE:
            raise PortError(f"{label}: an INQUIRY register needs a value encoding (E = 1 or 2)")
        data = self._inquire(where, label)
        value = self._decode_value(where, label, data, units)
        size = (units + 1) // 2 if where.encoding is Encoding.NIBBLES else units
        block = value.to_bytes(size, "big")
        if where.offset + length > len(block):
            raise PortError(f"{label}: bytes {where.offset}..{where.offset + length - 1} lie "
                            f"outside the {len(block)}-byte inquiry reply")
        return block[where.offset:where.offset + length]

    def _write(self, address: int, data: bytes) -> None:
        where = self._decode(address)
        label = self.label(address, where)
        value = int.from_bytes(bytes(data), "big")
        if where.kind is Kind.INQUIRY:
            raise AccessError(f"{label} is read-only: VISCA only has an inquiry for it")
        payload = self._payload(where, label, value, len(data))
        packet = p.encode_command(self.session.address, where.category, where.command, payload)
        if where.kind is Kind.TRIGGER:
            if value == 0:
                log.debug("%s: writing 0 to a command register does nothing", label)
                return
            self._triggered[address] = self.session.command(
                packet, label=label, key=address, value=value, wait=False)
            return
        self.session.command(packet, label=label, key=address, value=0,
                             wait=self.wait_completion)
        if where.kind is Kind.SETTING:
            self._settings[address] = value

    # ------------------------------------------------------------ VISCA extras
    def cancel(self, socket: int) -> bool:
        """Cancel the command on socket 1 or 2 (``8X 2z FF``); False if it was idle."""
        return self.session.cancel(socket)

    def last_error(self, address: int) -> DeviceError | None:
        """The error that ended the last command sent to TRIGGER register ``address``
        (None while it runs, after a completion, or if it never ran)."""
        job = self._triggered.get(address)
        if job is None or job.error is None:
            return None
        return device_error(self.label(address), self.session.address, job.error).locate(
            feature=self._name(address), address=address)

    def busy(self, address: int) -> bool:
        """True while the last command sent to ``address`` holds a socket."""
        return self.session.job_for(address) is not None

    def jobs(self) -> dict[int, Job]:
        """Socket number → the command occupying it."""
        return self.session.jobs()

    def if_clear(self) -> None:
        """Clear this camera's command buffers (IF_Clear)."""
        self.session.if_clear()

    def __repr__(self) -> str:
        return f"<FcbPort camera {self.session.address} on {self.session.bus.name}>"
