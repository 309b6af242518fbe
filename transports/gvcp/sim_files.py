"""The simulated device's files: the SFNC FileAccessControl features served from memory.

The device stays description-agnostic, as :mod:`.acquisition` does: it asks the served XML
(through a node map bound straight to its register memory) where ``FileSelector``,
``FileOperationSelector``, ``FileOperationExecute``, ``FileOpenMode``,
``FileAccessOffset``/``FileAccessLength``, ``FileAccessBuffer``, ``FileOperationStatus``,
``FileOperationResult`` and ``FileSize`` live.  A write that makes ``FileOperationExecute``
read its command value performs the selected operation on a small in-memory file store and
clears the command register again (the host's ``is_done()``); a write of the selector
register updates ``FileSize``.  Nothing is persisted: the files live as long as the device.

Semantics (what a host can rely on, and what the tests check):

- ``Open`` in ``Read`` mode needs a readable file, ``Write`` a writable one and empties
  it first, ``ReadWrite`` both (keeps the content).  Opening an open file fails.
- ``Read`` copies ``min(FileAccessLength, size - FileAccessOffset)`` bytes into the buffer;
  ``FileOperationResult`` is that count (0 at the end of the file).  An offset beyond the
  end fails.
- ``Write`` stores the first ``FileAccessLength`` buffer bytes at ``FileAccessOffset`` (no
  holes: the offset must be at most the size).  A write past the file's capacity stores
  nothing and reports ``Overflow`` (``Failure`` where the XML has no such entry).
- ``Close`` closes an open file; ``Delete`` empties a closed, deletable file.
- Every refusal is ``FileOperationStatus = Failure`` with ``FileOperationResult = 0``.
- Files left open are closed when control of the device ends (released or expired).

:class:`FileFaults` makes the device misbehave on purpose (tests): a command that never
finishes, a ``FileSize`` that under-reports, reads that return fewer bytes than asked.
"""

from __future__ import annotations

import logging
from typing import Any

import attrs

from nodemap.errors import NodeMapError
from nodemap.nodemap import NodeMap
from nodemap.nodes.registers import RegisterNode

from .acquisition import _MemoryPort

__all__ = ["FileFaults", "SimFile", "SimFiles", "default_files"]

log = logging.getLogger("nodemap.gvcp.device")

FEATURES = ("FileSelector", "FileOperationSelector", "FileOperationExecute", "FileOpenMode",
            "FileAccessBuffer", "FileAccessOffset", "FileAccessLength", "FileOperationStatus",
            "FileOperationResult", "FileSize")


@attrs.define
class SimFile:
    """One file of the store: its bytes, how large it may grow, what may be done to it."""

    data: bytearray
    capacity: int
    readable: bool = True
    writable: bool = True
    deletable: bool = True
    mode: str | None = None            # the open mode while open


@attrs.define
class FileFaults:
    """Deliberate misbehaviour: ``stall`` leaves FileOperationExecute set (never done);
    ``size_bias`` is added to the FileSize reported (negative: under-reports);
    ``short_read`` caps every Read at that many bytes (0: a read returns nothing)."""

    stall: bool = False
    size_bias: int = 0
    short_read: int | None = None


def _user_set() -> bytes:
    lines = ["# NM-Demo-1300 user set 1", "Width=1280", "Height=960", "PixelFormat=Mono8",
             "ExposureTime=10000.0", "Gain[All]=0"]
    return ("\n".join(lines) + "\n").encode()


def default_files() -> dict[str, SimFile]:
    """The demo camera's files: UserSet1, a 1024-entry 16-bit LUT (identity ramp scaled to
    12 bits), the device log (read only) and empty user data."""
    lut = b"".join((i * 4).to_bytes(2, "big") for i in range(1024))
    log_text = (b"0.000 boot: NM-Demo-1300 simulated by nodemap\n"
                b"0.012 sensor: 1280x960 ready\n"
                b"0.020 gvcp: listening\n")
    return {
        "UserSet1": SimFile(bytearray(_user_set()), 4096),
        "LUTLuminance": SimFile(bytearray(lut), len(lut), deletable=False),
        "DeviceLog": SimFile(bytearray(log_text), 1 << 16, writable=False, deletable=False),
        "UserData": SimFile(bytearray(), 1 << 16),
    }


class SimFiles:
    """The file store behind one served XML; :meth:`written` is the device's write hook."""

    def __init__(self, nodemap: NodeMap, memory: Any, registers: dict[str, RegisterNode],
                 command_value: int, files: dict[str, SimFile] | None = None) -> None:
        self.nodemap = nodemap
        self.memory = memory
        self.registers = registers
        self.command_value = command_value
        self.files = default_files() if files is None else files
        self.faults = FileFaults()
        self.operations = 0               # executed operations (tests count them)
        self._update_size()

    @classmethod
    def from_xml(cls, xml: bytes, memory: Any,
                 files: dict[str, SimFile] | None = None) -> "SimFiles | None":
        """The store for ``xml``, or None when it has no complete FileAccessControl set."""
        nodemap = NodeMap.from_xml(xml)
        if not all(name in nodemap for name in FEATURES):
            return None
        ports = [n for n in nodemap.names if _kind(nodemap, n) == "Port"]
        for name in ports or ["Device"]:
            nodemap.connect(_MemoryPort(memory), name)
        registers: dict[str, RegisterNode] = {}
        try:
            for name in FEATURES:
                node: Any = nodemap.node(name)
                register = node if isinstance(node, RegisterNode) else node.source()[0]
                if not isinstance(register, RegisterNode):
                    raise NodeMapError(f"{name} is not backed by a plain register")
                registers[name] = register
            command_value = int(nodemap.node("FileOperationExecute").command_value())  # type: ignore[attr-defined]
        except (NodeMapError, AttributeError, KeyError) as exc:
            log.warning("the served XML's file access features cannot be served (%s): the "
                        "simulated device has no files", exc)
            return None
        return cls(nodemap, memory, registers, command_value, files)

    # ------------------------------------------------------------------ the device's hook

    def written(self, address: int) -> None:
        """React to a host write at ``address`` (after the device stored it)."""
        if self._spans("FileSelector", address):
            self._update_size()
        if self._spans("FileOperationExecute", address):
            register = self.registers["FileOperationExecute"]
            raw = self.memory.read(register.get_address(), register.length())
            if register.decode(raw) == self.command_value:  # type: ignore[attr-defined]
                self.execute()
                if not self.faults.stall:
                    self._put("FileOperationExecute", 0)

    def close_all(self) -> None:
        """Close every open file (the controlling application went away)."""
        for name, entry in self.files.items():
            if entry.mode is not None:
                log.info("file %s closed: control of the device ended", name)
                entry.mode = None

    def _spans(self, name: str, address: int) -> bool:
        register = self.registers[name]
        start = register.get_address()
        return start <= address < start + register.length()

    # ------------------------------------------------------------------ operations

    def execute(self) -> None:
        """Perform the selected operation on the selected file now."""
        self.operations += 1
        self.nodemap.invalidate()
        try:
            name = str(self.nodemap.features["FileSelector"].value)
            operation = str(self.nodemap.features["FileOperationSelector"].value)
        except NodeMapError as exc:
            log.info("file operation with an invalid selector: %s", exc)
            self._report("Failure", 0)
            return
        entry = self.files.get(name)
        if entry is None:
            self._report("Failure", 0)
            return
        handler = getattr(self, f"_op_{operation.lower()}", None)
        status, result = handler(name, entry) if handler is not None else ("Failure", 0)
        log.debug("file %s %s: %s, result %d", name, operation, status, result)
        self._report(status, result)
        self._update_size()

    def _op_open(self, name: str, entry: SimFile) -> tuple[str, int]:
        mode = str(self.nodemap.features["FileOpenMode"].value)
        wants_read = mode in ("Read", "ReadWrite")
        wants_write = mode in ("Write", "ReadWrite")
        if entry.mode is not None or (wants_read and not entry.readable) or \
                (wants_write and not entry.writable):
            return "Failure", 0
        entry.mode = mode
        if mode == "Write":
            del entry.data[:]
        return "Success", 0

    def _op_close(self, name: str, entry: SimFile) -> tuple[str, int]:
        if entry.mode is None:
            return "Failure", 0
        entry.mode = None
        return "Success", 0

    def _op_read(self, name: str, entry: SimFile) -> tuple[str, int]:
        if entry.mode not in ("Read", "ReadWrite"):
            return "Failure", 0
        offset, length = self._window()
        if offset > len(entry.data):
            return "Failure", 0
        chunk = bytes(entry.data[offset:offset + length])
        if self.faults.short_read is not None:
            chunk = chunk[:self.faults.short_read]
        buffer = self.registers["FileAccessBuffer"]
        self.memory.write(buffer.get_address(), chunk)
        return "Success", len(chunk)

    def _op_write(self, name: str, entry: SimFile) -> tuple[str, int]:
        if entry.mode not in ("Write", "ReadWrite"):
            return "Failure", 0
        offset, length = self._window()
        if offset > len(entry.data):
            return "Failure", 0
        if offset + length > entry.capacity:
            return self._overflow(), 0
        buffer = self.registers["FileAccessBuffer"]
        entry.data[offset:offset + length] = self.memory.read(buffer.get_address(), length)
        return "Success", length

    def _op_delete(self, name: str, entry: SimFile) -> tuple[str, int]:
        if entry.mode is not None or not entry.deletable:
            return "Failure", 0
        del entry.data[:]
        return "Success", 0

    def _window(self) -> tuple[int, int]:
        features = self.nodemap.features
        buffer_length = self.registers["FileAccessBuffer"].length()
        offset = int(features["FileAccessOffset"].value)
        length = min(int(features["FileAccessLength"].value), buffer_length)
        return offset, max(0, length)

    def _overflow(self) -> str:
        entries = self.nodemap.features["FileOperationStatus"].entries
        return "Overflow" if "Overflow" in entries else "Failure"

    # ------------------------------------------------------------------ registers

    def _report(self, status: str, result: int) -> None:
        self._put("FileOperationStatus", self._entry_value("FileOperationStatus", status))
        self._put("FileOperationResult", result)

    def _update_size(self) -> None:
        try:
            self.nodemap.invalidate()
            name = str(self.nodemap.features["FileSelector"].value)
        except NodeMapError:
            size = 0
        else:
            entry = self.files.get(name)
            size = len(entry.data) if entry is not None else 0
        self._put("FileSize", max(0, size + self.faults.size_bias))

    def _entry_value(self, enumeration: str, symbol: str) -> int:
        return int(self.nodemap.node(f"EnumEntry_{enumeration}_{symbol}").get())

    def _put(self, name: str, value: int) -> None:
        register = self.registers[name]
        self.memory.write(register.get_address(), register.encode(value))  # type: ignore[attr-defined]


def _kind(nodemap: NodeMap, name: str) -> str:
    try:
        return nodemap.node(name).kind
    except (KeyError, NodeMapError):
        return ""
