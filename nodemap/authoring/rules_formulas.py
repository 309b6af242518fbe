"""Lint rules on SwissKnife/Converter formulas: syntax, undefined and unused variables,
int-mode formulas the reference refuses, and Converter pairs that are not inverses.

Formulas are parsed by the project's own parser (:mod:`nodemap.formula`), never by
``eval``.  The int-mode facts were measured against the GenICam reference: an
IntSwissKnife/IntConverter formula fails to evaluate there ("Unknown function/variable")
when it holds a float literal (``4.0``, ``1E3``), the constants ``PI``/``E`` or any
function but ``NEG`` and ``SGN``.
"""

from __future__ import annotations

from typing import Iterator

import attrs
from lxml import etree

from ..errors import FormulaError
from .formula_ast import FormulaInfo, analyse
from .findings import Finding
from .model import Document, Node, local
from .rules_values import parse_number

__all__ = ["RULES", "FormulaSite", "formula_sites"]

_INT_FUNCTIONS = {"NEG", "SGN"}


@attrs.frozen(slots=True)
class FormulaSite:
    """The formulas of one node (or of a register's embedded IntSwissKnife)."""

    node: Node
    element: etree._Element           # the element holding pVariable/Formula children
    integer: bool
    converter: bool
    variables: dict[str, int | None]  # pVariable/Constant/Expression name -> line
    formulas: tuple[tuple[str, str, int | None], ...]  # (label, text, line)


def _site(node: Node, element: etree._Element, integer: bool, converter: bool) -> FormulaSite:
    variables: dict[str, int | None] = {}
    formulas: list[tuple[str, str, int | None]] = []
    for child in element:
        tag = local(child)
        variable = child.get("Name")
        if tag in ("pVariable", "Constant", "Expression") and variable:
            variables[variable] = child.sourceline
        if tag in ("Formula", "FormulaTo", "FormulaFrom"):
            formulas.append((tag, (child.text or "").strip(), child.sourceline))
        elif tag == "Expression":
            formulas.append((f"Expression {child.get('Name')}", (child.text or "").strip(),
                             child.sourceline))
    return FormulaSite(node, element, integer, converter, variables, tuple(formulas))


def formula_sites(doc: Document) -> Iterator[FormulaSite]:
    for node in doc.order:
        if node.type in ("SwissKnife", "IntSwissKnife", "Converter", "IntConverter"):
            yield _site(node, node.element, node.type.startswith("Int"),
                        node.type.endswith("Converter"))
        for child in node.children():
            if local(child) == "IntSwissKnife":  # a register's computed address
                yield _site(node, child, True, False)


def _base(variable: str) -> str:
    return variable.split(".", 1)[0]


def _implicit(label: str) -> set[str]:
    if label == "FormulaTo":
        return {"FROM"}
    if label == "FormulaFrom":
        return {"TO"}
    return set()


def _formula_module_missing() -> str | None:
    try:
        import nodemap.formula  # noqa: F401
    except ImportError as exc:
        return str(exc)
    return None


def formula_checks(doc: Document) -> Iterator[Finding]:
    missing = _formula_module_missing()
    if missing is not None:
        yield Finding("formula-syntax", "info",
                      f"formula rules skipped: the formula parser is unavailable ({missing})")
        return
    for site in formula_sites(doc):
        used: set[str] = set()
        name = site.node.name
        for label, text, line in site.formulas:
            info: FormulaInfo = analyse(text, integer=site.integer, node=name)
            if info.error is not None:
                yield Finding("formula-syntax", "error", f"{label}: {info.error}", name, line)
                continue
            defined = set(site.variables) | _implicit(label)
            if site.converter and label.startswith("Expression"):
                defined |= {"TO", "FROM"}
            for variable in sorted(info.variables):
                base = _base(variable)
                used.add(base)
                if base not in defined and variable not in defined:
                    yield Finding("formula-undefined", "error",
                                  f"{label} uses {variable!r}, which is neither a pVariable, "
                                  "a Constant nor an Expression of this node", name, line)
            if site.integer:
                problems = [f"float literal {lit}" for lit in info.float_literals]
                problems += [f"function {fn}" for fn in sorted(info.functions)
                             if fn.upper() not in _INT_FUNCTIONS]
                problems += [f"constant {c}" for c in sorted(info.constants)]
                if problems:
                    yield Finding("formula-int-mode", "error",
                                  f"{label} of an integer formula node uses "
                                  f"{', '.join(problems)}: the GenICam reference refuses to "
                                  "evaluate it (only integer literals, NEG and SGN); nodemap "
                                  "evaluates it leniently in int64", name, line)
        for variable, line in site.variables.items():
            if variable not in used:
                yield Finding("formula-unused", "warning",
                              f"{variable!r} is declared but no formula uses it", name, line)


def _constant_of(doc: Document, target: str) -> float | None:
    node = doc.resolve(target)
    if node is None:
        return None
    return parse_number(node.text_of("Value"))


def _declared_range(doc: Document, site: FormulaSite) -> tuple[float, float] | None:
    """The raw (TO) range: the pValue target's constant Min/Max, else its register width."""
    target = doc.resolve(site.node.text_of("pValue") or "")
    if target is None:
        return None
    low = parse_number(target.text_of("Min"))
    high = parse_number(target.text_of("Max"))
    if low is not None and high is not None and low <= high:
        return low, high
    length = parse_number(target.text_of("Length"))
    if target.type in ("IntReg", "MaskedIntReg") and length:
        return 0.0, float(min(2 ** (8 * int(length)) - 1, 2 ** 31 - 1))
    return None


def _integer_target(doc: Document, site: FormulaSite) -> bool:
    target = doc.resolve(site.node.text_of("pValue") or "")
    return target is None or target.type not in ("Float", "FloatReg", "Converter",
                                                  "SwissKnife")


#: How to get the inverse check when sympy is missing (the README's demo install).
ENABLE_INVERSE = "pip install 'nodemap[authoring]'"


def sympy_missing() -> str | None:
    """Why sympy cannot be imported (None when it can).  Imports it: only called for a
    document that has a Converter, as the inverse check itself would."""
    try:
        import sympy  # noqa: F401
    except ImportError as exc:
        return str(exc) or type(exc).__name__
    return None


def converter_inverse(doc: Document) -> Iterator[Finding]:
    sites = [s for s in formula_sites(doc) if s.converter]
    if not sites or _formula_module_missing() is not None:
        return
    missing = sympy_missing()
    if missing is not None:  # every other rule runs; this one says how to enable it
        yield Finding("converter-inverse", "warning",
                      f"not checked for {len(sites)} Converter(s): the inverse check needs "
                      f"sympy ({missing}); enable it with: {ENABLE_INVERSE}")
        return
    from .inverse import check_pair  # imports sympy lazily, only with a Converter

    for site in sites:
        texts = {label: (text, line) for label, text, line in site.formulas}
        if "FormulaTo" not in texts or "FormulaFrom" not in texts:
            continue
        constants: dict[str, float] = {}
        for child in site.element:
            tag = local(child)
            if tag == "Constant":
                value = parse_number(child.text)
                if value is not None:
                    constants[child.get("Name", "")] = value
            elif tag == "pVariable":
                value = _constant_of(doc, (child.text or "").strip())
                if value is not None:
                    constants[child.get("Name", "")] = value
        expressions = {child.get("Name", ""): (child.text or "").strip() for child in site.element
                       if local(child) == "Expression"}
        try:
            verdict = check_pair(texts["FormulaTo"][0], texts["FormulaFrom"][0],
                                 integer=site.integer, constants=constants,
                                 expressions=expressions,
                                 raw_range=_declared_range(doc, site),
                                 integer_raw=_integer_target(doc, site))
        except FormulaError:
            continue  # reported by formula-syntax
        if verdict.inverse is False:
            yield Finding("converter-inverse", "error",
                          f"FormulaFrom is not the inverse of FormulaTo ({verdict.reason}): "
                          "written values read back differently", site.node.name,
                          texts["FormulaFrom"][1])


RULES = [formula_checks, converter_inverse]
