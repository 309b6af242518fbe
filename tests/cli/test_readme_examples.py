"""Run the README's examples against simulators, so they never rot.

Every ```python block runs as a script (a subprocess) and every `$ nodemap ...` line of a
```console block runs through the CLI, after the README's example addresses are replaced
by simulated devices: gvcp://127.0.0.2 → a GigE simulator, fcb:/dev/ttyUSB0 → an FCB
simulator, sxh485:/dev/ttyUSB1 → an SXH485 simulator.  `nodemap sim` lines (servers) are
checked for a valid kind only.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO, start_device, stop_device, subprocess_env

README = REPO / "README.md"


def _blocks(language: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


@pytest.fixture
def devices():
    started = {kind: start_device(kind) for kind in ("gige", "fcb", "sxh485")}
    try:
        yield started
    finally:
        for dev in started.values():
            stop_device(dev)


def _substitute(text: str, devices) -> str:
    gige = devices["gige"].url.split("?")[0]
    host = gige.removeprefix("gvcp://")
    fcb = devices["fcb"].url.split("?")[0].removeprefix("fcb:")
    sxh = devices["sxh485"].url.split("?")[0].removeprefix("sxh485:")
    text = text.replace("gvcp://127.0.0.2", gige).replace("--address 127.0.0.2", f"--address {host}")
    text = text.replace("fcb:/dev/ttyUSB0", f"fcb:{fcb}").replace("sxh485:/dev/ttyUSB1", f"sxh485:{sxh}")
    text = text.replace("--serial /dev/ttyUSB1", f"--serial {sxh}")
    return text.replace('"xml/demo-camera.xml"', repr(str(REPO / "xml" / "demo-camera.xml")))


def test_readme_opens_with_the_two_commands():
    first = README.read_text(encoding="utf-8").split("```")[1]
    assert first.strip().splitlines() == [
        'python3 -m venv .venv && .venv/bin/pip install -e ".[sim]" && .venv/bin/nodemap demo',
        'python3 -m venv .venv && .venv/bin/pip install -e ".[test]" && .venv/bin/python -m pytest',
    ]


def test_python_examples(devices, tmp_path: Path):
    blocks = _blocks("python")
    assert len(blocks) >= 5
    for number, block in enumerate(blocks):
        script = tmp_path / f"example_{number}.py"
        script.write_text(_substitute(block, devices), encoding="utf-8")
        done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                              text=True, timeout=60, env=subprocess_env())
        assert done.returncode == 0, f"README python block {number}:\n{block}\n{done.stderr}"


def test_cli_examples(devices, cli, tmp_path: Path, monkeypatch):
    from nodemap.app.cli import main

    monkeypatch.chdir(tmp_path)
    lines = [line[2:] for block in _blocks("console") for line in block.splitlines()
             if line.startswith("$ nodemap ")]
    assert len(lines) >= 15
    for line in lines:
        argv = shlex.split(_substitute(line, devices))[1:]
        if argv[0] == "sim":
            assert argv[1] in ("gige", "fcb", "sxh485")
            continue
        if argv[0] == "ui":           # a server until Ctrl-C: tests/test_ui.py drives it
            assert "ui" in main.commands
            continue
        if argv[0] not in main.commands:
            pytest.fail(f"README shows `nodemap {argv[0]}` but the CLI has no such verb")
        if argv[0] in ("lint", "graph"):
            argv = [a.replace("xml/", str(REPO / "xml") + "/") for a in argv]
        result = cli(*argv)
        assert result.exit_code == 0, f"README: $ {line}\n{result.output}"


def test_decode_output_shown_in_readme(cli):
    text = README.read_text(encoding="utf-8")
    shown = re.search(r"```\n\$ nodemap decode (\w+)\n(.*?)```", text, flags=re.S)
    assert shown, "README shows a decode example with its output"
    result = cli("decode", shown.group(1))
    assert result.output.strip() == shown.group(2).strip()
