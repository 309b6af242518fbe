"""Every transport's ``capabilities`` tell the truth: on its simulator, each capability it
lists works and each it does not list is absent or refused with an UnsupportedError
(``registers`` is a port property every link has, not checked here)."""

from __future__ import annotations

from typing import Any

import pytest

import nodemap
from nodemap.app.plugins import plugins
from nodemap.app.simulators import start_simulator
from nodemap.errors import UnsupportedError
from nodemap.plugin import CAPABILITIES
from tests.addresses import loopback

pytestmark = pytest.mark.timeout(120)

# vs1's simulator has its own main loop (``nodemap sim vs1`` only); its files are tested in
# tests/transports/vs1.
SIMULATED = sorted((name, plugin.simulators[0].name) for name, plugin in plugins().items()
                   if plugin.simulators and plugin.simulators[0].start is not None)


def _offers(cam: Any, capability: str) -> bool:
    """Does the open camera really do ``capability``?"""
    if capability == "features":
        return len(list(cam.features)) > 0
    if capability == "images":
        return hasattr(cam.link, "open_stream")
    if capability == "snapshot":
        return callable(getattr(cam.link, "snapshot", None))
    if capability == "chunks":
        return hasattr(cam.link, "open_stream") and "ChunkModeActive" in cam.features
    try:
        if capability == "files":
            cam.files.list()
        elif capability == "events":
            assert cam.events is not None
        return True
    except UnsupportedError:
        return False


def test_the_list_covers_the_gvcp_transport_fully() -> None:
    assert plugins()["gvcp"].capabilities == CAPABILITIES - {"snapshot"}


@pytest.mark.parametrize("plugin, simulator", SIMULATED)
def test_capabilities_are_truthful(plugin: str, simulator: str) -> None:
    options = {"addresses": [loopback()]} if simulator == "gige" else {}
    sim = start_simulator(simulator, **options)
    try:
        with nodemap.open(sim.urls[0]) as cam:
            claimed = plugins()[plugin].capabilities
            for capability in sorted(CAPABILITIES - {"registers"}):
                assert _offers(cam, capability) == (capability in claimed), \
                    f"{plugin}: {capability} {'claimed but missing' if capability in claimed else 'offered but not claimed'}"
    finally:
        sim.close()
