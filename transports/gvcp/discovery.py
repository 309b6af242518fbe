"""Find GigE Vision devices: DISCOVERY by broadcast on each IPv4 interface, or unicast;
FORCEIP by MAC address.

``discover()`` sends DISCOVERY (broadcast-ack allowed) on each interface — to the
interface's directed broadcast address and to the limited broadcast 255.255.255.255, which
reaches devices listening only there (Aravis's fake camera) and devices configured for
another subnet (the FORCEIP case) — or to one ``address``, collects every ack until
``timeout``, and returns one :class:`DiscoveredDevice` per device (duplicates, e.g. a device
seen on two interfaces, through both broadcasts or answering twice, are merged).

Each interface gets its own socket bound to the interface's address, so the limited
broadcast leaves through that interface: Linux (and Windows) route a limited broadcast out
of the interface owning the bound source address; on Linux the socket is also pinned with
SO_BINDTODEVICE where that is allowed (it needs CAP_NET_RAW), the source binding being the
fallback.  A limited broadcast the system refuses is logged and the directed one still goes.

Interfaces come from ``psutil`` when installed, else from the host name's addresses
plus loopback (portable fallback).  On Windows a broadcast refused with WSAEACCES
(10013) means SO_BROADCAST or the firewall is in the way: the error says so.
"""

from __future__ import annotations

import ipaddress
import logging
import select
import socket
import time
from typing import Iterable

import attrs

from nodemap.errors import ParameterError, PortError

from . import protocol as p
from .errors import status_error

__all__ = ["Interface", "DiscoveredDevice", "LIMITED_BROADCAST", "interfaces", "discover",
           "force_ip"]

log = logging.getLogger("nodemap.gvcp")

MAX_ACKS = 4096   # bound on datagrams processed per discovery, whatever the network does
LIMITED_BROADCAST = "255.255.255.255"


@attrs.frozen(slots=True)
class Interface:
    """An IPv4 interface: name, address, netmask and directed broadcast address."""

    name: str
    address: str
    netmask: str

    @property
    def broadcast(self) -> str:
        net = ipaddress.IPv4Network(f"{self.address}/{self.netmask}", strict=False)
        return str(net.broadcast_address)


@attrs.frozen(slots=True)
class DiscoveredDevice:
    """One device that answered DISCOVERY."""

    info: p.DeviceInfo
    address: str            # where the ack came from
    port: int
    interface: str          # local address it was found through

    @property
    def mac(self) -> str:
        return self.info.mac_address

    @property
    def ip(self) -> str:
        return self.info.ip

    @property
    def url(self) -> str:
        return f"gvcp://{self.address}" + (f":{self.port}" if self.port != p.GVCP_PORT else "")

    def __str__(self) -> str:
        return f"{self.url} via {self.interface}: {self.info}"


def interfaces() -> list[Interface]:
    """Every IPv4 interface of this host."""
    found: list[Interface] = []
    try:
        import psutil  # type: ignore[import-untyped, unused-ignore]
    except ImportError:
        psutil = None  # type: ignore[assignment]  # optional: interfaces from socket alone
    if psutil is not None:
        for name, addrs in psutil.net_if_addrs().items():
            for a in addrs:
                if a.family == socket.AF_INET and a.address:
                    found.append(Interface(name, a.address, a.netmask or "255.255.255.0"))
        if found:
            return found
    found.append(Interface("lo", "127.0.0.1", "255.0.0.0"))
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            addr = str(info[4][0])
            if not addr.startswith("127."):
                found.append(Interface(addr, addr, "255.255.255.0"))
    except OSError:
        pass
    return found


def _select(interface: str | None) -> list[Interface]:
    all_ifaces = interfaces()
    if interface is None:
        return all_ifaces
    chosen = [i for i in all_ifaces if interface in (i.name, i.address)]
    if not chosen:
        raise PortError(f"no IPv4 interface named or addressed {interface!r}; "
                        f"known: {', '.join(f'{i.name} ({i.address})' for i in all_ifaces)}")
    return chosen


def _pin_to_device(sock: socket.socket, name: str) -> bool:
    """Pin ``sock`` to the interface ``name`` (Linux SO_BINDTODEVICE) where allowed."""
    option = getattr(socket, "SO_BINDTODEVICE", None)
    if option is None:
        return False
    try:
        sock.setsockopt(socket.SOL_SOCKET, option, name.encode() + b"\0")
    except OSError as exc:   # not privileged, or not a device name (fallback names)
        log.debug("discovery: SO_BINDTODEVICE %r refused (%s): source binding only", name, exc)
        return False
    return True


def _open(iface: Interface) -> socket.socket:
    """A broadcast-capable socket sending from (and through) ``iface``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        _pin_to_device(sock, iface.name)
        sock.bind((iface.address, 0))
    except OSError:
        sock.close()
        raise
    return sock


def _sendto(sock: socket.socket, data: bytes, target: tuple[str, int]) -> None:
    try:
        sock.sendto(data, target)
    except PermissionError as exc:
        raise PortError(
            f"sending GVCP to {target[0]}:{target[1]} was refused ({exc}); on Windows "
            "(WSAEACCES 10013) enable SO_BROADCAST and allow UDP 3956 in the firewall") from exc
    except OSError as exc:
        raise PortError(f"sending GVCP to {target[0]}:{target[1]} failed: {exc}") from exc


def _checked_timeout(timeout: float) -> float:
    """``timeout`` if it is 0 to 86400 seconds (nan, inf and negatives refused)."""
    if not 0 <= timeout <= 86_400:
        raise ParameterError(f"discovery timeout {timeout!r}: give 0 to 86400 seconds")
    return float(timeout)


def _collect(socks: dict[socket.socket, str], req_id: int, want: int, timeout: float,
             first_only: bool = False) -> Iterable[tuple[p.Ack, tuple[str, int], str]]:
    deadline = time.monotonic() + timeout
    seen = 0
    while seen < MAX_ACKS:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        ready, _, _ = select.select(list(socks), [], [], remaining)
        for s in ready:
            try:
                data, peer = s.recvfrom(2048)
            except OSError:
                continue
            seen += 1
            try:
                ack = p.decode_ack(data)
            except p.GvcpCodecError as exc:
                log.debug("discovery: ignoring %s from %s: %s", data[:16].hex(" "), peer, exc)
                continue
            if ack.req_id != req_id or ack.code != want:
                continue
            log.debug("discovery: %s:%d ← %s", peer[0], peer[1], ack)
            yield ack, peer, socks[s]
            if first_only:
                return


def discover(interface: str | None = None, *, address: str | None = None,
             timeout: float = 1.0, port: int = p.GVCP_PORT,
             broadcast_ack: bool = True) -> list[DiscoveredDevice]:
    """Devices answering DISCOVERY: by broadcast on every (or one named) IPv4 interface,
    or by unicast to ``address``."""
    timeout = _checked_timeout(timeout)
    req_id = 1
    raw = p.DiscoveryCmd(req_id, broadcast_ack=broadcast_ack).encode()
    socks: dict[socket.socket, str] = {}
    try:
        _send_everywhere(socks, raw, interface, address, port, "DISCOVERY_CMD")
        found: dict[tuple[int, str], DiscoveredDevice] = {}
        for ack, peer, via in _collect(socks, req_id, p.Cmd.DISCOVERY_ACK, timeout):
            assert isinstance(ack, p.DiscoveryAck)
            key = (ack.info.mac, peer[0])
            if key not in found:
                found[key] = DiscoveredDevice(ack.info, peer[0], peer[1], via)
        return sorted(found.values(), key=lambda d: (d.address, d.mac))
    finally:
        for s in socks:
            s.close()


def _send_everywhere(socks: dict[socket.socket, str], raw: bytes, interface: str | None,
                     address: str | None, port: int, what: str) -> None:
    """Send ``raw`` by unicast to ``address``, or broadcast on every (or one named) IPv4
    interface; each socket opened is added to ``socks`` (the caller closes them)."""
    if address is not None:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        socks[s] = "unicast"
        _sendto(s, raw, (address, port))
        return
    for iface in _select(interface):
        try:
            s = _open(iface)
        except OSError as exc:
            log.warning("discovery: cannot bind %s (%s): %s", iface.name, iface.address, exc)
            continue
        socks[s] = iface.address
        log.debug("discovery: %s → %s:%d via %s", what, iface.broadcast, port, iface.name)
        _sendto(s, raw, (iface.broadcast, port))
        if iface.broadcast == LIMITED_BROADCAST:
            continue
        log.debug("discovery: %s → %s:%d via %s", what, LIMITED_BROADCAST, port, iface.name)
        try:
            s.sendto(raw, (LIMITED_BROADCAST, port))
        except OSError as exc:   # e.g. no route for it on this interface: directed one went
            log.info("discovery: limited broadcast via %s (%s) refused: %s", iface.name,
                     iface.address, exc)


def force_ip(mac: str | int, ip: str, mask: str, gateway: str = "0.0.0.0", *,
             interface: str | None = None, address: str | None = None,
             timeout: float = 1.0, port: int = p.GVCP_PORT) -> bool:
    """FORCEIP: tell the device with ``mac`` to use ``ip``/``mask``/``gateway``.

    Broadcast on every (or one named) interface, or unicast to ``address``.  Returns
    True when the device acknowledged.
    """
    timeout = _checked_timeout(timeout)
    req_id = 1
    raw = p.ForceIpCmd(req_id, p.parse_mac(mac), ip, mask, gateway).encode()
    socks: dict[socket.socket, str] = {}
    try:
        _send_everywhere(socks, raw, interface, address, port, "FORCEIP_CMD")
        for ack, _peer, _via in _collect(socks, req_id, p.Cmd.FORCEIP_ACK, timeout, first_only=True):
            status = int(getattr(ack, "status", p.Status.SUCCESS))
            if status != p.Status.SUCCESS:
                raise status_error(status, f"FORCEIP {p.format_mac(p.parse_mac(mac))}")
            return True
        return False
    finally:
        for s in socks:
            s.close()
