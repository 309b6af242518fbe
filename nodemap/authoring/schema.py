"""GenApi schema 1.1 knowledge: the fixed child-element order of every node type.

The GenICam reference validates descriptions against GenApiSchema_Version_1_1.xsd and
rejects an element that appears out of its ``xs:sequence`` position ("unexpected element
encountered").  This table is our own statement of that order, written from public
knowledge and checked against the reference (``tests/authoring/test_schema_order.py``
loads deliberately reordered XML with ``genicam.genapi.NodeMap``).

Each node type maps to a list of *slots*; a slot is a tuple of element names that share
one position (alternatives of an ``xs:choice``, or elements that may interleave such as
``Address``/``pAddress``/``pIndex``).  The linter compares slot ranks; the builder and
``--fix`` emit children sorted by rank (stable, so interleavable elements keep their
relative order).
"""

from __future__ import annotations

from typing import Mapping

__all__ = ["NODE_ORDER", "NODE_TYPES", "REQUIRED", "rank_table", "element_rank", "sort_key"]

#: Elements every node type starts with (the schema's NodeType base).
NODE_BASE: list[tuple[str, ...]] = [
    ("Extension",), ("ToolTip",), ("Description",), ("DisplayName",), ("Visibility",),
    ("DocuURL",), ("IsDeprecated",), ("EventID",), ("pIsImplemented",), ("pIsAvailable",),
    ("pIsLocked",), ("pBlockPolling",), ("ImposedAccessMode",), ("pError",), ("pAlias",),
    ("pCastAlias",),
]

#: The value choice of Integer/Float: an immediate, a pointer (with copies), or an index.
_VALUE_CHOICE: list[tuple[str, ...]] = [
    ("Value", "pValueCopy", "pValue", "pIndex"),
    ("ValueIndexed", "pValueIndexed"),
    ("ValueDefault", "pValueDefault"),
]

#: Shared by every register type after the node base.
_REGISTER_BASE: list[tuple[str, ...]] = [
    ("Streamable",),
    ("Address", "IntSwissKnife", "pAddress", "pIndex"),
    ("Length", "pLength"),
    ("AccessMode",),
    ("pPort",),
    ("Cachable",),
    ("PollingTime",),
    ("pInvalidator",),
]

_HEAD: list[tuple[str, ...]] = [("pInvalidator",), ("Streamable",)]

NODE_ORDER: dict[str, list[tuple[str, ...]]] = {
    "Category": NODE_BASE + [("pFeature",)],
    "Integer": NODE_BASE + _HEAD + _VALUE_CHOICE + [
        ("Min", "pMin"), ("Max", "pMax"), ("Inc", "pInc"), ("Unit",), ("Representation",),
        ("pSelected",)],
    "Float": NODE_BASE + _HEAD + _VALUE_CHOICE + [
        ("Min", "pMin"), ("Max", "pMax"), ("Inc", "pInc"), ("Unit",), ("Representation",),
        ("DisplayNotation",), ("DisplayPrecision",)],
    "Boolean": NODE_BASE + _HEAD + [("Value", "pValue"), ("OnValue",), ("OffValue",),
                                    ("pSelected",)],
    "Command": NODE_BASE + [("pInvalidator",), ("Value", "pValue"), ("CommandValue", "pCommandValue"),
                                    ("PollingTime",)],
    "Enumeration": NODE_BASE + _HEAD + [("EnumEntry",), ("Value", "pValue"), ("pSelected",),
                                        ("PollingTime",)],
    "EnumEntry": NODE_BASE + [("pInvalidator",), ("Value",), ("NumericValue",), ("Symbolic",),
                              ("IsSelfClearing",)],
    "String": NODE_BASE + _HEAD + [("Value", "pValue")],
    "Register": NODE_BASE + _REGISTER_BASE,
    "IntReg": NODE_BASE + _REGISTER_BASE + [("Sign",), ("Endianess",), ("Unit",),
                                             ("Representation",), ("pSelected",)],
    "MaskedIntReg": NODE_BASE + _REGISTER_BASE + [("Bit", "LSB"), ("MSB",), ("Sign",),
                                                   ("Endianess",), ("Unit",),
                                                   ("Representation",), ("pSelected",)],
    "FloatReg": NODE_BASE + _REGISTER_BASE + [("Endianess",), ("Unit",), ("Representation",),
                                               ("DisplayNotation",), ("DisplayPrecision",)],
    "StringReg": NODE_BASE + _REGISTER_BASE,
    "StructReg": NODE_BASE + _REGISTER_BASE + [("Endianess",), ("StructEntry",)],
    "StructEntry": NODE_BASE + [("pInvalidator",), ("AccessMode",), ("Cachable",),
                                ("PollingTime",), ("Streamable",), ("Bit", "LSB"), ("MSB",),
                                ("Sign",), ("Unit",), ("Representation",), ("pSelected",)],
    "Converter": NODE_BASE + _HEAD + [
        ("pVariable",), ("Constant",), ("Expression",), ("FormulaTo",), ("FormulaFrom",),
        ("pValue",), ("Unit",), ("Representation",), ("DisplayNotation",),
        ("DisplayPrecision",), ("Slope",), ("IsLinear",)],
    "IntConverter": NODE_BASE + _HEAD + [
        ("pVariable",), ("Constant",), ("Expression",), ("FormulaTo",), ("FormulaFrom",),
        ("pValue",), ("Unit",), ("Representation",), ("Slope",)],
    "SwissKnife": NODE_BASE + _HEAD + [
        ("pVariable",), ("Constant",), ("Expression",), ("Formula",), ("Unit",),
        ("Representation",), ("DisplayNotation",), ("DisplayPrecision",)],
    "IntSwissKnife": NODE_BASE + _HEAD + [
        ("pVariable",), ("Constant",), ("Expression",), ("Formula",), ("Unit",),
        ("Representation",)],
    "Port": NODE_BASE + [("pInvalidator",), ("ChunkID", "pChunkID"), ("SwapEndianess",),
                         ("CacheChunkData",)],
}

#: Node types the schema knows (Group is a container, not a node).
NODE_TYPES: frozenset[str] = frozenset(n for n in NODE_ORDER if n not in ("EnumEntry",
                                                                          "StructEntry"))

_RANKS: dict[str, dict[str, int]] = {}


def rank_table(node_type: str) -> Mapping[str, int] | None:
    """``{element: rank}`` for a node type, or None when the type is not in the table."""
    if node_type not in NODE_ORDER:
        return None
    table = _RANKS.get(node_type)
    if table is None:
        table = {}
        for rank, slot in enumerate(NODE_ORDER[node_type]):
            for name in slot:
                table.setdefault(name, rank)
        _RANKS[node_type] = table
    return table


def element_rank(node_type: str, element: str) -> int | None:
    """The slot rank of ``element`` inside ``node_type`` (None: unknown type or element)."""
    table = rank_table(node_type)
    if table is None:
        return None
    return table.get(element)


def sort_key(node_type: str, element: str) -> int:
    """A sort key placing unknown elements last (stable sorts keep their order)."""
    rank = element_rank(node_type, element)
    return 10_000 if rank is None else rank


_REG_REQUIRED: list[tuple[str, ...]] = [("Address", "pAddress", "IntSwissKnife"),
                                        ("Length", "pLength"), ("AccessMode",), ("pPort",)]

#: Elements the reference requires (one of each tuple), measured against it: it refuses a
#: register without AccessMode, and IntReg/MaskedIntReg/FloatReg/StructReg without
#: Endianess, although our core (like Aravis) applies the documented defaults.
REQUIRED: dict[str, list[tuple[str, ...]]] = {
    "Integer": [("Value", "pValue", "pIndex")],
    "Float": [("Value", "pValue", "pIndex")],
    "Boolean": [("Value", "pValue")],
    "Command": [("Value", "pValue"), ("CommandValue", "pCommandValue")],
    "Enumeration": [("EnumEntry",), ("Value", "pValue")],
    "EnumEntry": [("Value",)],
    "String": [("Value", "pValue")],
    "Register": _REG_REQUIRED,
    "StringReg": _REG_REQUIRED,
    "IntReg": _REG_REQUIRED + [("Endianess",)],
    "MaskedIntReg": _REG_REQUIRED + [("Bit", "LSB"), ("Endianess",)],
    "FloatReg": _REG_REQUIRED + [("Endianess",)],
    "StructReg": _REG_REQUIRED + [("Endianess",), ("StructEntry",)],
    "StructEntry": [("Bit", "LSB")],
    "Converter": [("FormulaTo",), ("FormulaFrom",), ("pValue",)],
    "IntConverter": [("FormulaTo",), ("FormulaFrom",), ("pValue",)],
    "SwissKnife": [("Formula",)],
    "IntSwissKnife": [("Formula",)],
}
