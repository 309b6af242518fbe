"""The FCB virtual register space: one register address = one VISCA parameter.

GenApi speaks registers; VISCA speaks commands and inquiries.  As GenICam's
CLProtocol does for serial cameras, the address *is* the command: everything the port
needs to build the VISCA packets and decode the reply is packed into the 56-bit
register address written in the XML.  A vendor adds a parameter by writing XML only.

Layout (hex digits of ``<Address>``, most significant first)::

    0x  K  F  E  N  CC  DD  PP  QQ  OO
        |  |  |  |  |   |   |   |   +- bits  7..0  reply offset (INQUIRY blocks) else 00
        |  |  |  |  |   |   |   +----- bits 15..8  fixed byte 2 \\ sent after DD when F says so;
        |  |  |  |  |   |   +--------- bits 23..16 fixed byte 1 /  a pIndex Offset=256 selects QQ
        |  |  |  |  |   +------------- bits 31..24 VISCA command byte        (8X 01 CC DD ...)
        |  |  |  |  +----------------- bits 39..32 VISCA category byte       (04 camera, 00 interface)
        |  |  |  +-------------------- bits 43..40 N: value nibbles/bytes; 0 = from register Length
        |  |  +----------------------- bits 47..44 E: value encoding 0 none, 1 nibbles (0p 0q ..), 2 bytes
        |  +-------------------------- bits 51..48 F: fixed bytes: bits 0-1 count (0-2),
        |                                          bit 2 (0x4) the inquiry repeats them too
        +----------------------------- bits 55..52 K: access kind
                                           0 VALUE    write = command, wait for completion;
                                                      read  = inquiry 8X 09 CC DD FF
                                           1 TRIGGER  (GenApi Command) write = command, return
                                                      after the ACK; read = the value written
                                                      while its socket is busy, 0 once done
                                           2 INQUIRY  read-only: the inquiry reply is a block of N
                                                      bytes/nibbles; read(addr+OO, len) slices it
                                           3 SETTING  write-only command (no inquiry exists):
                                                      read returns the last value written, 0 before

The register value is presented big-endian (``<Endianess>BigEndian</Endianess>``),
``Length`` bytes long.  With E = 1 and N = 4, ``ZoomPosition = 0x1234`` is the
payload ``01 02 03 04``; with N = 0 a Length-2 register also means 4 nibbles.

Examples (camera address 1)::

    0x00140447000000  ZoomPosition  81 01 04 47 0p 0q 0r 0s FF / 81 09 04 47 FF
    0x00210400000000  Power         81 01 04 00 02|03 FF       / 81 09 04 00 FF
    0x11000407020000  ZoomTele      81 01 04 07 02 FF (execute; is_done on completion)
    0x1200043F010000  MemorySet     81 01 04 3F 01 0p FF, p = pIndex MemoryPreset, Offset 256
    0x20270002000000  version block 81 09 00 02 FF -> 7 bytes; +0 vendor (2), +2 model (2),
                                    +4 ROM version (2), +6 max socket (1)
"""

from __future__ import annotations

import enum

import attrs

from ..vaddr import Layout

__all__ = ["Kind", "Encoding", "LAYOUT", "VirtualAddress", "make_address"]

#: The fields of an FCB register address (see the module docstring).
LAYOUT = Layout("FCB", ("kind", 4), ("flags", 4), ("encoding", 4), ("count", 4),
                ("category", 8), ("command", 8), ("fixed1", 8), ("fixed2", 8), ("offset", 8))


class Kind(enum.IntEnum):
    """How a register maps onto VISCA (bits 55..52)."""

    VALUE = 0
    TRIGGER = 1
    INQUIRY = 2
    SETTING = 3


class Encoding(enum.IntEnum):
    """How the value travels in the packet (bits 47..44)."""

    NONE = 0
    NIBBLES = 1
    BYTES = 2


@attrs.frozen(slots=True)
class VirtualAddress:
    """A decoded register address (see the module docstring for the layout)."""

    kind: Kind
    category: int
    command: int
    fixed: bytes = b""
    inquiry_with_fixed: bool = False
    encoding: Encoding = Encoding.NONE
    count: int = 0
    offset: int = 0

    @classmethod
    def decode(cls, address: int) -> "VirtualAddress":
        """Unpack an address; ``ValueError`` (a :class:`~..vaddr.VaddrError` for the
        address's range) naming the bad field when it is not valid."""
        (kind_bits, flags, enc_bits, count, category, command, fixed1, fixed2,
         offset) = LAYOUT.unpack(address)
        try:
            kind = Kind(kind_bits)
        except ValueError:
            raise ValueError(f"address 0x{address:X}: access kind {kind_bits} is not "
                             f"0 VALUE, 1 TRIGGER, 2 INQUIRY or 3 SETTING") from None
        try:
            encoding = Encoding(enc_bits)
        except ValueError:
            raise ValueError(f"address 0x{address:X}: value encoding {enc_bits} is not "
                             f"0 none, 1 nibbles or 2 bytes") from None
        nfixed = flags & 0x3
        if nfixed == 3 or flags & 0x8:
            raise ValueError(f"address 0x{address:X}: fixed-byte flags {flags:X} allow 0–2 "
                             f"bytes (+4: the inquiry repeats them)")
        fixed = bytes((fixed1, fixed2))[:nfixed]
        if 0xFF in fixed or category == 0xFF or command == 0xFF:
            raise ValueError(f"address 0x{address:X}: FF is the VISCA terminator, not a byte")
        if (nfixed < 2 and fixed2) or (nfixed < 1 and fixed1):
            raise ValueError(f"address 0x{address:X}: fixed bytes set but the count says {nfixed}")
        if offset and kind is not Kind.INQUIRY:
            raise ValueError(f"address 0x{address:X}: a reply offset only exists for INQUIRY "
                             f"registers (kind 2)")
        return cls(kind, category, command, fixed, bool(flags & 0x4), encoding, count, offset)

    def encode(self) -> int:
        flags = len(self.fixed) | (0x4 if self.inquiry_with_fixed else 0)
        fixed = (self.fixed + b"\x00\x00")[:2]
        return LAYOUT.pack(kind=int(self.kind), flags=flags, encoding=int(self.encoding),
                           count=self.count, category=self.category, command=self.command,
                           fixed1=fixed[0], fixed2=fixed[1], offset=self.offset)

    def value_units(self, length: int) -> int:
        """Number of nibbles or bytes the value takes on the wire for a ``length``-byte register."""
        if self.encoding is Encoding.NONE:
            return 0
        if self.count:
            return self.count
        return 2 * length if self.encoding is Encoding.NIBBLES else length

    @property
    def inquiry_payload(self) -> bytes:
        return self.fixed if self.inquiry_with_fixed else b""

    @property
    def block_base(self) -> int:
        """The address without its reply offset: the key shared by one inquiry's registers."""
        return self.encode() & ~0xFF

    def label(self) -> str:
        """``VISCA 04 47`` (+ fixed bytes): how the parameter is named in messages."""
        extra = "".join(f" {b:02X}" for b in self.fixed)
        return f"VISCA {self.category:02X} {self.command:02X}{extra}"


def make_address(kind: Kind, category: int, command: int, *, fixed: bytes = b"",
                 inquiry_with_fixed: bool = False, encoding: Encoding = Encoding.NONE,
                 count: int = 0, offset: int = 0) -> int:
    """Build an address (handy when writing XML or tests)."""
    address = VirtualAddress(kind, category, command, bytes(fixed), inquiry_with_fixed,
                             encoding, count, offset).encode()
    VirtualAddress.decode(address)  # validate
    return address
