"""viva-genicam's receiver streaming from our simulated GigE Vision device (``nodemap sim
gige``): its frames are complete and every pixel equals our ramp, with a fixed and a
negotiated packet size, and through seeded stream loss that viva repairs with
PACKETRESEND from the frames our device retains.

viva only looks for devices on the loopback interface at 127.0.0.1:3956 (not at other
127/8 addresses), so the device and viva run in a private network namespace of the test
(``tests/netns.py``), where that address is ours whatever else runs on the machine; where
no namespace can be made (not root), on the host's 127.0.0.1:3956 when it is free."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests import netns
from tests.peers import missing
from tests.processes import stop_process

pytestmark = pytest.mark.peer

HERE = Path(__file__).resolve().parent


def _answers_discovery(address: tuple[str, int]) -> bool:
    from nodemap.transports.gvcp import protocol as p

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.5)
        try:
            s.sendto(p.DiscoveryCmd(1).encode(), address)
            return bool(s.recv(2048))
        except OSError:
            return False


def _viva_receives(sim_args: list[str], viva_args: list[str]) -> dict[str, Any]:
    probe = subprocess.run([sys.executable, "-c", "import viva_genicam"], capture_output=True,
                           text=True, timeout=120)
    if probe.returncode:
        missing("viva-genicam is not installed (pip install viva-genicam): "
                + probe.stderr.strip()[-200:])
    why_not = netns.unavailable()
    namespace = None
    if why_not is None:
        namespace = netns.Namespace(lifetime=300)
    elif _answers_discovery(("127.0.0.1", 3956)):
        missing(f"viva only finds devices at 127.0.0.1:3956, which another device holds, "
                f"and no private network namespace can be made here ({why_not})")

    def start(argv: list[str]) -> subprocess.Popen:
        argv = namespace.command(argv) if namespace is not None else argv
        return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)

    device = None
    try:
        device = start([sys.executable, "-m", "nodemap", "sim", "gige", "--address",
                        "127.0.0.1", *sim_args])
        assert device.stdout is not None
        assert device.stdout.readline().strip() == "gvcp://127.0.0.1", device.stderr.read()
        viva = start([sys.executable, str(HERE / "viva_receiver.py"), *viva_args])
        out, err = viva.communicate(timeout=120)
        assert viva.returncode == 0, f"viva failed: {out[-500:]} {err[-2000:]}"
        return json.loads(out.strip().splitlines()[-1])
    finally:
        if device is not None:
            stop_process(device)
        if namespace is not None:
            namespace.close()


def _all_complete_on_the_ramp(result: dict[str, Any], count: int, shape: list[int]) -> None:
    frames = result["frames"]
    assert len(frames) == count and None not in frames, frames
    for frame in frames:
        assert frame["complete"] and frame["shape"] == shape, frame
        assert frame["ramp"], f"block {frame['block_id']}: pixels differ from the ramp"
    ids = [frame["block_id"] for frame in frames]
    assert ids == sorted(ids) and len(set(ids)) == count


@pytest.mark.parametrize("packet_size", [1400, 0])     # 0: viva negotiates with our device
def test_viva_streams_our_ramp(packet_size: int) -> None:
    result = _viva_receives([], ["--frames", "8", "--packet-size", str(packet_size),
                                 "--width", "320", "--height", "240"])
    assert result["model"] == "NM-Demo-1300"
    _all_complete_on_the_ramp(result, 8, [240, 320])
    assert result["stats"]["frames_incomplete"] == 0
    assert result["stats"]["resend_requested"] == 0


def test_viva_repairs_our_seeded_loss_by_resend() -> None:
    result = _viva_receives(["--stream-faults", "drop=0.03,seed=5"],
                            ["--frames", "8", "--packet-size", "1400",
                             "--width", "640", "--height", "480"])
    _all_complete_on_the_ramp(result, 8, [480, 640])
    stats = result["stats"]
    assert stats["resend_requested"] > 0 and stats["resend_recovered"] > 0, stats
