"""Small GenApi descriptions for the feature-set tests, and a port that records writes."""

from __future__ import annotations

from typing import Iterable

import nodemap
from tests.core.xmlkit import description

__all__ = ["RecordingPort", "integer", "category", "build"]


class RecordingPort:
    """A MemoryPort that also remembers every write (address, bytes)."""

    def __init__(self, size: int = 0x10000) -> None:
        self.memory = nodemap.MemoryPort(size)
        self.writes: list[tuple[int, bytes]] = []

    def read(self, address: int, length: int) -> bytes:
        return self.memory.read(address, length)

    def write(self, address: int, data: bytes) -> None:
        self.writes.append((address, bytes(data)))
        self.memory.write(address, data)


def _escape(name: str) -> str:
    return (name.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
            .replace("\t", "&#9;"))


def integer(name: str, address: int, *, streamable: bool = True, selects: Iterable[str] = (),
            index: str | None = None, low: int = 0, high: int = 1000,
            access: str = "RW") -> str:
    """An Integer ``name`` on its own IntReg (indexed by ``index`` in steps of 4)."""
    flag = "<Streamable>Yes</Streamable>" if streamable else ""
    selected = "".join(f"<pSelected>{_escape(s)}</pSelected>" for s in selects)
    indexed = f'<pIndex Offset="4">{_escape(index)}</pIndex>' if index else ""
    n = _escape(name)
    return (f'<Integer Name="{n}">{flag}<pValue>{n}Reg</pValue><Min>{low}</Min>'
            f'<Max>{high}</Max>{selected}</Integer>'
            f'<IntReg Name="{n}Reg"><Address>{address:#x}</Address>{indexed}<Length>4</Length>'
            f'<AccessMode>{access}</AccessMode><pPort>Device</pPort><Cachable>NoCache</Cachable>'
            f'<Sign>Unsigned</Sign><Endianess>BigEndian</Endianess></IntReg>')


def category(names: Iterable[str], name: str = "Root") -> str:
    return f'<Category Name="{name}">' + "".join(
        f"<pFeature>{_escape(n)}</pFeature>" for n in names) + "</Category>"


def build(body: str, size: int = 0x10000) -> tuple[nodemap.NodeMap, RecordingPort]:
    nm = nodemap.NodeMap.from_xml(description(body))
    port = RecordingPort(size)
    nm.connect(port)
    return nm, port
