"""Every verb through the real CLI against the simulated device of each transport."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from nodemap.app.cli import EXIT_NOT_FOUND, EXIT_REFUSED, EXIT_UNREACHABLE
from tests.addresses import loopback

from .conftest import as_json, nodemap_cmd, subprocess_env


def test_features_tree(cli, device):
    result = cli("features", device.url)
    assert result.exit_code == 0, result.output
    assert device.rw in result.output
    tree = as_json(cli("features", device.url, "--json"))
    names = []

    def walk(items):
        for item in items:
            names.append(item["name"])
            walk(item.get("features", []))

    walk(tree)
    assert device.rw in names and device.command in names


def test_features_visibility_filter(cli, gige):
    beginner = cli("features", gige.url, "--visibility", "Beginner").output
    expert = cli("features", gige.url, "--visibility", "Expert").output
    assert "Width" in beginner and "DeviceTemperature" not in beginner
    assert "DeviceTemperature" in expert


def test_get_set_roundtrip(cli, device):
    result = cli("set", device.url, f"{device.rw}={device.new_value}")
    assert result.exit_code == 0, result.output
    assert as_json(cli("get", device.url, device.rw, "--json")) == \
        {device.rw: int(device.new_value) if device.new_value.isdigit() else device.new_value}
    assert cli("get", device.url, device.rw).output.strip() == device.new_value


def test_describe(cli, device):
    info = as_json(cli("describe", device.url, device.rw, "--json"))
    assert info["name"] == device.rw and info["access"] == "RW"
    assert info["registers"], "describe names the registers behind the feature"
    assert any(r.get("address") == device.register for r in info["registers"])
    assert "value" in info
    text = cli("describe", device.url, device.rw).output
    assert "registers" in text


def test_values(cli, device):
    data = as_json(cli("values", device.url, "--json"))
    assert device.rw in data["values"]


def test_execute(cli, device):
    if device.kind == "gige":
        assert cli("set", device.url, "TriggerMode=On").exit_code == 0
    result = cli("execute", device.url, device.command)
    assert result.exit_code == 0, result.output
    assert "executed" in result.output


def test_reg(cli, device):
    data = as_json(cli("reg", device.url, hex(device.register), "--json"))
    assert data[0]["address"] == device.register
    text = cli("reg", device.url, hex(device.register)).output
    assert text.startswith("R[0x")


def test_reg_write_gige(cli, gige):
    data = as_json(cli("reg", gige.url, "0xA000=512", "--json"))
    assert data[0]["value"] == 512 and data[0]["written"]
    assert as_json(cli("get", gige.url, "Width", "--json")) == {"Width": 512}


def test_xml(cli, device, tmp_path: Path):
    out = tmp_path / "device.xml"
    result = cli("xml", device.url, "-o", out)
    assert result.exit_code == 0, result.output
    assert b"RegisterDescription" in out.read_bytes()


def test_snapshot_sxh485(cli, tmp_path: Path):
    from .conftest import start_device, stop_device

    dev = start_device("sxh485")
    try:
        out = tmp_path / "picture.jpg"
        data = as_json(cli("snapshot", dev.url, "-o", out, "--json"))
        assert out.read_bytes()[:2] == b"\xff\xd8" and data["bytes"] == out.stat().st_size
    finally:
        stop_device(dev)


def test_snapshot_refused_on_gige(cli, gige, tmp_path: Path):
    result = cli("snapshot", gige.url, "-o", tmp_path / "x.jpg")
    assert result.exit_code == 2 and "sxh485" in result.output


def test_save_load(cli, device, tmp_path: Path):
    path = tmp_path / "set.nmfs"
    saved = as_json(cli("get", device.url, device.rw, "--json"))
    assert cli("save", device.url, path).exit_code == 0
    assert f"{device.rw} = " in path.read_text()
    assert cli("set", device.url, f"{device.rw}={device.new_value}").exit_code == 0
    assert as_json(cli("get", device.url, device.rw, "--json")) != saved
    result = cli("load", device.url, path, "--json")
    assert result.exit_code == 0, result.output          # 6 would mean: not all restored
    report = json.loads(result.stdout)
    assert report["problems"] == [] and report["applied"] > 0
    assert as_json(cli("get", device.url, device.rw, "--json")) == saved


def test_unknown_feature_suggests(cli, gige):
    result = cli("get", gige.url, "Widht")
    assert result.exit_code == EXIT_NOT_FOUND
    assert "Width" in result.output  # close match


def test_out_of_range(cli, gige):
    result = cli("set", gige.url, "Width=99999")
    assert result.exit_code == EXIT_REFUSED
    assert "Width" in result.output


def test_bad_enum_entry(cli, gige):
    result = cli("set", gige.url, "PixelFormat=Mono9")
    assert result.exit_code == EXIT_REFUSED and "Mono8" in result.output


def test_timeout_names_device_and_remedy(cli):
    silent = loopback()
    result = cli("get", f"gvcp://{silent}?timeout=0.1&retries=1", "Width")
    assert result.exit_code == EXIT_UNREACHABLE, result.output
    assert silent in result.output and "check" in result.output


def test_discover_unicast(cli, gige):
    host = gige.url.removeprefix("gvcp://").split("?")[0]
    rows = as_json(cli("discover", "--address", host, "--timeout", "0.5", "--json"))
    assert [r["ip"] for r in rows] == [host]
    assert rows[0]["model"] == "NM-Demo-1300"


def test_discover_serial(cli, tmp_path):
    from .conftest import start_device, stop_device

    for kind in ("fcb", "sxh485"):
        dev = start_device(kind)
        try:
            serial = dev.url.split(":", 1)[1].split("?")[0]
            rows = as_json(cli("discover", "--serial", serial, "--sxh485-addresses", "1-2",
                               "--timeout", "0.4", "--json"))
            assert any(r["transport"] == kind and r["url"].startswith(f"{kind}:")
                       for r in rows), rows
        finally:
            stop_device(dev)


def test_subprocess_real_command(device):
    """The installed `nodemap` script, as a shell user runs it."""
    cmd = nodemap_cmd()
    done = subprocess.run(cmd + ["get", device.url, device.rw, "--json"], capture_output=True,
                          text=True, timeout=60, env=subprocess_env())
    assert done.returncode == 0, done.stderr
    assert device.rw in json.loads(done.stdout)
    bad = subprocess.run(cmd + ["get", device.url, "NoSuchFeature"], capture_output=True,
                         text=True, timeout=60, env=subprocess_env())
    assert bad.returncode == EXIT_NOT_FOUND and "NoSuchFeature" in bad.stderr


def test_sim_subprocess_serves_gige():
    """`nodemap sim gige` prints its URL, serves the demo camera, stops on SIGTERM."""
    cmd = nodemap_cmd()
    address = loopback()
    proc = subprocess.Popen(cmd + ["sim", "gige", "--address", address],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=subprocess_env())
    try:
        url = proc.stdout.readline().strip()
        assert url == f"gvcp://{address}", proc.stderr.read() if not url else url
        done = subprocess.run(cmd + ["get", url, "Width", "--json"], capture_output=True,
                              text=True, timeout=60, env=subprocess_env())
        assert json.loads(done.stdout) == {"Width": 1280}, done.stderr
    finally:
        proc.terminate()
        assert proc.wait(10) == 0


@pytest.mark.peer
class TestAravisFakeCamera:
    """The same verbs against a real peer: Aravis's GigE Vision fake camera."""

    def test_get_set(self, cli, aravis_url):
        assert cli("set", aravis_url, "Width=256").exit_code == 0
        assert as_json(cli("get", aravis_url, "Width", "Height", "--json"))["Width"] == 256

    def test_features_describe_values(self, cli, aravis_url):
        assert "ImageFormatControl" in cli("features", aravis_url).output
        info = as_json(cli("describe", aravis_url, "Width", "--json"))
        assert info["kind"] == "Integer" and info["registers"]
        assert "Width" in as_json(cli("values", aravis_url, "--json"))["values"]

    def test_execute_reg_xml(self, cli, aravis_url, tmp_path):
        assert cli("execute", aravis_url, "AcquisitionStop").exit_code == 0
        assert as_json(cli("reg", aravis_url, "0x0D04", "--json"))[0]["address"] == 0x0D04
        out = tmp_path / "fake.xml"
        assert cli("xml", aravis_url, "-o", out).exit_code == 0
        assert b"RegisterDescription" in out.read_bytes()

    def test_save_load(self, cli, aravis_url, tmp_path):
        path = tmp_path / "fake.nmfs"
        assert cli("save", aravis_url, path).exit_code == 0
        result = cli("load", aravis_url, path, "--json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["problems"] == [] and report["applied"] > 0
