"""The GenApi XML linter: structured findings with rule ids, severities and line numbers.

``lint(source)`` parses a description (path, XML text, bytes or zip) with a hardened
parser and runs every rule; each rule lives in a small ``rules_*`` module and yields
:class:`Finding` objects.  ``fix_order(source)`` returns the description with every
node's children in schema order (what ``nodemap lint --fix`` writes).

Importing this module does not import sympy: the Converter inverse rule imports it
lazily, only when a Converter is present.
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator

from lxml import etree

from ..errors import XmlError
from .findings import SEVERITIES, Finding
from .model import Document, Source, local, parse_document
from .schema import rank_table, sort_key

__all__ = ["Finding", "lint", "lint_document", "fix_order", "RULES", "SEVERITIES"]

Rule = Callable[[Document], Iterable[Finding]]

#: rule id -> one-line description (the catalogue; ``nodemap lint --rules`` prints it).
RULES: dict[str, str] = {
    "xml-malformed": "the file is not well-formed XML (or a hostile/unsupported container)",
    "duplicate-name": "two nodes share one Name",
    "ref-missing": "a p* element names a node that does not exist",
    "ref-cycle": "nodes depend on each other in a cycle (value, access, category or selector)",
    "unreachable": "a node cannot be reached from the Root category",
    "schema-order": "a child element is out of GenApi schema order (the reference refuses it)",
    "schema-required": "an element the reference requires is missing",
    "schema-unknown": "an element the schema does not define for this node type",
    "formula-syntax": "a formula does not parse",
    "formula-undefined": "a formula uses a variable that is not declared",
    "formula-unused": "a declared pVariable/Constant/Expression is never used",
    "formula-int-mode": "an IntSwissKnife/IntConverter formula uses float literals or "
                        "float-only functions, which the reference refuses to evaluate",
    "converter-inverse": "a Converter's FormulaFrom is not the inverse of its FormulaTo",
    "bounds-min-max": "a constant Min is greater than the constant Max",
    "bounds-inc": "a constant Inc is zero or negative",
    "bounds-default": "a constant value lies outside its constant bounds",
    "enum-duplicate": "two entries of one Enumeration share a Value or a Name",
    "bits-range": "a MaskedIntReg/StructEntry bit lies outside its register",
    "bits-inverted": "LSB/MSB are inverted for the register's endianness",
    "register-overlap": "registers overlap with different lengths or endianness",
    "register-shared-write": "a writable register's bytes are read by other registers that "
                             "do not name it in pInvalidator (they keep stale values after "
                             "its write, as in GenApi)",
    "selector-stale": "a cached register's address depends on a selector without a "
                      "pInvalidator path (stale values in Aravis, #795)",
}


def _rules() -> list[Rule]:
    from . import rules_formulas, rules_selectors, rules_structure, rules_values

    return [*rules_structure.RULES, *rules_values.RULES, *rules_selectors.RULES,
            *rules_formulas.RULES]


def lint_document(document: Document, *, only: Iterable[str] | None = None) -> list[Finding]:
    """Run every rule (or the ``only`` ids) over a parsed document."""
    wanted = set(only) if only is not None else None
    findings: list[Finding] = []
    for rule in _rules():
        for finding in rule(document):
            if wanted is None or finding.rule in wanted:
                findings.append(finding)
    findings.sort(key=lambda f: (f.line or 0, SEVERITIES.index(f.severity), f.rule))
    return findings


def lint(source: Source, *, only: Iterable[str] | None = None) -> list[Finding]:
    """Lint a description: a path, XML text, bytes (XML or zip).  Never raises on bad XML:
    a malformed file gives one ``xml-malformed`` error finding."""
    try:
        document = parse_document(source)
    except XmlError as exc:
        return [Finding("xml-malformed", "error", str(exc), "", exc.line)]
    except OSError as exc:
        return [Finding("xml-malformed", "error", f"cannot read the description: {exc}")]
    return lint_document(document, only=only)


def _reorder(element: etree._Element, node_type: str) -> bool:
    """Sort ``element``'s children by schema rank; comments travel with the next element."""
    if rank_table(node_type) is None:
        return False
    children = list(element)
    if not children:
        return False
    groups: list[list[etree._Element]] = []
    pending: list[etree._Element] = []
    for child in children:
        pending.append(child)
        if local(child):
            groups.append(pending)
            pending = []
    keyed = [(sort_key(node_type, local(group[-1])), index, group)
             for index, group in enumerate(groups)]
    ordered = sorted(keyed, key=lambda item: (item[0], item[1]))
    if [item[1] for item in ordered] == list(range(len(groups))):
        return False
    tails = [child.tail for child in children]
    for child in children:
        element.remove(child)
    flat = [child for _, _, group in ordered for child in group] + pending
    for child, tail in zip(flat, tails):
        child.tail = tail
        element.append(child)
    return True


def iter_node_elements(document: Document) -> Iterator[tuple[etree._Element, str]]:
    """Every node element with its schema type (EnumEntry/StructEntry included)."""
    for node in document.order:
        yield node.element, node.type


def fix_order(source: Source) -> tuple[bytes, int]:
    """The description with every node's children in schema order, and how many nodes moved.

    Only element order changes; comments stay attached to the element that follows them.
    """
    document = parse_document(source)
    moved = 0
    for element, node_type in iter_node_elements(document):
        if _reorder(element, node_type):
            moved += 1
    tree = document.root.getroottree()
    header = b'<?xml version="1.0" encoding="utf-8"?>\n'
    return header + etree.tostring(tree.getroot(), encoding="utf-8") + b"\n", moved
