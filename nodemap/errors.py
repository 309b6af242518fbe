"""One exception hierarchy for the whole project.

Every error raised by nodemap or a transport derives from :class:`NodeMapError`, so an
application can catch one type.  Messages name the feature, the address and, where one
exists, the remedy.
"""

from __future__ import annotations

import builtins

__all__ = [
    "NodeMapError",
    "AccessError",
    "RangeError",
    "FormulaError",
    "XmlError",
    "PortError",
    "TimeoutError",
    "DeviceError",
    "ProtocolError",
    "UnsupportedError",
    "ParameterError",
    "FeatureSetError",
    "FileAccessError",
    "FileTimeoutError",
]


class NodeMapError(Exception):
    """Base class of every error nodemap raises."""


class AccessError(NodeMapError):
    """A feature was read or written in an access mode that does not allow it."""


class RangeError(NodeMapError, ValueError):
    """A value outside min/max/inc, or an unknown enumeration entry."""


class FormulaError(NodeMapError):
    """A SwissKnife/Converter formula that cannot be parsed or evaluated."""

    def __init__(self, message: str, *, formula: str = "", position: int | None = None,
                 node: str = "") -> None:
        details = []
        if node:
            details.append(f"node {node!r}")
        if formula:
            details.append(f"formula {formula!r}")
        if position is not None:
            details.append(f"at position {position}")
        full = message + (f" ({', '.join(details)})" if details else "")
        super().__init__(full)
        self.formula = formula
        self.position = position
        self.node = node


class XmlError(NodeMapError):
    """An XML description that cannot be loaded (malformed, hostile or inconsistent)."""

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(f"{message} (line {line})" if line else message)
        self.line = line


class PortError(NodeMapError):
    """A register access through a Port failed."""


class TimeoutError(PortError, builtins.TimeoutError):  # noqa: A001 - deliberate, see docstring
    """A device did not answer in time.  Also a builtin ``TimeoutError``."""


class DeviceError(PortError):
    """The device answered with an error status (GVCP status, VISCA error, ...)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ProtocolError(PortError):
    """Bytes on the wire that do not decode: truncated, inconsistent or malformed."""


class UnsupportedError(NodeMapError):
    """An operation the device or transport cannot offer (e.g. an undocumented service)."""


class ParameterError(NodeMapError, ValueError):
    """An option or URL parameter the user mistyped (unknown name, malformed value); the
    message names it, the close matches and the accepted ones.  Also a ``ValueError``."""


class FeatureSetError(NodeMapError, ValueError):
    """A feature-set file that cannot be read (not UTF-8, a malformed line, a value that
    cannot mean anything for its feature).  Raised before anything is applied;
    ``problems`` holds every ``(line, message)`` found, ``line`` the first one."""

    def __init__(self, message: str, *, problems: tuple[tuple[int, str], ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems
        self.line = problems[0][0] if problems else None


class FileAccessError(NodeMapError):
    """A file operation on the device failed (SFNC FileAccessControl, or a transport's own
    file service).  ``file``, ``operation`` and ``status`` (the device's
    FileOperationStatus, when it gave one) say which and how."""

    def __init__(self, message: str, *, file: str = "", operation: str = "",
                 status: str | None = None) -> None:
        super().__init__(message)
        self.file = file
        self.operation = operation
        self.status = status


class FileTimeoutError(FileAccessError, TimeoutError):
    """A file operation the device never finished.  Also a :class:`TimeoutError`."""
