"""Limited broadcast (issue 14, class 22): discovery sends DISCOVERY to 255.255.255.255 on each
interface as well as to the subnet-directed address, and the simulator hears it by default.

Every test here runs inside a private loopback-only network namespace (``private_network``
or the Aravis fake camera's own), so no broadcast ever reaches the host's networks.
"""

from __future__ import annotations

import select
import socket
import subprocess

import pytest

from nodemap.app.simulators import start_simulator
from nodemap.transports.gvcp import discovery
from nodemap.transports.gvcp import protocol as p
from nodemap.transports.gvcp.device import LIMITED_BROADCAST
from tests import netns
from tests.addresses import loopback
from tests.peers import missing, require_executable

LOOPBACK_DIRECTED = "127.255.255.255"


def _listener(address: str, port: int = p.GVCP_PORT) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((address, port))
    return sock


def _receive(sock: socket.socket, timeout: float = 10.0) -> tuple[bytes, tuple[str, int]]:
    ready, _, _ = select.select([sock], [], [], timeout)
    assert ready, f"nothing arrived at {sock.getsockname()} within {timeout} s"
    return sock.recvfrom(2048)


def _broadcaster() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def test_discovery_sends_both_the_directed_and_the_limited_broadcast(private_network) -> None:
    limited, directed = _listener(LIMITED_BROADCAST), _listener(LOOPBACK_DIRECTED)
    try:
        assert discovery.discover("lo", timeout=0.2) == []    # nothing answers in here
        for sock in (limited, directed):
            data, (source, _) = _receive(sock)
            cmd = p.decode_command(data)
            assert isinstance(cmd, p.DiscoveryCmd) and cmd.broadcast_ack
            assert source == "127.0.0.1"                     # sent through the lo interface
    finally:
        limited.close()
        directed.close()


def test_force_ip_also_goes_to_the_limited_broadcast(private_network) -> None:
    limited = _listener(LIMITED_BROADCAST)
    try:
        assert not discovery.force_ip("02:00:00:00:00:01", "127.0.0.9", "255.0.0.0",
                                      interface="lo", timeout=0.2)
        cmd = p.decode_command(_receive(limited)[0])
        assert isinstance(cmd, p.ForceIpCmd) and cmd.mac == 0x0200_0000_0001
        assert (cmd.ip, cmd.mask) == ("127.0.0.9", "255.0.0.0")
    finally:
        limited.close()


def test_the_simulator_hears_the_limited_broadcast_by_default(private_network) -> None:
    address = loopback()
    sim = start_simulator("gige", addresses=[address], serial="BCAST1")
    sender = _broadcaster()
    try:
        # A broadcast register write must be ignored; the DISCOVERY after it is answered
        # (in order, from the device's own address), so the first ack proves both.
        sender.sendto(p.WriteRegCmd(7, ((0xA000, 64),)).encode(), (LIMITED_BROADCAST, 3956))
        sender.sendto(p.DiscoveryCmd(8).encode(), (LIMITED_BROADCAST, 3956))
        data, peer = _receive(sender)
        ack = p.decode_ack(data)
        assert isinstance(ack, p.DiscoveryAck) and ack.req_id == 8, ack
        assert peer == (address, 3956) and ack.info.serial == "BCAST1"
    finally:
        sender.close()
        sim.close()


def test_discovery_finds_devices_by_limited_broadcast_and_merges_duplicates(
        private_network, make_device) -> None:
    heard = make_device(serial="LIMITED")                      # 255.255.255.255 (default)
    directed = make_device(serial="DIRECTED", broadcast_address=LOOPBACK_DIRECTED)
    deaf = make_device(serial="DEAF", broadcast_address=None)  # unicast only
    assert heard.hears_broadcast and not deaf.hears_broadcast
    found = discovery.discover("lo", timeout=1.0)
    assert sorted(d.info.serial for d in found) == ["DIRECTED", "LIMITED"]
    [limited] = [d for d in found if d.info.serial == "LIMITED"]
    assert (limited.address, limited.port, limited.interface) == (heard.address, 3956,
                                                                  "127.0.0.1")
    assert directed.address in {d.address for d in found}


def test_our_discovery_finds_the_aravis_fake_camera_and_our_simulator(fake_camera) -> None:
    why_not = netns.unavailable()
    if why_not is not None:   # the fake camera would then be on the host: no broadcast there
        missing(f"broadcasts are tested only inside a private network namespace: {why_not}")
    address = loopback()
    sim = start_simulator("gige", addresses=[address], serial="WITHARV")
    try:
        found = {d.address: d for d in discovery.discover("lo", timeout=1.0)}
    finally:
        sim.close()
    # Aravis's fake camera listens on 127.0.0.1 and 255.255.255.255 only: the directed
    # 127.255.255.255 never reaches it, so finding it proves the limited broadcast.
    assert fake_camera[0] in found, found
    assert found[fake_camera[0]].info.manufacturer == "Aravis"
    assert found[address].info.serial == "WITHARV"


@pytest.mark.peer
def test_arv_tool_discovers_our_simulator_by_broadcast(private_network, make_device) -> None:
    arv_tool = require_executable("arv-tool-0.8", "apt install aravis-tools-cli")
    heard = loopback()
    sim = start_simulator("gige", addresses=[heard], serial="ARVSEES")
    deaf = make_device(serial="ARVMISS", broadcast_address=None)   # unicast only
    try:
        result = subprocess.run(private_network.command([arv_tool]), capture_output=True,
                                text=True, timeout=60)
    finally:
        sim.close()
    assert result.returncode == 0, result.stderr
    assert f"ARVSEES ({heard})" in result.stdout, result.stdout
    assert "ARVMISS" not in result.stdout and deaf.address not in result.stdout, result.stdout
