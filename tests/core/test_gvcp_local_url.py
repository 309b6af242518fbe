"""GigE Vision ``Local:`` XML URLs: address, length and span checked against 32 bits.

A device's URL register names where its XML lies in the device's memory; an address or
length beyond 32 bits, a file running past 4 GiB, or an empty one is an XmlError naming
the URL before any memory is read (it used to crash with ``struct.error``).  A zipped
file is unpacked by the loader's hardened unzip.
"""

from __future__ import annotations

import io
import zipfile

import pytest

from nodemap.errors import PortError, XmlError
from nodemap.transports.gvcp import protocol as p
from nodemap.transports.gvcp.link import GvcpLink, parse_xml_url

from .xmlkit import description


class StubClient:
    """Answers the URL registers with given texts and memory reads from a dict."""

    host = "127.0.0.1"
    port = 3956

    def __init__(self, first: str, second: str = "", memory: dict[int, bytes] | None = None):
        self.urls = {p.Register.FIRST_URL: first, p.Register.SECOND_URL: second}
        self.memory = memory or {}
        self.reads: list[tuple[int, int]] = []

    def read(self, address: int, length: int) -> bytes:
        return self.urls[address].encode("latin-1").ljust(length, b"\0")

    def read_memory(self, address: int, length: int, progress=None) -> bytes:
        self.reads.append((address, length))
        for start, data in self.memory.items():
            if start <= address and address + length <= start + len(data):
                return data[address - start:address - start + length]
        raise PortError(f"no memory at 0x{address:X}")


@pytest.mark.parametrize("url, expected", [
    ("Local:cam.xml;1FFFFFFFF;100", "address 0x1FFFFFFFF is beyond the 32-bit"),
    ("Local:cam.xml;100000;100000000", "length 0x100000000 is beyond the 32-bit"),
    ("Local:cam.xml;" + "F" * 5000 + ";10", "is beyond the 32-bit"),
])
def test_local_url_beyond_32_bits_is_refused_when_parsed(url: str, expected: str) -> None:
    with pytest.raises(XmlError, match=expected):
        parse_xml_url(url)


@pytest.mark.parametrize("url, expected", [
    ("Local:cam.xml;FFFFFFF0;100", "run past the end of the 32-bit"),
    ("Local:cam.xml;2;FFFFFFFF", "run past the end of the 32-bit"),
    ("Local:cam.xml;100000;0", "announces a file of 0 bytes"),
])
def test_local_url_spanning_past_4_gib_is_refused_before_reading(url: str,
                                                                 expected: str) -> None:
    client = StubClient(url)
    link = GvcpLink(client=client)  # type: ignore[arg-type]
    with pytest.raises(XmlError, match=expected) as info:
        link.device_xml()
    assert url in str(info.value)
    assert client.reads == []


def test_local_url_at_the_top_of_the_space_is_read() -> None:
    xml = description('<Integer Name="X"><Value>1</Value></Integer>')
    address = (1 << 32) - len(xml)
    client = StubClient(f"Local:cam.xml;{address:X};{len(xml):X}",
                        memory={address & ~3: bytes(address & 3) + xml})
    assert GvcpLink(client=client).device_xml() == xml  # type: ignore[arg-type]
    assert client.reads and all(a + n <= 1 << 32 for a, n in client.reads)


def test_corrupt_zip_from_a_device_is_an_xml_error_naming_the_url() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("cam.xml", b"<RegisterDescription/>" * 50)
    data = bytearray(buffer.getvalue())
    data[8:10] = (99).to_bytes(2, "little")          # unknown compression method
    central = data.rfind(b"PK\x01\x02")
    data[central + 10:central + 12] = (99).to_bytes(2, "little")
    url = f"Local:cam.zip;10000;{len(data):X}"
    client = StubClient(url, memory={0x10000: bytes(data) + bytes(4)})
    with pytest.raises(XmlError, match=r"Local:cam\.zip.*unsupported compression method"):
        GvcpLink(client=client).device_xml()  # type: ignore[arg-type]
