"""Write GVCP datagrams to a pcap file (raw IPv4 + UDP) so ``tshark`` can dissect them."""

from __future__ import annotations

import socket
import struct
from pathlib import Path
from typing import Iterable

LINKTYPE_IPV4 = 228

Datagram = tuple[tuple[str, int], tuple[str, int], bytes]   # (src, dst, payload)


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4_udp(src: tuple[str, int], dst: tuple[str, int], payload: bytes, ident: int = 0) -> bytes:
    udp_len = 8 + len(payload)
    s, d = socket.inet_aton(src[0]), socket.inet_aton(dst[0])
    pseudo = s + d + struct.pack("!BBH", 0, 17, udp_len)
    udp = struct.pack("!HHHH", src[1], dst[1], udp_len, 0) + payload
    csum = _checksum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", csum) + udp[8:]
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, ident & 0xFFFF, 0x4000, 64, 17,
                         0, s, d)
    header = header[:10] + struct.pack("!H", _checksum(header)) + header[12:]
    return header + udp


def write_pcap(path: Path, datagrams: Iterable[Datagram]) -> int:
    count = 0
    with open(path, "wb") as fh:
        fh.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, LINKTYPE_IPV4))
        for i, (src, dst, payload) in enumerate(datagrams):
            frame = ipv4_udp(src, dst, payload, i)
            fh.write(struct.pack("<IIII", 1_700_000_000 + i // 1000, (i % 1000) * 1000,
                                 len(frame), len(frame)))
            fh.write(frame)
            count += 1
    return count
