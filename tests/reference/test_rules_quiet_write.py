"""A write that ends in a constant slot of an indexed Integer beside pointer slots: what
the reference keeps (found by the generated-map differential at seed 7312), each
sequence run on both sides and pinned twice, like tests/reference/test_rules.py.

The shape: I9 (``pValue`` I8); I8 indexed by S, with ``pValueIndexed`` I1 at index 0
and a constant ``ValueDefault``.  At S = 1 a write of I9 or I8 ends in the
``ValueDefault``.  Measured on the reference (docs/core.md, "A write that invalidates
nothing"):

* such a write invalidates nothing: what is computed from I8 keeps a cached value (a
  stale one, not followed by nodemap, see the last test), and a value kept by the rule
  below stays kept;
* each Integer written on the way (I9, I8) whose value path caches written values
  (GenApi's ``WriteThrough``: Integers and registers, not a Float, a Converter or an
  enumeration) keeps the value written, through the first invalidation that reaches it
  (InvalidateNodes, InvalidateNode of it or of what it is computed from, a write of S);
  the second drops it.  A write whose chain reaches a node (I1, a register) ends with
  an invalidation of everything computed from that node, which uses that one
  invalidation up at once: nothing is seen.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest

from tests.genmaps.compare import _our_write, _ref_write

from . import oracle
from .test_rules import both, facts, reg

I1 = '<Integer Name="I1"><Value>0</Value></Integer>'
S = '<Integer Name="S"><Value>0</Value><Min>0</Min><Max>3</Max>{selected}</Integer>'
I8 = ('<Integer Name="I8"><pIndex>S</pIndex><pValueIndexed Index="0">{slot}</pValueIndexed>'
      "<ValueDefault>0</ValueDefault></Integer>")
I9 = '<Integer Name="I9"><pValue>I8</pValue></Integer>'
SHAPE = I1 + S.format(selected="<pSelected>I8</pSelected>") + I8.format(slot="I1") + I9


def _write(ref: Any, ours: Any, *steps: tuple[str, Any]) -> None:
    for name, value in steps:
        assert _ref_write(ref, name, value) is None
        assert _our_write(ours, name, value) is None


def _value(ref: Any, ours: Any, name: str, only_value: bool = False) -> Any:
    """The reference's value of ``name``, after checking nodemap's is the same (all its
    facts, or its value alone)."""
    if not only_value:
        return facts(ref, ours, name).value
    theirs = oracle.reference_feature_facts(ref, name).value
    assert oracle.same_value(theirs, oracle.our_feature_facts(ours, name).value)
    return theirs


def _invalidate_all(ref: Any, ours: Any) -> None:
    ref._invalidate_nodes()  # the binding's name for INodeMap::InvalidateNodes
    ours.invalidate()


def _invalidator(how: str) -> Callable[[Any, Any], None]:
    """One invalidation reaching I9, the way ``how`` names."""
    if how == "InvalidateNodes":
        return _invalidate_all
    if how.startswith("InvalidateNode "):
        name = how.split()[1]

        def one(ref: Any, ours: Any) -> None:
            ref.get_node(name).node.invalidate_node()
            ours.invalidate(name)
        return one
    assert how.startswith("S = ")
    return lambda ref, ours: _write(ref, ours, ("S", int(how[4:])))


# ------------------------------------------------- the value written survives one invalidation
@pytest.mark.parametrize("selected", [True, False])
@pytest.mark.parametrize("how", ["InvalidateNodes", "InvalidateNode I9", "InvalidateNode I8",
                                 "InvalidateNode I1", "S = 2"])
def test_value_written_through_to_a_default_outlives_one_invalidation(how: str,
                                                                      selected: bool) -> None:
    """I9 = 5 ends in I8's ValueDefault; I8 = 7 then invalidates nothing: I9 keeps 5
    through one invalidation, and reads 7 after the second."""
    body = SHAPE if selected else SHAPE.replace("<pSelected>I8</pSelected>", "")
    ref, ours = both(body)
    _write(ref, ours, ("S", 1), ("I9", 5), ("I8", 7))
    assert _value(ref, ours, "I9") == 5
    invalidate = _invalidator(how)
    invalidate(ref, ours)
    assert _value(ref, ours, "I9") == 5
    invalidate(ref, ours)
    assert _value(ref, ours, "I9") == 7


def test_the_indexed_node_keeps_the_value_written_to_it() -> None:
    """I8 = 7 at S = 1 keeps 7 in I8 through the write of S = 0 (where I8 reads I1, 0);
    InvalidateNodes then drops it.  Reading I8 in between changes nothing."""
    ref, ours = both(SHAPE)
    _write(ref, ours, ("S", 1), ("I8", 7))
    assert _value(ref, ours, "I8") == 7
    _write(ref, ours, ("S", 0))
    assert _value(ref, ours, "I8") == 7
    _invalidate_all(ref, ours)
    assert _value(ref, ours, "I8") == 0


def test_every_integer_of_the_chain_keeps_it() -> None:
    """I10 → I9 → I8: I10 = 5 at S = 1 is kept by I10 and I9 through S = 2."""
    ref, ours = both(SHAPE + '<Integer Name="I10"><pValue>I9</pValue></Integer>')
    _write(ref, ours, ("S", 1), ("I10", 5), ("I8", 7), ("S", 2))
    assert (_value(ref, ours, "I10"), _value(ref, ours, "I9")) == (5, 5)
    _invalidate_all(ref, ours)
    assert (_value(ref, ours, "I10"), _value(ref, ours, "I9")) == (7, 7)


def test_an_unrelated_write_is_no_invalidation_of_it() -> None:
    """A write of X, which nothing here is computed from, leaves the kept value kept."""
    ref, ours = both(SHAPE + '<Integer Name="X"><Value>0</Value></Integer>')
    _write(ref, ours, ("S", 1), ("I9", 5), ("I8", 7), ("X", 1))
    _invalidate_all(ref, ours)
    assert _value(ref, ours, "I9") == 5
    _invalidate_all(ref, ours)
    assert _value(ref, ours, "I9") == 7


def test_a_write_reaching_a_node_uses_the_invalidation_up() -> None:
    """At S = 0 the write of I9 reaches I1: the invalidation at its end reaches I9, so a
    later write of I1 is seen at once; written again, I9 holds the new value."""
    body = SHAPE
    ref, ours = both(body)
    _write(ref, ours, ("I9", 6), ("I1", 4))
    assert _value(ref, ours, "I9") == 4
    ref, ours = both(body)
    _write(ref, ours, ("S", 1), ("I9", 5), ("S", 0))
    assert _value(ref, ours, "I9") == 5   # kept through the write of S
    _write(ref, ours, ("I9", 6))
    assert _value(ref, ours, "I9") == 6
    _write(ref, ours, ("S", 1), ("I8", 7))
    assert _value(ref, ours, "I9") == 7


# ------------------------------------------------- which nodes keep it
_WRITE_THROUGH = reg(0x100).replace("<Endianess>", "<Cachable>{mode}</Cachable><Endianess>")


@pytest.mark.parametrize(("slot", "extra", "kept"), [
    ("I1", "", True),
    ("R", f'<IntReg Name="R">{reg(0x100)}</IntReg>', True),
    ("R", f'<IntReg Name="R">{_WRITE_THROUGH.format(mode="WriteThrough")}</IntReg>', True),
    ("R", f'<IntReg Name="R">{_WRITE_THROUGH.format(mode="WriteAround")}</IntReg>', False),
    ("R", f'<IntReg Name="R">{_WRITE_THROUGH.format(mode="NoCache")}</IntReg>', False),
    ("CV", '<Converter Name="CV"><FormulaTo>FROM</FormulaTo><FormulaFrom>TO</FormulaFrom>'
           "<pValue>I1</pValue><Slope>Increasing</Slope></Converter>", False)])
def test_only_a_value_path_that_caches_writes_keeps(slot: str, extra: str, kept: bool) -> None:
    """What I8's pValueIndexed names decides whether I8 (and I9 over it) cache what is
    written (GenApi's caching mode of the value path): an Integer or a WriteThrough
    register (the default) does, a WriteAround or NoCache register or a Converter
    does not: I8 reads I1 again after S = 0.  (Over the Converter the values alone are
    compared: I8's max and inc over a Converter disagree for another reason, the
    bounds an Integer takes from a Converter.)"""
    body = I1 + extra + S.format(selected="") + I8.format(slot=slot) + I9
    only_value = slot == "CV"
    ref, ours = both(body)
    _write(ref, ours, ("S", 1), ("I9", 5), ("I8", 7))
    _invalidate_all(ref, ours)
    assert _value(ref, ours, "I9", only_value) == (5 if kept else 7)
    ref, ours = both(body)
    _write(ref, ours, ("S", 1), ("I8", 7), ("S", 0))
    assert _value(ref, ours, "I8", only_value) == (7 if kept else 0)


@pytest.mark.parametrize(("top", "written", "fresh"), [
    ('<Float Name="I9"><pValue>I8</pValue></Float>', 5.0, 7.0),
    ('<Converter Name="I9"><FormulaTo>FROM*2</FormulaTo><FormulaFrom>TO/2</FormulaFrom>'
     "<pValue>I8</pValue><Slope>Increasing</Slope></Converter>", 5.0, 3.5),
    ('<IntConverter Name="I9"><FormulaTo>FROM*2</FormulaTo><FormulaFrom>TO/2</FormulaFrom>'
     "<pValue>I8</pValue><Slope>Increasing</Slope></IntConverter>", 6, 3),
    ('<Enumeration Name="I9"><EnumEntry Name="A"><Value>5</Value></EnumEntry>'
     '<EnumEntry Name="B"><Value>7</Value></EnumEntry><pValue>I8</pValue></Enumeration>',
     "A", "B"),
    ('<Boolean Name="I9"><pValue>I8</pValue><OnValue>5</OnValue><OffValue>7</OffValue>'
     "</Boolean>", True, False),
    ('<IntConverter Name="IC"><FormulaTo>FROM</FormulaTo><FormulaFrom>TO</FormulaFrom>'
     '<pValue>I8</pValue><Slope>Increasing</Slope></IntConverter>'
     '<Integer Name="I9"><pValue>IC</pValue></Integer>', 5, 7)])
def test_a_node_that_does_not_cache_writes_keeps_nothing(top: str, written: Any,
                                                         fresh: Any) -> None:
    """A Float, a Converter, an IntConverter, an Enumeration or a Boolean over I8 (or an
    Integer over one of them) keeps nothing: after I8 = 7 and one invalidation it reads I8
    again; I8 itself keeps what was written (I8 = 7 then S = 0)."""
    body = I1 + S.format(selected="") + I8.format(slot="I1") + top
    ref, ours = both(body)
    _write(ref, ours, ("S", 1), ("I9", written), ("I8", 7))
    _invalidate_all(ref, ours)
    assert _value(ref, ours, "I9") == fresh
    ref, ours = both(body)
    _write(ref, ours, ("S", 1), ("I9", written), ("I8", 7), ("S", 0))
    assert _value(ref, ours, "I8") == 7


@pytest.mark.parametrize(("extra", "i9"), [
    ('<IntSwissKnife Name="K"><Formula>100</Formula></IntSwissKnife>',
     '<Integer Name="I9"><pValue>I8</pValue><pMax>K</pMax></Integer>'),
    ('<IntSwissKnife Name="K"><Formula>1</Formula></IntSwissKnife>',
     '<Integer Name="I9"><pIsAvailable>K</pIsAvailable><pValue>I8</pValue></Integer>'),
    (f'<IntReg Name="R">{_WRITE_THROUGH.format(mode="NoCache")}</IntReg>',
     '<Integer Name="I9"><pValue>I8</pValue><pMin>I1</pMin><pMax>R</pMax></Integer>')])
def test_bounds_and_conditions_play_no_part(extra: str, i9: str) -> None:
    """Only the value path counts: a pMax over a formula or a NoCache register, a
    pIsAvailable over a formula leave I9 keeping what was written through it."""
    ref, ours = both(I1 + extra + S.format(selected="") + I8.format(slot="I1") + i9)
    _write(ref, ours, ("S", 1), ("I9", 0 if "NoCache" in extra else 5), ("I8", 7))
    _invalidate_all(ref, ours)
    kept = _value(ref, ours, "I9")
    assert kept == (0 if "NoCache" in extra else 5)
    _invalidate_all(ref, ours)
    assert _value(ref, ours, "I9") == 7


def test_an_index_over_a_formula_plays_no_part() -> None:
    """I8's pIndex is a formula reading 1: every write of I8 ends in its ValueDefault."""
    body = (I1 + '<IntSwissKnife Name="K"><Formula>1</Formula></IntSwissKnife>'
            + I8.format(slot="I1").replace("<pIndex>S<", "<pIndex>K<") + I9)
    ref, ours = both(body)
    _write(ref, ours, ("I9", 5), ("I8", 7))
    _invalidate_all(ref, ours)
    assert _value(ref, ours, "I9") == 5
    _invalidate_all(ref, ours)
    assert _value(ref, ours, "I9") == 7


# ------------------------------------------------- where a write into a slot is an ordinary one
@pytest.mark.parametrize(("i8", "index", "kept"), [
    # constant slots only: the indexed node is where the write ends, as a <Value>
    ('<Integer Name="I8"><pIndex>S</pIndex><ValueIndexed Index="0">3</ValueIndexed>'
     "<ValueDefault>0</ValueDefault></Integer>", 1, False),
    ('<Integer Name="I8"><Value>0</Value></Integer>', 1, False),
    # a constant ValueIndexed beside a pValueDefault: kept; the pValueDefault: written
    ('<Integer Name="D"><Value>0</Value></Integer><Integer Name="I8"><pIndex>S</pIndex>'
     '<ValueIndexed Index="0">3</ValueIndexed><pValueDefault>D</pValueDefault></Integer>',
     0, True),
    ('<Integer Name="D"><Value>0</Value></Integer><Integer Name="I8"><pIndex>S</pIndex>'
     '<ValueIndexed Index="0">3</ValueIndexed><pValueDefault>D</pValueDefault></Integer>',
     1, False),
    (f'<IntReg Name="D">{reg(0x100)}</IntReg><Integer Name="I8"><pIndex>S</pIndex>'
     '<ValueIndexed Index="0">3</ValueIndexed><pValueDefault>D</pValueDefault></Integer>',
     1, False),
    # a constant ValueIndexed beside a pValueIndexed: kept
    ('<Integer Name="I8"><pIndex>S</pIndex><pValueIndexed Index="0">I1</pValueIndexed>'
     '<ValueIndexed Index="1">0</ValueIndexed><ValueDefault>0</ValueDefault></Integer>',
     1, True),
    # an indexed Float (I9 a Float over it): an ordinary write
    ('<Float Name="I8"><pIndex>S</pIndex><pValueIndexed Index="0">I1</pValueIndexed>'
     "<ValueDefault>0</ValueDefault></Float>", 1, False)])
def test_which_slots_invalidate_nothing(i8: str, index: int, kept: bool) -> None:
    """Only a constant slot of an Integer that also has a pointer slot; a write into
    any other slot invalidates what is computed from the node, as usual."""
    i9 = I9.replace("Integer", "Float") if i8.startswith("<Float") else I9
    ref, ours = both(I1 + S.format(selected="") + i8 + i9)
    _write(ref, ours, ("S", index), ("I9", 5), ("I8", 7))
    assert _value(ref, ours, "I9") == (5 if kept else 7)
    _invalidate_all(ref, ours)
    assert _value(ref, ours, "I9") == (5 if kept else 7)


# ------------------------------------------------- a reference stale cache, pinned not followed
def test_the_reference_serves_a_stale_cache_after_such_a_write() -> None:
    """Followed since stop 24: I9 read (0) and K (a formula over I8) read, then I8 = 7
    at S = 1: both sides still answer 0 and 1 (the reference invalidated nothing);
    after InvalidateNodes 7 and 8.  Bounds are not cached by the reference: I9's max
    (pMax I8) is 7 on both sides at once."""
    body = (I1 + S.format(selected="") + I8.format(slot="I1")
            + '<Integer Name="I9"><pValue>I8</pValue><Min>-9</Min><pMax>I8</pMax></Integer>'
            + '<IntSwissKnife Name="K"><pVariable Name="A">I8</pVariable><Formula>A+1'
            "</Formula></IntSwissKnife>")
    ref, ours = both(body)
    _write(ref, ours, ("S", 1))
    assert (_value(ref, ours, "I9"), _value(ref, ours, "K")) == (0, 1)
    _write(ref, ours, ("I8", 7))
    theirs = [oracle.reference_feature_facts(ref, name) for name in ("I9", "K")]
    mine = [oracle.our_feature_facts(ours, name) for name in ("I9", "K")]
    assert (theirs[0].value, theirs[0].max, theirs[1].value) == (0, 7, 1)
    assert (mine[0].value, mine[0].max, mine[1].value) == (0, 7, 1)
    _invalidate_all(ref, ours)
    assert (_value(ref, ours, "I9"), _value(ref, ours, "K")) == (7, 8)


def test_the_reference_keeps_the_access_mode_with_the_value() -> None:
    """Pinned, not followed: the kept value's node keeps its access mode through the
    same one invalidation in the reference.  I9 (pIsAvailable A) kept 5; A = 0: the
    reference still reads 5 (its access mode is the cached RW), nodemap refuses the
    read (NA, as the reference once its caches are dropped).  A write-only node keeps
    its value but refuses to read it on both sides."""
    body = (I1 + S.format(selected="") + I8.format(slot="I1")
            + '<Integer Name="A"><Value>1</Value></Integer>'
            '<Integer Name="I9"><pIsAvailable>A</pIsAvailable><pValue>I8</pValue></Integer>')
    ref, ours = both(body)
    _write(ref, ours, ("S", 1), ("I9", 5), ("I8", 7), ("A", 0))
    assert oracle.reference_feature_facts(ref, "I9").value == 5
    assert oracle.our_feature_facts(ours, "I9").value.error == "AccessError"
    _invalidate_all(ref, ours)
    assert _value(ref, ours, "I9").error == "AccessError"
    _write(ref, ours, ("A", 1))
    assert _value(ref, ours, "I9") == 7
    ref, ours = both(body.replace('<Integer Name="I8">', '<Integer Name="I8"><ImposedAccessMode>'
                                  "WO</ImposedAccessMode>"))
    _write(ref, ours, ("S", 1), ("I8", 7))
    assert _value(ref, ours, "I8").error == "AccessError"
    _write(ref, ours, ("S", 0))
    assert _value(ref, ours, "I8").error == "AccessError"
