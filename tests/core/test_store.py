"""The node map's one value store (nodemap.cache.Store) and the caching rules built on it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nodemap.cache import MISSING, Store

from .xmlkit import int_reg, load


# ------------------------------------------------------------------- the store alone
def test_results_are_valid_until_invalidated_with_their_dependents():
    store = Store()
    store.depend("Formula", ["Reg"])
    store.depend("View", ["Formula"])
    store.depend("Other", ["Unrelated"])
    for name in ("Reg", "Formula", "View", "Other"):
        store.put(name, "value", name.lower())
        store.put(name, "access", "RO")
    assert store.get("View") == "view" and store.get("View", "access") == "RO"
    stale = store.invalidate(["Reg"])
    assert stale == {"Reg", "Formula", "View"}
    for name in ("Reg", "Formula", "View"):
        assert store.get(name) is MISSING and store.get(name, "access") is MISSING
    assert store.get("Other") == "other" and store.get("Other", "access") == "RO"


def _filled(store: Store) -> None:
    for name in ("Var", "Reg", "Formula", "Conv", "Other", "Reader"):
        store.put(name, "value", name.lower())
        for aspect in ("min", "max", "access", "verified"):
            store.put(name, aspect, aspect)


def _state(store: Store) -> tuple[dict, dict]:
    return dict(store.values), {aspect: dict(table) for aspect, table in store.aspects.items()}


def test_refresh_many_removes_what_refresh_removes_for_each_name():
    # a Converter write refreshes its pVariables and what they are computed from in one
    # call (Store.refresh_plan/refresh_many): the same results go as with Store.refresh
    # name by name: their values (and value-like results), the bounds read from them,
    # nothing computed from them
    def build() -> Store:
        store = Store()
        store.depend("Var", ["Reg"])
        store.depend("Conv", ["Var", "Formula"])
        store.depend_aspects("Conv", [], ["Var"])
        store.depend_aspects("Reader", [], ["Reg"])
        _filled(store)
        return store

    one_by_one, at_once = build(), build()
    for name in ("Var", "Reg"):
        one_by_one.refresh(name)
    plan = at_once.refresh_plan(["Var", "Reg"])
    at_once.refresh_many(plan)
    assert _state(at_once) == _state(one_by_one)
    assert at_once.get("Var") is MISSING and at_once.get("Var", "verified") is MISSING
    assert at_once.get("Conv", "min") is MISSING and at_once.get("Reader", "max") is MISSING
    assert at_once.get("Conv") == "conv" and at_once.get("Conv", "access") == "access"
    assert at_once.get("Other", "min") == "min"

    # the plan holds while the graph does not grow; a new edge moves graph_version
    version = at_once.graph_version
    at_once.depend_aspects("Other", [], ["Var"])
    assert at_once.graph_version != version
    _filled(at_once)
    at_once.refresh_many(at_once.refresh_plan(["Var", "Reg"]))
    assert at_once.get("Other", "min") is MISSING


def test_invalidation_terminates_on_cycles():
    store = Store()
    store.depend("A", ["B"])
    store.depend("B", ["A"])
    store.put("A", "value", 1)
    store.put("B", "value", 2)
    assert store.invalidate(["A"]) == {"A", "B"}
    assert not store.values


def test_one_span_per_address_and_a_write_lays_its_bytes_over_it_not_the_readers():
    # as in the reference: a write at an address lays its bytes over the span cached
    # there (which keeps its length); spans at other addresses stay, overlapping or
    # not; the registers that read them keep their cached values until invalidated
    store = Store()
    store.depend("ViewOfB", ["B"])
    store.keep_bytes("A", ("Device", 0x10, 4), b"\x01\x00\x00\x00")
    assert store.bytes_at(("Device", 0x10, 4)) == b"\x01\x00\x00\x00"
    store.read_from("B", ("Device", 0x10, 4))     # B served from A's read
    for name in ("A", "B", "ViewOfB"):
        store.put(name, "value", 1)
    store.keep_bytes("Far", ("Device", 0x100, 4), b"\x00" * 4)
    store.put("Far", "value", 0)
    store.written("W", ("Device", 0x12, 1), b"\x07")   # inside 0x10..0x13
    assert store.bytes_at(("Device", 0x10, 4)) == b"\x01\x00\x00\x00"
    assert store.bytes_at(("Device", 0x12, 1)) == b"\x07"
    store.written("W2", ("Device", 0x10, 2), b"\x05\x06")   # at its address: laid over
    assert store.bytes_at(("Device", 0x10, 4)) == b"\x05\x06\x00\x00"
    assert store.bytes_at(("Device", 0x10, 2)) is None
    assert all(store.get(name) == 1 for name in ("A", "B", "ViewOfB"))
    store.keep_bytes("Half", ("Device", 0x10, 2), b"\x09\x09")  # a read of another length
    assert store.bytes_at(("Device", 0x10, 4)) == b"\x09\x09\x00\x00"
    assert store.bytes_at(("Device", 0x10, 2)) is None
    assert store.get("Far") == 0 and store.bytes_at(("Device", 0x100, 4)) is not None
    store.written("W", ("Device", 0x10, 1), None)      # not write-through: dropped
    assert store.bytes_at(("Device", 0x10, 4)) is None


def test_invalidating_one_reader_of_shared_bytes_drops_them_not_the_other_readers():
    # Two registers over one span (an IntReg and a MaskedIntReg field of it, as in a
    # PGR file): A reads, B is served from A's bytes; A alone is invalidated (its
    # pInvalidator fired): the bytes go, B keeps its value, as in the reference.
    store = Store()
    span = ("Device", 0x521C, 4)
    store.keep_bytes("A", span, b"\x00\x03\x00\x03")
    store.read_from("B", span)
    store.put("A", "value", 0x30003)
    store.put("B", "value", 3)
    store.depend("ViewOfB", ["B"])
    store.put("ViewOfB", "value", 4)
    assert store.invalidate(["A"]) == {"A"}
    assert store.get("A") is MISSING and store.bytes_at(span) is None
    assert store.get("B") == 3 and store.get("ViewOfB") == 4
    store.keep_bytes("A", span, b"\x00\x03\x00\x03")  # read again by A
    store.written("A", span, b"\x00\x00\x00\x00")
    assert store.get("B") == 3                          # stale until B is invalidated
    assert store.bytes_at(span) == b"\x00\x00\x00\x00"
    assert store.invalidate(["B"]) == {"B", "ViewOfB"}
    assert store.bytes_at(span) is None                 # B's invalidation drops them too


def test_clear_keeps_held_values():
    store = Store()
    store.hold("Gain", 3, 1.5)
    store.put("Gain", "value", 1.5)
    store.keep_bytes("R", ("Device", 0, 4), b"\0" * 4)
    store.clear()
    assert store.get("Gain") is MISSING and store.bytes_at(("Device", 0, 4)) is None
    assert store.held("Gain", 3) == 1.5 and store.held("Gain", 4) is MISSING


_spans = st.tuples(st.sampled_from(["Device", "Other"]), st.integers(0, 1 << 16),
                   st.integers(1, 64))


@settings(max_examples=60, deadline=None)
@given(st.lists(_spans, min_size=1, max_size=30), _spans, st.booleans())
def test_a_write_touches_exactly_the_span_at_its_address(spans, write, through):
    store = Store()
    first: dict[tuple[str, int], tuple[str, int, int]] = {}
    for i, span in enumerate(spans):
        store.keep_bytes(f"R{i}", span, b"\0" * span[2])
        first.setdefault(span[:2], span)   # the span cached at an address stays its one
    store.written("W", write, b"\xff" * write[2] if through else None)
    at = first.get(write[:2])
    for span in set(spans) | {write}:
        data = store.bytes_at(span)
        if span[:2] != write[:2]:                      # other addresses: untouched
            assert data == (b"\0" * span[2] if span == first[span[:2]] else None)
        elif span != (at or write):
            assert data is None                         # never cached: one per address
        elif not through:
            assert data is None                         # dropped
        else:
            n = min(span[2], write[2])
            assert data == b"\xff" * n + b"\0" * (span[2] - n)


# ------------------------------------------------------------------- through a node map
SK = ('<IntSwissKnife Name="Sum"><pVariable Name="A">RegA</pVariable>'
      '<pVariable Name="B">RegB</pVariable><Formula>A + B * 2</Formula></IntSwissKnife>')


def _counting(nm, node_name):
    """Count evaluations of one formula node (wraps its compiled evaluation,
    ``evaluate_value``, which every read that misses the store calls)."""
    node = nm.node(node_name)
    calls = []
    compute = node._compile_value() or node._evaluate_value

    def counted():
        calls.append(1)
        return compute()

    node.evaluate_value = counted
    return calls


def test_a_formula_result_is_kept_until_an_input_changes():
    nm, port = load(int_reg("RegA", 0) + int_reg("RegB", 4) + int_reg("Other", 8) + SK)
    calls = _counting(nm, "Sum")
    port.memory[0] = 1
    port.memory[4] = 2
    f = nm.features
    assert f["Sum"].value == 5
    reads = port.reads
    for _ in range(5):
        assert f["Sum"].value == 5
    assert len(calls) == 1 and port.reads == reads
    f["Other"].value = 9              # not an input: the result stays
    assert f["Sum"].value == 5 and len(calls) == 1
    f["RegB"].value = 10              # an input: evaluated again
    assert f["Sum"].value == 21 and len(calls) == 2


def test_a_formula_over_a_nocache_register_is_evaluated_every_time():
    nm, port = load(int_reg("RegA", 0, extra="<Cachable>NoCache</Cachable>") +
                    int_reg("RegB", 4) + SK)
    calls = _counting(nm, "Sum")
    f = nm.features
    assert f["Sum"].value == 0
    port.memory[0] = 3                # the device changes the NoCache register
    assert f["Sum"].value == 3
    assert len(calls) == 2


def test_registers_at_the_same_address_share_one_read():
    body = (int_reg("Whole", 0x20) +
            '<MaskedIntReg Name="Low"><Address>0x20</Address><Length>4</Length>'
            '<AccessMode>RW</AccessMode><pPort>Device</pPort><LSB>0</LSB><MSB>7</MSB>'
            '</MaskedIntReg>'
            '<MaskedIntReg Name="High"><Address>0x20</Address><Length>4</Length>'
            '<AccessMode>RW</AccessMode><pPort>Device</pPort><LSB>8</LSB><MSB>15</MSB>'
            '</MaskedIntReg>')
    nm, port = load(body)
    port.memory[0x20:0x24] = b"\x34\x12\x00\x00"
    f = nm.features
    reads = port.reads
    assert (f["Whole"].value, f["Low"].value, f["High"].value) == (0x1234, 0x34, 0x12)
    assert port.reads == reads + 1
    f["Low"].value = 0x56             # read-modify-write of the shared bytes
    assert (f["Whole"].value, f["High"].value) == (0x1234, 0x12)  # cached, as the reference
    f["Whole"].invalidate()
    assert (f["Whole"].value, f["High"].value) == (0x1256, 0x12)


def test_invalidating_one_register_rereads_it_and_what_depends_on_it():
    nm, port = load(int_reg("RegA", 0) + int_reg("RegB", 4) + SK)
    f = nm.features
    assert f["Sum"].value == 0
    port.memory[0] = 4
    port.memory[4] = 1
    assert f["Sum"].value == 0        # cached
    f["RegA"].invalidate()
    assert f["RegA"].value == 4 and f["Sum"].value == 4   # RegB still cached (0)
    nm.invalidate()
    assert f["Sum"].value == 6


def test_held_values_survive_invalidation():
    nm, _ = load('<Integer Name="Held"><Value>5</Value><Min>0</Min><Max>100</Max></Integer>')
    f = nm.features
    f["Held"].value = 42
    nm.invalidate()
    assert f["Held"].value == 42


@pytest.mark.parametrize("name", ["RegA", "Sum"])
def test_no_node_keeps_a_cache_of_its_own(name):
    nm, _ = load(int_reg("RegA", 0) + int_reg("RegB", 4) + SK)
    nm.features[name].value
    node = nm.node(name)
    assert not hasattr(node, "cache")
    assert nm.store.get(name) is not MISSING


# ------------------------------------------------------------------- access modes
AVAILABILITY = (int_reg("Avail", 0) +
                int_reg("Reg", 4, extra="<pIsAvailable>Avail</pIsAvailable>") +
                '<Integer Name="View"><pValue>Reg</pValue></Integer>' +
                '<Integer Name="Plain"><pValue>Other</pValue></Integer>' + int_reg("Other", 8))


def test_an_access_computed_from_a_varying_one_varies_too():
    nm, port = load(AVAILABILITY)
    f = nm.features
    port.memory[0] = 1
    assert f["Reg"].access == "RW"      # cached first: View then sees a cached result
    assert f["View"].access == "RW"
    assert "View" not in nm.store.constant_access
    f["Avail"].value = 0
    assert (f["Reg"].access, f["View"].access) == ("NA", "NA")
    f["Avail"].value = 1
    assert f["View"].access == "RW"


def test_constant_access_modes_survive_invalidation_until_a_port_changes():
    nm, port = load(AVAILABILITY)
    f = nm.features
    assert f["Plain"].access == "RW"
    assert nm.store.constant_access["Plain"] == "RW"
    nm.invalidate()
    assert nm.store.constant_access["Plain"] == "RW"
    nm.disconnect()
    assert "Plain" not in nm.store.constant_access
    assert f["Plain"].access == "NI"    # no port: NI, as the reference says (test_rules.py)
    nm.connect(port)
    assert f["Plain"].access == "RW"


def test_an_access_through_a_nocache_condition_is_asked_every_time():
    nm, port = load(int_reg("Avail", 0, extra="<Cachable>NoCache</Cachable>") +
                    int_reg("Reg", 4, extra="<pIsAvailable>Avail</pIsAvailable>"))
    f = nm.features
    assert f["Reg"].access == "NA"
    port.memory[0] = 1                  # the device makes it available
    assert f["Reg"].access == "RW"


def test_a_write_keeps_the_written_nodes_bounds():
    body = (int_reg("Reg", 0) + int_reg("Limit", 4) + int_reg("Other", 8) +
            '<IntSwissKnife Name="Max"><pVariable Name="L">Limit</pVariable>'
            '<Formula>L + 100</Formula></IntSwissKnife>'
            '<Integer Name="Gain"><pValue>Reg</pValue><Min>0</Min><pMax>Max</pMax></Integer>')
    nm, port = load(body)
    calls = _counting(nm, "Max")
    f = nm.features
    assert f["Gain"].max == 100
    for value in (5, 6, 7):
        f["Gain"].value = value
        assert f["Gain"].value == value
    assert len(calls) == 1            # the bound was worked out once
    f["Limit"].value = 50             # an input of the bound: worked out again
    assert f["Gain"].max == 150 and len(calls) == 2
