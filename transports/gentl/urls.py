"""Where a GenTL module's GenApi XML lives: its port URLs, parsed and fetched.

Each module (system, interface, local device, data stream, remote device) names its XML by
URL (GenTL §4.1.2, the same forms as GigE Vision's URL registers):

- ``Local:[///]name.xml|name.zip;ADDRESS;LENGTH[?SchemaVersion=x.y.z]`` — in the module's
  own register map (hex address and length), plain or zipped;
- ``File:[///]path[?SchemaVersion=...]`` — a file on this computer (percent-encoded);
- ``http://host/path`` — a web server.

GenTL 1.1+ lists them with GCGetNumPortURLs and GCGetPortURLInfo (URL_INFO_URL, and for
1.5+ also the scheme, register address, file size and file name); older producers give one
URL through GCGetPortURL.  :func:`module_xml` tries every URL in order and returns the
first document that loads — plain XML or the zip as it is (nodemap's loader unpacks zips
and refuses zip bombs).
"""

from __future__ import annotations

import ctypes
import logging
import urllib.parse
from pathlib import Path
from typing import Any, Callable

from nodemap.errors import NodeMapError, XmlError
from nodemap.httpfetch import fetch as fetch_http
from nodemap.xmlurl import DescriptionUrl
from nodemap.xmlurl import parse as parse_description_url

from .api import URL_INFO, URL_SCHEME, GenTLError, Library

__all__ = ["PortUrl", "parse_port_url", "port_urls", "fetch", "module_xml", "MAX_XML_BYTES"]

log = logging.getLogger("nodemap.gentl")

MAX_XML_BYTES = 64 * 1024 * 1024


PortUrl = DescriptionUrl   # a module's port URL (the GenICam description URL syntax)


def parse_port_url(text: str) -> PortUrl:
    """Parse one URL a module reports; XmlError naming it when it is malformed."""
    return parse_description_url(text, "port URL")


def _url_info(lib: Library, handle: int, index: int, cmd: int, what: str) -> Any:
    return lib.info("GCGetPortURLInfo", ctypes.c_void_p(handle), index, cmd=cmd, what=what)


def port_urls(lib: Library, handle: int, what: str) -> list[PortUrl]:
    """Every URL the module at ``handle`` reports, in the producer's order."""
    urls: list[PortUrl] = []
    if lib.has("GCGetNumPortURLs") and lib.has("GCGetPortURLInfo"):
        try:
            n = lib.count("GCGetNumPortURLs", ctypes.c_void_p(handle), what=what)
        except GenTLError as exc:
            log.debug("GCGetNumPortURLs on %s: %s; falling back to GCGetPortURL", what, exc)
            n = -1
        for index in range(max(n, 0)):
            try:
                text = _url_info(lib, handle, index, URL_INFO.URL, what)
                urls.append(parse_port_url(str(text)))
            except XmlError:
                built = _from_url_info(lib, handle, index, what)
                if built is None:
                    raise
                urls.append(built)
        if n >= 0 and urls:
            return urls
    text = lib.string("GCGetPortURL", ctypes.c_void_p(handle), what=what)
    if text.strip():
        urls.append(parse_port_url(text))
    return urls


def _from_url_info(lib: Library, handle: int, index: int, what: str) -> PortUrl | None:
    """A URL built from the GenTL 1.5 URL_INFO fields when the URL text does not parse."""
    try:
        scheme = int(_url_info(lib, handle, index, URL_INFO.SCHEME, what))
        name = str(_url_info(lib, handle, index, URL_INFO.FILENAME, what))
        if scheme == URL_SCHEME.LOCAL:
            address = int(_url_info(lib, handle, index, URL_INFO.FILE_REGISTER_ADDRESS, what))
            size = int(_url_info(lib, handle, index, URL_INFO.FILE_SIZE, what))
            return PortUrl("local", name, address, size, raw=f"(URL #{index} of {what})")
        if scheme == URL_SCHEME.FILE:
            return PortUrl("file", name, raw=f"(URL #{index} of {what})")
    except GenTLError:
        return None
    return None


def fetch(url: PortUrl, read: Callable[[int, int], bytes], *,
          http_timeout: float = 10.0,
          progress: Callable[[int, int], None] | None = None) -> bytes:
    """The document ``url`` points at (raw bytes: XML or zip)."""
    if url.scheme == "local":
        if url.length <= 0 or url.length > MAX_XML_BYTES:
            raise XmlError(f"port URL {url.raw!r} announces {url.length} bytes; expected "
                           f"1..{MAX_XML_BYTES}")
        chunk = 65536
        parts = []
        done = 0
        while done < url.length:
            n = min(chunk, url.length - done)
            parts.append(read(url.address + done, n))
            done += n
            if progress:
                progress(done, url.length)
        return b"".join(parts)
    if url.scheme == "file":
        path = Path(url.name)
        try:
            size = path.stat().st_size
            if size > MAX_XML_BYTES:
                raise XmlError(f"{url.raw}: {size} bytes is more than {MAX_XML_BYTES}")
            data = path.read_bytes()
        except OSError as exc:
            raise XmlError(f"cannot read the XML file of port URL {url.raw!r}: {exc}") from exc
        if progress:
            progress(len(data), len(data))
        return data
    # the server is the device's choice: bounded in time and size
    return fetch_http(url.name, limit=MAX_XML_BYTES, timeout=http_timeout, progress=progress)


def _looks_like_xml(blob: bytes) -> bool:
    return blob.startswith(b"PK") or b"<" in blob[:4096]


def module_xml(lib: Library, handle: int, read: Callable[[int, int], bytes], what: str, *,
               progress: Callable[[int, int], None] | None = None) -> tuple[bytes, PortUrl]:
    """The XML (or zip) of the module at ``handle``: the first of its URLs that works."""
    try:
        urls = port_urls(lib, handle, what)
    except GenTLError as exc:
        raise XmlError(f"{what} names no GenApi XML: {exc}") from exc
    if not urls:
        raise XmlError(f"{what} reports no port URL, so it has no GenApi XML")
    errors = []
    for url in urls:
        try:
            blob = fetch(url, read, progress=progress)
        except (NodeMapError, OSError) as exc:
            errors.append(f"{url.raw}: {exc}")
            log.warning("XML of %s from %s failed: %s", what, url.raw, exc)
            continue
        if not _looks_like_xml(blob):
            errors.append(f"{url.raw}: the {len(blob)} bytes there are neither XML nor a zip "
                          f"(they start {blob[:8].hex(' ')})")
            continue
        if not blob.startswith(b"PK"):
            # Local: documents are often padded with NULs to the register length
            # (TLSimu's are); the XML parser would call them content after the root.
            blob = blob.rstrip(b"\0")
        log.info("%s: %d bytes of XML from %s", what, len(blob), url.raw)
        return blob, url
    raise XmlError(f"cannot get the GenApi XML of {what}: " + "; ".join(errors))


