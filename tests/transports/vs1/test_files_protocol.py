"""VS-1 ``cam.files`` answers the same Files protocol as GenApi file access (FTP behind it)."""

from __future__ import annotations

import io
from typing import Any, Iterator

import pytest

import nodemap
from nodemap.errors import FileAccessError
from nodemap.files import Files
from nodemap.transports.vs1.device import SimulatedVS1

from .conftest import make_sim


@pytest.fixture
def cam(sim: SimulatedVS1) -> Iterator[Any]:
    with nodemap.open(sim.url + "&retry=0.1&monitor=0.2", wait=10) as camera:
        yield camera


def test_vs1_files_is_a_files_protocol(cam: Any) -> None:
    assert isinstance(cam.files, Files)


def test_write_read_list_with_progress(cam: Any) -> None:
    data = bytes(range(256)) * 300 + b"end"
    calls: list[tuple[int, int | None]] = []
    assert cam.files.write("job.avp", data, progress=lambda d, t: calls.append((d, t))) == len(data)
    assert calls[0] == (0, len(data)) and calls[-1] == (len(data), len(data))
    assert all(a[0] <= b[0] for a, b in zip(calls, calls[1:]))
    assert "job.avp" in cam.files.list()
    calls.clear()
    assert cam.files.read("job.avp", progress=lambda d, t: calls.append((d, t))) == data
    assert calls[0] == (0, len(data)) and calls[-1] == (len(data), len(data))
    assert cam.files.download("job.avp") == data          # the FTP verbs stay


def test_open_rb_and_wb(cam: Any) -> None:
    with cam.files.open("notes.txt", "wb") as handle:
        assert isinstance(handle, io.RawIOBase) and handle.writable()
        handle.write(b"hello ")
        handle.write(b"world\n")
    with cam.files.open("notes.txt", "rb") as handle:
        assert handle.read(5) == b"hello"
        handle.seek(-6, io.SEEK_END)
        assert handle.read() == b"world\n"


def test_an_error_inside_with_stores_nothing(cam: Any) -> None:
    with pytest.raises(RuntimeError):
        with cam.files.open("half.bin", "wb") as handle:
            handle.write(b"partial")
            raise RuntimeError("stop")
    assert "half.bin" not in cam.files.list()


def test_missing_file_is_a_file_access_error(cam: Any) -> None:
    with pytest.raises(FileAccessError, match="missing.txt") as info:
        cam.files.read("missing.txt")
    assert (info.value.file, info.value.operation, info.value.status) == \
        ("missing.txt", "Read", "550")


def test_bad_mode(cam: Any) -> None:
    with pytest.raises(nodemap.NodeMapError, match="'ab'"):
        cam.files.open("x", "ab")


def test_refused_login_names_the_file_and_reply() -> None:
    with make_sim(user="vs1", password="right") as device, \
            nodemap.open(device.url + "&monitor=0&results=0,0,0,0", user="vs1",
                         password="wrong") as cam:
        with pytest.raises(FileAccessError, match="job.avp") as info:
            cam.files.write("job.avp", b"x")
        assert info.value.status == "530"


def test_ftp_switched_off_says_so(sim: SimulatedVS1) -> None:
    with nodemap.open(sim.url + "&ftp=0&monitor=0&results=0,0,0,0") as cam:
        with pytest.raises(nodemap.UnsupportedError, match="switched off"):
            cam.files.list()
