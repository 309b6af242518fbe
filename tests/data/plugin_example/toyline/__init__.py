"""toyline: a made-up register protocol over TCP, as an out-of-tree nodemap transport.

Wire: one ASCII line per request, one per reply.  ``R <addr hex> <length>`` → ``OK <hex>``;
``W <addr hex> <hex bytes>`` → ``OK``; anything wrong → ``ERR <reason>``.  URLs:
``toyline://HOST:PORT``.  The device's description is the XML below (one Integer, Width).
"""

from __future__ import annotations

import socket
import socketserver
import threading
from typing import Any, Iterator

from nodemap.capture import Decoded
from nodemap.errors import DeviceError, PortError
from nodemap.plugin import (DiscoveredDevice, Option, Simulator, SimulatorSpec,
                            TransportPlugin)
from nodemap.urls import split_scheme

XML = b"""<?xml version="1.0" encoding="utf-8"?>
<RegisterDescription xmlns="http://www.genicam.org/GenApi/Version_1_1" ModelName="Toy"
  VendorName="Toyline" StandardNameSpace="None" SchemaMajorVersion="1" SchemaMinorVersion="1"
  SchemaSubMinorVersion="0" MajorVersion="1" MinorVersion="0" SubMinorVersion="0" ToolTip=""
  ProductGuid="0" VersionGuid="0">
  <Integer Name="Width"><pValue>WidthReg</pValue><Min>8</Min><Max>4096</Max></Integer>
  <IntReg Name="WidthReg"><Address>0x10</Address><Length>4</Length><AccessMode>RW</AccessMode>
    <pPort>Device</pPort><Sign>Unsigned</Sign><Endianess>BigEndian</Endianess></IntReg>
  <Port Name="Device"/>
</RegisterDescription>
"""


class ToyPort:
    """The Port: each read/write is one request line and one reply line."""

    def __init__(self, host: str, port: int) -> None:
        try:
            self.sock = socket.create_connection((host, port), timeout=2.0)
        except OSError as exc:
            raise PortError(f"toyline://{host}:{port}: {exc}") from None
        self.file = self.sock.makefile("rwb")

    def _ask(self, line: str) -> str:
        self.file.write(line.encode() + b"\n")
        self.file.flush()
        reply = self.file.readline().decode().strip()
        if not reply.startswith("OK"):
            raise DeviceError(f"toyline device refused {line!r}: {reply}")
        return reply[3:]

    def read(self, address: int, length: int) -> bytes:
        return bytes.fromhex(self._ask(f"R {address:x} {length}"))

    def write(self, address: int, data: bytes) -> None:
        self._ask(f"W {address:x} {data.hex()}")

    def close(self) -> None:
        self.file.close()
        self.sock.close()


class ToyLink:
    port_name = "Device"

    def __init__(self, port: ToyPort) -> None:
        self.port = port

    def descriptions(self, progress: Any = None) -> list[bytes]:
        return [XML]

    def close(self) -> None:
        self.port.close()


def open_link(url: str, **_: Any) -> ToyLink:
    _, rest = split_scheme(url)
    host, _, port = rest.partition(":")
    return ToyLink(ToyPort(host or "127.0.0.1", int(port or 7777)))


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        memory: bytearray = self.server.memory  # type: ignore[attr-defined]
        for raw in self.rfile:
            parts = raw.decode().split()
            try:
                if parts[0] == "R":
                    start, length = int(parts[1], 16), int(parts[2])
                    reply = "OK " + memory[start:start + length].hex()
                elif parts[0] == "W":
                    start, data = int(parts[1], 16), bytes.fromhex(parts[2])
                    memory[start:start + len(data)] = data
                    reply = "OK"
                else:
                    reply = "ERR unknown request"
            except (IndexError, ValueError):
                reply = "ERR malformed"
            self.wfile.write(reply.encode() + b"\n")


def start(width: int = 640, **_: Any) -> Simulator:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.memory = bytearray(0x100)  # type: ignore[attr-defined]
    server.memory[0x10:0x14] = width.to_bytes(4, "big")  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return Simulator("toyline", [f"toyline://127.0.0.1:{server.server_address[1]}"], [stop],
                     "tcp")


def discover(request: Any) -> Iterator[DiscoveredDevice]:
    for target in request.options.get("toyline_hosts") or ():
        yield DiscoveredDevice(url=f"toyline://{target}", transport="toyline", model="Toy")


class ToyDecoder:
    name = "toyline"
    priority = 5

    def __init__(self, **_: Any) -> None:
        pass

    def decode_next(self, data: bytes, context: Any) -> tuple[int, Decoded] | None:
        if data[:2] not in (b"R ", b"W ") or b"\n" not in data:
            return None
        end = data.index(b"\n") + 1
        line = data[:end].decode("ascii", "replace").strip()
        verb = "read" if line[0] == "R" else "write"
        return end, Decoded("toyline", data[:end], f"TOYLINE {verb}: {line}")


plugin = TransportPlugin(
    name="toyline",
    summary="a toy line protocol over TCP (out-of-tree example)",
    schemes=("toyline",),
    url_forms=("toyline://HOST:PORT",),
    authority=True,
    open_link=open_link,
    discover=discover,
    discover_by_default=False,
    discover_options=(Option(("--toyline-host",), "toyline_hosts", "a toyline device HOST:PORT",
                             multiple=True),),
    simulators=(SimulatorSpec(name="toy", summary="a toyline device on loopback TCP",
                              start=start,
                              options=(Option(("--width",), "width", "power-on Width",
                                              kind="int", default=640),)),),
    decoder=ToyDecoder,
    capabilities=frozenset({"features", "registers"}),
)
