"""Zipped descriptions: one hardened unzip (nodemap.loader.unzip) for every reader.

Whatever is wrong with an archive — corrupt bytes anywhere, truncation, an encrypted
member, an unknown compression method — the loader, the GigE Vision link and the
authoring tools all raise XmlError saying what was wrong; nothing else escapes.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nodemap
from nodemap.authoring import lint as lint_module
from nodemap.authoring.model import parse_document as authoring_parse
from nodemap.errors import XmlError
from nodemap.loader import is_zip, read_source, unzip
from nodemap.transports.gvcp.link import unpack_xml

from .xmlkit import description

XML = description('<Integer Name="X"><Value>7</Value></Integer>' * 3)


def zipped(payload: bytes = XML, *, method: int = zipfile.ZIP_DEFLATED,
           name: str = "camera.xml") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        archive.writestr(name, payload)
    return buffer.getvalue()


#: Every place a zipped description is read, as (name, function of the bytes).
READERS = [
    ("loader", lambda data: nodemap.NodeMap.from_xml(data)),
    ("gvcp link", lambda data: unpack_xml(data, "Local:camera.zip;0;100")),
    ("authoring", lambda data: authoring_parse(data)),
]


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED,
                                    zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_every_standard_method_unzips(method: int) -> None:
    data = zipped(method=method)
    assert is_zip(data) and unzip(data) == XML
    assert nodemap.NodeMap.from_xml(data).features["X"].value == 7
    assert unpack_xml(data, "device") == XML
    assert authoring_parse(data).nodes["X"].type == "Integer"


def _set_method(data: bytes, method: int) -> bytes:
    """Rewrite the compression method in the local and central headers."""
    out = bytearray(data)
    local = out.find(b"PK\x03\x04")
    out[local + 8:local + 10] = method.to_bytes(2, "little")
    central = out.rfind(b"PK\x01\x02")
    out[central + 10:central + 12] = method.to_bytes(2, "little")
    return bytes(out)


def _set_encrypted(data: bytes) -> bytes:
    out = bytearray(data)
    for magic, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        index = out.find(magic)
        out[index + offset] |= 0x01
    return bytes(out)


@pytest.mark.parametrize("damage, expected", [
    (lambda d: _set_method(d, 99), "unsupported compression method"),
    (lambda d: _set_method(d, 6), "unsupported compression method"),   # "implode"
    (_set_encrypted, "is encrypted"),
    (lambda d: d[:len(d) // 2], "corrupt zip archive, not readable"),
    (lambda d: d[:40] + bytes(b ^ 0x55 for b in d[40:80]) + d[80:], "cannot be unpacked"),
], ids=["method-99", "implode", "encrypted", "truncated", "scrambled-data"])
@pytest.mark.parametrize("reader", READERS, ids=[r[0] for r in READERS])
def test_broken_archives_are_xml_errors_saying_what_is_wrong(damage, expected, reader) -> None:
    data = damage(zipped(XML * 4))
    with pytest.raises(XmlError, match=expected):
        reader[1](data)


@pytest.mark.parametrize("reader", READERS, ids=[r[0] for r in READERS])
def test_zip_bomb_is_refused_everywhere(reader) -> None:
    bomb = zipped(b"<" + b" " * 30_000_000 + b"/>")
    with pytest.raises(XmlError, match="zip bomb"):
        reader[1](bomb)


def test_lint_reports_a_broken_zip_as_one_finding() -> None:
    findings = lint_module.lint(_set_method(zipped(), 99))
    assert [(f.rule, f.severity) for f in findings] == [("xml-malformed", "error")]
    assert "unsupported compression method" in findings[0].message


def test_the_error_names_the_file(tmp_path) -> None:
    path = tmp_path / "camera.zip"
    path.write_bytes(_set_encrypted(zipped()))
    with pytest.raises(XmlError, match=r"camera\.zip.*encrypted"):
        read_source(path)


_SEEDS = [zipped(XML, method=m) for m in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED,
                                           zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.sampled_from(range(len(_SEEDS))),
       edits=st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(0, 255)), min_size=1,
                      max_size=8),
       cut=st.one_of(st.none(), st.integers(4, 1 << 16)))
def test_corrupted_zips_give_xml_or_xml_errors_only(seed: int, edits: list[tuple[int, int]],
                                                    cut: int | None) -> None:
    data = bytearray(_SEEDS[seed])
    for position, value in edits:
        data[position % len(data)] = value
    if cut is not None:
        del data[cut:]
    blob = bytes(data)
    for name, reader in READERS:
        try:
            reader(blob)
        except XmlError:
            pass
        except Exception as exc:  # noqa: BLE001 - the point: nothing else may escape
            raise AssertionError(f"{name}: {type(exc).__name__}: {exc}") from exc
