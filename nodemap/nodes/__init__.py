"""Node families, one module each; ``NODE_CLASSES`` maps an XML tag to its class."""

from __future__ import annotations

from .base import Node
from .formulas import Converter, IntConverter, IntSwissKnife, SwissKnife
from .registers import FloatReg, IntReg, MaskedIntReg, RawRegister, StringReg
from .values import (Boolean, Category, Command, EnumEntry, Enumeration, Float, Integer,
                     PortNode, String, UnknownNode)

__all__ = ["NODE_CLASSES", "Node", "UnknownNode"]

NODE_CLASSES: dict[str, type[Node]] = {
    "Category": Category,
    "Integer": Integer,
    "Float": Float,
    "Boolean": Boolean,
    "Command": Command,
    "Enumeration": Enumeration,
    "EnumEntry": EnumEntry,
    "String": String,
    "Register": RawRegister,
    "IntReg": IntReg,
    "MaskedIntReg": MaskedIntReg,
    "StructEntry": MaskedIntReg,
    "FloatReg": FloatReg,
    "StringReg": StringReg,
    "SwissKnife": SwissKnife,
    "IntSwissKnife": IntSwissKnife,
    "Converter": Converter,
    "IntConverter": IntConverter,
    "Port": PortNode,
}
