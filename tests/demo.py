"""The demo camera (xml/demo-camera.xml with its power-on registers) simulated in this
process on a loopback address of this run — the device many stream, chunk, event and file
tests drive — and a camera opened on it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import nodemap
from nodemap.resources import read_description
from nodemap.transports.gvcp.device import SimulatedDevice
from nodemap.transports.gvcp.sim import DEMO_REGISTERS
from tests.addresses import loopback

DEMO_XML = read_description("demo-camera.xml")


@contextmanager
def demo_device(xml: bytes = DEMO_XML, **options: Any) -> Iterator[SimulatedDevice]:
    """A started SimulatedDevice serving ``xml`` with the demo's power-on registers
    (``options`` go to SimulatedDevice: xml_name, model, stream_faults …); stopped after."""
    options.setdefault("address", loopback())
    device = SimulatedDevice(xml, registers=dict(DEMO_REGISTERS), **options).start()
    try:
        yield device
    finally:
        device.stop()


@contextmanager
def demo_camera(device_options: dict[str, Any] | None = None,
                **features: Any) -> Iterator[tuple[SimulatedDevice, Any]]:
    """(device, camera): a demo device and ``nodemap.open`` on it, ``features`` written in
    the order given (Width before OffsetX …); both closed after."""
    with demo_device(**(device_options or {})) as device:
        camera = nodemap.open(f"gvcp://{device.address}")
        try:
            for name, value in features.items():
                camera.features[name].value = value
            yield device, camera
        finally:
            camera.close()
