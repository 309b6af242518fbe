"""The simulator as a program: ``python -m nodemap.transports.vs1.device`` (``nodemap sim vs1``)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nodemap.transports.vs1.device import SimulatedVS1, main
from nodemap.transports.vs1.link import open_link

from tests.polling import wait_until

ROOT = Path(__file__).resolve().parents[3]


def test_module_runs_and_serves_a_link() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "nodemap.transports.vs1.device", "--host", "127.0.0.1", "--base-port", "0",
         "--rate", "200", "--count", "20", "--duration", "30"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()  # blocks until the simulator is up (or exits)
        match = re.search(r"(vs1://\S+)", first)
        assert match, (first, process.stderr.read() if process.poll() is not None else "")
        with open_link(match.group(1) + "&monitor=0", wait=10) as link:
            reader = link.results[3]
            assert reader is not None
            assert wait_until(lambda: reader.count == 20, 20.0)
            assert reader.latest is not None and reader.latest.text.startswith("R3;SEQ=19;")
            assert link.boot_parameters()["target name"] == "VS1-SIM"
    finally:
        process.terminate()
        process.wait(10)


def test_main_reports_a_busy_port(capsys: pytest.CaptureFixture[str]) -> None:
    with SimulatedVS1(ftp_port=0, http_port=0, result_ports=(0, 0, 0, 0), announce_port=None) as busy:
        code = main(["--host", "127.0.0.1", "--ftp-port", str(busy.ftp_port), "--http-port", "0",
                     "--result-ports", "0,0,0,0", "--announce-port", "0", "--duration", "0"])
    assert code == 1
    assert "cannot start the simulated VS-1" in capsys.readouterr().err


def test_main_runs_for_a_duration(capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    assert main(["--base-port", "0", "--duration", "0.2"]) == 0
    assert "vs1://127.0.0.1?ftp=" in capsys.readouterr().out
    assert time.monotonic() - started < 30  # upper bound against hangs only


def test_unknown_service_name() -> None:
    sim = SimulatedVS1(ftp_port=0, http_port=0, result_ports=(0, 0, 0, 0), announce_port=None)
    with pytest.raises(ValueError, match="unknown simulated service 'telnet'"):
        sim.kill("telnet")
    sim.stop()
