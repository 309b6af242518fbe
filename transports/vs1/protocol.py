"""VS-1 sans-IO pieces: the virtual register map, the service table, line framing and
the boot-parameter page parser.

Nothing here touches a socket, a clock or a thread.  The only public fact about the
VS-1 is its port map (seed ``004_*.txt``): FTP 21, HTTP 80, serial-over-TCP result ports
49211-49214 and a set of proprietary *vskit* services whose wire format is not
published.  This module therefore defines

* :class:`RegisterMap` - the virtual address space (DESIGN §2) that ``xml/vs1.xml``
  describes: result strings and counters, per-service connection states, boot
  parameters, and one block per proprietary service (every access to those raises
  :class:`Vs1Unsupported`);
* :class:`LineDecoder` - splits a byte stream into formatted-output lines;
* :func:`parse_boot_page` - ``label : value`` pairs from the HTTP boot-parameter page,
  in plain text, ``<pre>`` or two-column ``<table>`` form (the vxWorks boot-line labels
  are public; the page's exact layout is not, so anything else is rejected with a
  :class:`Vs1CodecError` rather than guessed at).

The module imports nothing of the engine: its errors are :class:`Vs1CodecError` (and
its subclasses :class:`Vs1Unmapped`, :class:`Vs1Unsupported`); the port and the boot
page reader translate them into ``PortError``/``UnsupportedError``/``ProtocolError``.
"""

from __future__ import annotations

import bisect
import enum
import html.parser
import re
from html import escape
from typing import Iterable

import attrs

from ..codec import CodecError
from ..vaddr import Layout

__all__ = [
    "Vs1CodecError", "Vs1Unmapped", "Vs1Unsupported", "LAYOUT", "PROPRIETARY_LAYOUT",
    "ConnectionState",
    "Service",
    "ProprietaryService",
    "PROPRIETARY_SERVICES",
    "MONITORED_SERVICES",
    "BootField",
    "BOOT_FIELDS",
    "Slot",
    "RegisterMap",
    "LineDecoder",
    "parse_boot_page",
    "render_boot_page",
    "normalize_label",
    "unsupported_message",
]

# --------------------------------------------------------------------------- services


class ConnectionState(enum.IntEnum):
    """What our own connection to one VS-1 service last saw (value of ``ConnectionState``)."""

    NotConnected = 0  #: not attempted yet (or the service is disabled in the URL)
    Connected = 1  #: connected (FTP/HTTP: reachable at the last probe or use)
    Refused = 2  #: the camera actively refused the connection (service not running)
    TimedOut = 3  #: no answer in time (camera off, wrong address, cable pulled)
    Dropped = 4  #: an established connection was lost (peer closed/reset, keepalive expired)
    Closed = 5  #: we closed the link
    Error = 6  #: another network error (unreachable, name not resolved ...)


@attrs.frozen(slots=True)
class Service:
    """A standard-protocol service we connect to ourselves, with its index in the map."""

    index: int
    name: str
    default_port: int


#: Services whose ConnectionState is tracked; the index is the ``ServiceSelector`` value.
MONITORED_SERVICES: tuple[Service, ...] = (
    Service(0, "Ftp", 21),
    Service(1, "Http", 80),
    Service(2, "Result0", 49211),
    Service(3, "Result1", 49212),
    Service(4, "Result2", 49213),
    Service(5, "Result3", 49214),
)


@attrs.frozen(slots=True)
class ProprietaryService:
    """A vskit service from the seed's port map whose wire format is not published."""

    port: int
    protocol: str
    name: str
    purpose: str
    note: str = ""


PROPRIETARY_SERVICES: tuple[ProprietaryService, ...] = (
    ProprietaryService(49049, "TCP", "IO Service",
                       "controls physical and virtual IO and reports IO change events"),
    ProprietaryService(49050, "TCP", "Pic and Live Acquire", "takes pictures and goes to live video"),
    ProprietaryService(49059, "TCP", "Camera RPC",
                       "editing and runtime commands (Start, Stop, Download, Flash ...)"),
    ProprietaryService(49079, "TCP", "Connection Monitor",
                       "heartbeat connection that reports connection drops",
                       "nodemap reproduces its behaviour on its own connections with TCP "
                       "keepalive and read timeouts: read ConnectionState (ServiceSelector) "
                       "instead"),
    ProprietaryService(49200, "TCP", "Reports and Statistics", "AVP-defined reports and statistics"),
    ProprietaryService(49201, "TCP", "PartQ Retrieval", "report records stored in camera memory"),
    ProprietaryService(49202, "TCP", "Reports and Statistics Control",
                       "update rate and record selection of a report connection"),
    ProprietaryService(49493, "UDP", "Camera Login/Command", "network login and network parameters"),
    ProprietaryService(49495, "UDP", "Camera Announce", "identity broadcast (name, IP, status, version)",
                       "raw datagrams can be recorded, without decoding, with "
                       "nodemap.transports.vs1.announce.listen() or `nodemap discover --vs1`"),
)


def unsupported_message(service: ProprietaryService | None, port: int, feature_hint: str = "") -> str:
    """The self-contained explanation raised for any access to a vskit-only service."""
    if service is None:
        return (f"VS-1 port {port} is not a service of the published port map; addresses "
                f"in the proprietary block (0x{PROPRIETARY_BASE:08X}-0x{PROPRIETARY_END - 1:08X}) "
                f"cannot be accessed")
    text = (f"VS-1 {service.name} service ({service.protocol} port {service.port}: "
            f"{service.purpose}) is a proprietary vskit service whose wire format is "
            f"undocumented (only the port map is public), so nodemap cannot access it"
            f"{' (' + feature_hint + ')' if feature_hint else ''}. Use the vendor's vskit "
            f"library or FrontRunner for it.")
    if service.note:
        text += f" Note: {service.note}."
    return text


# --------------------------------------------------------------------------- boot fields


@attrs.frozen(slots=True)
class BootField:
    """A vxWorks boot-line parameter exposed as a String feature."""

    index: int
    feature: str
    label: str  #: normalized label as printed by vxWorks (parenthesised short form dropped)


BOOT_FIELDS: tuple[BootField, ...] = tuple(
    BootField(i, feature, label) for i, (feature, label) in enumerate((
        ("BootDevice", "boot device"),
        ("BootUnitNumber", "unit number"),
        ("BootProcessorNumber", "processor number"),
        ("BootHostName", "host name"),
        ("BootFileName", "file name"),
        ("BootInetOnEthernet", "inet on ethernet"),
        ("BootInetOnBackplane", "inet on backplane"),
        ("BootHostInet", "host inet"),
        ("BootGatewayInet", "gateway inet"),
        ("BootUser", "user"),
        ("BootFlags", "flags"),
        ("BootTargetName", "target name"),
        ("BootStartupScript", "startup script"),
        ("BootOther", "other"),
    )))
# "ftp password (pw)" is deliberately not exposed as a feature.

# --------------------------------------------------------------------------- register map


class Vs1CodecError(CodecError):
    """VS-1 data this module cannot make sense of (a boot page it does not understand)."""


class Vs1Unmapped(Vs1CodecError):
    """A virtual address (or span) that is no register of the map."""


class Vs1Unsupported(Vs1CodecError):
    """An address inside a proprietary service's block: the wire format is unpublished."""


#: Standard registers: region 0 · block (1 results, 2 connections, 3 boot) · index · offset.
LAYOUT = Layout("VS-1", ("region", 8), ("block", 8), ("index", 4), ("offset", 12))
#: Proprietary services: region 1 · TCP port · offset inside its 256-byte block.
PROPRIETARY_LAYOUT = Layout("VS-1 proprietary", ("region", 8), ("port", 16), ("offset", 8))

RESULT_BASE = LAYOUT.pack(block=1)          # 0x0001_0000; result port n at index n
RESULT_STRIDE = LAYOUT.pack(index=1)        # 0x1000
RESULT_STRING_LENGTH = 256
RESULT_COUNT_OFFSET = 0x100
RESULT_DROPPED_OFFSET = 0x108
RESULT_TIMESTAMP_OFFSET = 0x110
RESULT_BUFFERED_OFFSET = 0x118
CONNECTION_BASE = LAYOUT.pack(block=2)      # 0x0002_0000
CONNECTION_STRIDE = 4
BOOT_BASE = LAYOUT.pack(block=3)            # 0x0003_0000
BOOT_STRIDE = 0x100
BOOT_LENGTH = 256
PROPRIETARY_BASE = PROPRIETARY_LAYOUT.pack(region=1)  #: + (port << 8): a 256-byte block per port
PROPRIETARY_END = PROPRIETARY_LAYOUT.pack(region=2)
RESULT_PORTS = 4


@attrs.frozen(slots=True)
class Slot:
    """One virtual register: what it holds (``kind``), which one (``index``), where."""

    kind: str
    index: int
    start: int
    length: int
    name: str

    def contains(self, address: int, length: int) -> bool:
        return self.start <= address and address + length <= self.start + self.length


class RegisterMap:
    """The VS-1 virtual address space.  ``slot(address, length)`` finds the register.

    Layout (all integers little-endian, unsigned)::

        0x0001_0000 + 0x1000*n   ResultString<n>     256 B  latest line of port 4921(1+n)
                        +0x100   ResultCount<n>        8 B  lines received
                        +0x108   ResultDropped<n>      8 B  lines dropped by a full buffer
                        +0x110   ResultTimestamp<n>    8 B  arrival of latest line, µs since epoch
                        +0x118   ResultBuffered<n>     8 B  lines waiting in the buffer
        0x0002_0000 + 4*i        ConnectionState       4 B  service i (MONITORED_SERVICES)
        0x0003_0000 + 0x100*k    Boot<...>           256 B  boot parameter k (BOOT_FIELDS)
        0x0100_0000 + port<<8    proprietary service block: Vs1Unsupported
    """

    def __init__(self) -> None:
        slots: list[Slot] = []
        for n in range(RESULT_PORTS):
            base = RESULT_BASE + RESULT_STRIDE * n
            slots += [
                Slot("result_string", n, base, RESULT_STRING_LENGTH, f"ResultString{n}"),
                Slot("result_count", n, base + RESULT_COUNT_OFFSET, 8, f"ResultCount{n}"),
                Slot("result_dropped", n, base + RESULT_DROPPED_OFFSET, 8, f"ResultDropped{n}"),
                Slot("result_timestamp", n, base + RESULT_TIMESTAMP_OFFSET, 8, f"ResultTimestamp{n}"),
                Slot("result_buffered", n, base + RESULT_BUFFERED_OFFSET, 8, f"ResultBuffered{n}"),
            ]
        for s in MONITORED_SERVICES:
            slots.append(Slot("connection_state", s.index, CONNECTION_BASE + CONNECTION_STRIDE * s.index,
                              CONNECTION_STRIDE, f"ConnectionState[{s.name}]"))
        for f in BOOT_FIELDS:
            slots.append(Slot("boot", f.index, BOOT_BASE + BOOT_STRIDE * f.index, BOOT_LENGTH, f.feature))
        self._by_start = {s.start: s for s in slots}
        self._starts = sorted(self._by_start)
        self.slots = tuple(slots)
        self._proprietary = {s.port: s for s in PROPRIETARY_SERVICES}

    @staticmethod
    def proprietary_address(port: int) -> int:
        """Base address of the block of a proprietary service (``0x0100_0000 + port<<8``)."""
        return PROPRIETARY_LAYOUT.pack(region=1, port=port)

    def slot(self, address: int, length: int) -> Slot:
        """The register holding ``[address, address+length)``.

        Raises :class:`Vs1Unsupported` inside the proprietary block and
        :class:`Vs1Unmapped` for an address that maps to nothing.
        """
        if PROPRIETARY_BASE <= address < PROPRIETARY_END:
            port = PROPRIETARY_LAYOUT.get(address, "port")
            raise Vs1Unsupported(unsupported_message(self._proprietary.get(port), port,
                                                     f"address 0x{address:08X}"))
        i = bisect.bisect_right(self._starts, address) - 1
        if i >= 0:
            slot = self._by_start[self._starts[i]]
            if slot.contains(address, max(length, 0)) and length >= 0:
                return slot
            if slot.start <= address < slot.start + slot.length:
                raise Vs1Unmapped(
                    f"VS-1 read of {length} bytes at 0x{address:08X} runs past {slot.name} "
                    f"(0x{slot.start:08X}, {slot.length} bytes); read within the register")
        raise Vs1Unmapped(
            f"VS-1 address 0x{address:08X} maps to no register (see RegisterMap in "
            f"transports/vs1/protocol.py for the layout xml/vs1.xml uses)")


# --------------------------------------------------------------------------- line framing


class LineDecoder:
    """Splits a formatted-output byte stream into lines (bytes, terminator removed).

    ``terminator`` defaults to LF; with LF a trailing CR is stripped too (CR LF is the
    common Formatted Output terminator).  A line longer than ``max_line`` bytes
    without a terminator is cut and emitted so memory stays bounded; ``overlong``
    counts those cuts.
    """

    def __init__(self, terminator: bytes = b"\n", max_line: int = 65536) -> None:
        if not terminator:
            raise ValueError("the line terminator must not be empty")
        if max_line < 1:
            raise ValueError("max_line must be positive")
        self.terminator = terminator
        self.max_line = max_line
        self.overlong = 0
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; return the complete lines they finish, in order."""
        buf = self._buffer
        buf += data
        lines: list[bytes] = []
        term = self.terminator
        tlen = len(term)
        limit = self.max_line
        start = 0
        while True:
            end = buf.find(term, start)
            if end < 0 or end - start > limit:
                # no terminator within max_line: cut, unless the tail may still be a
                # partial terminator / an incomplete short line
                if (end >= 0) or len(buf) - start > limit + tlen - 1:
                    lines.append(bytes(buf[start:start + limit]))
                    start += limit
                    self.overlong += 1
                    continue
                break
            line = bytes(buf[start:end])
            if tlen == 1 and term == b"\n" and line.endswith(b"\r"):
                line = line[:-1]
            lines.append(line)
            start = end + tlen
        del buf[:start]
        return lines

    @property
    def pending(self) -> bytes:
        """Bytes received after the last terminator (an incomplete line)."""
        return bytes(self._buffer)


# --------------------------------------------------------------------------- boot page

_LABEL_RE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9 _./-]{0,63}?(?:\s*\([A-Za-z]{1,3}\))?)\s*:[ \t]?(.*?)\s*$")
_PAREN_RE = re.compile(r"\([^)]*\)")
_HTML_RE = re.compile(rb"<\s*(html|body|pre|table|tr|td|p|br|div|head|title)\b", re.I)
_BLOCK_TAGS = {"br", "p", "div", "pre", "table", "li", "ul", "ol", "h1", "h2", "h3", "h4",
               "h5", "h6", "title", "body", "html", "head", "hr", "form"}


def normalize_label(label: str) -> str:
    """``"inet on ethernet (e)"`` → ``"inet on ethernet"``: lower case, short form dropped."""
    return " ".join(_PAREN_RE.sub(" ", label).lower().split())


class _TextExtractor(html.parser.HTMLParser):
    """HTML → text lines; a table row becomes ``cell0 : cell1`` when it has two cells."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._current: list[str] = []
        self._cells: list[str] | None = None
        self._cell: list[str] | None = None
        self._skip = 0

    def _flush(self) -> None:
        text = "".join(self._current)
        for line in text.splitlines():
            self.lines.append(line)
        self._current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = tag.lower()
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "tr":
            self._flush()
            self._cells = []
        elif tag in ("td", "th") and self._cells is not None:
            self._cell = []
        elif tag in _BLOCK_TAGS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        tag = tag.lower()
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in ("td", "th") and self._cells is not None and self._cell is not None:
            self._cells.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._cells is not None:
            cells = self._cells
            if len(cells) == 2:
                self.lines.append(f"{cells[0].rstrip().rstrip(':').rstrip()} : {cells[1]}")
            elif cells:
                self.lines.append(" ".join(cells))
            self._cells = None
        elif tag in _BLOCK_TAGS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._cell is not None:
            self._cell.append(data)
        else:
            self._current.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def _text_lines(body: bytes) -> list[str]:
    text = body.decode("utf-8", errors="replace")
    if _HTML_RE.search(body):
        extractor = _TextExtractor()
        try:
            extractor.feed(text)
            extractor.close()
        except Exception as exc:  # html.parser is lenient; be safe anyway
            raise Vs1CodecError(f"VS-1 boot-parameter page is not parseable HTML: {exc}") from exc
        return extractor.lines
    return text.splitlines()


def parse_boot_page(body: bytes) -> dict[str, str]:
    """``label : value`` pairs of a boot-parameter page, keyed by normalized label.

    Accepts plain text, ``<pre>`` blocks and two-column table rows.  The first
    occurrence of a label wins.  Raises :class:`Vs1CodecError` when the page holds no
    pair at all (it is not a boot-parameter page we understand).
    """
    pairs: dict[str, str] = {}
    for line in _text_lines(body):
        match = _LABEL_RE.match(line)
        if not match:
            continue
        label = normalize_label(match.group(1))
        if label and label not in pairs:
            pairs[label] = match.group(2)
    if not pairs:
        raise Vs1CodecError(
            f"VS-1 boot-parameter page ({len(body)} bytes) holds no 'label : value' pairs; "
            f"its layout is not the vxWorks boot-line form nodemap understands "
            f"(start: {body[:60]!r})")
    return pairs


def render_boot_page(pairs: Iterable[tuple[str, str]], *, html_table: bool = False) -> bytes:
    """A boot-parameter page for the simulator (and tests): vxWorks ``bootParamsShow`` style."""
    pairs = list(pairs)
    if html_table:
        rows = "".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>\n" for k, v in pairs)
        return (f"<html><head><title>Boot parameters</title></head><body>\n"
                f"<table>\n{rows}</table></body></html>\n").encode()
    width = max((len(k) for k, _ in pairs), default=0)
    text = "".join(f"{k.ljust(width)} : {v}\n" for k, v in pairs)
    return (f"<html><head><title>Boot parameters</title></head><body><pre>\n"
            f"{escape(text)}</pre></body></html>\n").encode()
