"""`nodemap file URL list|get|put` on the simulated GigE camera and on a simulated VS-1."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from click.testing import Result

from nodemap.app import files_cli
from nodemap.transports.gvcp.sim_files import default_files

from .conftest import Device, as_json, nodemap_cmd, start_device, stop_device, subprocess_env


def test_list_shows_names_and_sizes(gige: Device, cli: Callable[..., Result]) -> None:
    result = cli("file", gige.url, "list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["UserSet1", "LUTLuminance", "DeviceLog",
                                                    "UserData"]
    assert "2048 bytes" in lines[1]
    rows = as_json(cli("file", gige.url, "list", "--json"))
    assert {row["name"]: row["size"] for row in rows} == {
        name: len(entry.data) for name, entry in default_files().items()}


def test_get_to_stdout_and_to_a_file(gige: Device, cli: Callable[..., Result],
                                     tmp_path: Path) -> None:
    log = bytes(default_files()["DeviceLog"].data)
    result = cli("file", gige.url, "get", "DeviceLog")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == log
    target = tmp_path / "lut.bin"
    result = cli("file", gige.url, "get", "LUTLuminance", "-o", target)
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == bytes(default_files()["LUTLuminance"].data)
    assert f"2048 bytes of LUTLuminance written to {target}" in result.stderr
    report = as_json(cli("file", gige.url, "get", "DeviceLog", "--json"))
    assert report == {"name": "DeviceLog", "bytes": len(log), "path": None, "hex": log.hex()}


def test_put_then_get_round_trip(gige: Device, cli: Callable[..., Result],
                                 tmp_path: Path) -> None:
    source = tmp_path / "user.bin"
    data = bytes(range(256)) * 9 + b"!"
    source.write_bytes(data)
    result = cli("file", gige.url, "put", "UserData", source)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{len(data)} bytes written to UserData"
    assert bytes(gige.sim.files.files["UserData"].data) == data
    assert as_json(cli("file", gige.url, "put", "UserData", source, "--json")) == \
        {"name": "UserData", "bytes": len(data), "source": str(source)}
    back = tmp_path / "back.bin"
    assert cli("file", gige.url, "get", "UserData", "-o", back).exit_code == 0
    assert back.read_bytes() == data


def test_put_from_stdin(gige: Device, cli: Callable[..., Result]) -> None:
    result = cli("file", gige.url, "put", "UserData", "-", input="from stdin\n")
    assert result.exit_code == 0, result.output
    assert bytes(gige.sim.files.files["UserData"].data) == b"from stdin\n"


def test_unknown_file_exits_3(gige: Device, cli: Callable[..., Result]) -> None:
    result = cli("file", gige.url, "get", "Nope")
    assert result.exit_code == 3
    assert "no file 'Nope'" in result.stderr and "UserSet1" in result.stderr


def test_refused_write_exits_5_naming_the_status(gige: Device, cli: Callable[..., Result],
                                                 tmp_path: Path) -> None:
    source = tmp_path / "x.txt"
    source.write_bytes(b"x")
    result = cli("file", gige.url, "put", "DeviceLog", source)
    assert result.exit_code == 5
    assert "DeviceLog" in result.stderr and "FileOperationStatus = Failure" in result.stderr


def test_a_device_that_never_finishes_exits_4(gige: Device, cli: Callable[..., Result]) -> None:
    gige.sim.files.faults.stall = True
    result = cli("file", gige.url, "get", "DeviceLog")
    assert result.exit_code == 4
    assert "did not finish Open" in result.stderr


def test_a_missing_local_file_is_a_usage_error(gige: Device, cli: Callable[..., Result],
                                               tmp_path: Path) -> None:
    result = cli("file", gige.url, "put", "UserData", tmp_path / "absent.bin")
    assert result.exit_code == 2
    assert "cannot read" in result.stderr


def test_a_camera_without_files_exits_2(cli: Callable[..., Result]) -> None:
    device = start_device("sxh485")
    try:
        result = cli("file", device.url, "list")
    finally:
        stop_device(device)
    assert result.exit_code == 2
    assert "no file access" in result.stderr


def test_progress_bar_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    context, update = files_cli.progress_for("reading X")
    assert update is None                      # pytest's stderr is no terminal

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(files_cli.sys, "stderr", Terminal())
    context, update = files_cli.progress_for("reading X")
    assert update is not None
    with context:
        update(0, None)
        update(512, 1024)
        update(1024, 1024)
    assert context.tasks[0].completed == 1024 and context.tasks[0].total == 1024  # type: ignore[attr-defined]


@pytest.fixture
def vs1() -> Iterator[Any]:
    from nodemap.transports.vs1.device import SimulatedVS1

    device = SimulatedVS1("127.0.0.1", ftp_port=0, http_port=0, result_ports=(0, 0, 0, 0),
                          announce_port=None, rate=1000.0, count=10).start()
    try:
        yield device
    finally:
        device.stop()


def test_vs1_put_list_get_through_ftp(vs1: Any, cli: Callable[..., Result],
                                      tmp_path: Path) -> None:
    url = vs1.url + "&monitor=0&results=0,0,0,0"
    source = tmp_path / "job.avp"
    source.write_bytes(b"vs1 job" * 100)
    assert cli("file", url, "put", "job.avp", source).exit_code == 0
    names = [row["name"] for row in as_json(cli("file", url, "list", "--json"))]
    assert "job.avp" in names
    result = cli("file", url, "get", "job.avp")
    assert result.exit_code == 0 and result.stdout_bytes == b"vs1 job" * 100
    missing = cli("file", url, "get", "missing.txt")
    assert missing.exit_code == 3 and "missing.txt" in missing.stderr


def test_the_installed_command(gige: Device, tmp_path: Path) -> None:
    out = tmp_path / "set.txt"
    run = subprocess.run([*nodemap_cmd(), "file", gige.url, "get", "UserSet1", "-o", str(out)],
                         capture_output=True, env=subprocess_env(), timeout=120)
    assert run.returncode == 0, run.stderr
    assert out.read_bytes() == bytes(default_files()["UserSet1"].data)
    listing = subprocess.run([*nodemap_cmd(), "file", gige.url, "list", "--json"],
                             capture_output=True, env=subprocess_env(), timeout=120)
    assert listing.returncode == 0, listing.stderr
    assert "UserSet1" in [row["name"] for row in json.loads(listing.stdout)]


def test_delete_empties_a_file_and_reports_it(gige: Device, cli: Callable[..., Result]) -> None:
    gige.sim.files.files["UserData"].data[:] = b"to be deleted"
    result = cli("file", gige.url, "delete", "UserData")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "UserData deleted"
    assert bytes(gige.sim.files.files["UserData"].data) == b""
    gige.sim.files.files["UserData"].data[:] = b"again"
    assert as_json(cli("file", gige.url, "delete", "UserData", "--json")) == \
        {"name": "UserData", "deleted": True}
    assert bytes(gige.sim.files.files["UserData"].data) == b""


def test_delete_exit_codes(gige: Device, cli: Callable[..., Result]) -> None:
    missing = cli("file", gige.url, "delete", "Nope")
    assert missing.exit_code == 3 and "no file 'Nope'" in missing.stderr
    log = bytes(gige.sim.files.files["DeviceLog"].data)
    refused = cli("file", gige.url, "delete", "DeviceLog")        # not deletable
    assert refused.exit_code == 5, refused.output
    assert "DeviceLog" in refused.stderr
    assert bytes(gige.sim.files.files["DeviceLog"].data) == log
    device = start_device("sxh485")
    try:
        none = cli("file", device.url, "delete", "x")
    finally:
        stop_device(device)
    assert none.exit_code == 2 and "no file access" in none.stderr


def test_vs1_delete_through_ftp(vs1: Any, cli: Callable[..., Result], tmp_path: Path) -> None:
    url = vs1.url + "&monitor=0&results=0,0,0,0"
    source = tmp_path / "old.avp"
    source.write_bytes(b"old job")
    assert cli("file", url, "put", "old.avp", source).exit_code == 0
    result = cli("file", url, "delete", "old.avp")
    assert result.exit_code == 0, result.output
    assert "old.avp" not in [row["name"] for row in as_json(cli("file", url, "list", "--json"))]
    missing = cli("file", url, "delete", "old.avp")
    assert missing.exit_code == 3 and "old.avp" in missing.stderr
