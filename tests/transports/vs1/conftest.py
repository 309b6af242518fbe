"""Fixtures: a simulated VS-1 on loopback (OS-chosen ports) and a link to it."""

from __future__ import annotations

from typing import Iterator

import pytest

from nodemap.transports.vs1.device import SimulatedVS1
from nodemap.transports.vs1.link import VS1Link, open_link


def make_sim(**kwargs: object) -> SimulatedVS1:
    options: dict[str, object] = dict(ftp_port=0, http_port=0, result_ports=(0, 0, 0, 0),
                                      announce_port=None, rate=1000.0, count=100)
    options.update(kwargs)
    return SimulatedVS1("127.0.0.1", **options)  # type: ignore[arg-type]


@pytest.fixture
def sim() -> Iterator[SimulatedVS1]:
    device = make_sim().start()
    try:
        yield device
    finally:
        device.stop()


@pytest.fixture
def link(sim: SimulatedVS1) -> Iterator[VS1Link]:
    vs1 = open_link(sim.url + "&retry=0.1&monitor=0.2", wait=10)
    try:
        yield vs1
    finally:
        vs1.close()
