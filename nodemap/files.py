"""File access through the node map: the SFNC FileAccessControl features, end to end.

:class:`FileAccess` is the engine side of the GenICam reference's ``FileProtocolAdapter``.
It touches the device only through features, in the reference's order (measured with a
logging port against ``genicam.genapi.FileProtocolAdapter``):

- open: ``FileSelector``, ``FileOpenMode``, ``FileOperationSelector = Open``,
  ``FileOperationExecute``, poll until done, ``FileOperationStatus``;
- write, per buffer-full: ``FileSelector``, ``FileOperationSelector = Write``,
  ``FileAccessOffset``, ``FileAccessLength``, ``FileAccessBuffer`` (the leading bytes),
  execute, poll, ``FileOperationResult`` (bytes stored), ``FileOperationStatus``;
- read, per buffer-full: the same with ``Read``, then the first ``FileOperationResult``
  bytes of ``FileAccessBuffer``; a result of 0 is the end of the file;
- close and delete: select, operation, execute, poll, status.

Unlike the reference (which polls a stuck command forever) every wait is bounded by time
and by count, and every failure is a :class:`~nodemap.errors.FileAccessError` naming the
file, the operation and the device's ``FileOperationStatus``.  ``read`` also holds the
device to its ``FileSize``: more bytes than it claims, or fewer, is an error.

:class:`Files` is the protocol every ``cam.files`` answers (this class over GenApi
features; the VS-1 transport's FTP service behind the same methods).
"""

from __future__ import annotations

import io
import logging
import time
from typing import Any, Callable, Protocol, runtime_checkable

from .errors import (FileAccessError, FileTimeoutError, NodeMapError, RangeError,
                     UnsupportedError)
from .nodemap import NodeMap

__all__ = ["FEATURES", "Files", "FileAccess", "DeviceFile", "WholeFile", "Progress",
           "supports_files"]

log = logging.getLogger(__name__)

#: ``progress(bytes_done, bytes_total)``; ``bytes_total`` is None when nobody knows it yet.
Progress = Callable[[int, "int | None"], None]

#: The SFNC FileAccessControl features :class:`FileAccess` needs (``FileSize`` is optional).
FEATURES = ("FileSelector", "FileOperationSelector", "FileOperationExecute", "FileOpenMode",
            "FileAccessBuffer", "FileAccessOffset", "FileAccessLength",
            "FileOperationStatus", "FileOperationResult")

_MODES = {"rb": "Read", "r": "Read", "wb": "Write", "w": "Write"}


@runtime_checkable
class Files(Protocol):
    """What ``cam.files`` offers, whatever carries the files."""

    def list(self) -> list[str]: ...

    def read(self, name: str, progress: Progress | None = None) -> bytes: ...

    def write(self, name: str, data: bytes, progress: Progress | None = None) -> int: ...

    def open(self, name: str, mode: str = "rb") -> io.RawIOBase: ...


def supports_files(nodemap: NodeMap) -> bool:
    """True when ``nodemap`` has every FileAccessControl feature :class:`FileAccess` needs."""
    return all(name in nodemap.features for name in FEATURES)


class FileAccess:
    """Files on the device through the node map's FileAccessControl features.

    ``timeout`` bounds each operation's wait for ``FileOperationExecute`` to finish (and
    ``max_polls`` the number of polls); ``max_size`` bounds a read of a device without
    ``FileSize``.
    """

    def __init__(self, nodemap: NodeMap, *, timeout: float = 5.0, max_polls: int = 100_000,
                 max_size: int = 1 << 30) -> None:
        missing = [name for name in FEATURES if name not in nodemap.features]
        if missing:
            raise UnsupportedError(f"this device has no file access: its description lacks "
                              f"{', '.join(missing)} (SFNC FileAccessControl)")
        self.nodemap = nodemap
        self.features = nodemap.features
        self.timeout = timeout
        self.max_polls = max_polls
        self.max_size = max_size
        self.has_size = "FileSize" in nodemap.features
        self._behind: dict[str, tuple[Any, ...]] | None = None

    def __repr__(self) -> str:
        return f"<FileAccess {self.list()}>"

    # ------------------------------------------------------------------ the Files protocol

    def list(self) -> list[str]:
        """The files the device names (``FileSelector``'s implemented entries)."""
        try:
            return list(self.features["FileSelector"].entries)
        except NodeMapError as exc:
            raise FileAccessError(f"cannot list the device's files: {exc}",
                                  operation="List") from exc

    def read(self, name: str, progress: Progress | None = None) -> bytes:
        """The whole of file ``name``; ``progress(done, total)`` after each buffer-full."""
        with self.open(name, "rb") as handle:
            assert isinstance(handle, DeviceFile)
            return handle.read_all(progress)

    def write(self, name: str, data: bytes, progress: Progress | None = None) -> int:
        """Replace file ``name`` with ``data``; returns the bytes written."""
        data = bytes(data)
        with self.open(name, "wb") as handle:
            assert isinstance(handle, DeviceFile)
            if progress is not None:
                progress(0, len(data))
            if data:
                self.write_span(name, 0, data, progress=progress, chunk=handle.chunk)
        return len(data)

    def open(self, name: str, mode: str = "rb") -> io.RawIOBase:
        """A binary file object over file ``name``: ``"rb"`` reads (seekable), ``"wb"``
        empties the file and writes from its start.  Closing it closes the device file."""
        if mode not in _MODES:
            raise RangeError(f"file {name!r}: mode {mode!r} is not one of 'rb', 'wb'")
        return DeviceFile(self, name, _MODES[mode])

    # ------------------------------------------------------------------ extras

    def size(self, name: str) -> int | None:
        """``FileSize`` of ``name`` (None when the description has no FileSize)."""
        with self.nodemap.lock:
            if not self.has_size:
                return None
            self.select(name)
            size: int | None = self._get(name, "Size", "FileSize", fresh=True)
            return size

    def delete(self, name: str) -> None:
        """Delete file ``name`` (it must be closed)."""
        with self.nodemap.lock:
            self.select(name)
            self._set(name, "Delete", "FileOperationSelector", "Delete")
            self.execute(name, "Delete")

    def buffer_size(self, name: str, operation: str = "Read") -> int:
        """The most bytes one Read or Write moves: ``FileAccessBuffer``'s length, no more
        than ``FileAccessLength``'s maximum (selected for ``name`` and ``operation``)."""
        with self.nodemap.lock:
            self.select(name)
            self._set(name, operation, "FileOperationSelector", operation)
            try:
                size = int(self.features["FileAccessBuffer"].length)
            except NodeMapError:
                size = len(self.features["FileAccessBuffer"].value)
            try:
                size = min(size, int(self.features["FileAccessLength"].max))
            except (NodeMapError, TypeError, ValueError):
                pass
            if size <= 0:
                raise FileAccessError(f"file {name!r}: FileAccessBuffer holds {size} bytes; the "
                                      f"device cannot move data", file=name, operation="Open")
            return size

    # ------------------------------------------------------------------ operations

    def select(self, name: str) -> None:
        selector = self.features["FileSelector"]
        try:
            selector.value = name
        except RangeError as exc:
            raise FileAccessError(f"no file {name!r} on this device; it has "
                                  f"{', '.join(self.list()) or 'none'}", file=name,
                                  operation="Select") from exc
        except NodeMapError as exc:
            raise FileAccessError(f"file {name!r}: FileSelector refused it: {exc}",
                                  file=name, operation="Select") from exc

    def open_file(self, name: str, mode: str) -> None:
        """Open ``name`` in ``mode`` (a FileOpenMode entry: Read, Write, ReadWrite)."""
        with self.nodemap.lock:
            self.select(name)
            self._set(name, "Open", "FileOpenMode", mode)
            self._set(name, "Open", "FileOperationSelector", "Open")
            self.execute(name, "Open")

    def close_file(self, name: str) -> None:
        with self.nodemap.lock:
            self.select(name)
            self._set(name, "Close", "FileOperationSelector", "Close")
            self.execute(name, "Close")

    def read_span(self, name: str, offset: int, length: int, *, chunk: int,
                  progress: Progress | None = None, total: int | None = None,
                  selected: bool = False) -> bytes:
        """Read operations from ``offset`` until ``length`` bytes came or the device
        returned 0 (the end of the file); each moves at most ``chunk`` bytes."""
        with self.nodemap.lock:
            if not selected:
                self.select(name)
                self._set(name, "Read", "FileOperationSelector", "Read")
            out = bytearray()
            while len(out) < length:
                data = self.read_chunk(name, offset + len(out), min(chunk, length - len(out)))
                if not data:
                    break
                out += data
                if progress is not None:
                    progress(len(out), total)
            return bytes(out)

    def write_span(self, name: str, offset: int, data: bytes, *, chunk: int,
                   progress: Progress | None = None) -> int:
        """Write operations storing all of ``data`` from ``offset``, a buffer-full each."""
        with self.nodemap.lock:
            self.select(name)
            self._set(name, "Write", "FileOperationSelector", "Write")
            done = 0
            while done < len(data):
                piece = data[done:done + chunk]
                stored = self.write_chunk(name, offset + done, piece)
                if stored == 0:
                    raise FileAccessError(f"file {name!r}: the device stored none of "
                                          f"{len(piece)} bytes at offset {offset + done} (is it "
                                          f"full?)", file=name, operation="Write",
                                          status="Success")
                done += stored
                if progress is not None:
                    progress(done, len(data))
            return done

    def read_chunk(self, name: str, offset: int, length: int) -> bytes:
        """One Read operation (file selected, operation Read): at most ``length`` bytes
        from ``offset``."""
        self._set(name, "Read", "FileAccessOffset", offset)
        self._set(name, "Read", "FileAccessLength", length)
        fetched: list[bytes] = []

        def fetch(result: int) -> None:
            if result < 0 or result > length:
                raise FileAccessError(f"file {name!r}: Read of {length} bytes at offset "
                                      f"{offset} reported FileOperationResult = {result}",
                                      file=name, operation="Read")
            fetched.append(self._buffer(name, result) if result else b"")

        self.execute(name, "Read", fetch)
        return fetched[0]

    def write_chunk(self, name: str, offset: int, data: bytes) -> int:
        """One Write operation (file selected, operation Write): ``data`` (at most a
        buffer-full) at ``offset``; returns the bytes the device stored."""
        self._set(name, "Write", "FileAccessOffset", offset)
        self._set(name, "Write", "FileAccessLength", len(data))
        # zero-padded to a multiple of 4 as the reference does (a GigE Vision WRITEMEM
        # moves whole words; FileAccessLength says how many bytes count)
        padded = bytes(data) + bytes(-len(data) % 4)
        self._set(name, "Write", "FileAccessBuffer", padded[:max(len(data), self._capacity())])
        result = self.execute(name, "Write")
        if result < 0 or result > len(data):
            raise FileAccessError(f"file {name!r}: Write of {len(data)} bytes at offset "
                                  f"{offset} reported FileOperationResult = {result}",
                                  file=name, operation="Write", status="Success")
        return result

    def execute(self, name: str, operation: str,
                fetch: Callable[[int], None] | None = None) -> int:
        """Execute the selected operation (``operation`` names it in messages) and wait
        (bounded) until the device is done; returns ``FileOperationResult`` (Read and
        Write; 0 otherwise).  ``fetch(result)`` runs before the status is checked (the
        reference reads the buffer there)."""
        command = self.features["FileOperationExecute"]
        try:
            command.execute()
        except NodeMapError as exc:
            raise FileAccessError(f"file {name!r}: {operation} could not be started: {exc}",
                                  file=name, operation=operation) from exc
        self._wait(name, operation)
        self._forget()
        result = 0
        if operation in ("Read", "Write"):
            result = int(self._get(name, operation, "FileOperationResult"))
            if fetch is not None:
                fetch(result)
        status = self._get(name, operation, "FileOperationStatus")
        if status != "Success":
            where = f" ({result} bytes moved)" if result else ""
            raise FileAccessError(
                f"file {name!r}: {operation} failed, FileOperationStatus = {status}{where}"
                f"{_remedy(operation, status)}", file=name, operation=operation,
                status=str(status))
        return result

    def _forget(self) -> None:
        """Drop what the operation changed on the device from the caches (status, result,
        buffer, size) - only where something is cached, which a description with NoCache
        registers never has."""
        behind = self._behind
        if behind is None:
            names = [n for n in ("FileOperationStatus", "FileOperationResult",
                                 "FileAccessBuffer", "FileSize") if n in self.features]
            behind = self._behind = {
                name: tuple(self.nodemap._registers_behind(name)) for name in names}
        store = self.nodemap.store
        for name, registers in behind.items():
            if any(store.reads_cached(register.name) for register in registers):
                self.nodemap.invalidate(name)

    def _wait(self, name: str, operation: str) -> None:
        command = self.features["FileOperationExecute"]
        deadline = time.monotonic() + self.timeout
        pause = 0.0
        for polls in range(1, self.max_polls + 1):
            try:
                if command.is_done():
                    return
            except NodeMapError as exc:
                raise FileAccessError(f"file {name!r}: waiting for {operation} failed: {exc}",
                                      file=name, operation=operation) from exc
            if time.monotonic() >= deadline:
                break
            if polls > 3:                    # a slow device: back off, up to 20 ms a poll
                pause = min(0.02, max(0.0005, pause * 2))
                time.sleep(pause)
        raise FileTimeoutError(
            f"file {name!r}: the device did not finish {operation} within {self.timeout} s "
            f"({polls} polls of FileOperationExecute); it may be busy or hung - power-cycle "
            f"it or raise the timeout", file=name, operation=operation)

    def _set(self, name: str, operation: str, feature: str, value: Any) -> None:
        try:
            self.features[feature].value = value
        except NodeMapError as exc:
            raise FileAccessError(f"file {name!r}: {operation}: cannot set {feature} to "
                                  f"{_short(value)}: {exc}", file=name,
                                  operation=operation) from exc

    def _get(self, name: str, operation: str, feature: str, fresh: bool = False) -> Any:
        try:
            if fresh:
                self.nodemap.invalidate(feature)
            return self.features[feature].value
        except NodeMapError as exc:
            raise FileAccessError(f"file {name!r}: {operation}: cannot read {feature}: {exc}",
                                  file=name, operation=operation) from exc

    def _capacity(self) -> int:
        try:
            return int(self.features["FileAccessBuffer"].length)
        except (NodeMapError, TypeError, ValueError):
            return 0

    def _buffer(self, name: str, count: int) -> bytes:
        """The first ``count`` bytes of FileAccessBuffer (just those: the reference does
        the same, and it spares a full-buffer transfer at the end of a file)."""
        feature = self.features["FileAccessBuffer"]
        try:
            node: Any = feature.node
            if hasattr(node, "read_bytes") and hasattr(node, "port_name"):
                node.check_readable()
                length = int(node.length())
                if count > length:
                    raise FileAccessError(f"file {name!r}: FileOperationResult {count} exceeds "
                                          f"FileAccessBuffer's {length} bytes", file=name,
                                          operation="Read", status="Success")
                data = self.nodemap.port(node.port_name).read(node.get_address(), count)
            else:
                data = feature.value[:count]
        except FileAccessError:
            raise
        except (NodeMapError, OSError) as exc:
            raise FileAccessError(f"file {name!r}: Read: cannot read FileAccessBuffer: {exc}",
                                  file=name, operation="Read") from exc
        if len(data) != count:
            raise FileAccessError(f"file {name!r}: FileAccessBuffer gave {len(data)} of "
                                  f"{count} bytes", file=name, operation="Read")
        return bytes(data)


class _OneWayFile(io.RawIOBase):
    """What both file objects share: a name and a position, open either for reading
    (``"rb"``, seekable) or for writing (``"wb"``, appending where the last write ended).
    Subclasses say which (``_reading``), check they are open (``_check_open``) and give
    the size ``SEEK_END`` counts from (``_size``, None when unknown)."""

    name: str
    position: int

    def _reading(self) -> bool:
        raise NotImplementedError

    def _check_open(self) -> None:
        raise NotImplementedError

    def _size(self) -> int | None:
        raise NotImplementedError

    @property
    def mode(self) -> str:
        return "rb" if self._reading() else "wb"

    def readable(self) -> bool:
        return self._reading()

    def writable(self) -> bool:
        return not self._reading()

    def seekable(self) -> bool:
        return self._reading()

    def tell(self) -> int:
        self._check_open()
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._check_open()
        if not self.seekable():
            raise io.UnsupportedOperation(f"file {self.name!r} is open for writing: "
                                          f"writes go on from where the last one ended")
        if whence == io.SEEK_SET:
            target = offset
        elif whence == io.SEEK_CUR:
            target = self.position + offset
        elif whence == io.SEEK_END:
            size = self._size()
            if size is None:
                raise io.UnsupportedOperation("this device has no FileSize to seek from")
            target = size + offset
        else:
            raise ValueError(f"invalid whence {whence}")
        if target < 0:
            raise ValueError(f"negative seek position {target}")
        self.position = target
        return target


class DeviceFile(_OneWayFile):
    """One open file on the device (what :meth:`FileAccess.open` returns)."""

    def __init__(self, access: FileAccess, name: str, mode: str) -> None:
        super().__init__()
        self._open = False
        self.access = access
        self.name = name
        self.mode_name = mode
        self.position = 0
        access.open_file(name, mode)
        self._open = True
        self.chunk = access.buffer_size(name, "Read" if mode == "Read" else "Write")

    def __repr__(self) -> str:
        return (f"<DeviceFile {self.name!r} {self.mode_name} at {self.position}"
                f"{'' if self._open else ' closed'}>")

    def _reading(self) -> bool:
        return self.mode_name == "Read"

    def _size(self) -> int | None:
        return self.access.size(self.name)

    def readinto(self, buffer: Any) -> int:
        self._check_open()
        if not self.readable():
            raise io.UnsupportedOperation(f"file {self.name!r} is open for writing")
        view = memoryview(buffer).cast("B")
        if not len(view):
            return 0
        data = self.access.read_span(self.name, self.position, len(view), chunk=self.chunk)
        view[:len(data)] = data
        self.position += len(data)
        return len(data)

    def write(self, data: Any) -> int:
        self._check_open()
        if not self.writable():
            raise io.UnsupportedOperation(f"file {self.name!r} is open for reading")
        view = bytes(memoryview(data).cast("B"))
        if not view:
            return 0
        stored = self.access.write_span(self.name, self.position, view, chunk=self.chunk)
        self.position += stored
        return stored

    def read_all(self, progress: Progress | None = None) -> bytes:
        """Read from the current position to the end, held to ``FileSize``."""
        with self.access.nodemap.lock:          # one selection for the whole transfer
            return self._read_all(progress)

    def _read_all(self, progress: Progress | None) -> bytes:
        access, name = self.access, self.name
        access.select(name)
        access._set(name, "Read", "FileOperationSelector", "Read")
        total = access._get(name, "Size", "FileSize", fresh=True) if access.has_size else None
        if total is not None and (not isinstance(total, int) or total < 0):
            raise FileAccessError(f"file {name!r}: FileSize is {total!r}", file=name,
                                  operation="Read")
        limit = total if total is not None else access.max_size
        if progress is not None:
            progress(0, total)
        start = self.position
        data = access.read_span(name, start, max(0, limit - start), chunk=self.chunk,
                                progress=progress, total=total, selected=True)
        self.position += len(data)
        if total is None:
            if self.position >= limit:
                raise FileAccessError(f"file {name!r} is larger than {limit} bytes (the "
                                      f"device has no FileSize); raise max_size", file=name,
                                      operation="Read")
            return data
        if self.position < total:
            raise FileAccessError(f"file {name!r}: the device returned {self.position} of "
                                  f"the {total} bytes FileSize claims (a short read)",
                                  file=name, operation="Read", status="Success")
        if access.read_chunk(name, self.position, self.chunk):
            raise FileAccessError(f"file {name!r} is larger than the {total} bytes FileSize "
                                  f"claims (the device returned more at offset "
                                  f"{self.position})", file=name, operation="Read",
                                  status="Success")
        return data

    def readall(self) -> bytes:
        self._check_open()
        if not self.readable():
            raise io.UnsupportedOperation(f"file {self.name!r} is open for writing")
        return self.read_all()

    def close(self) -> None:
        if self._open:
            self._open = False
            try:
                self.access.close_file(self.name)
            finally:
                super().close()
        else:
            super().close()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc is None:
            self.close()
            return
        try:                                   # keep the first error, not the close's
            self.close()
        except NodeMapError as close_error:
            log.info("closing %r after an error also failed: %s", self.name, close_error)

    def __del__(self) -> None:
        if getattr(self, "_open", False):      # dropped unclosed: close, quietly
            try:
                self.close()
            except Exception as exc:  # noqa: BLE001 - nowhere to report it
                log.info("closing dropped device file %r failed: %s", self.name, exc)

    def _check_open(self) -> None:
        if not self._open:
            raise ValueError(f"I/O operation on closed device file {self.name!r}")


class WholeFile(_OneWayFile):
    """A file moved in one piece, for services that only transfer whole files (FTP):
    ``"rb"`` reads from the bytes fetched at open; ``"wb"`` collects what is written and
    hands it to ``store`` on close (an error there is raised by ``close``)."""

    def __init__(self, name: str, mode: str, data: bytes = b"",
                 store: Callable[[bytes], Any] | None = None) -> None:
        super().__init__()
        if mode not in ("rb", "wb"):
            raise RangeError(f"file {name!r}: mode {mode!r} is not one of 'rb', 'wb'")
        self.name = name
        self._mode = mode
        self._data = bytearray(data) if mode == "rb" else bytearray()
        self._store = store
        self.position = 0

    def __repr__(self) -> str:
        return f"<WholeFile {self.name!r} {self._mode}{' closed' if self.closed else ''}>"

    def _reading(self) -> bool:
        return self._mode == "rb"

    def _check_open(self) -> None:
        self._checkClosed()

    def _size(self) -> int:
        return len(self._data)

    def readinto(self, buffer: Any) -> int:
        self._check_open()
        if not self.readable():
            raise io.UnsupportedOperation(f"file {self.name!r} is open for writing")
        view = memoryview(buffer).cast("B")
        chunk = self._data[self.position:self.position + len(view)]
        view[:len(chunk)] = chunk
        self.position += len(chunk)
        return len(chunk)

    def write(self, data: Any) -> int:
        self._check_open()
        if not self.writable():
            raise io.UnsupportedOperation(f"file {self.name!r} is open for reading")
        chunk = bytes(memoryview(data).cast("B"))
        self._data += chunk
        return len(chunk)

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc is not None:
            self._store = None                  # an error inside ``with``: store nothing
        self.close()

    def close(self) -> None:
        if self.closed:
            return
        try:
            if self._mode == "wb" and self._store is not None:
                self._store(bytes(self._data))
        finally:
            super().close()


def _short(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return f"{len(value)} bytes"
    return repr(value)


def _remedy(operation: str, status: Any) -> str:
    if operation == "Open":
        return ("; the file may be open already, read-only, or not allowed in this mode")
    if operation == "Write" and status == "Overflow":
        return "; the file is full (larger than the device allows)"
    if operation == "Delete":
        return "; close it first, or the device does not allow deleting it"
    return ""
