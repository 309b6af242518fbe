"""Hypothesis strategies drawing whole GenApi node maps (:func:`node_maps`).

A map is drawn node by node; a node only points at nodes drawn before it (no cycles),
except ``pSelected`` lists and Category ``pFeature`` lists, which are metadata.  What is
drawn (each choice shrinks toward the simplest form):

* registers — ``IntReg``, ``MaskedIntReg`` (``Bit`` or ``LSB``/``MSB``), ``FloatReg``,
  ``StringReg``, ``Register``, nameless ``StructReg`` with ``StructEntry`` fields — of
  length 1/2/4/8 (FloatReg 4/8), signed or not, little or big endian, RW/RO/WO, at a
  literal ``Address`` plus optionally an inline named ``<IntSwissKnife>`` address term
  (a nested node: the reference registers it as ``_<Register>_<Name>``, or under its own
  name inside a StructReg/StringReg) and/or a ``pIndex`` with an ``Offset``;
* value nodes — ``Integer`` (literal, ``pValue`` — an integer or a float node —, or
  ``pIndex`` with ``ValueIndexed`` / ``pValueIndexed`` and a default; literal bounds or
  bounds and ``pInc`` pointing at integer or float nodes, ``Inc``), ``Float`` (bounds
  possibly through a Converter), ``Boolean``, ``Command``, ``Enumeration`` (entries with
  their own ``pIsImplemented``/``pIsAvailable``, sometimes two sharing a value),
  ``String``;
* formulas — ``IntSwissKnife``, ``SwissKnife``, ``Converter`` and ``IntConverter`` with
  every ``Slope`` (Increasing, Decreasing, Varying, Automatic), now and then with a
  formula the parser refuses;
* access chains — ``pIsImplemented``/``pIsAvailable``/``pIsLocked`` on writable 0/1 flag
  integers (the scenario writes them), ``ImposedAccessMode``, ``AccessMode``;
* selectors — an Integer or an Enumeration whose ``pSelected`` lists the nodes indexed
  by it;
* ``Category`` nodes (Root and sub-categories), the ``Device`` port and sometimes an
  unconnected second port (a chunk port or not);
* the memory (zero or pseudo-random pattern, seeded) plus preset register bytes, and a
  scenario of writes (values in and out of range, flags toggled, commands executed).
"""

from __future__ import annotations

from typing import Any, Callable

from hypothesis import strategies as st

from .model import Child, MapSpec, NodeSpec

__all__ = ["node_maps", "REGISTER_BASE", "REGISTER_STRIDE"]

REGISTER_BASE = 0x1000
REGISTER_STRIDE = 0x20

#: Formula pairs (FormulaTo, FormulaFrom, true slope); K is a pVariable.
_CONVERSIONS = [
    ("FROM*2", "TO/2", "Increasing"),
    ("FROM+K", "TO-K", "Increasing"),
    ("100-FROM", "100-TO", "Decreasing"),
    ("FROM*K", "TO/K", "Varying"),
    ("FROM", "TO", "Increasing"),
    ("FROM*FROM", "TO*TO", "Varying"),
]
_INT_FORMULAS = ["A+B", "A*4", "A-B", "(A>B)?A:B", "A/2", "A%3", "A<<2", "A&0xFF", "A*B", "0-A"]
_FLOAT_FORMULAS = ["A+B", "A*0.5", "A/4", "SQRT(ABS(A))", "A-B*2", "(A<B)?A:B", "ROUND(A*1.5)"]
#: formulas the reference's parser refuses: before reading the variables (an unknown
#: name, brackets, a character it does not know, empty) or after (a missing operand, a
#: ':' without '?', '? -(' which both parsers refuse); the node is still built
_REFUSED_FORMULAS = ["A ? -(B) : A", "(A+B", "A+B)", "A +* B", "A ? B", "A : B", "Q + A",
                     "A # B", ""]


def _literal(value: float) -> str:
    """A double the reference's XML parser accepts (it refuses subnormal numbers)."""
    return "0.0" if abs(value) < 1e-300 else repr(value)



#: What a Float or Converter is written: finite doubles, and now and then NaN (which
#: passes the reference's range checks: stored as is, or as INT64_MIN in an integer)
_FLOAT_WRITES = st.one_of(st.floats(-2e4, 2e4, allow_nan=False, allow_subnormal=False),
                          st.just(float("nan")))
_CONVERTER_WRITES = st.one_of(st.floats(-50, 50, allow_nan=False, allow_subnormal=False),
                              st.just(float("nan")))

class _Builder:
    """Mutable drawing state for one map."""

    def __init__(self, draw: Callable[[Any], Any]) -> None:
        self.draw = draw
        self.nodes: list[NodeSpec] = []
        self.registers = 0
        self.ints: list[str] = []          # integer-valued nodes
        self.writable_ints: list[str] = []  # of those, what the scenario may write
        self.floats: list[str] = []
        self.enums: list[str] = []         # Enumerations (a Float or a Converter may point at one)
        self.strings: list[str] = []
        self.flags: list[str] = []         # writable 0/1 Integers
        self.small: list[str] = []         # Integers bounded 0..3 (indices)
        self.selected: dict[str, list[str]] = {}  # selector → nodes it selects
        self.writes: list[tuple[str, Any]] = []
        self.features: list[str] = []
        self.enum_symbols: dict[str, list[str]] = {}
        self.presets: list[tuple[int, bytes]] = []
        self.counter = 0
        self.pending_selected: str | None = None

    def name(self, kind: str) -> str:
        self.counter += 1
        return f"{kind}{self.counter}"

    # -- shared pieces -------------------------------------------------------------
    def common(self, *, value_node: bool = True) -> list[Child]:
        draw, out = self.draw, []
        if draw(st.booleans()):
            out.append(Child("Visibility", draw(st.sampled_from(
                ["Beginner", "Expert", "Guru", "Invisible"]))))
        if self.flags:
            for element in ("pIsImplemented", "pIsAvailable", "pIsLocked"):
                if draw(st.integers(0, 4)) == 0:
                    # mostly a 0/1 flag; sometimes any integer node, which may itself be
                    # NI, NA or WO (the reference's precedence for unreadable conditions)
                    pool = self.flags if draw(st.integers(0, 3)) else self.ints
                    out.append(Child(element, draw(st.sampled_from(pool))))
        if value_node and draw(st.integers(0, 3)) == 0:
            out.append(Child("ImposedAccessMode", draw(st.sampled_from(["RO", "WO", "RW"]))))
        return out

    def address(self) -> tuple[list[Child], int]:
        """Address children of a register and its base address."""
        draw = self.draw
        base = REGISTER_BASE + REGISTER_STRIDE * self.registers
        self.registers += 1
        out = [Child("Address", hex(base))]
        if self.small and draw(st.integers(0, 3)) == 0:
            variable = draw(st.sampled_from(self.small))
            term = NodeSpec("IntSwissKnife", self.name("Off"), (
                Child("pVariable", variable, (("Name", "V"),)),
                Child("Formula", draw(st.sampled_from(["V*8", "V*4+2", "0"])))))
            out.append(Child("IntSwissKnife", term))
        if self.small and draw(st.integers(0, 3)) == 0:
            selector = draw(st.sampled_from(self.small))
            out.append(Child("pIndex", selector, (("Offset", str(draw(st.sampled_from([1, 4, 8])))),)))
            self.pending_selected = selector
        return out, base

    def register_tail(self, access: str) -> list[Child]:
        return [Child("AccessMode", access), Child("pPort", "Device")]

    def preset(self, address: int, length: int) -> None:
        if self.draw(st.booleans()):
            self.presets.append((address, self.draw(st.binary(min_size=length, max_size=length))))

    def select(self, name: str) -> None:
        selector = getattr(self, "pending_selected", None)
        if selector is not None:
            self.selected.setdefault(selector, []).append(name)
            self.pending_selected = None

    def add(self, node: NodeSpec, feature: bool = True) -> None:
        self.nodes.append(node)
        if feature and node.name:
            self.features.append(node.name)

    # -- registers -----------------------------------------------------------------
    def int_reg(self) -> None:
        draw = self.draw
        name = self.name("IntReg")
        self.pending_selected = None
        address, base = self.address()
        length = draw(st.sampled_from([1, 2, 4, 8]))
        access = draw(st.sampled_from(["RW", "RO", "WO"]))
        children = self.common() + address + [Child("Length", str(length))] + \
            self.register_tail(access) + [
                Child("Sign", draw(st.sampled_from(["Unsigned", "Signed"]))),
                Child("Endianess", draw(st.sampled_from(["LittleEndian", "BigEndian"])))]
        if draw(st.booleans()):
            children.append(Child("Representation", draw(st.sampled_from(
                ["Linear", "HexNumber", "PureNumber"]))))
        if draw(st.booleans()):
            children.append(Child("Unit", "px"))
        self.add(NodeSpec("IntReg", name, tuple(children)))
        self.select(name)
        self.preset(base, length)
        self.ints.append(name)
        if access != "RO":
            self.writable_ints.append(name)
            self.writes.append((name, draw(st.integers(-(1 << 63), (1 << 63) - 1)
                                           | st.integers(-2, 300))))

    def masked_int_reg(self) -> None:
        draw = self.draw
        name = self.name("Masked")
        self.pending_selected = None
        address, base = self.address()
        length = draw(st.sampled_from([1, 2, 4, 8]))
        width = 8 * length
        endian = draw(st.sampled_from(["LittleEndian", "BigEndian"]))
        bits: list[Child]
        if draw(st.booleans()):
            bits = [Child("Bit", str(draw(st.integers(0, width - 1))))]
        else:
            a, b = sorted(draw(st.lists(st.integers(0, width - 1), min_size=2, max_size=2)))
            lsb, msb = (a, b) if endian == "LittleEndian" else (b, a)
            bits = [Child("LSB", str(lsb)), Child("MSB", str(msb))]
        access = draw(st.sampled_from(["RW", "RO", "WO"]))
        children = self.common() + address + [Child("Length", str(length))] + \
            self.register_tail(access) + bits + [
                Child("Sign", draw(st.sampled_from(["Unsigned", "Signed"]))),
                Child("Endianess", endian)]
        self.add(NodeSpec("MaskedIntReg", name, tuple(children)))
        self.select(name)
        self.preset(base, length)
        self.ints.append(name)
        if access != "RO":
            self.writable_ints.append(name)
            self.writes.append((name, draw(st.integers(-300, 300))))

    def float_reg(self) -> None:
        draw = self.draw
        name = self.name("FloatReg")
        self.pending_selected = None
        address, base = self.address()
        length = draw(st.sampled_from([4, 8]))
        access = draw(st.sampled_from(["RW", "RO"]))
        children = self.common() + address + [Child("Length", str(length))] + \
            self.register_tail(access) + [
                Child("Endianess", draw(st.sampled_from(["LittleEndian", "BigEndian"])))]
        if draw(st.booleans()):
            children.append(Child("Unit", "s"))
        self.add(NodeSpec("FloatReg", name, tuple(children)))
        self.select(name)
        self.preset(base, length)
        self.floats.append(name)
        if access == "RW":
            self.writes.append((name, draw(st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False))))

    def string_reg(self) -> None:
        draw = self.draw
        name = self.name("StringReg")
        self.pending_selected = None
        address, base = self.address()
        length = draw(st.integers(2, 16))
        access = draw(st.sampled_from(["RW", "RO"]))
        children = self.common() + address + [Child("Length", str(length))] + \
            self.register_tail(access)
        self.add(NodeSpec("StringReg", name, tuple(children)))
        self.select(name)
        if draw(st.booleans()):
            text = draw(st.text("abcXYZ019 ", max_size=length - 1)).encode()
            self.presets.append((base, text.ljust(length, b"\0")))
        self.strings.append(name)
        if access == "RW":
            self.writes.append((name, draw(st.text("abc01", max_size=length + 2))))

    def raw_register(self) -> None:
        draw = self.draw
        name = self.name("Raw")
        self.pending_selected = None
        address, base = self.address()
        length = draw(st.sampled_from([1, 2, 4, 8]))
        children = self.common() + address + [Child("Length", str(length))] + \
            self.register_tail(draw(st.sampled_from(["RW", "RO"])))
        self.add(NodeSpec("Register", name, tuple(children)))
        self.select(name)
        self.preset(base, length)

    def struct_reg(self) -> None:
        draw = self.draw
        self.pending_selected = None
        address, base = self.address()
        length = draw(st.sampled_from([1, 2, 4, 8]))
        endian = draw(st.sampled_from(["LittleEndian", "BigEndian"]))
        entries = []
        for _ in range(draw(st.integers(1, 3))):
            name = self.name("Field")
            a, b = sorted(draw(st.lists(st.integers(0, 8 * length - 1), min_size=2, max_size=2)))
            lsb, msb = (a, b) if endian == "LittleEndian" else (b, a)
            bits = [Child("Bit", str(a))] if draw(st.booleans()) else \
                [Child("LSB", str(lsb)), Child("MSB", str(msb))]
            own = []
            if draw(st.integers(0, 3)) == 0:
                own.append(Child("AccessMode", draw(st.sampled_from(["RO", "RW"]))))
            if draw(st.booleans()):
                own.append(Child("Sign", draw(st.sampled_from(["Unsigned", "Signed"]))))
            entries.append(NodeSpec("StructEntry", name, tuple(self.common(value_node=False) + bits + own)))
            self.features.append(name)
            self.ints.append(name)
            self.writable_ints.append(name)
            self.writes.append((name, draw(st.integers(-3, 20))))
        children = address + [Child("Length", str(length)), Child("AccessMode", "RW"),
                              Child("pPort", "Device"), Child("Endianess", endian)] + \
            [Child("StructEntry", entry) for entry in entries]
        self.nodes.append(NodeSpec("StructReg", None, tuple(children), (("Comment", "s"),)))
        for entry in entries:
            self.select(entry.name or "")
        self.preset(base, length)

    # -- value nodes -----------------------------------------------------------------
    def flag(self) -> None:
        name = self.name("Flag")
        value = self.draw(st.sampled_from(["0", "1"]))
        self.add(NodeSpec("Integer", name, (Child("Value", value), Child("Min", "0"),
                                            Child("Max", "1"))))
        self.flags.append(name)
        self.ints.append(name)
        self.writes.append((name, 1 - int(value)))

    def index(self) -> None:
        draw = self.draw
        name = self.name("Sel")
        self.add(NodeSpec("Integer", name, (
            Child("Value", str(draw(st.integers(0, 3)))), Child("Min", "0"), Child("Max", "3"))))
        self.small.append(name)
        self.ints.append(name)
        self.selected[name] = []
        self.writes.append((name, draw(st.integers(-1, 4))))

    def enum_selector(self) -> None:
        draw = self.draw
        name = self.name("EnumSel")
        entries = tuple(Child("EnumEntry", NodeSpec("EnumEntry", f"E{i}", (
            Child("Value", str(i)),))) for i in range(draw(st.integers(1, 4))))
        self.add(NodeSpec("Enumeration", name, entries + (Child("Value", "0"),)))
        self.small.append(name)
        self.selected[name] = []
        self.enum_symbols[name] = [f"E{i}" for i in range(len(entries))]

    def integer(self) -> None:
        draw = self.draw
        name = self.name("Int")
        children = self.common()
        mode = draw(st.sampled_from(["literal", "pointer", "indexed", "float"])) if self.ints \
            else "literal"
        if mode == "float" and not self.floats:
            mode = "pointer"
        if mode == "literal":
            children.append(Child("Value", str(draw(st.integers(-1000, 1000)))))
        elif mode == "pointer":
            children.append(Child("pValue", draw(st.sampled_from(self.ints))))
        elif mode == "float":  # read rounded half away, refused beyond int64; inc 1 if none
            children.append(Child("pValue", draw(st.sampled_from(self.floats))))
        else:
            if not self.small:
                self.index()
            selector = draw(st.sampled_from(self.small))
            children.append(Child("pIndex", selector))
            for i in range(draw(st.integers(1, 3))):
                if draw(st.booleans()):
                    children.append(Child("ValueIndexed", str(draw(st.integers(-50, 50))),
                                          (("Index", str(i)),)))
                else:
                    children.append(Child("pValueIndexed", draw(st.sampled_from(self.ints)),
                                          (("Index", str(i)),)))
            children.append(Child("ValueDefault", str(draw(st.integers(-9, 9)))))
            self.selected.setdefault(selector, []).append(name)
        bound = draw(st.sampled_from(["none", "literal", "pointer"]))
        if bound == "literal":
            lo = draw(st.integers(-2000, 1000))
            children += [Child("Min", str(lo)), Child("Max", str(lo + draw(st.integers(0, 3000))))]
        elif bound == "pointer" and self.ints:
            # a float bound is rounded half away from zero (refused beyond int64)
            pool = self.ints + self.floats
            children += [Child("pMin", draw(st.sampled_from(pool))),
                         Child("pMax", draw(st.sampled_from(pool)))]
        increment = draw(st.sampled_from(["none", "literal", "pointer"]))
        if increment == "literal":
            children.append(Child("Inc", str(draw(st.integers(1, 4)))))
        elif increment == "pointer" and self.ints:
            children.append(Child("pInc", draw(st.sampled_from(self.ints + self.floats))))
        if draw(st.booleans()):
            children.append(Child("Representation", draw(st.sampled_from(
                ["Linear", "Logarithmic", "HexNumber", "PureNumber", "IPV4Address"]))))
        if draw(st.booleans()):
            children.append(Child("Unit", "mm"))
        self.add(NodeSpec("Integer", name, tuple(children)))
        self.ints.append(name)
        self.writes.append((name, draw(st.integers(-3000, 3000))))

    def float_node(self) -> None:
        draw = self.draw
        name = self.name("Float")
        children = self.common()
        source = draw(st.sampled_from(["float", "integer", "enumeration", "literal"]))
        if source == "float" and self.floats:
            children.append(Child("pValue", draw(st.sampled_from(self.floats))))
        elif source == "integer" and self.ints:
            # an integer pValue: a written double is rounded (NaN: INT64_MIN) and snapped
            children.append(Child("pValue", draw(st.sampled_from(self.ints))))
        elif source == "enumeration" and self.enums:
            # read as the entry's NumericValue; a written double picks the nearest entry
            children.append(Child("pValue", draw(st.sampled_from(self.enums))))
        else:
            children.append(Child("Value", _literal(draw(st.floats(-1e3, 1e3, allow_nan=False,
                                                                  allow_subnormal=False)))))
        bound = draw(st.sampled_from(["none", "literal", "pointer"]))
        if bound == "literal":
            lo = draw(st.floats(-1e4, 1e3, allow_nan=False, allow_subnormal=False))
            high = lo + draw(st.floats(0, 1e4, allow_subnormal=False))
            children += [Child("Min", _literal(lo)), Child("Max", _literal(high))]
        elif bound == "pointer" and self.floats:
            children += [Child("pMin", draw(st.sampled_from(self.floats))),
                         Child("pMax", draw(st.sampled_from(self.floats)))]
        if draw(st.booleans()):
            children.append(Child("Unit", "dB"))
        if draw(st.booleans()):
            children.append(Child("Representation", draw(st.sampled_from(
                ["Linear", "Logarithmic", "PureNumber"]))))
        self.add(NodeSpec("Float", name, tuple(children)))
        self.floats.append(name)
        self.writes.append((name, draw(_FLOAT_WRITES)))

    def boolean(self) -> None:
        draw = self.draw
        if not self.writable_ints:
            return self.int_reg()
        name = self.name("Bool")
        children = self.common() + [Child("pValue", draw(st.sampled_from(self.writable_ints)))]
        if draw(st.booleans()):
            on, off = draw(st.sampled_from([("1", "0"), ("5", "2"), ("0", "1")]))
            children += [Child("OnValue", on), Child("OffValue", off)]
        self.add(NodeSpec("Boolean", name, tuple(children)))
        self.writes.append((name, draw(st.booleans())))

    def command(self) -> None:
        draw = self.draw
        if not self.writable_ints:
            return self.int_reg()
        name = self.name("Cmd")
        children = self.common() + [Child("pValue", draw(st.sampled_from(self.writable_ints))),
                                    Child("CommandValue", str(draw(st.integers(0, 9))))]
        self.add(NodeSpec("Command", name, tuple(children)))
        self.writes.append((name, None))

    def enumeration(self) -> None:
        draw = self.draw
        name = self.name("Enum")
        entries = []
        symbols = []
        values = draw(st.lists(st.integers(0, 9), min_size=1, max_size=4, unique=True))
        if draw(st.integers(0, 3)) == 0:  # entries sharing a value: the last one names it
            values.append(draw(st.sampled_from(values)))
        for i, value in enumerate(values):
            own = self.common(value_node=False) if draw(st.booleans()) else []
            numeric = ([Child("NumericValue", _literal(draw(st.floats(-20, 20, allow_nan=False,
                                                                    allow_subnormal=False))))]
                       if draw(st.integers(0, 3)) == 0 else [])
            entries.append(Child("EnumEntry", NodeSpec("EnumEntry", f"S{i}", (
                *own, Child("Value", str(value)), *numeric))))
            symbols.append(f"S{i}")
        children = self.common() + entries
        if self.writable_ints and draw(st.integers(0, 3)):
            children.append(Child("pValue", draw(st.sampled_from(self.writable_ints))))
        else:
            children.append(Child("Value", str(draw(st.sampled_from(values + [99])))))
        self.add(NodeSpec("Enumeration", name, tuple(children)))
        self.enums.append(name)
        self.enum_symbols[name] = symbols
        self.writes.append((name, draw(st.sampled_from(symbols + ["Nope"]))))

    def string(self) -> None:
        draw = self.draw
        name = self.name("Str")
        children = self.common()
        if self.strings and draw(st.booleans()):
            children.append(Child("pValue", draw(st.sampled_from(self.strings))))
        else:
            children.append(Child("Value", draw(st.text("abc", max_size=5))))
        self.add(NodeSpec("String", name, tuple(children)))
        self.writes.append((name, draw(st.text("xyz", max_size=6))))

    # -- formulas -----------------------------------------------------------------------
    def swiss_knife(self, integer: bool) -> None:
        draw = self.draw
        pool = self.ints if integer else self.ints + self.floats
        if not pool:
            return self.integer()
        name = self.name("ISK" if integer else "SK")
        children = self.common(value_node=False) + [
            Child("pVariable", draw(st.sampled_from(pool)), (("Name", "A"),)),
            Child("pVariable", draw(st.sampled_from(pool)), (("Name", "B"),)),
            Child("Formula", draw(st.sampled_from(_REFUSED_FORMULAS)) if draw(st.integers(0, 7)) == 0
                  else draw(st.sampled_from(_INT_FORMULAS if integer else _FLOAT_FORMULAS)))]
        self.add(NodeSpec("IntSwissKnife" if integer else "SwissKnife", name, tuple(children)))
        (self.ints if integer else self.floats).append(name)

    def converter(self, integer: bool) -> None:
        draw = self.draw
        targets = self.writable_ints if integer else self.writable_ints + self.floats + self.enums
        if not targets or not self.ints:
            return self.integer()
        name = self.name("IConv" if integer else "Conv")
        to, frm, _ = draw(st.sampled_from(_CONVERSIONS))
        if draw(st.integers(0, 9)) == 0:  # one formula the parser refuses
            refused = draw(st.sampled_from(_REFUSED_FORMULAS)).replace("A", "TO" if draw(
                st.booleans()) else "FROM").replace("B", "K")
            to, frm = (refused, frm) if "FROM" in refused else (to, refused)
        children = self.common() + [
            Child("pVariable", draw(st.sampled_from(self.ints)), (("Name", "K"),)),
            Child("FormulaTo", to), Child("FormulaFrom", frm),
            Child("pValue", draw(st.sampled_from(targets)))]
        # Slope absent only on Converters: the reference reports min = max = 0 for an
        # IntConverter without <Slope> (a defect pinned in tests/reference/test_rules.py).
        slopes = ["Increasing", "Decreasing", "Varying", "Automatic"] + ([] if integer else [None])
        slope = draw(st.sampled_from(slopes))
        if slope is not None:
            children.append(Child("Slope", slope))
        self.add(NodeSpec("IntConverter" if integer else "Converter", name, tuple(children)))
        (self.ints if integer else self.floats).append(name)
        self.writes.append((name, draw(st.integers(-50, 50)) if integer
                            else draw(_CONVERTER_WRITES)))

    def float_via_converter(self) -> None:
        """A Float whose pMax goes through a Converter (issue 13, class 5)."""
        self.converter(False)
        if self.floats:
            name = self.name("FloatConvMax")
            self.add(NodeSpec("Float", name, (Child("Value", "1.0"), Child("Min", "-1000000.0"),
                                              Child("pMax", self.floats[-1]))))
            self.floats.append(name)


_STEPS = ["int_reg", "masked_int_reg", "float_reg", "string_reg", "raw_register", "struct_reg",
          "flag", "index", "enum_selector", "integer", "float_node", "boolean", "command",
          "enumeration", "string", "isk", "sk", "conv", "iconv", "float_via_converter"]


@st.composite
def node_maps(draw: Callable[[Any], Any], max_nodes: int = 14) -> MapSpec:
    """A whole description with its memory and write scenario (see the module docstring)."""
    b = _Builder(draw)
    for _ in range(draw(st.integers(3, max_nodes))):
        step = draw(st.sampled_from(_STEPS))
        if step == "isk":
            b.swiss_knife(True)
        elif step == "sk":
            b.swiss_knife(False)
        elif step == "conv":
            b.converter(False)
        elif step == "iconv":
            b.converter(True)
        else:
            getattr(b, step)()
    # selectors name what they select
    nodes = []
    for node in b.nodes:
        chosen = b.selected.get(node.name or "")
        if chosen:
            node = NodeSpec(node.tag, node.name, node.children + tuple(
                Child("pSelected", target) for target in dict.fromkeys(chosen)), node.attributes)
        nodes.append(node)
    # categories: Root holds a sub-category and the rest
    features = list(dict.fromkeys(b.features))
    split = draw(st.integers(0, len(features)))
    sub = tuple(Child("pFeature", f) for f in features[:split])
    root = tuple(Child("pFeature", f) for f in features[split:])
    categories = [NodeSpec("Category", "Root", (Child("pFeature", "Sub"),) + root),
                  NodeSpec("Category", "Sub", (*b.common(value_node=False), *sub))]
    ports = [NodeSpec("Port", "Device", ())]
    extra_port = draw(st.sampled_from([None, "plain", "chunk"]))
    if extra_port == "plain":
        ports.append(NodeSpec("Port", "Other", ()))
    elif extra_port == "chunk":
        ports.append(NodeSpec("Port", "Chunks", (Child("ChunkID", "1234"),)))
    writes = draw(st.lists(st.sampled_from(b.writes), max_size=8)) if b.writes else []
    selectors = tuple(name for name, chosen in b.selected.items() if chosen or name in b.enum_symbols)
    return MapSpec(nodes=tuple(categories + nodes + ports),
                   profile=draw(st.sampled_from(["zero", "pattern"])),
                   seed=draw(st.integers(0, 2**16)),
                   presets=tuple(b.presets), writes=tuple(writes), selectors=selectors)
