"""Fixtures for the CLI tests: simulated devices of every transport, the real CLI.

``cli(*args)`` runs the click group in-process (``CliRunner``); ``nodemap_cmd()`` is the
argv of the installed ``nodemap`` script (or ``python -m nodemap.app.cli`` beside it).
GigE simulators get addresses of their own (tests/addresses.py); Aravis's fake camera comes from the
GVCP tests' fixture module (reused, not duplicated).
"""

from __future__ import annotations


import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import attrs
import pytest
from click.testing import CliRunner, Result

from nodemap.app.cli import main
from nodemap.app.simulators import start_simulator
from nodemap.transports.gvcp.sim import DEMO_REGISTERS
from nodemap.resources import read_description
from tests.addresses import loopback
from tests.peers import IN_CI, missing

REPO = Path(__file__).resolve().parents[2]

TRANSPORTS = ["gige", "fcb", "sxh485"]


@attrs.frozen
class Device:
    """A running simulated device and what a test needs to know about it."""

    kind: str
    url: str
    sim: Any
    # a readable-and-writable feature and a valid new value, a command, a register address
    rw: str
    new_value: str
    command: str
    register: int


def _gige(registers: dict[int, int] | None = None, address: str | None = None) -> tuple[str, Any]:
    from nodemap.transports.gvcp.device import SimulatedDevice

    address = address or loopback()
    device = SimulatedDevice(read_description("demo-camera.xml"), address=address,
                             xml_name="demo-camera.xml", model="NM-Demo-1300",
                             registers=dict(DEMO_REGISTERS if registers is None else registers))
    device.start()
    return f"gvcp://{address}?timeout=0.5", device


def start_device(kind: str) -> Device:
    if kind == "gige":
        url, sim = _gige()
        return Device("gige", url, sim, "Width", "640", "TriggerSoftware", 0xA000)
    if kind == "fcb":
        sim = start_simulator("fcb", tcp=None if os.name == "posix" else "127.0.0.1:0")
        return Device("fcb", sim.urls[0], sim, "WhiteBalanceMode", "Indoor", "ZoomStop",
                      0x00210435000000)
    sim = start_simulator("sxh485", tcp=None if os.name == "posix" else "127.0.0.1:0")
    return Device("sxh485", sim.urls[0], sim, "Resolution", "Res320x240", "TriggerSoftware",
                  0x00300000)


def stop_device(device: Device) -> None:
    closer = getattr(device.sim, "close", None) or device.sim.stop
    closer()


@pytest.fixture(params=TRANSPORTS)
def device(request: pytest.FixtureRequest) -> Iterator[Device]:
    dev = start_device(request.param)
    try:
        yield dev
    finally:
        stop_device(dev)


@pytest.fixture
def gige() -> Iterator[Device]:
    dev = start_device("gige")
    try:
        yield dev
    finally:
        stop_device(dev)


@pytest.fixture
def make_gige() -> Iterator[Callable[..., tuple[str, Any]]]:
    started: list[Any] = []

    def make(registers: dict[int, int] | None = None, address: str | None = None):
        url, sim = _gige(registers, address)
        started.append(sim)
        return url, sim

    yield make
    for sim in started:
        sim.stop()


@pytest.fixture
def cli() -> Callable[..., Result]:
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> Result:
        return runner.invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)

    return run


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def nodemap_cmd() -> list[str]:
    """argv of the real ``nodemap`` command (the installed script when present)."""
    script = Path(sys.executable).with_name("nodemap.exe" if os.name == "nt" else "nodemap")
    if script.exists():
        return [str(script)]
    found = shutil.which("nodemap")
    if found:
        return [found]
    if IN_CI:
        missing("the nodemap script is not installed (pip install -e .)")
    return [sys.executable, "-m", "nodemap.app.cli"]


def subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("COLUMNS", "120")
    return env


@pytest.fixture
def aravis_url(fake_camera) -> Iterator[str]:
    """Aravis's fake camera as a URL (the shared fixture of tests/aravis.py)."""
    yield f"gvcp://{fake_camera[0]}"
