"""Discovery (broadcast on loopback, unicast, FORCEIP), XML URLs and the gvcp:// link."""

from __future__ import annotations

import http.server
import io
import pathlib
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nodemap.app import plugins
from nodemap.errors import PortError, XmlError
from nodemap.resources import read_description
from tests.transports.gvcp.conftest import SIMPLE_XML
from nodemap.transports.gvcp import discovery
from nodemap.transports.gvcp import protocol as p
from nodemap.transports.gvcp.client import GvcpClient
from nodemap.transports.gvcp.link import GvcpLink, open_link, parse_gvcp_url, parse_xml_url, unpack_xml

BROADCAST = "127.255.255.255"


@contextmanager
def _observer(url: str) -> Iterator[GvcpLink]:
    """The link of ``url`` opened without taking control (it only reads), closed after."""
    link = open_link(url, control=False)
    try:
        yield link
    finally:
        link.close()


def test_broadcast_discovery_on_loopback_dedups(private_network, make_device) -> None:
    a = make_device(broadcast_address=BROADCAST, serial="A1")
    b = make_device(broadcast_address=BROADCAST, serial="B2")
    found = discovery.discover("lo", timeout=1.5)
    ours = {d.address: d for d in found}
    assert set(ours) == {a.address, b.address} and len(found) == 2   # a private network
    da = ours[a.address]
    assert da.info.serial == "A1" and da.mac == p.format_mac(a.mac) and da.ip == a.address
    assert da.info.mask == "255.0.0.0" and da.info.manufacturer == "nodemap"
    assert da.info.spec_major == 2 and da.interface == "127.0.0.1"
    assert da.url == f"gvcp://{a.address}" and "A1" in str(da)
    assert len([d for d in found if d.address == a.address]) == 1


def test_unicast_discovery(device) -> None:
    [found] = discovery.discover(address=device.address, timeout=0.3)
    assert found.info.model == "GVCP simulator" and found.port == p.GVCP_PORT


def test_unknown_interface_is_named() -> None:
    with pytest.raises(PortError, match="no IPv4 interface named"):
        discovery.discover("no-such-interface0", timeout=0.1)


def test_interfaces_include_loopback() -> None:
    lo = [i for i in discovery.interfaces() if i.address == "127.0.0.1"]
    assert lo and lo[0].broadcast == BROADCAST


def test_force_ip_by_mac(private_network, make_device) -> None:
    dev = make_device(broadcast_address=BROADCAST)
    assert discovery.force_ip(p.format_mac(dev.mac), "127.0.39.250", "255.255.0.0",
                              interface="lo", timeout=5.0)
    assert dev.memory.get32(p.Register.CURRENT_IP) == 0x7F0027FA
    [found] = discovery.discover(address=dev.address, timeout=0.3)
    assert found.info.ip == "127.0.39.250" and found.info.mask == "255.255.0.0"
    assert not discovery.force_ip("02:00:00:00:00:01", "127.0.0.9", "255.0.0.0",
                                  address=dev.address, timeout=0.2)


@pytest.mark.parametrize("text, expected", [
    ("Local:device.xml;100000;3E93", ("local", "device.xml", 0x100000, 0x3E93, None)),
    ("local:///cam.zip;0x8000;0x1a4?SchemaVersion=1.1.0", ("local", "cam.zip", 0x8000, 0x1A4, "1.1.0")),
    ("File:///C:/xml/cam.xml?SchemaVersion=1.0.0", ("file", "C:/xml/cam.xml", 0, 0, "1.0.0")),
    ("file:///opt/cam%20a.xml", ("file", "/opt/cam a.xml", 0, 0, None)),
    ("http://127.0.0.1:8080/cam.zip?SchemaVersion=1.1.0",
     ("http", "http://127.0.0.1:8080/cam.zip", 0, 0, "1.1.0")),
])
def test_parse_xml_url(text, expected) -> None:
    url = parse_xml_url(text + "\0\0\0")
    assert (url.scheme, url.name, url.address, url.length, url.schema_version) == expected


@pytest.mark.parametrize("bad", ["Local:x.xml;zz;10", "Local:x.xml;10", "ftp://x/y.xml", ""])
def test_parse_xml_url_rejects(bad) -> None:
    with pytest.raises(XmlError):
        parse_xml_url(bad)


@given(st.from_regex(r"[A-Za-z0-9_]{1,20}\.(xml|zip)", fullmatch=True),
       st.integers(0, 2**32 - 1), st.integers(0, 2**24))
def test_parse_local_url_property(name, address, length) -> None:
    url = parse_xml_url(f"Local:{name};{address:X};{length:x}")
    assert (url.name, url.address, url.length) == (name, address, length)


def test_unpack_xml_refuses_bombs() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.xml", b"\0" * (65 * 1024 * 1024))
    with pytest.raises(XmlError, match="zip bomb"):
        unpack_xml(buf.getvalue())
    with pytest.raises(XmlError, match="corrupt zip"):
        unpack_xml(b"PK\3\4garbage")
    assert unpack_xml(b"<x/>") == b"<x/>"


def test_parse_gvcp_url() -> None:
    assert parse_gvcp_url("gvcp://10.0.0.2") == ("10.0.0.2", 3956, {})
    assert parse_gvcp_url("gvcp://10.0.0.2:4000/?timeout=0.5&control=0") == (
        "10.0.0.2", 4000, {"timeout": "0.5", "control": "0"})
    with pytest.raises(PortError):
        parse_gvcp_url("gvcp://")


@pytest.mark.parametrize("zipped", [False, True])
def test_link_downloads_plain_and_zipped_xml(make_device, zipped) -> None:
    dev = make_device(zipped=zipped, schema_version="1.1.0")
    link = plugins.open_link(f"gvcp://{dev.address}?timeout=0.3&retries=2")
    try:
        assert isinstance(link, GvcpLink) and link.port_name == "Device"
        assert link.client.has_control and dev.controller == link.client.local_address
        seen: list[tuple[int, int]] = []
        device_xml, bootstrap = link.descriptions(lambda d, t: seen.append((d, t)))
        assert device_xml == SIMPLE_XML
        assert bootstrap == read_description("gige-bootstrap.xml")
        assert link.xml_url.zipped == zipped and link.xml_url.schema_version == "1.1.0"
        assert seen and seen[-1][0] == seen[-1][1] == link.xml_url.length
        assert link.device_info.serial.startswith("SIM")
    finally:
        link.close()
    assert dev.controller is None


def test_link_falls_back_to_second_url_and_file_urls(make_device, tmp_path) -> None:
    xml_file = tmp_path / "cam.xml"
    xml_file.write_bytes(SIMPLE_XML)
    dev = make_device()
    dev.set_url("Local:broken.xml;FFFFFFF0;40")            # beyond the 32-bit address space
    dev.set_url(f"File:///{xml_file.as_posix().lstrip('/')}", second=True)
    with _observer(f"gvcp://{dev.address}?allow_file_url=1") as link:
        assert link.device_xml() == SIMPLE_XML and link.xml_url.scheme == "file"
        assert dev.controller is None


SECRET = b"root:x:0:0:SECRET-MARKER-7f3a:/root:/bin/bash\n"


@pytest.mark.parametrize("form", ["File:///{path}", "file:{path}", "FILE:///{path}?SchemaVersion=1.0.0"])
def test_a_device_chosen_file_url_is_refused_by_default(make_device, tmp_path, form) -> None:
    secret = tmp_path / "passwd"
    secret.write_bytes(SECRET)
    dev = make_device()
    dev.set_url(form.format(path=secret.as_posix().lstrip("/") if "///" in form
                            else secret.as_posix()))
    dev.set_url("", second=True)   # no second URL to fall back to
    reads: list[str] = []
    with _observer(f"gvcp://{dev.address}") as link:
        original = pathlib.Path.read_bytes

        def spy(self: pathlib.Path) -> bytes:
            reads.append(str(self))
            return original(self)

        pathlib.Path.read_bytes = spy   # type: ignore[method-assign]
        try:
            with pytest.raises(XmlError, match=r"names a file on this host.*allow_file_url=1") as err:
                link.device_xml()
        finally:
            pathlib.Path.read_bytes = original   # type: ignore[method-assign]
    assert str(secret) not in reads
    assert "SECRET-MARKER" not in str(err.value) and "726f6f74" not in str(err.value).replace(" ", "")


def test_an_allowed_file_url_never_echoes_the_file_content(make_device, tmp_path) -> None:
    secret = tmp_path / "passwd"
    secret.write_bytes(SECRET)
    dev = make_device()
    dev.set_url(f"File:///{secret.as_posix().lstrip('/')}")
    dev.set_url(f"File:///{(tmp_path / 'missing.xml').as_posix().lstrip('/')}", second=True)
    link = open_link(f"gvcp://{dev.address}", control=False, allow_file_url=True)
    try:
        with pytest.raises(XmlError, match=r"neither XML nor a zip.*cannot read .*missing\.xml")\
                as err:
            link.device_xml()
    finally:
        link.close()
    text = str(err.value)
    assert "SECRET-MARKER" not in text and "/bin/bash" not in text
    assert SECRET[:8].hex(" ") not in text and SECRET[:8].hex() not in text


def test_allow_file_url_zero_in_the_url_still_refuses(make_device, tmp_path) -> None:
    xml_file = tmp_path / "cam.xml"
    xml_file.write_bytes(SIMPLE_XML)
    dev = make_device()
    dev.set_url(f"File:///{xml_file.as_posix().lstrip('/')}")
    with _observer(f"gvcp://{dev.address}?allow_file_url=0") as link:
        with pytest.raises(XmlError, match="names a file on this host"):
            link.device_xml()


def test_link_rejects_a_blob_that_is_not_xml(make_device) -> None:
    dev = make_device()
    dev.set_url("Local:zeros.xml;20000;40")                 # valid memory, but only zeros
    with _observer(f"gvcp://{dev.address}") as link:
        with pytest.raises(XmlError, match="neither XML nor a zip"):
            link.device_xml()


def test_link_http_url(make_device) -> None:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Length", str(len(SIMPLE_XML)))
            self.end_headers()
            self.wfile.write(SIMPLE_XML)

        def log_message(self, *args) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        dev = make_device()
        dev.set_url(f"http://127.0.0.1:{server.server_port}/cam.xml")
        with _observer(f"gvcp://{dev.address}") as link:
            progress: list[tuple[int, int]] = []
            assert link.device_xml(lambda d, t: progress.append((d, t))) == SIMPLE_XML
            assert progress[-1] == (len(SIMPLE_XML), len(SIMPLE_XML))
    finally:
        server.shutdown()
        server.server_close()


def test_link_reports_missing_xml(make_device) -> None:
    dev = make_device(xml=None)
    with _observer(f"gvcp://{dev.address}") as link:
        with pytest.raises(XmlError, match="first URL is empty.*second URL is empty"):
            link.device_xml()


def test_open_link_to_nobody_times_out_cleanly() -> None:
    from tests.transports.gvcp.conftest import next_address
    with pytest.raises(PortError, match="no answer from GigE Vision device"):
        open_link(f"gvcp://{next_address()}?timeout=0.02&retries=2")


def test_second_application_cannot_take_control(device) -> None:
    first = open_link(f"gvcp://{device.address}")
    try:
        with pytest.raises(PortError, match="another application holds it"):
            open_link(f"gvcp://{device.address}")
        watcher = open_link(f"gvcp://{device.address}?control=0")
        assert watcher.client.read_register(0xA000) == 640
        watcher.close()
    finally:
        first.close()


def test_client_is_a_port(device) -> None:
    from nodemap.port import Port
    with GvcpClient(device.address) as c:
        assert isinstance(c, Port)


@pytest.mark.parametrize("timeout", [float("inf"), float("nan"), -1.0, 1e308])
def test_discovery_timeouts_are_checked_before_anything_is_sent(timeout: float) -> None:
    from nodemap.errors import ParameterError
    with pytest.raises(ParameterError, match="give 0 to 86400 seconds"):
        discovery.discover(address="127.0.0.1", timeout=timeout)
    with pytest.raises(ParameterError, match="give 0 to 86400 seconds"):
        discovery.force_ip("02:00:00:00:00:01", "127.0.0.9", "255.0.0.0", address="127.0.0.1",
                           timeout=timeout)
