"""One exception hierarchy for the whole project.

Every error raised by nodemap or a transport derives from :class:`NodeMapError`, so an
application can catch one type.  Messages name the feature, the address and, where one
exists, the remedy.  The same facts are attributes, for programs: ``feature`` (the node
or feature name), ``address`` (the register address) and ``status`` (the transport's
status: a code — a GEV status, a VISCA error code, an SXH485 status byte — or, for a
file operation, the device's FileOperationStatus name), each None where unknown.  Code that adds context to an error uses these fields (and
:meth:`NodeMapError.with_context`), never the words of the message.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing_extensions import Self

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
    """Base class of every error nodemap raises.

    ``feature``, ``address`` and ``status`` say, where known, which feature (node name),
    which register address and which transport status code the error is about.
    """

    feature: str | None = None
    address: int | None = None
    status: int | str | None = None

    def __init__(self, *args: object, feature: str | None = None, address: int | None = None,
                 status: int | str | None = None) -> None:
        super().__init__(*args)
        if feature is not None:
            self.feature = feature
        if address is not None:
            self.address = address
        if status is not None:
            self.status = status

    def locate(self, *, feature: str | None = None, address: int | None = None,
               status: int | str | None = None) -> Self:
        """Fill in the fields this error does not know yet (in place; the message stays);
        returns the error, for ``raise exc.locate(address=...)``."""
        if self.feature is None and feature is not None:
            self.feature = feature
        if self.address is None and address is not None:
            self.address = address
        if self.status is None and status is not None:
            self.status = status
        return self

    def with_context(self, message: str, *, feature: str | None = None,
                     address: int | None = None, status: int | str | None = None) -> Self:
        """A copy of this error (same class, same fields) with ``message`` as its text and
        the fields given filled in where this error did not know them yet.  For
        re-raising with more context: ``raise exc.with_context(...) from exc``."""
        cls = type(self)
        copy = cls.__new__(cls, message)
        copy.__dict__.update(self.__dict__)
        copy.args = (message,)
        return copy.locate(feature=feature, address=address, status=status)


class AccessError(NodeMapError):
    """A feature was read or written in an access mode that does not allow it."""


class RangeError(NodeMapError, ValueError):
    """A value outside min/max/inc, or an unknown enumeration entry."""


class FormulaError(NodeMapError):
    """A SwissKnife/Converter formula that cannot be parsed or evaluated."""

    def __init__(self, message: str, *, formula: str = "", position: int | None = None,
                 node: str = "", address: int | None = None) -> None:
        details = []
        if node:
            details.append(f"node {node!r}")
        if formula:
            details.append(f"formula {formula!r}")
        if position is not None:
            details.append(f"at position {position}")
        full = message + (f" ({', '.join(details)})" if details else "")
        super().__init__(full, feature=node or None, address=address)
        self.formula = formula
        self.position = position
        self.node = node


class XmlError(NodeMapError):
    """An XML description that cannot be loaded (malformed, hostile or inconsistent)."""

    def __init__(self, message: str, *, line: int | None = None, feature: str | None = None
                 ) -> None:
        super().__init__(f"{message} (line {line})" if line else message, feature=feature)
        self.line = line


class PortError(NodeMapError):
    """A register access through a Port failed."""


class TimeoutError(PortError, builtins.TimeoutError):  # noqa: A001 - deliberate, see docstring
    """A device did not answer in time.  Also a builtin ``TimeoutError``."""


class DeviceError(PortError):
    """The device answered with an error status (GVCP status, VISCA error, ...):
    ``status`` is that code."""


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

    def __init__(self, message: str, *, problems: tuple[tuple[int, str], ...] = (),
                 feature: str | None = None) -> None:
        super().__init__(message, feature=feature)
        self.problems = problems
        self.line = problems[0][0] if problems else None


class FileAccessError(NodeMapError):
    """A file operation on the device failed (SFNC FileAccessControl, or a transport's own
    file service).  ``file``, ``operation`` and ``status`` (the device's
    FileOperationStatus, when it gave one) say which and how."""

    def __init__(self, message: str, *, file: str = "", operation: str = "",
                 status: str | None = None) -> None:
        super().__init__(message, status=status)
        self.file = file
        self.operation = operation


class FileTimeoutError(FileAccessError, TimeoutError):
    """A file operation the device never finished.  Also a :class:`TimeoutError`."""
