"""Every frame the client puts on the line, checked against the seed's definition.

Independent of ``nodemap.transports.sxh485.protocol``: the CRC here is the seed's C algorithm
driven by the seed's own table, parsed from the seed text when ``../shared`` is
present, else from a copy typed in below.  The frames are split out of the raw byte
stream the simulated camera received, by this file's own code.
"""

from __future__ import annotations

import re

import pytest

from tests.peers import SHARED
from nodemap.transports.sxh485 import protocol
from nodemap.transports.sxh485.link import open_link
from nodemap.transports.sxh485.port import Kind, virtual_address

from tests.polling import wait_until

from .conftest import Rig, start, stop

TYPED_TABLE = """
0x0000 0x1021 0x2042 0x3063 0x4084 0x50a5 0x60c6 0x70e7 0x8108 0x9129 0xa14a 0xb16b 0xc18c 0xd1ad 0xe1ce 0xf1ef
0x1231 0x0210 0x3273 0x2252 0x52b5 0x4294 0x72f7 0x62d6 0x9339 0x8318 0xb37b 0xa35a 0xd3bd 0xc39c 0xf3ff 0xe3de
0x2462 0x3443 0x0420 0x1401 0x64e6 0x74c7 0x44a4 0x5485 0xa56a 0xb54b 0x8528 0x9509 0xe5ee 0xf5cf 0xc5ac 0xd58d
0x3653 0x2672 0x1611 0x0630 0x76d7 0x66f6 0x5695 0x46b4 0xb75b 0xa77a 0x9719 0x8738 0xf7df 0xe7fe 0xd79d 0xc7bc
0x48c4 0x58e5 0x6886 0x78a7 0x0840 0x1861 0x2802 0x3823 0xc9cc 0xd9ed 0xe98e 0xf9af 0x8948 0x9969 0xa90a 0xb92b
0x5af5 0x4ad4 0x7ab7 0x6a96 0x1a71 0x0a50 0x3a33 0x2a12 0xdbfd 0xcbdc 0xfbbf 0xeb9e 0x9b79 0x8b58 0xbb3b 0xab1a
0x6ca6 0x7c87 0x4ce4 0x5cc5 0x2c22 0x3c03 0x0c60 0x1c41 0xedae 0xfd8f 0xcdec 0xddcd 0xad2a 0xbd0b 0x8d68 0x9d49
0x7e97 0x6eb6 0x5ed5 0x4ef4 0x3e13 0x2e32 0x1e51 0x0e70 0xff9f 0xefbe 0xdfdd 0xcffc 0xbf1b 0xaf3a 0x9f59 0x8f78
0x9188 0x81a9 0xb1ca 0xa1eb 0xd10c 0xc12d 0xf14e 0xe16f 0x1080 0x00a1 0x30c2 0x20e3 0x5004 0x4025 0x7046 0x6067
0x83b9 0x9398 0xa3fb 0xb3da 0xc33d 0xd31c 0xe37f 0xf35e 0x02b1 0x1290 0x22f3 0x32d2 0x4235 0x5214 0x6277 0x7256
0xb5ea 0xa5cb 0x95a8 0x8589 0xf56e 0xe54f 0xd52c 0xc50d 0x34e2 0x24c3 0x14a0 0x0481 0x7466 0x6447 0x5424 0x4405
0xa7db 0xb7fa 0x8799 0x97b8 0xe75f 0xf77e 0xc71d 0xd73c 0x26d3 0x36f2 0x0691 0x16b0 0x6657 0x7676 0x4615 0x5634
0xd94c 0xc96d 0xf90e 0xe92f 0x99c8 0x89e9 0xb98a 0xa9ab 0x5844 0x4865 0x7806 0x6827 0x18c0 0x08e1 0x3882 0x28a3
0xcb7d 0xdb5c 0xeb3f 0xfb1e 0x8bf9 0x9bd8 0xabbb 0xbb9a 0x4a75 0x5a54 0x6a37 0x7a16 0x0af1 0x1ad0 0x2ab3 0x3a92
0xfd2e 0xed0f 0xdd6c 0xcd4d 0xbdaa 0xad8b 0x9de8 0x8dc9 0x7c26 0x6c07 0x5c64 0x4c45 0x3ca2 0x2c83 0x1ce0 0x0cc1
0xef1f 0xff3e 0xcf5d 0xdf7c 0xaf9b 0xbfba 0x8fd9 0x9ff8 0x6e17 0x7e36 0x4e55 0x5e74 0x2e93 0x3eb2 0x0ed1 0x1ef0
"""


def seed_table() -> tuple[list[int], str]:
    """The seed's ``crc_ta[256]`` and where it came from."""
    seeds = sorted((SHARED / "seeds").glob("003_*.txt")) if (SHARED / "seeds").is_dir() else []
    if seeds:
        text = seeds[0].read_text(encoding="utf-8")
        block = text[text.index("crc_ta[256]"):]
        block = block[block.index("{") + 1:block.index("}")]
        block = re.sub(r"/\*.*?\*/", "", block, flags=re.S)
        return [int(v, 16) for v in re.findall(r"0x([0-9a-fA-F]{1,4})", block)], str(seeds[0])
    return [int(v, 16) for v in TYPED_TABLE.split()], "typed copy"


TABLE, TABLE_SOURCE = seed_table()


def cal_crc(data: bytes) -> int:
    """The seed's ``cal_crc`` line by line."""
    crc = 0
    for byte in data:
        da = crc // 256             # the high 8 bits
        crc = (crc << 8) & 0xFFFF   # shift left 8
        crc ^= TABLE[da ^ byte]     # table lookup on high byte + current byte
    return crc


def test_seed_table_is_complete() -> None:
    assert len(TABLE) == 256, TABLE_SOURCE
    assert TABLE == [int(v, 16) for v in TYPED_TABLE.split()], "seed table differs from the typed copy"


def test_check_value() -> None:
    assert cal_crc(b"123456789") == 0x31C3


def test_codec_table_matches_seed() -> None:
    assert list(protocol.CRC_TABLE) == TABLE


def split_requests(stream: bytes) -> list[dict]:
    """Split a host → camera byte stream into frames, per the seed's definition."""
    frames = []
    i = 0
    while i < len(stream):
        assert stream[i:i + 2] == b"\xEB\x90", \
            f"byte {i}: expected header EB 90 (0xEB first), got {stream[i:i + 2].hex(' ')}"
        address, mtype = stream[i + 2], stream[i + 3]
        length = int.from_bytes(stream[i + 4:i + 6], "little")
        params = stream[i + 6:i + 6 + length]
        assert len(params) == length, f"frame at byte {i} is truncated"
        crc_bytes = stream[i + 6 + length:i + 8 + length]
        assert len(crc_bytes) == 2, f"frame at byte {i} has no CRC"
        covered = stream[i + 2:i + 6 + length]       # address .. end of parameters
        frames.append(dict(at=i, address=address, type=mtype, params=params,
                           crc=int.from_bytes(crc_bytes, "little"), expected=cal_crc(covered)))
        i += 8 + length
    return frames


def exercise(rig: Rig) -> None:
    """Use every register and message: parameters, status, snapshot, address, baud, broadcast."""
    link = open_link(rig.url(1))
    try:
        port = link.port
        for message_type in (0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x08):
            port.read(virtual_address(Kind.VALUE, message_type), 2 if message_type == 0x08 else 1)
        port.read(virtual_address(Kind.STATUS, 0x07), 1)
        for value, message_type in ((2, 0x03), (1, 0x04), (1, 0x05), (1, 0x06), (0, 0x06)):
            port.write(virtual_address(Kind.VALUE, message_type), bytes([value]))
        port.write(virtual_address(Kind.VALUE, 0x08), (300).to_bytes(2, "little"))
        data = link.snapshot()
        assert data == rig.camera(1).image
        port.write(virtual_address(Kind.ADDRESS, 0x01), b"\x07")
        port.write(virtual_address(Kind.BAUD, 0x02), b"\x04")
        assert port.read(virtual_address(Kind.VALUE, 0x01), 1) == b"\x07"
    finally:
        link.close()
    broadcast = open_link(rig.url(255))
    try:
        broadcast.port.write(virtual_address(Kind.VALUE, 0x03), b"\x03")
    finally:
        broadcast.close()
    assert wait_until(lambda: rig.camera(7).resolution == 3), "broadcast never arrived"


def test_every_client_frame_matches_the_seed(transport: str) -> None:
    rig = start(transport)
    try:
        exercise(rig)
        stream = bytes(rig.line.received)
    finally:
        stop(rig)
    frames = split_requests(stream)
    assert len(frames) > 10
    known = {t.value for t in protocol.MessageType}
    for frame in frames:
        where = f"frame at byte {frame['at']} (type 0x{frame['type']:02X})"
        assert frame["crc"] == frame["expected"], f"{where}: CRC {frame['crc']:04X} != {frame['expected']:04X}"
        assert frame["address"] != 0, f"{where}: address 0 is reserved"
        assert frame["type"] in known, where
    assert {f["address"] for f in frames} == {1, 7, 255}
    assert [f for f in frames if f["address"] == 255][0]["params"] == b"\x03"
    packet_requests = [f for f in frames if f["type"] == 0x32]
    assert packet_requests and all(len(f["params"]) == 2 for f in packet_requests)


@pytest.mark.parametrize("address", [0, 256])
def test_address_zero_and_out_of_range_refused(address: int) -> None:
    from nodemap.errors import PortError
    rig = start("tcp")
    try:
        with pytest.raises(PortError, match="reserved"):
            open_link(rig.url(address))
    finally:
        stop(rig)
