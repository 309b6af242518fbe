"""GVCP on the shell side: the engine's error types for what the codec reports.

The codec (:mod:`.protocol`) and the session (:mod:`.session`) import nothing of the
engine; the client, discovery and link turn their findings into
:mod:`nodemap.errors` types here, so users catch one hierarchy.
"""

from __future__ import annotations

from nodemap.errors import DeviceError, PortError

from . import protocol as p

__all__ = ["AlignmentError", "status_error", "unaligned_error"]


def status_error(status: int, what: str = "", address: int | None = None) -> DeviceError:
    """A DeviceError for a non-success GEV status, naming the code and a remedy;
    ``status`` and (for register and memory access) ``address`` are its fields."""
    return DeviceError(p.status_message(status, what), status=status, address=address)


class AlignmentError(PortError, ValueError):
    """A register access at an address the wire cannot carry (not 4-byte aligned): the
    caller's to fix, refused before anything is sent.  Also a ``ValueError``."""


def unaligned_error(command: str, address: int, device: str) -> AlignmentError:
    """A READREG/WRITEREG at an address that is not a multiple of 4."""
    below = address & ~3
    return AlignmentError(
        f"{command} 0x{address:08X} on GigE Vision device {device}: register addresses must be "
        f"4-byte aligned ({p.status_name(p.Status.BAD_ALIGNMENT)}); the register holding it "
        f"starts at 0x{below:08X} (read 0x{below:08X} or 0x{below + 4:08X}, or read bytes "
        f"with a length other than 4 through READMEM)", address=address,
        status=p.Status.BAD_ALIGNMENT)
