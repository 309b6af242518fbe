"""Fault injection: drops, duplicates, delays and corruption both ways, seeded."""

from __future__ import annotations

import threading
import time

import pytest

from nodemap.transports.gvcp.client import GvcpClient
from nodemap.transports.gvcp.device import Faults

pytestmark = pytest.mark.timeout(120)


def test_1000_reads_and_writes_at_20pct_drop_5pct_duplicate(make_device) -> None:
    """1,000 writes and 1,000 reads (4 clients × 250 rounds), every value checked."""
    dev = make_device(faults=Faults(drop=0.20, duplicate=0.05, seed=1234))
    errors: list[BaseException] = []
    counts = [0] * 4

    def worker(k: int) -> None:
        try:
            # short attempts make drops cost little; many of them ride out a loaded machine
            with GvcpClient(dev.address, timeout=0.02, retries=250) as c:
                address = 0xA100 + 4 * k
                for i in range(250):
                    value = (k << 24) | i * 7919
                    c.write_register(address, value)
                    assert c.read_register(address) == value
                    counts[k] += 1
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(4)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(1.0, 100 - (time.monotonic() - started)))
    assert not any(t.is_alive() for t in threads), "fault test did not finish (bounded at 100 s)"
    assert not errors, errors[0]
    assert counts == [250] * 4
    assert dev.stats["dropped"] > 200 and dev.stats["duplicated"] > 50


def test_delay_and_corruption(make_device) -> None:
    dev = make_device(faults=Faults(drop=0.05, duplicate=0.05, delay=0.2, delay_s=0.03,
                                    corrupt=0.15, seed=99))
    with GvcpClient(dev.address, timeout=0.02, retries=300) as c:   # 6 s per operation
        for i in range(60):
            c.write_register(0xA200, i)
            assert c.read_register(0xA200) == i
        blob = bytes(range(256)) * 4
        c.write(0xB000, blob)
        assert c.read(0xB000, len(blob)) == blob
        assert c.read_many([(0xA200 + 4 * k, 4) for k in range(200)])[0] == (59).to_bytes(4, "big")
    assert dev.stats["corrupted"] > 5 and dev.stats["delayed"] > 5
    assert c.stats["malformed"] + c.stats["mismatched"] > 0 and c.stats["stale"] > 0


def test_faults_are_reproducible(make_device) -> None:
    """The same seed mistreats the same packets."""
    stats = []
    for _ in range(2):
        dev = make_device(faults=Faults(drop=0.3, seed=7, outgoing=False))
        with GvcpClient(dev.address, timeout=0.1, retries=40) as c:
            for i in range(20):
                c.write_register(0xA000, i)
        stats.append((dev.stats["dropped"], dev.stats["received"]))
    assert stats[0] == stats[1]
