"""Every CLI verb on a gentl: URL (TLSimu's colour device), in-process with click's runner.

A simulated producer forgets its settings when it is closed (GCCloseLib), so a value set
by one command is checked within the same command (``save`` then ``load``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from nodemap.app.cli import main

pytestmark = pytest.mark.peer


@pytest.fixture
def url(tlsimu: Path) -> str:
    return f"gentl:{tlsimu}?device=SN_InterfaceA_1"


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, (args, result.output)
    return result.output


def test_reading_verbs(url: str) -> None:
    assert run("get", url, "Width", "DeviceModelName").splitlines() == \
        ["Width = 768", "DeviceModelName = TLSimu"]
    assert "PixelFormat" in run("features", url)
    values = json.loads(run("values", url, "--json"))["values"]
    assert values["Width"] == 768 and values["PixelFormat"] == "RGB8"
    assert "Integer" in run("describe", url, "Width")
    assert b"<RegisterDescription" in run("xml", url).encode()
    assert run("reg", url, "0x380", "--length", "4").strip()


def test_set_grab_save_load(url: str, tmp_path: Path) -> None:
    run("set", url, "Width=256", "Height=128")
    out = tmp_path / "frames"
    run("grab", url, "-n", "3", "-o", str(out), "--timeout", "10")
    assert len(list(out.glob("frame-*.png"))) == 3
    saved = tmp_path / "cam.txt"
    run("save", url, str(saved))
    assert "AcquisitionMode = Continuous" in saved.read_text()   # TLSimu's only streamable
    run("load", url, str(saved))


def test_discover_with_an_extra_producer(tlsimu: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GENICAM_GENTL64_PATH", raising=False)
    rows = json.loads(run("discover", "--transport", "gentl", "--cti", str(tlsimu),
                          "--json"))
    assert sorted(r["serial"] for r in rows) == ["SN_InterfaceA_0", "SN_InterfaceA_1",
                                                 "SN_InterfaceB_0", "SN_InterfaceB_1"]
