"""GenICam description URLs: where a device says its XML is (``Local:``, ``File:``, ``http:``).

GigE Vision's first/second URL registers and a GenTL module's port URLs use the same
syntax: ``Local:name.zip;ADDRESS;LENGTH`` (hex, in the device's own register space),
``File:///path/name.xml`` (a file on this host) or ``http://…``, each optionally followed by
``?SchemaVersion=x.y.z``.  :func:`parse` reads one; what a transport may then fetch (and
whether a device may name a host file at all) is the transport's decision.
"""

from __future__ import annotations

import re
import urllib.parse

import attrs

from .errors import XmlError

__all__ = ["DescriptionUrl", "parse"]


@attrs.frozen(slots=True)
class DescriptionUrl:
    """One parsed URL: ``scheme`` is "local", "file" or "http"."""

    scheme: str
    name: str
    address: int = 0
    length: int = 0
    schema_version: str | None = None
    raw: str = ""

    @property
    def zipped(self) -> bool:
        return self.name.lower().endswith(".zip")


_LOCAL = re.compile(r"^local:(?:/{3})?(?P<name>[^;]+);(?:0x)?(?P<addr>[0-9a-f]+);"
                    r"(?:0x)?(?P<len>[0-9a-f]+)(?:\?(?P<query>.*))?$", re.IGNORECASE)


def _schema(query: str | None) -> str | None:
    if not query:
        return None
    for key, values in urllib.parse.parse_qs(query).items():
        if key.lower() == "schemaversion":
            return values[-1]
    return None


def parse(text: str, what: str = "XML URL") -> DescriptionUrl:
    """Parse one URL (NUL padding and blanks stripped); XmlError naming it when malformed."""
    text = text.strip().rstrip("\0").strip()
    lower = text.lower()
    if lower.startswith("local:"):
        m = _LOCAL.match(text)
        if not m:
            raise XmlError(f"{what} {text!r} is not of the form Local:name.xml;ADDRESS;LENGTH (hex)")
        return DescriptionUrl("local", m.group("name"), int(m.group("addr"), 16),
                              int(m.group("len"), 16), _schema(m.group("query")), text)
    if lower.startswith("file:"):
        body, _, query = text[5:].partition("?")
        if body.startswith("///"):
            # file:///C:/x.xml → C:/x.xml ; file:///opt/x.xml → /opt/x.xml
            body = body[3:] if re.match(r"^///[A-Za-z]:", body) else body[2:]
        return DescriptionUrl("file", urllib.parse.unquote(body), schema_version=_schema(query),
                              raw=text)
    if lower.startswith(("http:", "https:")):
        base, _, query = text.partition("?")
        return DescriptionUrl("http", base, schema_version=_schema(query), raw=text)
    raise XmlError(f"unsupported {what} {text!r}: expected Local:, File: or http:")
