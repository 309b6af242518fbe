"""Heartbeat loss end to end: a real heartbeat thread against the simulated device.

Every datagram is dropped by a lossy proxy while the heartbeat runs, and the device is made
to report another host as its primary application; both must end in ``control_lost`` with
the reason, through the public client API (no private methods called).
"""

from __future__ import annotations

from nodemap.transports.gvcp.client import GvcpClient
from nodemap.transports.gvcp.protocol import Register as R

from .lossy import LossyProxy

WAIT = 30.0   # an upper bound against hangs; the events decide, not the clock


def test_a_silent_link_loses_control_with_the_reason(make_device) -> None:
    dev = make_device()
    reasons: list[str] = []
    with LossyProxy((dev.address, dev.port)) as proxy:
        client = GvcpClient(*proxy.address, on_control_lost=reasons.append)
        try:
            client.write_register(R.HEARTBEAT_TIMEOUT, 1500)   # 3 heartbeats of margin, generous
            client.take_control()
            assert client.has_control
            proxy.loss = 1.0                    # from now on every datagram is lost
            assert client.control_lost.wait(WAIT), "heartbeat never noticed the silent link"
        finally:
            client.close()
    assert not client.has_control
    assert client.control_lost_reason.startswith("heartbeat unanswered for over 1500 ms")
    assert reasons == [client.control_lost_reason]
    assert proxy.stats["dropped"] >= 1


def test_another_host_as_primary_application_loses_control(make_device) -> None:
    dev = make_device()
    client = GvcpClient(dev.address, dev.port)
    try:
        client.write_register(R.HEARTBEAT_TIMEOUT, 1500)   # 3 heartbeats of margin, generous
        client.take_control()
        assert client.concatenation, "the simulated device supports concatenated reads"
        dev.memory.set32(R.PRIMARY_APP_IP, 0x7F0A0B0C)      # 127.10.11.12 took over
        dev.memory.set32(R.PRIMARY_APP_PORT, 40000)
        assert client.control_lost.wait(WAIT), "heartbeat never saw the other application"
    finally:
        client.close()
    assert ("device reports 127.10.11.12:40000 as its primary application"
            in client.control_lost_reason)
    assert not client.has_control
