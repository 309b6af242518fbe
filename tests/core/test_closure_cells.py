"""The compiled evaluations on the read path after an invalidation hold no closure cell.

CPython copies (and so touches) every cell of a closure on each call; on a large file the
cells of every node's closures (35 a node on acA640 before) pushed the reads out of the
CPU's cache.  So the hot closures bind what they use as default arguments and reach what
only a failure needs through their node (docs/core.md, "Where the time goes today").
This pins that structure, not a timing."""

from __future__ import annotations

import types

from .xmlkit import int_reg, load

BODY = (
    int_reg("Reg", 0x10) + int_reg("Sel", 0x14) + int_reg("Table", 0x100)
    + '<MaskedIntReg Name="Bit"><Address>0x10</Address><Length>4</Length>'
      '<AccessMode>RO</AccessMode><pPort>Device</pPort><Bit>3</Bit></MaskedIntReg>'
    + '<IntReg Name="Indexed"><pAddress>Addr</pAddress><Length>4</Length>'
      '<AccessMode>RO</AccessMode><pPort>Device</pPort></IntReg>'
    + '<IntSwissKnife Name="Addr"><pVariable Name="S">Sel</pVariable>'
      '<Formula>(S = 0) ? 0x100 : ((S = 1) ? 0x104 : 0x108)</Formula></IntSwissKnife>'
    + '<IntSwissKnife Name="Two"><pVariable Name="A">Reg</pVariable>'
      '<pVariable Name="B">Bit</pVariable><Formula>(A &gt; 3) ? A * B : A + B</Formula>'
      '</IntSwissKnife>'
    + '<SwissKnife Name="Half"><pVariable Name="A">Reg</pVariable>'
      '<Formula>A / 2 + (A = 4)</Formula></SwissKnife>'
    + '<Converter Name="Conv"><pVariable Name="K">Sel</pVariable>'
      '<FormulaTo>FROM * 2</FormulaTo><FormulaFrom>TO / 2 + K</FormulaFrom>'
      '<pValue>Reg</pValue><Slope>Increasing</Slope></Converter>'
    + '<Integer Name="View"><pValue>Two</pValue></Integer>'
    + '<Float Name="FView"><pValue>Half</pValue></Float>'
    + '<Integer Name="Own"><Value>5</Value></Integer>'
)

HOT = {"Reg", "Sel", "Table", "Bit", "Indexed", "Addr", "Two", "Half", "Conv", "View",
       "FView", "Own"}


def _cells(fn: object) -> tuple[str, ...]:
    assert isinstance(fn, types.FunctionType), fn
    return fn.__code__.co_freevars


def test_the_compiled_evaluations_and_formula_bodies_hold_no_cell() -> None:
    nm, port = load(BODY)
    port.memory[0x10] = 4
    for _ in range(2):  # the first reads compile
        nm.invalidate()
        values = {name: nm.features[name].value for name in sorted(HOT)}
    assert values["Two"] == 4 * 0 and values["Half"] == 3.0 and values["View"] == 0
    assert values["Own"] == 5
    for name in sorted(HOT):
        node = nm.node(name)
        assert _cells(node.evaluate_value) == (), name
    # the formula bodies: every function reachable through their defaults, too
    for name in ("Addr", "Two", "Half", "Conv"):
        node = nm.node(name)
        formula = getattr(node, "formula", None) or node.formula_from
        seen: set[int] = set()
        stack = [formula.body]
        while stack:
            fn = stack.pop()
            if id(fn) in seen or not isinstance(fn, types.FunctionType):
                continue
            seen.add(id(fn))
            assert fn.__code__.co_freevars == (), (name, fn.__code__.co_name)
            stack.extend(fn.__defaults__ or ())
        assert seen, name
