"""An in-process file device: the simulated device's register memory and its file store
(transports/gvcp/sim_files.py) behind a Port, with no network.  Every access is logged as
``(kind, address, length)``, so tests can compare the order in which features are touched."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from nodemap import NodeMap
from nodemap.transports.gvcp.device import Memory
from nodemap.transports.gvcp.sim_files import SimFiles
from tests.reference.memory import reference_port

XML = (Path(__file__).resolve().parents[2] / "xml" / "demo-camera.xml").read_bytes()


class FileDevicePort:
    """A Port onto the device memory; writes reach the file store's hook as GVCP would
    deliver them (one call per 4-byte word)."""

    def __init__(self, xml: bytes = XML) -> None:
        self.memory = Memory()
        files = SimFiles.from_xml(xml, self.memory)
        assert files is not None, "the XML has no complete FileAccessControl set"
        self.files = files
        self.log: list[tuple[str, int, int]] = []
        self.interleave = False     # True: yield the GIL at every access (thread tests)

    def read(self, address: int, length: int) -> bytes:
        if self.interleave:
            time.sleep(0)
        self.log.append(("R", address, length))
        return self.memory.read(address, length)

    def write(self, address: int, data: bytes) -> None:
        data = bytes(data)
        if self.interleave:
            time.sleep(0)
        self.log.append(("W", address, len(data)))
        self.memory.write(address, data)
        for offset in range(0, len(data), 4):
            self.files.written(address + offset)


def ours(xml: bytes = XML, **options: Any) -> tuple[Any, FileDevicePort]:
    """(FileAccess over a fresh in-process device, that device's port)."""
    from nodemap.files import FileAccess

    port = FileDevicePort(xml)
    nm = NodeMap.from_xml(xml)
    nm.connect(port)
    return FileAccess(nm, **options), port


class Reference:
    """The reference's FileProtocolAdapter on a genicam NodeMap bound to ``port``."""

    def __init__(self, port: Any, xml: bytes = XML) -> None:
        import genicam.genapi as genapi

        self.nodemap = genapi.NodeMap()
        self.nodemap.load_xml_from_string(xml.decode())
        self.port = reference_port(port)          # kept alive: the NodeMap holds a pointer
        self.nodemap.connect(self.port, "Device")
        self.adapter = genapi.FileProtocolAdapter()
        assert self.adapter.attach(self.nodemap.pointer)

    def write(self, name: str, data: bytes) -> None:
        assert self.adapter.open_file(name, "w"), f"reference could not open {name} for writing"
        self.buffer = self.adapter.get_buf_size(name, "w")    # as genicam's FileAccess.open
        try:
            if data:
                written = self.adapter.write(data, 0, name)
                assert written == len(data), f"reference wrote {written} of {len(data)}"
        finally:
            assert self.adapter.close_file(name)

    def read(self, name: str, size: int) -> bytes:
        """``size`` bytes of ``name`` (the reference needs the count up front)."""
        assert self.adapter.open_file(name, "r"), f"reference could not open {name} for reading"
        self.buffer = self.adapter.get_buf_size(name, "r")
        try:
            if size == 0:
                return b""
            count, data = self.adapter.read(size, 0, name)
            assert count == size, f"reference read {count} of {size}"
            return bytes(data[:count])
        finally:
            assert self.adapter.close_file(name)
