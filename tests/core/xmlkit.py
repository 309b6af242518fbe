"""Tiny helpers for writing GenApi XML inline in tests."""

from __future__ import annotations

import nodemap

NS = "http://www.genicam.org/GenApi/Version_1_1"


def description(body: str, *, root: str = "") -> bytes:
    """Wrap node elements in a RegisterDescription (with a Device port)."""
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<RegisterDescription ModelName="T" '
            f'VendorName="nodemap" SchemaMajorVersion="1" SchemaMinorVersion="1" '
            f'SchemaSubMinorVersion="0" MajorVersion="1" MinorVersion="0" SubMinorVersion="0" '
            f'StandardNameSpace="None" ToolTip="test" ProductGuid="0" VersionGuid="0" '
            f'xmlns="{NS}">{root}{body}<Port Name="Device"/></RegisterDescription>').encode()


def int_reg(name: str, address: int, *, length: int = 4, access: str = "RW",
            endian: str = "LittleEndian", sign: str = "Unsigned", extra: str = "") -> str:
    return (f'<IntReg Name="{name}"><Address>{address:#x}</Address><Length>{length}</Length>'
            f'<AccessMode>{access}</AccessMode><pPort>Device</pPort>{extra}<Sign>{sign}</Sign>'
            f'<Endianess>{endian}</Endianess></IntReg>')


def load(body: str, size: int = 0x1000) -> tuple[nodemap.NodeMap, nodemap.MemoryPort]:
    nm = nodemap.NodeMap.from_xml(description(body))
    port = nodemap.MemoryPort(size)
    nm.connect(port)
    return nm, port
