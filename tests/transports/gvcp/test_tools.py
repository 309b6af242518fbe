"""Real tools against our code: arv-tool-0.8 drives our simulated device; tshark
dissects every packet both sides send."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import pytest

from nodemap.errors import NodeMapError

from tests.peers import require_executable, require_vendor_xml
from tests.transports.gvcp.pcap import write_pcap
from nodemap.transports.gvcp import protocol as p
from nodemap.transports.gvcp.client import GvcpClient
from nodemap.transports.gvcp.discovery import discover

pytestmark = pytest.mark.peer

VENDOR_XML = "Basler-acA1300-30gm.xml"


def _arv(tool: str, address: str, *args: str) -> str:
    result = subprocess.run([tool, "-a", address, *args], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


class Recorder:
    """Collects (src, dst, payload) of every datagram our device sees and sends."""

    def __init__(self) -> None:
        self.datagrams: list[tuple[tuple[str, int], tuple[str, int], bytes]] = []
        self.lock = threading.Lock()
        self.device: tuple[str, int] = ("0.0.0.0", 0)

    def tap(self, direction: str, peer: tuple[str, int], data: bytes) -> None:
        with self.lock:
            if direction == "in":
                self.datagrams.append((peer, self.device, data))
            else:
                self.datagrams.append((self.device, peer, data))


def _tshark_check(tshark: str, pcap: Path, expected: int) -> str:
    assert expected > 0, "a capture of zero packets proves nothing"
    detail = subprocess.run([tshark, "-r", str(pcap), "-V"], capture_output=True, text=True,
                            timeout=120)
    assert detail.returncode == 0, detail.stderr
    out = detail.stdout
    listing = subprocess.run([tshark, "-r", str(pcap)], capture_output=True, text=True,
                             timeout=120)
    assert listing.returncode == 0, listing.stderr
    lines = [line for line in listing.stdout.splitlines() if line.strip()]
    assert len(lines) == expected, lines[:5]
    assert all(" GVCP " in line for line in lines), [x for x in lines if " GVCP " not in x][:5]
    # "[Unknown Register]" is tshark naming a manufacturer-specific address, not a decode
    # failure (the seed capture shows it too); anything else "unknown" or malformed fails.
    checked = out.replace("[Unknown Register]", "[manufacturer register]")
    for bad in ("Malformed", "Unknown", "unknown", "[Expert Info (Error", "[Expert Info (Warning"):
        assert bad not in checked, [line for line in checked.splitlines() if bad in line][:5]
    return out


def test_arv_tool_lists_reads_and_writes_our_simulated_device(make_device, tmp_path) -> None:
    arv = require_executable("arv-tool-0.8", "apt install aravis-tools-cli")
    tshark = require_executable("tshark", "apt install tshark")
    [xml_path] = [x for x in require_vendor_xml() if x.name == VENDOR_XML] or [None]
    if xml_path is None:
        pytest.fail(f"{VENDOR_XML} missing from the shared vendor XML folder")
    recorder = Recorder()
    dev = make_device(xml_path.read_bytes(), xml_name=VENDOR_XML, zipped=True,
                      tap=recorder.tap, require_control=True)
    recorder.device = (dev.address, dev.port)
    assert dev.address in _arv(arv, dev.address)                       # discovery by arv-tool
    xml = _arv(arv, dev.address, "genicam")
    assert xml.strip().endswith("</RegisterDescription>") and xml.count("\n") > 1000
    features = _arv(arv, dev.address, "features")
    # (arv-tool hides features whose pIsImplemented reads 0 from our zeroed memory)
    assert "Category    : 'Root'" in features and "'PixelFormat'" in features
    assert len(features.splitlines()) > 50
    out = _arv(arv, dev.address, "control", "Width=256", "Height=200")
    assert "Width = 256" in out and "Height = 200" in out
    out = _arv(arv, dev.address, "control", "Width", "Height")
    assert "Width = 256" in out and "Height = 200" in out
    assert dev.controller is None                                      # arv-tool released it
    # what arv-tool wrote landed in our device's memory and reads back over GVCP
    writes = [c for _, dst, raw in recorder.datagrams if dst == recorder.device
              for c in [p.decode(raw)] if isinstance(c, p.WriteRegCmd)]
    [width_address] = {a for w in writes for a, v in w.pairs if v == 256}
    assert dev.memory.get32(width_address) == 256
    with GvcpClient(dev.address) as c:
        assert c.read_register(width_address) == 256
    pcap = tmp_path / "arv-tool.pcap"
    count = write_pcap(pcap, recorder.datagrams)
    assert count > 50
    decoded = _tshark_check(tshark, pcap, count)
    assert "READMEM_ACK" in decoded and "WRITEREG_CMD" in decoded


def test_tshark_decodes_every_packet_we_encode(tmp_path) -> None:
    tshark = require_executable("tshark", "apt install tshark")
    info = p.DeviceInfo(mac=0x001A2B3C4D5E, ip="127.0.0.2", mask="255.0.0.0",
                        manufacturer="nodemap", model="sim", serial="S1", user_name="u")
    host, device = ("127.0.0.1", 50000), ("127.0.0.2", p.GVCP_PORT)
    commands = [
        p.DiscoveryCmd(1, broadcast_ack=True), p.ForceIpCmd(2, 0x001A2B3C4D5E, "127.0.0.9",
                                                             "255.0.0.0", "0.0.0.0"),
        p.ReadRegCmd(3, (0x0A00,)), p.ReadRegCmd(4, tuple(range(0xA000, 0xA000 + 4 * 135, 4))),
        p.WriteRegCmd(5, ((0x0A00, 2),)), p.WriteRegCmd(6, tuple((0xA000 + 4 * i, i) for i in range(67))),
        p.ReadMemCmd(7, 0x0200, 536), p.WriteMemCmd(8, 0xA000, bytes(range(64))),
        p.PacketResendCmd(9, 0, 17, 3, 9), p.EventCmd(10, (p.EventItem(0x9001, 0, 1, 2**40),)),
        p.EventDataCmd(11, p.EventItem(0x9002, 0, 1, 5), b"\1\2\3\4"),
        p.ActionCmd(12, 0x11, 0x22, 0xFF), p.ActionCmd(13, 0x11, 0x22, 0xFF, 123456789),
    ]
    acks = [
        p.DiscoveryAck(1, info), p.ForceIpAck(2), p.ReadRegAck(3, (2,)),
        p.ReadRegAck(4, tuple(range(135))), p.WriteRegAck(5, 1), p.WriteRegAck(6, 67),
        p.ReadMemAck(7, 0x0200, b"Local:cam.zip;100000;1A2B".ljust(536, b"\0")),
        p.WriteMemAck(8, 64), p.PendingAck(8, 250), p.EventAck(10), p.EventDataAck(11),
        p.ActionAck(12), p.WriteRegAck(14, 0, p.Status.ACCESS_DENIED),
        p.ReadRegAck(15, (), p.Status.INVALID_ADDRESS),
    ]
    datagrams = [(host, device, c.encode()) for c in commands]
    datagrams += [(device, host, a.encode()) for a in acks]
    pcap = tmp_path / "codec.pcap"
    write_pcap(pcap, datagrams)
    out = _tshark_check(tshark, pcap, len(datagrams))
    # tshark finds the MAC where we put it (offset 10 + 12 of the discovery payload)
    assert "00:1a:2b:3c:4d:5e" in out


def test_tshark_decodes_our_client_with_the_simulator(private_network, make_device, tmp_path) -> None:
    tshark = require_executable("tshark", "apt install tshark")
    recorder = Recorder()
    dev = make_device(tap=recorder.tap, broadcast_address="127.255.255.255")
    recorder.device = (dev.address, dev.port)
    discover("lo", timeout=0.3)
    with GvcpClient(dev.address) as c:
        c.take_control()
        c.read_many([(0xA000 + 4 * i, 4) for i in range(200)])
        c.write(0xB001, b"x" * 1000)
        c.read(0xB001, 1000)
        c.write_registers([(0xA000, 1), (0xA004, 2)])
        with pytest.raises(NodeMapError, match="4-byte aligned"):
            c.read_register(0x11)
    pcap = tmp_path / "client.pcap"
    count = write_pcap(pcap, recorder.datagrams)
    _tshark_check(tshark, pcap, count)


def test_tshark_decodes_our_client_with_the_fake_camera(fake_camera, tmp_path) -> None:
    tshark = require_executable("tshark", "apt install tshark")
    recorder = Recorder()
    recorder.device = fake_camera
    client = GvcpClient(*fake_camera)

    def tap(direction: str, peer: tuple[str, int], data: bytes) -> None:
        src = client.local_address
        recorder.datagrams.append((src, peer, data) if direction == "out" else (peer, src, data))

    client.tap = tap
    try:
        client.take_control()
        client.read(0x0200, 512)
        client.read(0x0048, 32)
        client.write_register(0x100, 512)
        client.read_many([(0x100, 4), (0x104, 4)])
    finally:
        client.close()
    pcap = tmp_path / "aravis.pcap"
    count = write_pcap(pcap, recorder.datagrams)
    _tshark_check(tshark, pcap, count)
