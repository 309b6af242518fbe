"""Describe a device in Python and emit GenApi XML in schema element order.

    dev = Device(vendor="Acme", model="Cam1")
    dev.category("Root", ["Width", "Gain"])
    dev.int_feature("Width", address=0x100, min=16, max=1024, inc=16, value_access="RW")
    dev.integer("Gain", p_value="GainReg", min=0, max=48, unit="dB")
    dev.int_reg("GainReg", address=0x104, access="RW")
    xml = dev.to_xml()          # bytes, schema 1.1, standard RegisterDescription attributes

Every typed method maps Pythonic keywords onto schema elements and calls :meth:`Device.node`,
the low-level escape hatch (``dev.node("Integer", "X", Value=3, pInvalidator=["A"])``).
Children are always written in the order of :mod:`.schema` (checked against the GenICam
reference), so a description built here loads in the reference as well as in ours.
Missing references, bad bounds and the like are left to :func:`nodemap.authoring.lint`:
``dev.lint()`` runs it over the output.
"""

from __future__ import annotations

import builtins
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence, Union

import attrs
from lxml import etree

from .schema import NODE_ORDER, sort_key

if TYPE_CHECKING:
    from .findings import Finding

__all__ = ["Device", "Entry", "StructField", "NodeSpec", "GENAPI_NS"]

GENAPI_NS = "http://www.genicam.org/GenApi/Version_1_1"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{GENAPI_NS} http://www.genicam.org/GenApi/GenApiSchema_Version_1_1.xsd"

Scalar = Union[int, float, str, bool]

_YES_NO = {"Streamable", "IsDeprecated", "IsSelfClearing", "IsLinear", "SwapEndianess",
           "CacheChunkData"}
_HEX = {"Address", "EventID", "ChunkID"}


def _text(tag: str, value: Scalar) -> str:
    if isinstance(value, bool):
        if tag in _YES_NO:
            return "Yes" if value else "No"
        return "1" if value else "0"
    if isinstance(value, int):
        if tag in ("EventID", "ChunkID"):
            return f"{value:X}"
        if tag in _HEX:
            return f"0x{value:X}"
        return str(value)
    if isinstance(value, float):
        if value == float("inf"):
            return "INF"
        if value == float("-inf"):
            return "-INF"
        return repr(value)
    return str(value)


@attrs.frozen(slots=True)
class Elem:
    """One child element: tag, text, attributes and nested elements."""

    tag: str
    text: str | None = None
    attrib: Mapping[str, str] = attrs.field(factory=dict)
    children: tuple["Elem", ...] = ()


@attrs.frozen(slots=True)
class NodeSpec:
    """A node to emit: its type, name, attributes and (unsorted) child elements."""

    type: str
    name: str | None
    attrib: Mapping[str, str]
    elements: tuple[Elem, ...]


@attrs.frozen(slots=True)
class Entry:
    """An enumeration entry."""

    name: str
    value: int
    display_name: str | None = None
    tooltip: str | None = None
    description: str | None = None
    numeric_value: float | None = None
    is_implemented: str | None = None
    is_available: str | None = None
    is_self_clearing: bool | None = None


@attrs.frozen(slots=True)
class StructField:
    """A StructEntry: a named bit field of a StructReg (``bit`` or ``lsb``/``msb``)."""

    name: str
    bit: int | None = None
    lsb: int | None = None
    msb: int | None = None
    access: str | None = None
    sign: str | None = None
    tooltip: str | None = None
    display_name: str | None = None


#: Pythonic keyword -> schema element, for the elements every node type shares.
_COMMON = {
    "tooltip": "ToolTip", "description": "Description", "display_name": "DisplayName",
    "visibility": "Visibility", "docu_url": "DocuURL", "is_deprecated": "IsDeprecated",
    "event_id": "EventID", "is_implemented": "pIsImplemented", "is_available": "pIsAvailable",
    "is_locked": "pIsLocked", "imposed_access": "ImposedAccessMode", "alias": "pAlias",
    "invalidators": "pInvalidator", "streamable": "Streamable",
}

_KEYWORDS = {
    **_COMMON,
    "value": "Value", "p_value": "pValue", "p_value_copies": "pValueCopy",
    "min": "Min", "max": "Max", "inc": "Inc", "p_min": "pMin", "p_max": "pMax", "p_inc": "pInc",
    "unit": "Unit", "representation": "Representation", "selected": "pSelected",
    "display_notation": "DisplayNotation", "display_precision": "DisplayPrecision",
    "on_value": "OnValue", "off_value": "OffValue", "command_value": "CommandValue",
    "p_command_value": "pCommandValue", "polling_time": "PollingTime",
    "address": "Address", "p_address": "pAddress", "length": "Length", "p_length": "pLength",
    "access": "AccessMode", "port": "pPort", "cachable": "Cachable", "sign": "Sign",
    "endianness": "Endianess", "bit": "Bit", "lsb": "LSB", "msb": "MSB",
    "formula": "Formula", "formula_to": "FormulaTo", "formula_from": "FormulaFrom",
    "slope": "Slope", "is_linear": "IsLinear", "chunk_id": "ChunkID",
    "swap_endianness": "SwapEndianess", "features": "pFeature",
}


class Device:
    """A device description under construction; :meth:`to_xml` writes it."""

    def __init__(self, *, vendor: str, model: str, tooltip: str = "",
                 version: tuple[int, int, int] = (1, 0, 0), standard_namespace: str = "None",
                 product_guid: str | None = None, version_guid: str | None = None) -> None:
        self.vendor = vendor
        self.model = model
        self.tooltip = tooltip or f"{vendor} {model}"
        self.version = version
        self.standard_namespace = standard_namespace
        seed = uuid.uuid5(uuid.NAMESPACE_URL, f"genicam:{vendor}:{model}")
        self.product_guid = product_guid or str(seed)
        self.version_guid = version_guid or str(uuid.uuid5(seed, ".".join(map(str, version))))
        self.nodes: list[NodeSpec] = []
        self._names: set[str] = set()

    # -- low level ---------------------------------------------------------------------
    def node(self, node_type: str, name: str | None, *, attrib: Mapping[str, str] | None = None,
             extra: Iterable[Elem] = (), **elements: Any) -> NodeSpec:
        """Add a node; ``elements`` are schema element names (lists repeat the element)."""
        if node_type not in NODE_ORDER:
            raise ValueError(f"unknown GenApi node type {node_type!r}; "
                             f"use one of {', '.join(sorted(NODE_ORDER))}")
        if name is not None:
            if name in self._names:
                raise ValueError(f"node {name!r} is already defined")
            self._names.add(name)
        children: list[Elem] = []
        for tag, value in elements.items():
            if value is None:
                continue
            values = value if isinstance(value, (list, tuple)) else [value]
            children.extend(Elem(tag, _text(tag, v)) for v in values)
        children.extend(extra)
        spec = NodeSpec(node_type, name, dict(attrib or {}), tuple(children))
        self.nodes.append(spec)
        return spec

    def _typed(self, node_type: str, name: str | None, namespace: str | None,
               kwargs: dict[str, Any], extra: Iterable[Elem] = ()) -> NodeSpec:
        elements: dict[str, Any] = {}
        for key, value in kwargs.items():
            tag = _KEYWORDS.get(key)
            if tag is None:
                raise TypeError(f"{node_type}: unknown keyword {key!r}")
            elements[tag] = value
        attrib = {"NameSpace": namespace} if namespace else {}
        return self.node(node_type, name, attrib=attrib, extra=extra, **elements)

    # -- node types ----------------------------------------------------------------------
    def category(self, name: str, features: Sequence[str] = (), *, namespace: str | None = None,
                 **kw: Any) -> NodeSpec:
        return self._typed("Category", name, namespace, {**kw, "features": list(features)})

    def integer(self, name: str, *, namespace: str | None = None,
                index: tuple[str, Mapping[int, int | str], int | str] | None = None,
                **kw: Any) -> NodeSpec:
        """An Integer; ``index=(pIndex node, {index: value or node}, default)`` for pIndex."""
        return self._typed("Integer", name, namespace, kw, self._indexed(index))

    def float(self, name: str, *, namespace: str | None = None,
              index: tuple[str, Mapping[int, float | str], float | str] | None = None,
              **kw: Any) -> NodeSpec:
        return self._typed("Float", name, namespace, kw, self._indexed(index))

    @staticmethod
    def _indexed(index: tuple[str, Mapping[int, Any], Any] | None) -> list[Elem]:
        if index is None:
            return []
        selector, table, default = index
        out = [Elem("pIndex", selector)]
        for key, value in table.items():
            tag = "pValueIndexed" if isinstance(value, str) else "ValueIndexed"
            out.append(Elem(tag, _text(tag, value), {"Index": str(key)}))
        tag = "pValueDefault" if isinstance(default, str) else "ValueDefault"
        out.append(Elem(tag, _text(tag, default)))
        return out

    def boolean(self, name: str, *, namespace: str | None = None, **kw: Any) -> NodeSpec:
        return self._typed("Boolean", name, namespace, kw)

    def command(self, name: str, *, namespace: str | None = None, **kw: Any) -> NodeSpec:
        return self._typed("Command", name, namespace, kw)

    def string(self, name: str, *, namespace: str | None = None, **kw: Any) -> NodeSpec:
        return self._typed("String", name, namespace, kw)

    def enumeration(self, name: str, entries: Sequence[Entry] | Mapping[str, int], *,
                    namespace: str | None = None, **kw: Any) -> NodeSpec:
        """An Enumeration; entries as ``{"Mono8": 0, ...}`` or :class:`Entry` objects.

        Each entry's Name is its symbolic value (GenApi names the entry node
        ``EnumEntry_<Enumeration>_<Symbolic>`` internally).
        """
        if isinstance(entries, Mapping):
            entries = [Entry(symbolic, value) for symbolic, value in entries.items()]
        extra = []
        for entry in entries:
            elements = {"ToolTip": entry.tooltip, "Description": entry.description,
                        "DisplayName": entry.display_name,
                        "pIsImplemented": entry.is_implemented,
                        "pIsAvailable": entry.is_available, "Value": entry.value,
                        "NumericValue": entry.numeric_value,
                        "IsSelfClearing": entry.is_self_clearing}
            children = tuple(sorted((Elem(t, _text(t, v)) for t, v in elements.items()
                                     if v is not None), key=lambda e: sort_key("EnumEntry", e.tag)))
            extra.append(Elem("EnumEntry", None, {"Name": entry.name},
                              children))
        return self._typed("Enumeration", name, namespace, kw, extra)

    def port(self, name: str = "Device", *, namespace: str | None = None, **kw: Any) -> NodeSpec:
        return self._typed("Port", name, namespace, kw)

    def _register(self, node_type: str, name: str | None, namespace: str | None,
                  kw: dict[str, Any], defaults: Mapping[str, Any],
                  extra: Iterable[Elem] = ()) -> NodeSpec:
        index = kw.pop("index", None)
        extra = list(extra)
        if index is not None:  # (node, offset) -> <pIndex Offset="...">node</pIndex>
            node, offset = index
            extra.append(Elem("pIndex", node, {"Offset": _text("Offset", offset)}))
        merged = {**defaults, **kw}
        return self._typed(node_type, name, namespace, merged, extra)

    _REG_DEFAULTS: Mapping[str, Any] = {"access": "RO", "port": "Device"}

    def register(self, name: str, *, namespace: str | None = None, **kw: Any) -> NodeSpec:
        return self._register("Register", name, namespace, kw, self._REG_DEFAULTS)

    def string_reg(self, name: str, *, namespace: str | None = None, **kw: Any) -> NodeSpec:
        return self._register("StringReg", name, namespace, kw, self._REG_DEFAULTS)

    def int_reg(self, name: str, *, namespace: str | None = None, **kw: Any) -> NodeSpec:
        defaults = {**self._REG_DEFAULTS, "length": 4, "endianness": "BigEndian"}
        return self._register("IntReg", name, namespace, kw, defaults)

    def masked_int_reg(self, name: str, *, namespace: str | None = None, **kw: Any) -> NodeSpec:
        defaults = {**self._REG_DEFAULTS, "length": 4, "endianness": "BigEndian"}
        return self._register("MaskedIntReg", name, namespace, kw, defaults)

    def float_reg(self, name: str, *, namespace: str | None = None, **kw: Any) -> NodeSpec:
        defaults = {**self._REG_DEFAULTS, "length": 4, "endianness": "BigEndian"}
        return self._register("FloatReg", name, namespace, kw, defaults)

    def struct_reg(self, fields: Sequence[StructField], *, comment: str = "",
                   **kw: Any) -> NodeSpec:
        defaults = {**self._REG_DEFAULTS, "length": 4, "endianness": "BigEndian"}
        extra = []
        for field in fields:
            if field.name in self._names:
                raise ValueError(f"node {field.name!r} is already defined")
            self._names.add(field.name)
            elements = {"ToolTip": field.tooltip, "DisplayName": field.display_name,
                        "AccessMode": field.access, "Bit": field.bit, "LSB": field.lsb,
                        "MSB": field.msb, "Sign": field.sign}
            children = tuple(sorted((Elem(t, _text(t, v)) for t, v in elements.items()
                                     if v is not None),
                                    key=lambda e: sort_key("StructEntry", e.tag)))
            extra.append(Elem("StructEntry", None, {"Name": field.name}, children))
        spec = self._register("StructReg", None, None, kw, defaults, extra)
        if comment:
            self.nodes[-1] = attrs.evolve(spec, attrib={**spec.attrib, "Comment": comment})
        return self.nodes[-1]

    def _formula_parts(self, variables: Mapping[str, str] | None,
                       constants: Mapping[str, builtins.float] | None,
                       expressions: Mapping[str, str] | None) -> list[Elem]:
        out = [Elem("pVariable", node, {"Name": var}) for var, node in (variables or {}).items()]
        out += [Elem("Constant", _text("Constant", v), {"Name": k})
                for k, v in (constants or {}).items()]
        out += [Elem("Expression", v, {"Name": k}) for k, v in (expressions or {}).items()]
        return out

    def swiss_knife(self, name: str, formula: str, *, variables: Mapping[str, str] | None = None,
                    constants: Mapping[str, builtins.float] | None = None,
                    expressions: Mapping[str, str] | None = None, integer: bool = False,
                    namespace: str | None = None, **kw: Any) -> NodeSpec:
        kind = "IntSwissKnife" if integer else "SwissKnife"
        return self._typed(kind, name, namespace, {**kw, "formula": formula},
                           self._formula_parts(variables, constants, expressions))

    def converter(self, name: str, *, formula_to: str, formula_from: str, p_value: str,
                  variables: Mapping[str, str] | None = None,
                  constants: Mapping[str, builtins.float] | None = None,
                  expressions: Mapping[str, str] | None = None, integer: bool = False,
                  namespace: str | None = None, **kw: Any) -> NodeSpec:
        """A Converter: read = FormulaFrom(TO = pValue), write pValue = FormulaTo(FROM)."""
        kind = "IntConverter" if integer else "Converter"
        return self._typed(kind, name, namespace,
                           {**kw, "formula_to": formula_to, "formula_from": formula_from,
                            "p_value": p_value},
                           self._formula_parts(variables, constants, expressions))

    # -- conveniences --------------------------------------------------------------------
    def int_feature(self, name: str, *, address: int, length: int = 4, access: str = "RW",
                    port: str = "Device", endianness: str = "BigEndian",
                    sign: str | None = None, cachable: str | None = None,
                    register_name: str | None = None, **kw: Any) -> NodeSpec:
        """An Integer feature over its own IntReg (named ``<name>Reg``)."""
        reg = register_name or f"{name}Reg"
        self.int_reg(reg, address=address, length=length, access=access, port=port,
                     endianness=endianness, sign=sign, cachable=cachable)
        return self.integer(name, p_value=reg, **kw)

    def enum_feature(self, name: str, entries: Sequence[Entry] | Mapping[str, int], *,
                     address: int, length: int = 4, access: str = "RW", port: str = "Device",
                     endianness: str = "BigEndian", register_name: str | None = None,
                     **kw: Any) -> NodeSpec:
        """An Enumeration over its own IntReg (named ``<name>Reg``)."""
        reg = register_name or f"{name}Reg"
        self.int_reg(reg, address=address, length=length, access=access, port=port,
                     endianness=endianness)
        return self.enumeration(name, entries, p_value=reg, **kw)

    # -- output --------------------------------------------------------------------------
    def _element(self, parent: etree._Element, node_type: str, elem: Elem) -> None:
        child = etree.SubElement(parent, f"{{{GENAPI_NS}}}{elem.tag}", dict(elem.attrib))
        if elem.text is not None:
            child.text = elem.text
        for grandchild in elem.children:
            self._element(child, elem.tag, grandchild)

    def to_tree(self) -> etree._Element:
        major, minor, subminor = self.version
        root = etree.Element(f"{{{GENAPI_NS}}}RegisterDescription", nsmap={None: GENAPI_NS,
                                                                            "xsi": XSI_NS})
        for key, value in (("ModelName", self.model), ("VendorName", self.vendor),
                           ("ToolTip", self.tooltip),
                           ("StandardNameSpace", self.standard_namespace),
                           ("SchemaMajorVersion", "1"), ("SchemaMinorVersion", "1"),
                           ("SchemaSubMinorVersion", "0"), ("MajorVersion", str(major)),
                           ("MinorVersion", str(minor)), ("SubMinorVersion", str(subminor)),
                           ("ProductGuid", self.product_guid),
                           ("VersionGuid", self.version_guid)):
            root.set(key, value)
        root.set(f"{{{XSI_NS}}}schemaLocation", SCHEMA_LOCATION)
        for spec in self.nodes:
            attrib = dict(spec.attrib)
            if spec.name is not None:
                attrib = {"Name": spec.name, **attrib}
            node = etree.SubElement(root, f"{{{GENAPI_NS}}}{spec.type}", attrib)
            ordered = sorted(spec.elements, key=lambda e: sort_key(spec.type, e.tag))
            for elem in ordered:
                self._element(node, spec.type, elem)
        return root

    def to_xml(self) -> bytes:
        """The description as UTF-8 XML bytes (indented, schema-ordered)."""
        root = self.to_tree()
        etree.indent(root, space="  ")
        return (b'<?xml version="1.0" encoding="utf-8"?>\n'
                + etree.tostring(root, encoding="utf-8") + b"\n")

    def write(self, path: str | Path) -> Path:
        target = Path(path)
        target.write_bytes(self.to_xml())
        return target

    def lint(self) -> list[Finding]:
        """Lint the emitted XML (see :func:`nodemap.authoring.lint.lint`)."""
        from .lint import lint

        return lint(self.to_xml())
