"""Registers at a constant span read by the compiled path keep their bytes without the
store's call (``store.cached_bytes``/``span_of`` inline, what ``keep_bytes``/``read_from``
do).  These tests hold that bookkeeping to the reference's behaviour (docs/core.md,
"Register bytes are shared by span"): one port read per span; a write over the span
updates its cached bytes but leaves the other registers' cached values alone; an
invalidation of one register drops the span's bytes but not the other readers' values;
a port rebound forgets them; after any number of invalidate-all rounds."""

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


def test_a_write_leaves_the_other_readers_and_other_addresses() -> None:
    nm, port = load(BODY)
    before = {"Full": 0x02000001, "Low": 1, "High": 2, "Sum": 3, "Far": 0}
    for round_ in range(3):
        nm.invalidate()
        port.memory[0x10:0x14] = bytes([1, 0, 0, 2])
        _values(nm)
        nm.features["Byte"].value = 7 + round_  # inside the span at 0x10, another address
        reads = port.reads
        # the other registers keep their cached values, and the span cached at 0x10
        # its bytes (as the reference: one span per address, written at its address)
        assert _values(nm) == before, round_
        assert port.reads == reads
        assert nm.store.bytes_at(("Device", 0x10, 4)) == bytes([1, 0, 0, 2])
        nm.invalidate("Full")  # read again from the device
        assert nm.features["Full"].value == 0x02000001 | (7 + round_) << 16
        assert port.reads == reads + 1
        nm.features["Full"].value = 0x05000004  # at the span's address: laid over it
        assert nm.store.bytes_at(("Device", 0x10, 4)) == bytes([4, 0, 0, 5])


def test_invalidating_one_reader_drops_the_span_not_the_other_readers_values() -> None:
    nm, port = load(BODY)
    for _ in range(3):
        nm.invalidate()
        port.memory[0x10:0x14] = bytes([1, 0, 0, 2])
        _values(nm)
        port.memory[0x13] = 9
        nm.invalidate("Full")  # its bytes go; High, read from them too, keeps its value
        assert nm.store.bytes_at(("Device", 0x10, 4)) is None
        assert (nm.features["High"].value, nm.features["Sum"].value) == (2, 3)
        assert nm.features["Full"].value == 0x09000001
        nm.invalidate("High")
        assert (nm.features["High"].value, nm.features["Sum"].value) == (9, 10)
        assert nm.features["Far"].value == 0


def test_a_write_through_one_static_reader_reaches_the_others_once_invalidated() -> None:
    nm, port = load(BODY)
    for value in (0x11223344, 0x0A0B0C0D, 0x01020304):
        nm.invalidate()
        old = _values(nm)
        nm.features["Full"].value = value
        assert (nm.features["Low"].value, nm.features["High"].value) == (old["Low"], old["High"])
        nm.invalidate("Low")
        nm.invalidate("High")
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
