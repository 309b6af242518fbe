"""``nodemap file URL list|get NAME [-o F]|put NAME F``: the device's files from the shell.

The verbs work on any ``cam.files`` (GenApi FileAccessControl, VS-1 FTP, a plugin's own).
A progress bar (rich, on stderr) is shown only when stderr is a terminal.  Exit codes as
the other verbs: 3 no such file, 4 the device did not answer or never finished, 5 the
device refused (its FileOperationStatus or FTP reply is in the message), 2 a camera
without files or a local file that cannot be read or written.
"""

from __future__ import annotations

import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Any, Callable, ContextManager

import click

from ..errors import FileAccessError, NodeMapError, TimeoutError, UnsupportedError

__all__ = ["file_error", "list_files", "progress_for"]

EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_UNREACHABLE = 4
EXIT_REFUSED = 5

#: FTP replies that mean "no such file" (550: file unavailable)
_MISSING_REPLIES = {"550"}


def file_error(exc: NodeMapError) -> tuple[str, int] | None:
    """(message, exit code) for a file verb's error, or None to leave it to the CLI's
    general translation."""
    if isinstance(exc, UnsupportedError):
        return str(exc), EXIT_USAGE
    if not isinstance(exc, FileAccessError):
        return None
    if isinstance(exc, TimeoutError):
        return str(exc), EXIT_UNREACHABLE
    if exc.operation == "Select" or (exc.status in _MISSING_REPLIES
                                     and exc.operation in ("Read", "Delete")):
        return str(exc), EXIT_NOT_FOUND
    if exc.status is not None:
        return str(exc), EXIT_REFUSED
    return None


def files_of(cam: Any) -> Any:
    """``cam.files``; a camera without any is an UnsupportedError naming the URL's kind."""
    files = cam.files
    if files is None:
        raise UnsupportedError(f"{type(cam.link).__name__}: this camera has no files")
    return files


def list_files(files: Any) -> list[dict[str, Any]]:
    """Every file with its size where the device says it (None otherwise)."""
    rows = []
    size = getattr(files, "size", None)
    for name in files.list():
        known = None
        if size is not None:
            try:
                known = size(name)
            except NodeMapError:
                known = None
        rows.append({"name": name, "size": known})
    return rows


def progress_for(description: str) -> tuple[ContextManager[Any], Callable[[int, int | None], None] | None]:
    """(context, callback): a rich progress bar on stderr when it is a terminal, else
    nothing at all (scripts and pipes get clean output)."""
    stream = sys.stderr
    if stream is None or not stream.isatty():
        return nullcontext(), None
    from rich.console import Console
    from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn,
                               TransferSpeedColumn)

    progress = Progress(TextColumn(description), BarColumn(), DownloadColumn(),
                        TransferSpeedColumn(), console=Console(stderr=True), transient=True)
    task = progress.add_task(description, total=None)

    def update(done: int, total: int | None) -> None:
        progress.update(task, completed=done, total=total)

    return progress, update


def read_local(path: str) -> bytes:
    """The bytes to upload: a file, or stdin for ``-``."""
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise click.UsageError(f"cannot read {path}: {exc.strerror or exc}") from None


def write_local(path: Path | None, data: bytes) -> None:
    if path is None or str(path) == "-":
        stream = sys.stdout.buffer
        stream.write(data)
        stream.flush()
        return
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise click.UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


def human(size: int | None) -> str:
    return "?" if size is None else f"{size}"


def echo_listing(rows: list[dict[str, Any]]) -> None:
    width = max((len(row["name"]) for row in rows), default=0)
    for row in rows:
        size = row["size"]
        click.echo(f"{row['name']:<{width}}  {human(size):>8}{' bytes' if size is not None else ''}")
    if not rows:
        click.echo("(no files)", err=True)
