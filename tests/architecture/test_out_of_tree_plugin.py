"""A transport nodemap did not ship, installed as its own distribution (tests/data/
plugin_example, "toyline"), is listed, opened, simulated, discovered and decoded by the CLI
with no edit to nodemap: the entry point alone plugs it in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "plugin_example"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict[str, str]:
    target = tmp_path_factory.mktemp("site")
    build = tmp_path_factory.mktemp("build")
    # copy the example so the build leaves nothing in the source tree
    subprocess.run(["cp", "-r", str(EXAMPLE), str(build / "src")], check=True)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(target), str(build / "src")],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert any(p.name.startswith("nodemap_toyline") and p.name.endswith(".dist-info")
               for p in target.iterdir()), list(target.iterdir())
    return {**os.environ, "PYTHONPATH": str(target)}


def _nodemap(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nodemap", *args], capture_output=True,
                          text=True, env=env, timeout=timeout, stdin=subprocess.DEVNULL)


def test_the_cli_lists_the_plugin(installed):
    listed = _nodemap(installed, "plugins", "--json")
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    names = {p["name"]: p for p in data["plugins"]}
    assert names["toyline"]["schemes"] == ["toyline"]
    assert names["toyline"]["simulators"] == ["toy"]
    assert data["errors"] == {}
    assert "toyline://HOST:PORT" in _nodemap(installed, "--help").stdout
    assert "toy" in _nodemap(installed, "sim", "--help").stdout


def test_without_the_distribution_the_scheme_is_unknown():
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = _nodemap(env, "get", "toyline://127.0.0.1:1", "Width")
    assert result.returncode != 0
    assert "unknown URL scheme 'toyline'" in result.stderr


def test_simulate_open_read_write_through_the_plugin(installed):
    sim = subprocess.Popen([sys.executable, "-m", "nodemap", "sim", "toy", "--width", "800"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env=installed, stdin=subprocess.DEVNULL)
    try:
        url = sim.stdout.readline().strip()  # type: ignore[union-attr]
        assert url.startswith("toyline://127.0.0.1:"), url
        got = _nodemap(installed, "get", url, "Width", "--json")
        assert got.returncode == 0, got.stderr
        assert json.loads(got.stdout)["Width"] == 800
        written = _nodemap(installed, "set", url, "Width=1024")
        assert written.returncode == 0, written.stderr
        again = json.loads(_nodemap(installed, "get", url, "Width", "--json").stdout)
        assert again["Width"] == 1024
        refused = _nodemap(installed, "set", url, "Width=5000")
        assert refused.returncode == 5 and "Width" in refused.stderr
    finally:
        sim.terminate()
        sim.wait(timeout=30)


def test_discover_and_decode_through_the_plugin(installed):
    found = _nodemap(installed, "discover", "--transport", "toyline", "--toyline-host",
                     "127.0.0.1:9", "--json")
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout) == [
        {"url": "toyline://127.0.0.1:9", "transport": "toyline", "vendor": "", "model": "Toy",
         "serial": "", "mac": "", "ip": "", "interface": ""}]
    capture = (b"R 10 4\n".hex() + " 420100800004000100000a00")
    decoded = _nodemap(installed, "decode", capture, "--json")
    assert decoded.returncode == 0, decoded.stdout + decoded.stderr
    packets = json.loads(decoded.stdout)
    assert [p["protocol"] for p in packets] == ["toyline", "gvcp"]
    assert packets[0]["summary"] == "TOYLINE read: R 10 4"
