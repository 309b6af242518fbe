"""``gvcp://HOST[:PORT]``: open a GigE Vision device as a nodemap DeviceLink.

``open_link("gvcp://192.168.1.10?control=1")`` discovers the
device by unicast DISCOVERY, takes control (CCP + heartbeat) unless ``control=0``, and
hands the Camera a :class:`GvcpLink`: ``.port`` (the :class:`.client.GvcpClient`,
registers and memory), ``.descriptions()`` (the device's XML downloaded from its first
URL — falling back to the second — and the shipped ``gige-bootstrap.xml`` under it), and
``close()`` (CCP = 0, heartbeat stopped, socket closed).

The URL registers hold ``Local:[///]name.xml|zip;ADDRESS;LENGTH[?SchemaVersion=x.y.z]``
(hex), ``File:`` or ``http(s):`` URLs; :func:`parse_xml_url` reads them.
"""

from __future__ import annotations

import logging
import urllib.parse
from pathlib import Path
from typing import Any, Callable

import attrs

from nodemap.errors import ParameterError, PortError, XmlError
from nodemap.httpfetch import fetch as fetch_http
from nodemap.loader import is_zip, unzip
from nodemap.resources import read_description
from nodemap.urls import unknown_parameters_error
from nodemap.xmlurl import DescriptionUrl
from nodemap.xmlurl import parse as parse_description_url

from . import protocol as p
from .client import GvcpClient
from .protocol import Register as R
from .session import Policy

__all__ = ["GvcpLink", "GvcpUrlError", "XmlUrl", "open_link", "parse_xml_url", "unpack_xml",
           "parse_gvcp_url"]

log = logging.getLogger("nodemap.gvcp")

BOOTSTRAP_XML = "gige-bootstrap.xml"
MAX_XML_BYTES = 64 * 1024 * 1024


XmlUrl = DescriptionUrl   # the first/second URL register's content


def parse_xml_url(text: str) -> XmlUrl:
    """Parse the content of a first/second URL register (a ``Local:`` address and length
    must fit the 32-bit GigE Vision address space)."""
    url = parse_description_url(text, "XML URL")
    if url.scheme == "local":
        for what, number in (("address", url.address), ("length", url.length)):
            if number >= ADDRESS_SPACE:
                raise XmlError(f"XML URL {url.raw!r}: {what} 0x{number:X} is beyond the 32-bit "
                               f"GigE Vision address space (the device's URL register is "
                               f"wrong)")
    return url



class GvcpUrlError(PortError, ParameterError):
    """A malformed ``gvcp://`` URL (host, port or option value): a PortError for code that
    catches those, and a usage error (ValueError) for the command line."""

#: GigE Vision registers and memory are addressed with 32 bits.
ADDRESS_SPACE = 1 << 32


def _check_local_span(text: str, address: int, length: int) -> None:
    """A ``Local:`` URL's file must be there and end inside the 32-bit address space."""
    if length == 0:
        raise XmlError(f"XML URL {text!r} announces a file of 0 bytes")
    if address + length > ADDRESS_SPACE:
        raise XmlError(f"XML URL {text!r}: {length} bytes at 0x{address:X} run past the end "
                       f"of the 32-bit GigE Vision address space (4 GiB)")


def unpack_xml(blob: bytes, source: str = "XML") -> bytes:
    """Plain XML from ``blob``: unzipped by the loader's hardened unzip if it is a zip
    (bombs, corrupt, encrypted or exotic archives are XmlErrors naming ``source``)."""
    if not is_zip(blob):
        return blob
    return unzip(blob, source)


@attrs.define
class GvcpLink:
    """A GigE Vision device opened for nodemap (see module docstring)."""

    client: GvcpClient
    device_info: p.DeviceInfo | None = None
    port_name: str = "Device"
    xml_url: XmlUrl | None = None
    http_timeout: float = 10.0
    http_deadline: float = 60.0      # seconds in all for an http: description
    #: A device's ``File:`` URL names a path on *this* host: read it only when the user
    #: opted in (``?allow_file_url=1`` or ``open_link(..., allow_file_url=True)``).
    allow_file_url: bool = False

    @property
    def port(self) -> GvcpClient:
        return self.client

    @property
    def host(self) -> str:
        return self.client.host

    def url_register(self, second: bool = False) -> str:
        raw = self.client.read(R.SECOND_URL if second else R.FIRST_URL, p.URL_LENGTH)
        return raw.split(b"\0", 1)[0].decode("latin-1").strip()

    def device_xml(self, progress: Callable[[int, int], None] | None = None) -> bytes:
        """The device's own XML (plain), from the first URL, else the second."""
        errors = []
        for second in (False, True):
            try:
                text = self.url_register(second)
                if not text:
                    errors.append(f"{'second' if second else 'first'} URL is empty")
                    continue
                url = parse_xml_url(text)
                blob = self._fetch(url, progress)
                self.xml_url = url
                log.info("downloaded %d bytes of XML from %s", len(blob), url.raw)
                xml = unpack_xml(blob, url.raw)
                if b"<" not in xml[:4096]:   # lenient: text may precede <?xml
                    if is_zip(blob):
                        raise XmlError(f"{url.raw}: the zip archive there holds no XML (its "
                                       f"member starts {xml[:8].hex(' ') or 'empty'})")
                    start = "" if url.scheme == "file" else f" (they start {blob[:8].hex(' ')})"
                    raise XmlError(f"{url.raw}: the {len(blob)} bytes there are neither XML nor "
                                   f"a zip{start}")
                return xml
            except (PortError, XmlError, OSError) as exc:
                errors.append(f"{'second' if second else 'first'} URL: {exc}")
                log.warning("XML from the %s URL of %s failed: %s",
                            "second" if second else "first", self.host, exc)
        raise XmlError(f"cannot get the GenApi XML of GigE Vision device {self.host}: "
                       + "; ".join(errors))

    def _fetch(self, url: XmlUrl, progress: Callable[[int, int], None] | None) -> bytes:
        if url.scheme == "local":
            _check_local_span(url.raw, url.address, url.length)
            if url.length > MAX_XML_BYTES:
                raise XmlError(f"XML URL {url.raw!r} announces {url.length} bytes (too large)")
            start = url.address & ~3
            end = (url.address + url.length + 3) & ~3
            span = self.client.read_memory(
                start, end - start,
                (lambda done, total: progress(min(done, url.length), url.length)) if progress else None)
            return span[url.address - start:url.address - start + url.length]
        if url.scheme == "file":
            data = self._read_file_url(url)
        else:   # the server is the device's choice: bounded in time and size
            data = fetch_http(url.name, limit=MAX_XML_BYTES, timeout=self.http_timeout,
                              deadline=self.http_deadline, progress=progress)
        if progress and url.scheme == "file":
            progress(len(data), len(data))
        return data

    def _read_file_url(self, url: XmlUrl) -> bytes:
        """The host file a device's ``File:`` URL names, only if the user allowed it; errors
        name the path and the OS reason, never the file's content."""
        if not self.allow_file_url:
            raise XmlError(f"the device's XML URL {url.raw!r} names a file on this host; "
                           "nodemap does not read host files a device chooses. If you trust "
                           "this device, add ?allow_file_url=1 to the gvcp:// URL (or load the "
                           "XML yourself with --xml)")
        path = Path(url.name)
        try:
            size = path.stat().st_size
            if size > MAX_XML_BYTES:
                raise XmlError(f"XML URL {url.raw!r}: {path} has {size} bytes (more than "
                               f"{MAX_XML_BYTES})")
            return path.read_bytes()
        except OSError as exc:
            raise XmlError(f"XML URL {url.raw!r}: cannot read {path}: "
                           f"{exc.strerror or type(exc).__name__}") from None

    def descriptions(self, progress: Callable[[int, int], None] | None = None) -> list[bytes]:
        """[device XML, bootstrap XML]: the device's names win over the bootstrap's."""
        return [self.device_xml(progress), read_description(BOOTSTRAP_XML)]

    def open_stream(self, nodemap: Any, *, buffers: int = 8, packet_size: int | None = None,
                    **options: Any) -> Any:
        """A GVSP FrameSource for stream channel ``channel`` (default 0); see
        :class:`.stream.GvspSource` for the options."""
        from .stream import GvspSource

        return GvspSource(self, nodemap, buffers=buffers, packet_size=packet_size, **options)

    def open_events(self, nodemap: Any) -> Any:
        """The device's events (:class:`.events.Events`, ``cam.events``): a message channel
        bound on the local address that routes to the device, announced to it through the
        bootstrap MCDA/MCP registers (MCP = 0 again when it closes)."""
        from .events import Events, local_address_to

        def write_register(address: int, value: int) -> None:
            self.client.write(int(address), int(value).to_bytes(4, "big"))

        return Events(nodemap, write_register, host=local_address_to(self.host))

    def close(self) -> None:
        self.client.close()

    def __repr__(self) -> str:
        who = f" {self.device_info.manufacturer} {self.device_info.model}" if self.device_info else ""
        return f"<GvcpLink gvcp://{self.client.host}:{self.client.port}{who}>"


def parse_gvcp_url(url: str) -> tuple[str, int, dict[str, str]]:
    """``gvcp://HOST[:PORT][?k=v...]`` → (host, port, options)."""
    rest = url.split(":", 1)[1] if ":" in url else url
    rest = rest[2:] if rest.startswith("//") else rest
    hostport, _, query = rest.partition("?")
    hostport = hostport.rstrip("/")
    if hostport.startswith("["):
        raise GvcpUrlError(f"{url!r}: GigE Vision (GVCP) runs over IPv4; give an IPv4 address")
    host, sep, port_text = hostport.partition(":")
    if not host:
        raise GvcpUrlError(f"{url!r} names no host; use gvcp://ADDRESS[:PORT]")
    try:
        port = int(port_text) if sep else p.GVCP_PORT
    except ValueError:
        raise GvcpUrlError(f"{url!r}: port {port_text!r} is not a number") from None
    if not 0 < port <= 0xFFFF:
        raise GvcpUrlError(f"{url!r}: port {port} is not a UDP port (1-65535)")
    options = {k: v[-1] for k, v in urllib.parse.parse_qs(query).items()}
    return host, port, options


#: The query parameters of a ``gvcp://`` URL.
_URL_PARAMETERS = frozenset({"timeout", "retries", "deadline", "control", "exclusive",
                             "allow_file_url",
                             "heartbeat", "heartbeat_timeout"})


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("0", "false", "no", "off", "")
    return bool(value)


def open_link(url: str, **options: Any) -> GvcpLink:
    """Open ``gvcp://HOST[:PORT][?timeout=S&retries=N&deadline=S&control=1&exclusive=0&heartbeat=1]``.

    ``allow_file_url=1`` lets a device's ``File:`` XML URL name a file on this host to read
    (refused by default: a device must not choose which host file is read).

    Without ``timeout``/``retries`` the client's adaptive retransmission timer applies
    (about a second without an answer fails an operation); either of them selects a fixed
    timer of ``retries`` attempts of ``timeout`` seconds; ``deadline`` caps every
    operation, PENDING_ACK included (see :mod:`.session`).  Keyword options override the
    URL's query.  ``heartbeat_timeout`` (ms) is written to
    the device when given.
    """
    host, port, query = parse_gvcp_url(url)
    unknown = set(query) - _URL_PARAMETERS
    if unknown:
        raise unknown_parameters_error(url, unknown, _URL_PARAMETERS)
    merged: dict[str, Any] = {**query, **options}
    try:
        timeout = float(merged["timeout"]) if "timeout" in merged else None
        retries = int(merged["retries"]) if "retries" in merged else None
        deadline = float(merged["deadline"]) if "deadline" in merged else None
        policy = Policy.from_options(timeout, retries, deadline)
    except ValueError as exc:
        raise GvcpUrlError(f"{url!r}: {exc} (timeout= and deadline= take seconds, retries= a "
                           "number of attempts)") from None
    client = GvcpClient(host, port, policy=policy, tap=merged.get("tap"),
                        on_control_lost=merged.get("on_control_lost"))
    try:
        ack = client.transact(lambda rid: p.DiscoveryCmd(rid), p.DISCOVERY_PAYLOAD)
        info = ack.info if isinstance(ack, p.DiscoveryAck) else None
        if info:
            log.info("opened %s: %s", url, info)
        if "heartbeat_timeout" in merged:
            client.write_register(R.HEARTBEAT_TIMEOUT, int(merged["heartbeat_timeout"]))
        if _flag(merged.get("control", True)):
            client.take_control(exclusive=_flag(merged.get("exclusive", False)),
                                heartbeat=_flag(merged.get("heartbeat", True)))
    except BaseException:
        client.close()
        raise
    return GvcpLink(client=client, device_info=info,
                    allow_file_url=_flag(merged.get("allow_file_url", False)))
