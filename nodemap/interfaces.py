"""The GenApi interfaces as typing protocols, and the checks that hand a node out as one.

GenApi sorts every node into an interface: IInteger, IFloat, IBoolean, IEnumeration,
IString, ICommand, IRegister, ICategory.  A node's ``kind`` names its interface (an
``IntReg`` and an ``IntSwissKnife`` are both ``"Integer"``), whatever class implements
it.  The protocols below say what each interface offers; :data:`INTERFACES` maps each kind
to its protocol, and the ``as_*`` functions return a node typed as an interface — or
raise an :class:`~nodemap.errors.AccessError` that says which kind the feature is and which
kinds have what was asked (``Flag is a Boolean: a Boolean has no bounds ...``).

:class:`~nodemap.features.Feature` dispatches through these functions: what a feature
offers follows from its interface, never from which methods its node class happens to
have.  The protocols are ``runtime_checkable`` for tests and diagnostics; the dispatch
itself compares kinds (a set lookup), so it costs nothing on a hot path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, Union, cast, runtime_checkable

from .errors import AccessError

__all__ = ["INode", "IInteger", "IFloat", "IBoolean", "IEnumeration", "IString", "ICommand",
           "IRegister", "IRegisterSpan", "ICategory", "INTERFACES", "REGISTER_TYPES",
           "interface_of", "as_numeric", "as_enumeration", "as_string", "as_command",
           "as_category", "as_register_span"]


@runtime_checkable
class INode(Protocol):
    """What every node offers: its name, its kind (interface) and access mode, and the
    descriptive texts."""

    name: str
    kind: str

    def access(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def tooltip(self) -> str: ...

    @property
    def display_name(self) -> str: ...

    @property
    def visibility(self) -> str: ...


@runtime_checkable
class IInteger(INode, Protocol):
    """An integer value with bounds and an increment."""

    def get(self) -> int: ...

    def set(self, value: int) -> None: ...

    def get_min(self) -> int: ...

    def get_max(self) -> int: ...

    def get_inc(self) -> int: ...

    @property
    def unit(self) -> str: ...

    @property
    def representation(self) -> str: ...


@runtime_checkable
class IFloat(INode, Protocol):
    """A floating-point value with bounds; the increment is None where there is none."""

    def get(self) -> float: ...

    def set(self, value: float) -> None: ...

    def get_min(self) -> float: ...

    def get_max(self) -> float: ...

    def get_inc(self) -> float | None: ...

    @property
    def unit(self) -> str: ...

    @property
    def representation(self) -> str: ...

    @property
    def display_notation(self) -> str: ...

    @property
    def display_precision(self) -> int: ...


@runtime_checkable
class IBoolean(INode, Protocol):
    """True or False; no bounds."""

    def get(self) -> bool: ...

    def set(self, value: bool) -> None: ...


@runtime_checkable
class IEnumeration(INode, Protocol):
    """A symbolic value out of named entries, each with an integer behind it."""

    def get(self) -> str: ...

    def set(self, value: Any) -> None: ...   # a symbolic name (or its integer)

    def get_int(self) -> int: ...

    def entries(self) -> list[str]: ...


@runtime_checkable
class IString(INode, Protocol):
    """A text value of at most ``get_max_length()`` bytes."""

    def get(self) -> str: ...

    def set(self, value: str) -> None: ...

    def get_max_length(self) -> int: ...


@runtime_checkable
class ICommand(INode, Protocol):
    """Something to execute, and whether it has finished."""

    def execute(self) -> None: ...

    def is_done(self) -> bool: ...


@runtime_checkable
class IRegisterSpan(Protocol):
    """Where a register-backed node's bytes are: any node made from a register element
    (``IntReg``, ``FloatReg``, ``StringReg``, ``StructEntry`` ... as well as ``Register``)."""

    def get_address(self) -> int: ...

    def length(self) -> int: ...


@runtime_checkable
class IRegister(INode, IRegisterSpan, Protocol):
    """A block of bytes at an address: the value is the bytes themselves."""

    def get(self) -> bytes: ...

    def set(self, value: bytes) -> None: ...


@runtime_checkable
class ICategory(INode, Protocol):
    """A group of features."""

    def features(self) -> list[str]: ...


#: Each kind (``node.kind``, ``Feature.kind``) → the protocol of its interface.
INTERFACES: dict[str, type] = {
    "Integer": IInteger, "Float": IFloat, "Boolean": IBoolean, "Enumeration": IEnumeration,
    "String": IString, "Command": ICommand, "Register": IRegister, "Category": ICategory,
}

#: The element types whose nodes are register-backed (:class:`IRegisterSpan`).
REGISTER_TYPES = frozenset(("Register", "IntReg", "MaskedIntReg", "FloatReg", "StringReg",
                            "StructEntry"))

_NUMERIC = ("Integer", "Float")


def interface_of(node: INode) -> type | None:
    """The protocol of ``node``'s interface (None: a Port, an EnumEntry, an unknown type)."""
    return INTERFACES.get(node.kind)


def _refuse(node: INode, feature: str, what: str, kinds: tuple[str, ...]) -> AccessError:
    kind = node.kind
    return AccessError(f"{feature} is {_article(kind)} {kind}: {_article(kind)} {kind} has no "
                       f"{what} ({' and '.join(kinds)} features have)", feature=feature)


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def as_numeric(node: INode, feature: str) -> Union[IInteger, IFloat]:
    """``node`` as an Integer or Float (the kinds with bounds); AccessError otherwise."""
    if node.kind in _NUMERIC:
        return cast(Union[IInteger, IFloat], node)
    raise _refuse(node, feature, "bounds", _NUMERIC)


def as_enumeration(node: INode, feature: str, what: str = "entries") -> IEnumeration:
    """``node`` as an Enumeration; AccessError naming ``what`` was asked otherwise."""
    if node.kind == "Enumeration":
        return cast(IEnumeration, node)
    raise _refuse(node, feature, what, ("Enumeration",))


def as_string(node: INode, feature: str) -> IString:
    """``node`` as a String (for its maximum length); AccessError otherwise."""
    if node.kind == "String":
        return cast(IString, node)
    raise _refuse(node, feature, "maximum length", ("String",))


def as_command(node: INode, feature: str, what: str = "execute") -> ICommand:
    """``node`` as a Command; AccessError naming ``what`` was asked otherwise."""
    if node.kind == "Command":
        return cast(ICommand, node)
    raise _refuse(node, feature, what, ("Command",))


def as_category(node: INode, feature: str) -> ICategory:
    """``node`` as a Category (for the features it groups); AccessError otherwise."""
    if node.kind == "Category":
        return cast(ICategory, node)
    raise _refuse(node, feature, "features", ("Category",))


def as_register_span(node: INode, feature: str, what: str = "address") -> IRegisterSpan:
    """``node`` as register-backed (its address and length); AccessError otherwise."""
    if node.kind == "Register" or _element_type(node) in REGISTER_TYPES:
        return cast(IRegisterSpan, node)
    raise _refuse(node, feature, what, ("Register", "register-backed"))


def _element_type(node: object) -> str:
    element = getattr(node, "element", None)
    tag = getattr(element, "tag", None)
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


if TYPE_CHECKING:
    # mypy checks here that the node classes implement the interfaces of their kinds.
    from .nodes import formulas, registers, values

    def _conformance(integer: values.Integer, int_reg: registers.IntReg,
                     masked: registers.MaskedIntReg, int_knife: formulas.IntSwissKnife,
                     int_converter: formulas.IntConverter, float_: values.Float,
                     float_reg: registers.FloatReg, knife: formulas.SwissKnife,
                     converter: formulas.Converter, boolean: values.Boolean,
                     enumeration: values.Enumeration, string: values.String,
                     string_reg: registers.StringReg, command: values.Command,
                     register: registers.RawRegister, category: values.Category) -> None:
        integers: list[IInteger] = [integer, int_reg, masked, int_knife, int_converter]
        floats: list[IFloat] = [float_, float_reg, knife, converter]
        booleans: list[IBoolean] = [boolean]
        enumerations: list[IEnumeration] = [enumeration]
        strings: list[IString] = [string, string_reg]
        commands: list[ICommand] = [command]
        registers_: list[IRegister] = [register]
        categories: list[ICategory] = [category]
        spans: list[IRegisterSpan] = [int_reg, masked, float_reg, string_reg, register]
        del integers, floats, booleans, enumerations, strings, commands, registers_
        del categories, spans
