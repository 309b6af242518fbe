"""tshark (a real peer) dissects our EVENT/EVENTDATA commands and their acks cleanly."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from nodemap.transports.gvcp import protocol as p
from tests.peers import require_executable
from tests.transports.gvcp.pcap import write_pcap


@pytest.mark.peer
def test_tshark_decodes_event_packets(tmp_path: Path) -> None:
    tshark = require_executable("tshark", "apt install tshark")
    device, host = ("127.0.0.2", 3956), ("127.0.0.1", 50001)
    items = (p.EventItem(0x9001, 0, 5, 0x0102030405060708), p.EventItem(0x9002, 1, 6, 99))
    datagrams = [
        (device, host, p.EventCmd(1, items).encode()),
        (host, device, p.EventAck(1).encode()),
        (device, host, p.EventDataCmd(2, items[1], bytes(range(8))).encode()),
        (host, device, p.EventDataAck(2).encode()),
        # GigE Vision 2.0 extended-ID forms (flag 0x10, 24-byte items, 64-bit block ids)
        (device, host, p.EventCmd(3, (p.EventItem(0x9001, 0, 2**40 + 5, 7),),
                                  extended=True).encode()),
        (host, device, p.EventAck(3).encode()),
        (device, host, p.EventDataCmd(4, items[1], bytes(range(8)), extended=True).encode()),
        (host, device, p.EventDataAck(4).encode()),
    ]
    pcap = tmp_path / "events.pcap"
    assert write_pcap(pcap, datagrams) == len(datagrams)
    summary = subprocess.run([tshark, "-r", str(pcap)], capture_output=True, text=True,
                             timeout=120)
    assert summary.returncode == 0, summary.stderr
    lines = [line for line in summary.stdout.splitlines() if line.strip()]
    assert len(lines) == 8 and all(" GVCP " in line for line in lines), lines
    detail = subprocess.run([tshark, "-r", str(pcap), "-V"], capture_output=True, text=True,
                            timeout=120)
    assert detail.returncode == 0, detail.stderr
    for bad in ("Malformed", "[Expert Info (Error", "[Expert Info (Warning"):
        assert bad not in detail.stdout, [x for x in detail.stdout.splitlines() if bad in x][:5]
    for word in ("EVENT_CMD", "EVENT_ACK", "EVENTDATA_CMD", "EVENTDATA_ACK"):
        assert word in detail.stdout, word
    assert "0x9001" in detail.stdout.lower() or "36865" in detail.stdout
    assert detail.stdout.count("64 bit ID: True") == 2
    assert f"Block ID 64 bit: 0x{2**40 + 5:016x}" in detail.stdout
