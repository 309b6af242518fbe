"""Virtual register addresses: named bit fields packed into one integer.

Serial and proprietary devices have no register map, so their transports make the
GenApi register address *say* what to do: fcb packs a VISCA command into 56 bits,
sxh485 a message type and an offset into 32, vs1 a service block and an offset.  A
:class:`Layout` declares such fields once, most significant first, with their bit
widths; :meth:`Layout.pack` and :meth:`Layout.unpack` convert with range checks, and
every refusal is a :class:`VaddrError` naming the layout, the field, the value and the
range allowed (a ``ValueError``; the ports turn it into a ``PortError`` naming the
feature).  Pure: no engine import, no I/O.
"""

from __future__ import annotations

from typing import Iterator

import attrs

from .codec import CodecError

__all__ = ["Field", "Layout", "VaddrError"]


class VaddrError(CodecError):
    """An address or field value outside what a :class:`Layout` can hold."""


@attrs.frozen(slots=True)
class Field:
    """``bits`` wide, starting at bit ``shift`` (0 = least significant)."""

    name: str
    bits: int
    shift: int

    @property
    def mask(self) -> int:
        return (1 << self.bits) - 1

    @property
    def bit_range(self) -> str:
        """``55..52`` (most significant first), as the layouts are documented."""
        return f"{self.shift + self.bits - 1}..{self.shift}"


class Layout:
    """Fields of a virtual address, declared most significant first.

    ``Layout("FCB", ("kind", 4), ("category", 8), ...)``; ``width`` (bits) defaults to
    the sum of the field widths, fields beyond are zero.
    """

    __slots__ = ("name", "fields", "width", "_by_name")

    def __init__(self, name: str, *fields: tuple[str, int], width: int | None = None) -> None:
        total = sum(bits for _, bits in fields)
        if not fields or any(bits < 1 for _, bits in fields):
            raise ValueError(f"layout {name}: every field needs a positive bit width")
        if width is None:
            width = total
        if total > width:
            raise ValueError(f"layout {name}: fields take {total} bits, more than {width}")
        self.name = name
        self.width = width
        out: list[Field] = []
        shift = total
        for field_name, bits in fields:
            shift -= bits
            out.append(Field(field_name, bits, shift))
        self.fields = tuple(out)
        self._by_name = {f.name: f for f in out}
        if len(self._by_name) != len(out):
            raise ValueError(f"layout {name}: field names repeat")

    def __iter__(self) -> Iterator[Field]:
        return iter(self.fields)

    def __repr__(self) -> str:
        inner = ", ".join(f"{f.name}[{f.bit_range}]" for f in self.fields)
        return f"<Layout {self.name} {self.width} bits: {inner}>"

    def field(self, name: str) -> Field:
        try:
            return self._by_name[name]
        except KeyError:
            raise VaddrError(f"{self.name} addresses have no field {name!r} "
                             f"(fields: {', '.join(self._by_name)})") from None

    def pack(self, **values: int) -> int:
        """The address holding ``values`` (missing fields are 0)."""
        address = 0
        for name in values:
            if name not in self._by_name:
                self.field(name)                     # raises, naming the fields
        for f in self.fields:
            value = int(values.get(f.name, 0))
            if not 0 <= value <= f.mask:
                raise VaddrError(
                    f"{self.name} address field {f.name} (bits {f.bit_range}) holds 0..{f.mask} "
                    f"(0x{f.mask:X}), not {value} (0x{value:X})" if value >= 0 else
                    f"{self.name} address field {f.name} (bits {f.bit_range}) holds 0..{f.mask}, "
                    f"not {value}")
            address |= value << f.shift
        return address

    def check(self, address: int) -> int:
        """``address`` itself, once it is known to fit the layout's width."""
        if not 0 <= address < 1 << self.width:
            raise VaddrError(f"address 0x{address:X} is outside the {self.width}-bit {self.name} "
                             "register space" if address >= 0 else
                             f"address {address} is negative: not a {self.name} register address")
        return address

    def unpack(self, address: int) -> tuple[int, ...]:
        """Every field of ``address``, in declaration order."""
        self.check(address)
        return tuple((address >> f.shift) & f.mask for f in self.fields)

    def get(self, address: int, name: str) -> int:
        """One field of ``address``."""
        self.check(address)
        f = self.field(name)
        return (address >> f.shift) & f.mask
