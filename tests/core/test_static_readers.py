"""Registers at a constant span read by the compiled path keep their bytes without the
store's call (``Store.static_reader``): the span's readers are registered once and kept
across invalidations, and which of them read the span *now* is the store's ``span_of``.
These tests hold that bookkeeping to what ``keep_bytes``/``read_from`` gave: one port
read per span, a write over the span re-reads every register that read it, an
invalidation that drops the span takes the other readers' values with it, a port
rebound forgets them, after any number of invalidate-all rounds."""

from __future__ import annotations

import nodemap

from .xmlkit import int_reg, load


def _masked(name: str, address: int, lsb: int, msb: int, extra: str = "") -> str:
    return (f'<MaskedIntReg Name="{name}"><Address>{address:#x}</Address><Length>4</Length>'
            f'<AccessMode>RW</AccessMode><pPort>Device</pPort>{extra}<LSB>{lsb}</LSB>'
            f'<MSB>{msb}</MSB></MaskedIntReg>')


BODY = (int_reg("Full", 0x10) + _masked("Low", 0x10, 0, 7) + _masked("High", 0x10, 24, 31)
        + int_reg("Byte", 0x12, length=1) + int_reg("Far", 0x40)
        + '<IntSwissKnife Name="Sum"><pVariable Name="L">Low</pVariable>'
          '<pVariable Name="H">High</pVariable><Formula>L + H</Formula></IntSwissKnife>')


def _values(nm: nodemap.NodeMap) -> dict[str, object]:
    return {name: nm.features[name].value for name in ("Full", "Low", "High", "Sum", "Far")}


def test_registers_sharing_a_constant_span_read_it_once_per_invalidation() -> None:
    nm, port = load(BODY)
    port.memory[0x10:0x14] = bytes([1, 0, 0, 2])
    for round_ in range(4):  # the first round compiles; the others use the static path
        nm.invalidate()
        reads = port.reads
        assert _values(nm) == {"Full": 0x02000001, "Low": 1, "High": 2, "Sum": 3, "Far": 0}
        assert port.reads - reads == 2, round_  # 0x10 (shared by three) and 0x40
        store = nm.store
        assert {store.span_of[n] for n in ("Full", "Low", "High")} == {("Device", 0x10, 4)}


def test_a_write_over_the_span_re_reads_every_register_that_read_it() -> None:
    nm, port = load(BODY)
    for round_ in range(3):
        nm.invalidate()
        port.memory[0x10:0x14] = bytes([1, 0, 0, 2])
        _values(nm)
        nm.features["Byte"].value = 7 + round_  # overlaps the span at 0x10
        expected = {"Full": 0x02000001 | (7 + round_) << 16, "Low": 1, "High": 2, "Sum": 3,
                    "Far": 0}
        port.memory[0x10] = 5  # the device changed too: every reader reads it again
        expected.update(Full=expected["Full"] - 1 + 5, Low=5, Sum=7)  # type: ignore[operator]
        reads = port.reads
        assert _values(nm) == expected, round_
        assert port.reads - reads == 1  # one read of the span for the three readers
        # the register outside the span kept its value (and its bytes)
        assert "Far" in nm.store.values


def test_invalidating_one_reader_drops_the_span_and_the_other_readers_values() -> None:
    nm, port = load(BODY)
    for _ in range(3):
        nm.invalidate()
        port.memory[0x10:0x14] = bytes([1, 0, 0, 2])
        _values(nm)
        port.memory[0x13] = 9
        nm.invalidate("Full")  # its bytes go: High, read from them too, goes with them
        assert nm.store.get("High") is nodemap.cache.MISSING
        assert nm.store.get("Sum") is nodemap.cache.MISSING
        assert nm.features["High"].value == 9 and nm.features["Sum"].value == 10
        assert nm.features["Far"].value == 0


def test_a_write_through_one_static_reader_updates_the_others() -> None:
    nm, port = load(BODY)
    for value in (0x11223344, 0x0A0B0C0D, 0x01020304):
        nm.invalidate()
        _values(nm)
        nm.features["Full"].value = value
        assert nm.features["Low"].value == value & 0xFF
        assert nm.features["High"].value == value >> 24
        assert nm.features["Sum"].value == (value & 0xFF) + (value >> 24)


def test_rebinding_the_port_forgets_what_static_readers_read_from_it() -> None:
    nm, port = load(BODY)
    _values(nm)
    nm.invalidate()
    _values(nm)
    other = nodemap.MemoryPort(0x1000)
    other.memory[0x10:0x14] = bytes([3, 0, 0, 4])
    nm.bind(other, "Device")
    assert not any(name in nm.store.span_of for name in ("Full", "Low", "High"))
    assert _values(nm) == {"Full": 0x04000003, "Low": 3, "High": 4, "Sum": 7, "Far": 0}
    assert other.reads == 2


def test_a_read_waiting_for_the_lock_takes_the_value_the_other_thread_read() -> None:
    """Feature.value's miss path holds the node map's lock around the evaluation (taken
    with acquire/release): a second thread reading the same feature meanwhile waits,
    then finds the value without reading the device again."""
    import threading

    nm, port = load(BODY)
    port.memory[0x40] = 9
    far = nm.features["Far"]
    assert far.value == 9  # compiled; the feature keeps its evaluation
    nm.invalidate()
    seen: list[object] = []
    other = threading.Thread(target=lambda: seen.append(far.value))
    read = port.read
    calls = []

    def first_read(address: int, length: int) -> bytes:
        calls.append(address)
        if len(calls) == 1:
            other.start()
            other.join(timeout=0.5)  # it cannot finish: this thread holds the lock
            assert other.is_alive()
        return read(address, length)

    port.read = first_read  # type: ignore[method-assign]
    assert far.value == 9
    other.join(timeout=30)
    assert not other.is_alive() and seen == [9]
    assert calls == [0x40]  # one device read for both threads
