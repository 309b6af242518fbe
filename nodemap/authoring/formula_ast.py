"""What the linter and the inverse derivation need to know about one formula, read from
the AST of the project's formula parser (:mod:`nodemap.formula`).

This module is the only place in ``nodemap.authoring`` that knows the AST's shape.
"""

from __future__ import annotations

import functools
from typing import Any, Iterator

import attrs

from ..errors import FormulaError

__all__ = ["FormulaInfo", "analyse", "walk"]


@attrs.frozen(slots=True)
class FormulaInfo:
    """Variables, float literals, function names and named constants of a formula."""

    variables: frozenset[str] = frozenset()
    float_literals: tuple[str, ...] = ()
    functions: frozenset[str] = frozenset()
    constants: frozenset[str] = frozenset()   # PI / E
    error: FormulaError | None = None
    tree: Any = None


def walk(tree: Any) -> Iterator[Any]:
    """Every AST node (attrs instances), depth first."""
    stack = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(reversed(item))
            continue
        if not attrs.has(type(item)):
            continue
        yield item
        for field in attrs.fields(type(item)):
            value = getattr(item, field.name)
            if isinstance(value, (list, tuple)) or attrs.has(type(value)):
                stack.append(value)


def analyse(text: str, *, integer: bool, node: str = "") -> FormulaInfo:
    """Parse ``text`` (never eval) and describe it (cached per text)."""
    info = _analyse(text)
    if info.error is not None and node and not info.error.node:
        return attrs.evolve(info, error=FormulaError(
            str(info.error).split(" (", 1)[0], formula=text, position=info.error.position,
            node=node))
    return info


@functools.lru_cache(maxsize=4096)
def _analyse(text: str) -> FormulaInfo:
    """Describe one formula; syntax errors land in ``.error``.

    The text is compiled in double mode (the superset); int-mode problems are then read
    off the tree: :class:`nodemap.formula.Number` literals written with ``.``/exponent,
    ``PI``/``E`` (Numbers whose text is the constant's name) and :class:`Call` names.
    """
    from ..formula import Call, Number, compile_formula

    try:
        compiled = compile_formula(text, integer=False)
    except FormulaError as exc:
        return FormulaInfo(error=exc)
    floats: list[str] = []
    functions: set[str] = set()
    constants: set[str] = set()
    for item in walk(compiled.ast):
        if isinstance(item, Number):
            written = item.text.strip()
            if written.upper() in ("PI", "E"):
                constants.add(written.upper())
            elif not written.lower().startswith("0x") and any(c in written.lower() for c in ".e"):
                floats.append(written)
        elif isinstance(item, Call):
            functions.add(item.name.upper())
    return FormulaInfo(variables=frozenset(compiled.variables), float_literals=tuple(floats),
                       functions=frozenset(functions), constants=frozenset(constants),
                       tree=compiled.ast)
