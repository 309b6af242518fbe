"""End to end: ``nodemap.open("vs1://127.0.0.1?...")`` and ``cam.features[...]`` against
the simulated VS-1 (needs the GenApi core; these fail, not skip, without it)."""

from __future__ import annotations

import re
from typing import Iterator

import pytest

import nodemap
from nodemap.errors import NodeMapError, UnsupportedError
from nodemap.transports.vs1.device import SimulatedVS1

from tests.polling import wait_until

from .conftest import make_sim

HANG = 30.0
VSKIT = {
    "VskitIOService": 49049, "VskitPicLiveAcquire": 49050, "VskitCameraRPC": 49059,
    "VskitConnectionMonitor": 49079, "VskitReports": 49200, "VskitPartQRetrieval": 49201,
    "VskitReportsControl": 49202, "VskitCameraLogin": 49493, "VskitCameraAnnounce": 49495,
}


@pytest.fixture
def device() -> Iterator[SimulatedVS1]:
    sim = make_sim(rate=1000.0, count=300).start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture
def cam(device: SimulatedVS1) -> Iterator[object]:
    with nodemap.open(device.url + "&retry=0.1&monitor=0.2", wait=10) as camera:
        yield camera


def test_result_strings_and_counts(cam) -> None:  # type: ignore[no-untyped-def]
    features = cam.features
    assert wait_until(lambda: all(features[f"ResultCount{n}"].value == 300 for n in range(4)), HANG)
    for n in range(4):
        text = features[f"ResultString{n}"].value
        assert re.match(rf"R{n};SEQ=299;PASS;", text), text
        assert features[f"ResultDropped{n}"].value == 0
        assert features[f"ResultTimestamp{n}"].value > 0
        assert features[f"ResultString{n}"].kind == "String"
        assert features[f"ResultString{n}"].access == "RO"
    lines = cam.results[0].drain()
    assert [int(line.text.split(";")[1][4:]) for line in lines] == list(range(300))


def test_connection_state_per_service(cam, device: SimulatedVS1) -> None:  # type: ignore[no-untyped-def]
    features = cam.features
    selector, connection = features["ServiceSelector"], features["ConnectionState"]
    assert set(selector.entries) == {"Ftp", "Http", "Result0", "Result1", "Result2", "Result3"}

    def current(service: str) -> str:
        selector.value = service
        return connection.value

    assert wait_until(lambda: all(current(s) == "Connected" for s in selector.entries), HANG)
    device.kill("result2")
    assert wait_until(lambda: current("Result2") != "Connected", 3.0)  # upper bound only
    assert current("Result2") in ("Dropped", "Refused")
    assert current("Result1") == "Connected"
    device.kill("ftp")
    assert wait_until(lambda: current("Ftp") == "Refused", 3.0)


def test_boot_parameters(cam) -> None:  # type: ignore[no-untyped-def]
    assert cam.features["BootHostName"].value == "host"
    assert cam.features["BootTargetName"].value == "VS1-SIM"
    assert cam.features["BootInetOnEthernet"].value == "127.0.0.1:ffffff00"
    with pytest.raises(NodeMapError, match="startup script"):
        cam.features["BootStartupScript"].value


@pytest.mark.parametrize("name, port", sorted(VSKIT.items()))
def test_vskit_features_raise_the_explained_error(cam, name: str, port: int) -> None:  # type: ignore[no-untyped-def]
    feature = cam.features[name]
    with pytest.raises(UnsupportedError) as info:
        feature.value
    message = str(info.value)
    assert f"port {port}" in message and "proprietary" in message and "undocumented" in message


def test_files_through_the_camera(cam) -> None:  # type: ignore[no-untyped-def]
    data = bytes(range(256)) * 40
    cam.files.upload(data, "x.bin")
    assert cam.files.download("x.bin") == data
    assert "x.bin" in cam.files.list()
