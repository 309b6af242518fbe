"""A small chunk description shared by the chunk tests (ports with <ChunkID>)."""

from __future__ import annotations

HEAD = ('<?xml version="1.0" encoding="utf-8"?>\n<RegisterDescription ModelName="ChunkTest" '
        'VendorName="nodemap" ToolTip="chunk test" StandardNameSpace="None" '
        'SchemaMajorVersion="1" SchemaMinorVersion="1" SchemaSubMinorVersion="0" '
        'MajorVersion="1" MinorVersion="0" SubMinorVersion="0" '
        'ProductGuid="11111111-2222-3333-4444-555555555555" '
        'VersionGuid="11111111-2222-3333-4444-555555555556" '
        'xmlns="http://www.genicam.org/GenApi/Version_1_1" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://www.genicam.org/GenApi/Version_1_1 '
        'GenApiSchema_Version_1_1.xsd">\n')

#: chunk id → (port name, byte length of its data)
CHUNKS = {0x1001: ("FrameIDPort", 8), 0x1002: ("ExposurePort", 8), 0x1003: ("GainPort", 4),
          0x1004: ("LinePort", 4)}

#: the features and the chunk each reads
FEATURES = {"ChunkFrameID": 0x1001, "ChunkExposureTime": 0x1002, "ChunkGain": 0x1003,
            "ChunkLineStatusAll": 0x1004, "ChunkLine0": 0x1004}

XML = HEAD + """
<Category Name="Root"><pFeature>ChunkFrameID</pFeature><pFeature>ChunkExposureTime</pFeature>
<pFeature>ChunkGain</pFeature><pFeature>ChunkLineStatusAll</pFeature><pFeature>ChunkLine0</pFeature></Category>
<IntReg Name="ChunkFrameID"><Address>0</Address><Length>8</Length><AccessMode>RO</AccessMode>
<pPort>FrameIDPort</pPort><Sign>Unsigned</Sign><Endianess>BigEndian</Endianess></IntReg>
<FloatReg Name="ChunkExposureTime"><Address>0</Address><Length>8</Length><AccessMode>RO</AccessMode>
<pPort>ExposurePort</pPort><Endianess>BigEndian</Endianess></FloatReg>
<IntReg Name="ChunkGain"><Address>0</Address><Length>4</Length><AccessMode>RO</AccessMode>
<pPort>GainPort</pPort><Sign>Signed</Sign><Endianess>LittleEndian</Endianess></IntReg>
<IntReg Name="ChunkLineStatusAll"><Address>0</Address><Length>4</Length><AccessMode>RO</AccessMode>
<pPort>LinePort</pPort><Sign>Unsigned</Sign><Endianess>BigEndian</Endianess></IntReg>
<MaskedIntReg Name="ChunkLine0"><Address>0</Address><Length>4</Length><AccessMode>RO</AccessMode>
<pPort>LinePort</pPort><Bit>0</Bit><Sign>Unsigned</Sign><Endianess>BigEndian</Endianess></MaskedIntReg>
<Port Name="FrameIDPort"><ChunkID>1001</ChunkID></Port>
<Port Name="ExposurePort"><ChunkID>1002</ChunkID></Port>
<Port Name="GainPort"><ChunkID>1003</ChunkID></Port>
<Port Name="LinePort"><ChunkID>1004</ChunkID></Port>
<Port Name="Device"/>
</RegisterDescription>
"""


def gev_payload(chunks: list[tuple[int, bytes]]) -> bytes:
    """chunks laid out GigE Vision style: each data followed by its id and length."""
    return trailer_payload(chunks, "gev")


def trailer_payload(chunks: list[tuple[int, bytes]], layout: str) -> bytes:
    """chunks laid out with trailers: each data followed by its id and length, big-endian
    ("gev", GigE Vision) or little-endian ("u3v", USB3 Vision)."""
    import struct

    trailer = struct.Struct(">II" if layout == "gev" else "<II")
    out = bytearray()
    for chunk_id, data in chunks:
        out += data + trailer.pack(chunk_id, len(data))
    return bytes(out)
