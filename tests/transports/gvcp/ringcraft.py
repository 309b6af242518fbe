"""Crafted TPACKET_V3 ring blocks, laid out as the Linux kernel lays them out for a
SOCK_DGRAM packet socket, for the receiver's ring path without a kernel ring.

``lay_block`` writes one block: the block descriptor (tpacket_block_desc with
tpacket_hdr_v1) and, per datagram, a tpacket3_hdr, an IPv4 and a UDP header and the
datagram, each packet 8-byte aligned and linked by ``tp_next_offset`` (0 on the last).
"""

from __future__ import annotations

import struct

from nodemap.transports.gvcp import ring

BLOCK_DESC = 48            # tpacket_block_desc + tpacket_hdr_v1, as the kernel sizes it
HDR3 = 48                  # sizeof(struct tpacket3_hdr)
TP_NET = 96                # where a SOCK_DGRAM ring puts the IP header (as seen on Linux)

_HDR3 = struct.Struct("@IIIIIIHH")   # next, sec, nsec, snaplen, len, status, mac, net
_DESC = struct.Struct("@IIIIII")     # version, offset_to_priv, status, num, first, blk_len


def _ip_udp(datagram: bytes, dst: tuple[str, int], options: int = 0) -> bytes:
    total = 20 + 4 * options + 8 + len(datagram)
    ip = struct.pack(">BBHHHBBH4s4s", 0x45 + options, 0, total, 0, 0x4000, 64, 17, 0,
                     bytes([127, 0, 0, 1]), bytes(int(x) for x in dst[0].split(".")))
    ip += b"\1" * (4 * options)                    # NOP options
    udp = struct.pack(">HHHH", 40000, dst[1], 8 + len(datagram), 0)
    return ip + udp + datagram


def lay_block(buffer: bytearray, index: int, block_size: int, datagrams: list[bytes], *,
              tp_net: int = TP_NET, dst: tuple[str, int] = ("127.0.0.1", 5000),
              snap_cut: dict[int, int] | None = None, ip_options: dict[int, int] | None = None,
              broken_link: int | None = None, ready: bool = True) -> None:
    """Write ``datagrams`` into block ``index`` of ``buffer``; ``snap_cut`` {i: bytes}
    captures fewer bytes of packet ``i`` than it has (tp_snaplen smaller than the IP
    length); ``ip_options`` {i: words} gives packet ``i`` an IPv4 header with options;
    ``broken_link`` zeroes that packet's tp_next_offset (a chain ending early);
    ``ready`` hands the block to user space (TP_STATUS_USER)."""
    base = index * block_size
    pos = base + BLOCK_DESC
    links: list[int] = []
    for i, datagram in enumerate(datagrams):
        packet = _ip_udp(datagram, dst, (ip_options or {}).get(i, 0))
        snap = len(packet) - (snap_cut or {}).get(i, 0)
        size = (tp_net + snap + 7) & ~7
        if pos + size > base + block_size:
            raise ValueError("datagrams do not fit in one block")
        links.append(pos)
        _HDR3.pack_into(buffer, pos, 0, 0, 0, snap, len(packet), ring.TP_STATUS_USER, tp_net,
                        tp_net)
        buffer[pos + tp_net:pos + tp_net + snap] = packet[:snap]
        pos += size
    for i, (here, there) in enumerate(zip(links, links[1:])):
        struct.pack_into("@I", buffer, here, 0 if i == broken_link else there - here)
    _DESC.pack_into(buffer, base, 1, 0, ring.TP_STATUS_USER if ready else ring.TP_STATUS_KERNEL,
                    len(datagrams), BLOCK_DESC, pos - base)
