"""The address index of cached registers finds every register a write overlaps."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from nodemap.regcache import CachedRegisters


class Register:
    def __init__(self, port: str, address: int, length: int) -> None:
        self.key = (port, address, length)


_span = st.tuples(st.sampled_from(["Device", "Other"]), st.integers(0, 1 << 20),
                  st.integers(1, 1 << 14))


@settings(max_examples=300)
@given(spans=st.lists(_span, max_size=40), write=_span, dropped=st.sets(st.integers(0, 39)))
def test_overlapping_is_a_superset_of_the_true_overlaps(spans, write, dropped):
    cached = CachedRegisters()
    registers = [Register(*span) for span in spans]
    for register in registers:
        cached.add(register, register.key)
    for i in dropped:
        if i < len(registers):
            cached.discard(registers[i])
    port, address, length = write
    truth = {r for i, r in enumerate(registers) if i not in dropped
             and r.key[0] == port and r.key[1] < address + length
             and address < r.key[1] + r.key[2]}
    found = cached.overlapping(port, address, length)
    assert truth <= found
    assert found <= set(cached) and len(cached) == len(registers) - len(
        [i for i in dropped if i < len(registers)])


def test_re_adding_moves_a_register_and_clear_empties():
    cached = CachedRegisters()
    register = Register("Device", 0x100, 4)
    cached.add(register, register.key)
    register.key = ("Device", 0x9000, 4)
    cached.add(register, register.key)
    assert register not in cached.overlapping("Device", 0x100, 4)
    assert register in cached.overlapping("Device", 0x9002, 1)
    cached.clear()
    assert len(cached) == 0 and not cached.overlapping("Device", 0x9000, 4)
