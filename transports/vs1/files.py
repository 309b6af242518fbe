"""``cam.files``: the VS-1 file system over FTP (port 21), with :mod:`ftplib`.

Each operation opens its own FTP session (binary mode), so a dropped connection never
leaves a half-dead session behind; the outcome updates the Ftp ConnectionState.

Besides its FTP verbs (``download``, ``upload``, ``delete``, ``size``) it answers the
:class:`nodemap.files.Files` protocol every ``cam.files`` shares (``list``, ``read``,
``write``, ``open``); there a failure is a :class:`~nodemap.errors.FileAccessError` naming
the file, the operation and the FTP reply (its ``status``).
"""

from __future__ import annotations

import contextlib
import ftplib
import io
import logging
import os
import socket
from pathlib import Path
from typing import Any, Callable, Iterator, Union

from nodemap.errors import (DeviceError, FileAccessError, FileTimeoutError, NodeMapError,
                            PortError, TimeoutError)
from nodemap.files import Progress, WholeFile

from .net import ServiceStates, classify_error
from .protocol import ConnectionState

__all__ = ["FtpFiles"]

log = logging.getLogger("nodemap.vs1")

Source = Union[bytes, bytearray, str, "os.PathLike[str]"]


class FtpFiles:
    """list / download / upload / delete files on the camera over FTP."""

    def __init__(self, host: str, port: int = 21, *, user: str = "anonymous", password: str = "",
                 timeout: float = 5.0, states: ServiceStates | None = None,
                 service_index: int = 0) -> None:
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.timeout = timeout
        self._states = states
        self._service = service_index

    def __repr__(self) -> str:
        return f"<FtpFiles ftp://{self.user}@{self.host}:{self.port}>"

    def _state(self, state: ConnectionState, reason: str = "") -> None:
        if self._states is not None:
            self._states.set(self._service, state, reason)

    @contextlib.contextmanager
    def _session(self, what: str) -> Iterator[ftplib.FTP]:
        where = f"VS-1 FTP {self.host}:{self.port}"
        ftp = ftplib.FTP()
        try:
            try:
                ftp.connect(self.host, self.port, timeout=self.timeout)
            except OSError as exc:
                state = classify_error(exc)
                self._state(state, f"FTP: {exc}")
                if state is ConnectionState.TimedOut:
                    raise TimeoutError(f"{where}: no answer within {self.timeout} s while trying "
                                       f"to {what}; check the address and that the camera is on") from exc
                raise PortError(f"{where}: cannot connect to {what} ({exc}); is the FTP "
                                f"service running?") from exc
            self._state(ConnectionState.Connected, "FTP")
            log.debug("VS-1 FTP %s:%d connected: %s", self.host, self.port, ftp.getwelcome())
            try:
                ftp.login(self.user, self.password)
                yield ftp
            except ftplib.error_perm as exc:
                raise DeviceError(f"{where}: the camera refused to {what}: {exc}",
                                  status=_code(exc)) from exc
            except ftplib.error_temp as exc:
                raise DeviceError(f"{where}: temporary failure while trying to {what}: {exc}; "
                                  f"retry", status=_code(exc)) from exc
            except ftplib.Error as exc:
                raise PortError(f"{where}: unexpected FTP reply while trying to {what}: {exc}") from exc
            except (socket.timeout, TimeoutError) as exc:
                self._state(ConnectionState.TimedOut, f"FTP: {exc}")
                raise TimeoutError(f"{where}: timed out after {self.timeout} s while trying "
                                   f"to {what}") from exc
            except (OSError, EOFError) as exc:
                self._state(ConnectionState.Dropped, f"FTP: {exc}")
                raise PortError(f"{where}: connection lost while trying to {what}: {exc}") from exc
            try:
                ftp.quit()
            except (OSError, EOFError, ftplib.Error):
                pass
        finally:
            ftp.close()

    def list(self, path: str = "") -> list[str]:
        """Names in ``path`` (the login directory by default)."""
        with self._session(f"list {path or '.'!r}") as ftp:
            try:
                names = ftp.nlst(*([path] if path else []))
            except ftplib.error_perm as exc:
                if str(exc).startswith("550") and "no files" in str(exc).lower():
                    return []
                raise
        prefix = path.rstrip("/") + "/" if path else ""
        return sorted(n[len(prefix):] if prefix and n.startswith(prefix) else n for n in names)

    def download(self, remote: str, local: str | os.PathLike[str] | None = None) -> bytes:
        """The bytes of ``remote``; also written to ``local`` when given."""
        sink = io.BytesIO()
        with self._session(f"download {remote!r}") as ftp:
            ftp.retrbinary(f"RETR {remote}", sink.write)
        data = sink.getvalue()
        log.debug("VS-1 FTP download %r: %d bytes", remote, len(data))
        if local is not None:
            Path(local).write_bytes(data)
        return data

    def upload(self, source: Source, remote: str) -> int:
        """Store ``source`` (bytes, or a local file path) as ``remote``; returns the size."""
        data = bytes(source) if isinstance(source, (bytes, bytearray)) else Path(source).read_bytes()
        with self._session(f"upload {remote!r}") as ftp:
            ftp.storbinary(f"STOR {remote}", io.BytesIO(data))
        log.debug("VS-1 FTP upload %r: %d bytes", remote, len(data))
        return len(data)

    def delete(self, remote: str) -> None:
        """Remove ``remote`` from the camera."""
        with self._session(f"delete {remote!r}") as ftp:
            ftp.delete(remote)

    def size(self, remote: str) -> int | None:
        """Size of ``remote`` in bytes (None if the server does not say)."""
        with self._session(f"size {remote!r}") as ftp:
            ftp.voidcmd("TYPE I")
            return ftp.size(remote)


    # ------------------------------------------------------------------ the Files protocol

    def read(self, name: str, progress: Progress | None = None) -> bytes:
        """The bytes of ``name``; ``progress(done, total)`` as blocks arrive (total from
        the FTP SIZE command, None when the server does not say)."""
        def transfer(ftp: ftplib.FTP) -> bytes:
            total = _size_or_none(ftp, name)
            sink = bytearray()
            if progress is not None:
                progress(0, total)

            def block(data: bytes) -> None:
                sink.extend(data)
                if progress is not None:
                    progress(len(sink), total)

            ftp.retrbinary(f"RETR {name}", block)
            return bytes(sink)

        data: bytes = self._as_file_error(name, "Read", f"download {name!r}", transfer)
        return data

    def write(self, name: str, data: bytes, progress: Progress | None = None) -> int:
        """Store ``data`` as ``name``; returns its size."""
        payload = bytes(data)

        def transfer(ftp: ftplib.FTP) -> int:
            done = 0
            if progress is not None:
                progress(0, len(payload))

            def block(sent: bytes) -> None:
                nonlocal done
                done += len(sent)
                if progress is not None:
                    progress(done, len(payload))

            ftp.storbinary(f"STOR {name}", io.BytesIO(payload), callback=block)
            return len(payload)

        written: int = self._as_file_error(name, "Write", f"upload {name!r}", transfer)
        return written

    def open(self, name: str, mode: str = "rb") -> io.RawIOBase:
        """``"rb"``: the file fetched whole at open; ``"wb"``: stored whole on close."""
        if mode in ("rb", "r"):
            return WholeFile(name, "rb", self.read(name))
        if mode in ("wb", "w"):
            return WholeFile(name, "wb", store=lambda data: self.write(name, data))
        return WholeFile(name, mode)              # raises: the mode is named

    def _as_file_error(self, name: str, operation: str, what: str,
                       transfer: Callable[[ftplib.FTP], Any]) -> Any:
        try:
            with self._session(what) as ftp:
                return transfer(ftp)
        except TimeoutError as exc:
            raise FileTimeoutError(f"file {name!r}: {operation} over FTP: {exc}", file=name,
                                   operation=operation) from exc
        except DeviceError as exc:
            raise FileAccessError(f"file {name!r}: {operation} refused over FTP: {exc}",
                                  file=name, operation=operation,
                                  status=None if exc.status is None else str(exc.status)) from exc
        except NodeMapError as exc:
            raise FileAccessError(f"file {name!r}: {operation} over FTP failed: {exc}",
                                  file=name, operation=operation) from exc


def _size_or_none(ftp: ftplib.FTP, name: str) -> int | None:
    try:
        ftp.voidcmd("TYPE I")
        return ftp.size(name)
    except ftplib.error_perm:
        return None


def _code(exc: BaseException) -> int | None:
    text = str(exc)
    return int(text[:3]) if text[:3].isdigit() else None
