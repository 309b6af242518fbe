"""Text a device or a description chooses never drives the terminal (issue 14, CLI siblings).

A hostile camera can name itself ``[/]`` (rich markup that crashed ``nodemap discover``) or
hide terminal escape sequences (clear screen, set the window title) in its model name,
serial number, string registers or feature names.  Human output shows control characters as
``\\xNN`` and never reads device text as markup; JSON output keeps the exact text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nodemap.transports.gvcp.device import SimulatedDevice
from nodemap.resources import read_description
from tests.addresses import loopback

CLEAR_SCREEN = "\x1b[2J"
SET_TITLE = "\x1b]0;owned\x07"
MODEL = "[/]" + CLEAR_SCREEN           # 28 bytes: fits the 32-byte bootstrap field
SERIAL = "[b]" + SET_TITLE             # 15 bytes: fits the 16-byte field


@pytest.fixture
def hostile() -> SimulatedDevice:
    device = SimulatedDevice(read_description("demo-camera.xml"), address=loopback(),
                             model=MODEL, serial=SERIAL, broadcast_address=None)
    device.memory.write(0xA100, b"[red]\x1b[5m\0")          # DeviceUserLabel
    device.start()
    yield device
    device.stop()


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")      # tables unwrapped: cells compared whole


def _no_escapes(output: str) -> None:
    assert "\x1b" not in output and "\x07" not in output, output


def test_discover_shows_device_names_literally(cli, hostile) -> None:
    result = cli("discover", "--address", hostile.address, "--timeout", "1")
    assert result.exit_code == 0, result.output
    _no_escapes(result.output)
    assert "[/]\\x1b[2J" in result.output and "[b]\\x1b]0;owned" in result.output
    rows = json.loads(cli("discover", "--address", hostile.address, "--timeout", "1",
                          "--json").stdout)
    assert (rows[0]["model"], rows[0]["serial"]) == (MODEL, SERIAL)   # JSON: exact text


def test_reading_verbs_escape_device_strings(cli, hostile) -> None:
    url = f"gvcp://{hostile.address}"
    got = cli("get", url, "DeviceModelName", "DeviceUserLabel")
    assert got.exit_code == 0, got.output
    _no_escapes(got.output)
    assert "DeviceModelName = [/]\\x1b[2J" in got.output
    assert "DeviceUserLabel = [red]\\x1b[5m" in got.output
    for verb in (("values", url, "--visibility", "Beginner"), ("describe", url, "DeviceModelName")):
        result = cli(*verb)
        assert result.exit_code == 0, result.output
        _no_escapes(result.output)
        assert "[/]\\x1b[2J" in result.output, verb
    assert json.loads(cli("get", url, "DeviceModelName", "--json").stdout) == \
        {"DeviceModelName": MODEL}


def test_feature_names_that_look_like_markup_are_shown_literally(cli, tmp_path: Path) -> None:
    xml = tmp_path / "odd.xml"
    xml.write_text(
        '<RegisterDescription ModelName="M" VendorName="V" StandardNameSpace="None" '
        'SchemaMajorVersion="1" SchemaMinorVersion="1" SchemaSubMinorVersion="0" '
        'MajorVersion="1" MinorVersion="0" SubMinorVersion="0" ProductGuid="a" VersionGuid="b">'
        '<Category Name="Root"><pFeature>Odd[/]</pFeature></Category>'
        '<Integer Name="Odd[/]"><ToolTip>[bold][/red]</ToolTip><Value>7</Value></Integer>'
        '<Port Name="Device"/></RegisterDescription>',
        encoding="utf-8")
    url = f"mem:{xml}"
    for verb in (("features", url), ("values", url), ("describe", url, "Odd[/]")):
        result = cli(*verb)
        assert result.exit_code == 0, (verb, result.output)
        assert "Odd[/]" in result.output, (verb, result.output)
    assert "[bold][/red]" in cli("describe", url, "Odd[/]").output
