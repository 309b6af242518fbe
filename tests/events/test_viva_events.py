"""Peer: viva-genicam's FakeGigeCamera sends ExposureEnd (0x9001) events while it
streams; our client enables them through its XML and reads them with their features."""

from __future__ import annotations

import pytest

import nodemap
from nodemap.app.events_cli import open_events
from tests.viva import viva_camera

pytestmark = pytest.mark.peer


def test_viva_fake_camera_exposure_end_events() -> None:
    with viva_camera(width=64, height=48) as address:
        with nodemap.open(f"gvcp://{address}") as cam:
            events = open_events(cam)
            try:
                events.enable("ExposureEnd")
                with cam.stream(buffers=4, packet_size=1400) as stream:
                    frames = list(stream.frames(3, timeout=5.0))
                got = []
                for event in events.iter(timeout=5.0):
                    if event.name == "ExposureEnd":
                        got.append(event)
                    if len(got) == 3:
                        break
            finally:
                events.close()
    assert len(frames) == 3 and len(got) == 3
    assert [e.features["EventExposureEndFrameID"] for e in got] == [1, 2, 3]
    for event in got:
        assert event.id == 0x9001
        assert event.features["EventExposureEndTimestamp"] == event.timestamp
    assert events.stats.malformed == 0 and events.stats.queue_drops == 0
