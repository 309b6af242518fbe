"""The passive announce listener records raw datagrams (source, time) without decoding."""

from __future__ import annotations

import socket
import time

from nodemap.transports.vs1.announce import Announcement, AnnounceListener, listen

from .conftest import make_sim


def test_listener_records_raw_datagrams_from_the_simulator() -> None:
    with AnnounceListener(port=0, host="127.0.0.1") as listener:
        before = time.time()
        with make_sim(announce_port=listener.port, announce_interval=0.05):
            # bounded by count (3) and by time (10 s upper bound against hangs)
            found = listener.collect(10.0, max_count=3)
    assert len(found) == 3
    for n, item in enumerate(found):
        assert isinstance(item, Announcement)
        assert item.source[0] == "127.0.0.1" and item.source[1] > 0
        assert item.received >= before
        assert item.data.startswith(b"nodemap VS-1 simulator announce seq=")
        assert b"undocumented" in item.data
    assert [f.received for f in found] == sorted(f.received for f in found)
    line = found[0].describe()
    assert "127.0.0.1:" in line and f"{len(found[0].data)} bytes" in line
    assert found[0].data.hex() in line


def test_listen_returns_whatever_arrives_undecoded() -> None:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    import threading

    result: list[list[Announcement]] = []
    thread = threading.Thread(target=lambda: result.append(listen(1.0, port=port, host="127.0.0.1")))
    thread.start()
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    payload = bytes(range(256))
    deadline = time.monotonic() + 20.0
    sent = 0
    # until the listener's second is over; bounded by count and by time
    while thread.is_alive() and time.monotonic() < deadline and sent < 1000:
        sender.sendto(payload, ("127.0.0.1", port))
        sent += 1
        time.sleep(0.02)
    sender.close()
    thread.join(10)
    assert result and result[0], "nothing recorded"
    assert all(a.data == payload for a in result[0])


def test_collect_ends_after_duration_when_silent() -> None:
    with AnnounceListener(port=0, host="127.0.0.1") as listener:
        assert listener.collect(0.1) == []
