"""Reading and writing feature-set files safely.

:func:`write_atomic` never leaves a half-written file: the bytes go to a temporary file
in the same directory, are flushed and fsynced, and only then replace the destination
(``os.replace``, atomic on POSIX and Windows); the directory is fsynced too.  If anything
fails on the way (disk full, a file-size limit, an exception mid-write) the temporary
file is removed and the previous file is left exactly as it was.  A symbolic link is
followed: the file it points to is replaced, the link stays.  An existing file keeps its
permission bits; a new one gets the usual ``0o666`` minus the umask.

:func:`decode` turns file bytes into text, naming the line of the first byte that is
not UTF-8 (:class:`~nodemap.errors.FeatureSetError`).
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from ..errors import FeatureSetError

__all__ = ["write_atomic", "decode"]

_BOM = b"\xef\xbb\xbf"


def write_atomic(destination: str | os.PathLike[str], data: bytes) -> Path:
    """Replace ``destination`` with ``data`` atomically; returns the path written."""
    path = Path(os.path.realpath(destination))
    directory = path.parent
    try:
        existing_mode: int | None = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        existing_mode = None
    temporary = directory / f".{path.name}.{secrets.token_hex(6)}.tmp"
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o666)
    except OSError as exc:
        raise _explain(exc, path, "cannot create a temporary file beside it") from exc
    try:
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        if existing_mode is not None:
            os.chmod(temporary, existing_mode)
        os.replace(temporary, path)
    except BaseException as exc:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise _explain(exc, path, "the write failed") from exc
        raise
    _sync_directory(directory)
    return path


def _explain(exc: OSError, path: Path, what: str) -> OSError:
    reason = exc.strerror or str(exc)
    return OSError(exc.errno, f"cannot save the feature set to {path}: {what} ({reason}); "
                              f"any previous file there is unchanged", str(path))


def _sync_directory(directory: Path) -> None:
    flags = getattr(os, "O_DIRECTORY", None)
    if flags is None:  # Windows: directories cannot be opened; os.replace is durable enough
        return
    try:
        fd = os.open(directory, os.O_RDONLY | flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def decode(data: bytes, source: str = "the feature set") -> str:
    """UTF-8 ``data`` (a leading BOM is dropped) as text; FeatureSetError names the line."""
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        message = (f"line {line}: byte 0x{data[exc.start]:02x} at column {column} is not "
                   f"UTF-8 ({exc.reason}); a feature set is UTF-8 text")
        raise FeatureSetError(f"{source}: {message}; nothing was applied",
                              problems=((line, message),)) from None
