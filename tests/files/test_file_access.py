"""cam.files over SFNC FileAccessControl (nodemap/files.py) against the simulated device's
file store, in process: contents, modes, progress, and every failure a clear error."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nodemap import NodeMap
from nodemap.errors import (FileAccessError, FileTimeoutError, NodeMapError, RangeError,
                            TimeoutError)
from nodemap.files import DeviceFile, FileAccess, Files, supports_files
from nodemap.transports.gvcp.sim_files import default_files

from .inproc import XML, ours

BUFFER = 512          # FileAccessBuffer's length in xml/demo-camera.xml


def test_lists_the_selector_entries() -> None:
    files, _ = ours()
    assert files.list() == ["UserSet1", "LUTLuminance", "DeviceLog", "UserData"]
    assert isinstance(files, Files)


@pytest.mark.parametrize("name", ["UserSet1", "LUTLuminance", "DeviceLog", "UserData"])
def test_reads_each_demo_file(name: str) -> None:
    files, port = ours()
    assert files.read(name) == bytes(default_files()[name].data)
    assert all(entry.mode is None for entry in port.files.files.values()), "left open"


def test_lut_is_1024_big_endian_entries() -> None:
    files, _ = ours()
    lut = files.read("LUTLuminance")
    assert len(lut) == 2048
    assert [int.from_bytes(lut[i:i + 2], "big") for i in (0, 2, 2046)] == [0, 4, 4092]


def test_write_then_read_back_and_size() -> None:
    files, port = ours()
    data = bytes(range(256)) * 5 + b"tail"
    assert files.write("UserData", data) == len(data)
    assert bytes(port.files.files["UserData"].data) == data
    assert files.size("UserData") == len(data)
    assert files.read("UserData") == data


def test_write_replaces_the_whole_file() -> None:
    files, _ = ours()
    files.write("UserData", b"x" * 2000)
    files.write("UserData", b"short")
    assert files.read("UserData") == b"short"


def test_progress_reports_every_buffer_full() -> None:
    files, _ = ours()
    data = bytes(1300)
    calls: list[tuple[int, int | None]] = []
    files.write("UserData", data, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(0, 1300), (512, 1300), (1024, 1300), (1300, 1300)]
    calls.clear()
    files.read("UserData", progress=lambda done, total: calls.append((done, total)))
    assert calls == [(0, 1300), (512, 1300), (1024, 1300), (1300, 1300)]


def test_open_rb_is_a_seekable_raw_file() -> None:
    files, _ = ours()
    files.write("UserData", bytes(range(200)) * 4)
    with files.open("UserData", "rb") as handle:
        assert isinstance(handle, io.RawIOBase)
        assert handle.readable() and handle.seekable() and not handle.writable()
        assert handle.read(3) == bytes([0, 1, 2])
        assert handle.tell() == 3
        handle.seek(-2, io.SEEK_END)
        assert handle.read() == bytes([198, 199])
        handle.seek(600)
        assert handle.read(1000) == (bytes(range(200)) * 4)[600:]
        assert handle.read(10) == b""          # end of file
    assert handle.closed
    with pytest.raises(ValueError):
        handle.read(1)


def test_open_rb_works_with_buffered_reader() -> None:
    files, _ = ours()
    text = b"line one\nline two\nline three\n" * 40
    files.write("UserData", text)
    with io.BufferedReader(files.open("UserData", "rb")) as handle:   # type: ignore[arg-type]
        assert handle.readline() == b"line one\n"
        assert handle.read() == text[9:]


def test_open_wb_writes_in_pieces() -> None:
    files, port = ours()
    with files.open("UserData", "wb") as handle:
        assert handle.writable() and not handle.readable() and not handle.seekable()
        assert handle.write(b"a" * 700) == 700
        assert handle.write(b"") == 0
        assert handle.write(memoryview(b"bc")) == 2
        with pytest.raises(io.UnsupportedOperation):
            handle.read(1)
        with pytest.raises(io.UnsupportedOperation):
            handle.seek(0)
    assert bytes(port.files.files["UserData"].data) == b"a" * 700 + b"bc"


def test_bad_mode_is_refused() -> None:
    files, _ = ours()
    with pytest.raises(NodeMapError, match="'ab'"):
        files.open("UserData", "ab")


def test_unknown_file_names_the_ones_there_are() -> None:
    files, _ = ours()
    with pytest.raises(FileAccessError, match="no file 'Nope'.*UserSet1, LUTLuminance") as info:
        files.read("Nope")
    assert info.value.file == "Nope"


def test_read_only_file_refuses_open_for_writing() -> None:
    files, port = ours()
    with pytest.raises(FileAccessError) as info:
        files.write("DeviceLog", b"x")
    error = info.value
    assert (error.file, error.operation, error.status) == ("DeviceLog", "Open", "Failure")
    assert "DeviceLog" in str(error) and "FileOperationStatus = Failure" in str(error)
    assert port.files.files["DeviceLog"].mode is None


def test_overflow_names_the_status() -> None:
    files, port = ours()
    with pytest.raises(FileAccessError) as info:
        files.write("UserData", bytes((1 << 16) + 1))
    assert (info.value.operation, info.value.status) == ("Write", "Overflow")
    assert "full" in str(info.value)
    assert port.files.files["UserData"].mode is None, "the file must be closed after the error"


def test_delete_empties_a_closed_file() -> None:
    files, port = ours()
    files.write("UserData", b"abc")
    files.delete("UserData")
    assert files.read("UserData") == b""
    with pytest.raises(FileAccessError) as info:
        files.delete("LUTLuminance")
    assert (info.value.operation, info.value.status) == ("Delete", "Failure")


def test_a_device_that_never_finishes_times_out() -> None:
    files, port = ours(timeout=0.2, max_polls=50)
    port.files.faults.stall = True
    with pytest.raises(FileTimeoutError) as info:
        files.read("DeviceLog")
    assert isinstance(info.value, TimeoutError) and isinstance(info.value, FileAccessError)
    assert info.value.operation == "Open" and "did not finish Open" in str(info.value)
    polls = sum(1 for kind, address, _ in port.log if kind == "R" and address == 0xB008)
    assert 1 <= polls <= 50


def test_a_file_larger_than_file_size_claims_is_an_error() -> None:
    files, port = ours()
    port.files.faults.size_bias = -10
    with pytest.raises(FileAccessError, match=r"larger than the \d+ bytes FileSize claims"):
        files.read("DeviceLog")
    assert port.files.files["DeviceLog"].mode is None


def test_a_short_read_is_an_error() -> None:
    files, port = ours()
    port.files.faults.size_bias = 100
    with pytest.raises(FileAccessError, match="a short read"):
        files.read("DeviceLog")


def test_reads_shorter_than_asked_continue() -> None:
    files, port = ours()
    port.files.faults.short_read = 7
    assert files.read("UserSet1") == bytes(default_files()["UserSet1"].data)


def test_a_device_that_returns_nothing_is_a_short_read() -> None:
    files, port = ours()
    port.files.faults.short_read = 0
    with pytest.raises(FileAccessError, match=r"returned 0 of the 2048 bytes"):
        files.read("LUTLuminance")


def test_a_description_without_file_access_is_refused() -> None:
    text = XML.decode()
    without = text.replace("<pFeature>FileAccessControl</pFeature>", "")
    cut = without.index("<Category Name=\"FileAccessControl\"")
    end = without.index("<Port Name=\"Device\"")
    without = without[:cut] + without[end:]
    nm = NodeMap.from_xml(without.encode())
    assert not supports_files(nm)
    with pytest.raises(NodeMapError, match="no file access.*FileSelector"):
        FileAccess(nm)


def test_dropping_an_open_file_closes_it() -> None:
    files, port = ours()
    handle = files.open("UserSet1", "rb")
    assert isinstance(handle, DeviceFile)
    assert port.files.files["UserSet1"].mode == "Read"
    handle.__del__()
    assert port.files.files["UserSet1"].mode is None


SIZES = st.sampled_from([0, 1, BUFFER - 1, BUFFER, BUFFER + 1, 3 * BUFFER, 65536]) | \
    st.integers(min_value=0, max_value=4 * BUFFER)


@settings(max_examples=40, deadline=None)
@given(size=SIZES, seed=st.integers(0, 255))
def test_round_trip_any_size(size: int, seed: int) -> None:
    files, _ = ours()
    data = bytes((seed + 7 * i) & 0xFF for i in range(size))
    files.write("UserData", data)
    assert files.size("UserData") == size
    assert files.read("UserData") == data


def test_two_threads_sharing_the_node_map_do_not_mix_their_files() -> None:
    import threading

    files, port = ours()
    port.interleave = True              # give the other thread a turn at every access
    expected_set = bytes(default_files()["UserSet1"].data)
    failures: list[str] = []

    def reader() -> None:
        for _ in range(15):
            got = files.read("UserSet1")
            if got != expected_set:
                failures.append(f"UserSet1 read {got[:20]!r}")

    def writer() -> None:
        for round_ in range(15):
            data = bytes([round_]) * (BUFFER + 100)
            files.write("UserData", data)
            if files.read("UserData") != data:
                failures.append(f"UserData round {round_}")

    def guarded(work: Any) -> Any:
        def run() -> None:
            try:
                work()
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                failures.append(f"{work.__name__}: {exc}")
        return run

    threads = [threading.Thread(target=guarded(reader)), threading.Thread(target=guarded(writer))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a file thread hung"
    assert failures == []


def test_whole_file_reads_seeks_and_stores_on_close() -> None:
    """WholeFile (whole-file services such as FTP) behaves as a device file: "rb" is
    seekable from the end of the bytes fetched, "wb" appends and stores once on close."""
    from nodemap.files import WholeFile

    reader = WholeFile("log.txt", "rb", b"0123456789")
    assert reader.mode == "rb" and reader.readable() and reader.seekable()
    assert reader.seek(-3, io.SEEK_END) == 7 and reader.read() == b"789"
    assert reader.seek(2) == 2 and reader.read(3) == b"234" and reader.tell() == 5
    with pytest.raises(ValueError, match="negative seek position"):
        reader.seek(-20, io.SEEK_CUR)
    with pytest.raises(ValueError, match="invalid whence"):
        reader.seek(0, 7)
    reader.close()
    with pytest.raises(ValueError):
        reader.tell()
    stored: list[bytes] = []
    with WholeFile("new.bin", "wb", store=stored.append) as writer:
        assert writer.mode == "wb" and writer.writable() and not writer.seekable()
        writer.write(b"ab")
        writer.write(memoryview(b"cd"))
        with pytest.raises(io.UnsupportedOperation, match="open for writing"):
            writer.seek(0)
    assert stored == [b"abcd"]
    with pytest.raises(RangeError, match=r"mode 'r\+b' is not one of"):
        WholeFile("x", "r+b")
