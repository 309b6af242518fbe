"""The SwissKnife/Converter formula language: lexer, parser and compiled evaluator.

Formulas come from XML, so they are never handed to ``eval``: text is tokenised and
parsed here, and evaluation goes through a tree of small Python closures built once
at compile time.

Public surface::

    f = compile_formula("(A + 1) * 2", integer=False, node="MyConverter")
    f.text, f.integer, f.variables           # variables: identifiers as written
    f({"A": 3})                               # -> 8.0 (int in integer mode)
    f.to_text(); f.ast                        # the source text; the parsed tree
    parse("A ? B : -C")                       # -> Ternary(Name('A'), Name('B'), Unary('-', Name('C')))

The tree (attrs, frozen) is small enough for a linter to walk: :class:`Number`
(``value``, ``text``), :class:`Name` (``name``), :class:`Unary` (``op`` is ``"-"`` or
``"~"``, ``operand``), :class:`Binary` (``op``, ``left``, ``right``), :class:`Ternary`
(``cond``, ``then``, ``otherwise``) and :class:`Call` (``name`` upper-case, ``args``).
Every node carries ``pos``, the offset of its token in the text.

Semantics: those of the GenICam reference (GenApi 3.x ``CMathParser`` /
``CInt64MathParser``), measured against the ``genicam`` wheel.  The reference is an
operator-precedence machine with quirks that real formulas meet, and this module
reproduces them by running the reference's own algorithm *symbolically* once at
compile time (stacks of tree nodes instead of numbers), which yields the tree above:

* Precedence, tightest first: variable/number, unary minus directly before a number or
  variable; ``** & | ^ << >> ~`` (one level, left-associative, so ``2**3**2 = 64`` and
  ``2*3&1 = 2``); ``* / %``; ``+ -``; ``= <> < > <= >= && ||`` and ``:``; ``?``.
  ``a?b:c?d:e`` is ``(a?b:c)?d:e``; ``1||0=0`` is ``(1||0)=0``.
* A unary minus or a function name *not* directly followed by a number/variable (resp.
  ``(``) applies to everything up to the end of the enclosing parenthesis:
  ``-(2)+3 = -5``, ``-PI+1 = -(PI+1)``, ``NEG 2+1 = -3``; ``SIN(1)+1`` is the usual.
  ``~`` after an operator of its own level wraps that operation: ``2**~1 = ~(2**1)``.
  A unary minus is only recognised at the start, after ``(``, ``,`` or an operator
  other than ``+``/``-`` (so ``2+-3`` is an error); a unary ``+`` is ignored likewise.
* Eager evaluation: both arms of ``?:`` and both sides of ``&&``/``||`` are computed
  (an error in either raises).  Division or ``%`` by zero raises :class:`FormulaError`
  (in double mode also by any ``|x| < 2.22e-16``).
* Double mode (SwissKnife, Converter): IEEE double arithmetic, C ``pow``/``fmod``/libm
  results (``LN(0) = -inf``, ``SQRT(-1) = nan``); ``& | ^ ~ << >>`` truncate their
  operands to int32 and raise "value too big" outside [-2**31, 2**31-1]; shift counts
  are taken modulo 32; hex literals keep their low 32 bits as a signed int32
  (``0xFFFFFFFF = -1``).  Functions NEG SGN ABS SIN COS TAN ASIN ACOS ATAN EXP LN LG
  SQRT TRUNC FLOOR CEIL ROUND(x[,n]) and constants PI E, case-insensitive, taking
  precedence over variables of the same name.  Numbers: ``12``, ``010`` (decimal),
  ``1.5``, ``1.``, ``1e3``, ``0x1F``; ``.5`` is not a number (the reference reads it as
  an identifier: identifiers are ``[A-Za-z_.][A-Za-z0-9_.]*``, case-sensitive).
* Integer mode (IntSwissKnife, IntConverter): int64 wrap-around arithmetic, ``/`` and
  ``%`` truncate toward zero (C), shift counts modulo 64, ``**`` = truncated
  ``powl`` with out-of-range results giving INT64_MIN, literals saturating at
  INT64_MAX; only NEG and SGN exist, other names (``EXP``, ``PI``, ``E``) are
  variables there.  The reference refuses float literals and float functions here;
  real files use them (``FROM * 4.0``), so we accept them (a float function only when
  directly followed by ``(``), evaluate the whole formula with the double-mode rules,
  round the result half away from zero to int64, and warn once at compile time
  (:class:`FormulaWarning`).

Deliberate divergences (documented in ``tests/test_formula_reference.py``): nesting
deeper than :data:`MAX_DEPTH` (parentheses or tree depth) is refused with a
FormulaError instead of being evaluated; so is a numeric literal longer than
:data:`MAX_LITERAL_CHARS` characters (the reference saturates it; shorter ones saturate
here too); syntax errors are reported at compile time,
where the reference reports them on the first read; ``INT64_MIN / -1`` wraps (the
reference crashes); quoted strings and ``#!`` scripts are not supported.
"""

from __future__ import annotations

import math
import operator
import warnings
from typing import Any, Callable, Mapping, Union

import attrs

from .errors import FormulaError

__all__ = [
    "compile_formula", "parse", "Formula", "FormulaWarning", "MAX_DEPTH", "MAX_LITERAL_CHARS",
    "Node", "Number", "Name", "Unary", "Binary", "Ternary", "Call",
    "FLOAT_FUNCTIONS", "INT_FUNCTIONS", "CONSTANTS",
]

MAX_DEPTH = 200
"""Deepest parenthesis nesting / tree depth accepted (guards the Python stack)."""

MAX_LITERAL_CHARS = 1000
"""Longest numeric literal accepted: any longer is refused with its position (far beyond
int64 and double anyway, and Python cannot convert decimal text of 4300+ digits)."""

_EPS = 2.220446049250313e-16  # DBL_EPSILON: the reference's "division by zero" bound
_I32_MIN, _I32_MAX = -2147483648, 2147483647
_I64_MIN, _I64_MAX = -(1 << 63), (1 << 63) - 1
_B64, _M64 = 1 << 63, (1 << 64) - 1


class FormulaWarning(UserWarning):
    """A formula the reference would refuse but which we evaluate leniently."""


# --------------------------------------------------------------------------- tree

@attrs.frozen(slots=True)
class Number:
    """A literal (or the constants PI/E); ``text`` as written."""
    value: Union[int, float]
    text: str
    pos: int = 0


@attrs.frozen(slots=True)
class Name:
    """A variable reference, exactly as written."""
    name: str
    pos: int = 0


@attrs.frozen(slots=True)
class Unary:
    """``-x`` or ``~x``."""
    op: str
    operand: "Node"
    pos: int = 0


@attrs.frozen(slots=True)
class Binary:
    """``left op right``; ``op`` as written (``**``, ``<>``, ``&&``, ...)."""
    op: str
    left: "Node"
    right: "Node"
    pos: int = 0


@attrs.frozen(slots=True)
class Ternary:
    """``cond ? then : otherwise`` (the reference evaluates all three; see ``_ternary``)."""
    cond: "Node"
    then: "Node"
    otherwise: "Node"
    pos: int = 0


@attrs.frozen(slots=True)
class Call:
    """A function call; ``name`` upper-case."""
    name: str
    args: tuple["Node", ...]
    pos: int = 0


Node = Union[Number, Name, Unary, Binary, Ternary, Call]

FLOAT_FUNCTIONS = frozenset({"NEG", "SGN", "ABS", "SIN", "COS", "TAN", "ASIN", "ACOS",
                             "ATAN", "EXP", "LN", "LG", "SQRT", "TRUNC", "FLOOR", "CEIL",
                             "ROUND"})
INT_FUNCTIONS = frozenset({"NEG", "SGN"})
CONSTANTS = {"PI": math.pi, "E": math.e}

# --------------------------------------------------------------------------- lexer

# Operation types: the reference's own numbering, kept so the algorithm below reads
# like the one it reproduces.  Priorities: higher binds tighter.
_SHL, _SHR, _POW, _NEQ, _GEQ, _LEQ, _LAND, _LOR = range(8)
_OBR, _ADD, _SUB, _MUL, _DIV, _MOD = 10, 11, 12, 13, 14, 15
_XOR, _NOT, _AND, _OR, _EQU, _GT, _LT, _QUEST, _COLON = 17, 18, 19, 20, 21, 22, 23, 24, 25
_CBR, _COMMA, _VAR, _FUNC, _MULTI = 26, 27, 29, 30, 31

_PRIORITY = (5, 5, 5, 2, 2, 2, 2, 2, -2, -2, -1, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 2, 2, 2,
             1, 2, 6, 6, -2, 6, 0, 0)
_NO_VALUE = frozenset({_OBR, _NOT, _CBR, _VAR, _FUNC})  # not followed by an operand slot

_SYMBOLS2 = {"**": _POW, "<<": _SHL, ">>": _SHR, "<>": _NEQ, "<=": _LEQ, ">=": _GEQ,
             "&&": _LAND, "||": _LOR}
_SYMBOLS1 = {"+": _ADD, "-": _SUB, "*": _MUL, "/": _DIV, "%": _MOD, "^": _XOR, "~": _NOT,
             "(": _OBR, ")": _CBR, ",": _COMMA, "&": _AND, "|": _OR, "=": _EQU, ">": _GT,
             "<": _LT, "?": _QUEST, ":": _COLON}
_OP_TEXT = {v: k for k, v in {**_SYMBOLS2, **_SYMBOLS1}.items()}

_DIGITS = frozenset("0123456789")
_HEX = frozenset("0123456789abcdefABCDEF")
_NAME_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_.")
_NAME_CHARS = _NAME_START | _DIGITS
_SPACE = frozenset(" \t\r\n")

# token kinds
_T_NUM, _T_NAME, _T_SYM = 0, 1, 2


#: A token: (kind, value, pos, extra).
Token = tuple[int, Any, int, Any]


def _lex(text: str, integer: bool, err: Callable[..., FormulaError]) -> list[Token]:
    """Tokens ``(kind, value, pos, extra)``; numbers carry (value, is_float_syntax)."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in _SPACE:
            i += 1
            continue
        start = i
        if c in _DIGITS:
            if c == "0" and i + 2 < n + 1 and text[i + 1:i + 2] in ("x", "X") \
                    and i + 2 < n and text[i + 2] in _HEX:
                i += 2
                while i < n and text[i] in _HEX:
                    i += 1
                _check_literal(text, start, i, err)
                raw = int(text[start + 2:i], 16)
                if integer:
                    value: Union[int, float] = min(raw, _I64_MAX)
                else:
                    low = min(raw, _M64) & 0xFFFFFFFF
                    value = float(low - (1 << 32) if low & 0x80000000 else low)
                tokens.append((_T_NUM, value, start, False))
                continue
            i, is_float = _decimal_end(text, i)
            _check_literal(text, start, i, err)
            raw_text = text[start:i]
            if is_float:
                value = float(raw_text)
            elif integer:
                value = min(int(raw_text), _I64_MAX)
            else:
                value = float(int(raw_text)) if len(raw_text) < 300 else float(raw_text)
            tokens.append((_T_NUM, value, start, is_float))
            continue
        if c in _NAME_START:
            while i < n and text[i] in _NAME_CHARS:
                i += 1
            tokens.append((_T_NAME, text[start:i], start, None))
            continue
        two = text[i:i + 2]
        if two in _SYMBOLS2:
            tokens.append((_T_SYM, _SYMBOLS2[two], start, two))
            i += 2
            continue
        if c in _SYMBOLS1:
            tokens.append((_T_SYM, _SYMBOLS1[c], start, c))
            i += 1
            continue
        raise err(f"unexpected character {c!r}", start)
    return tokens


def _check_literal(text: str, start: int, end: int, err: Callable[..., FormulaError]) -> None:
    if end - start > MAX_LITERAL_CHARS:
        raise err(f"numeric literal of {end - start} characters is longer than the "
                  f"{MAX_LITERAL_CHARS} accepted", start)


# --------------------------------------------------------------------------- parser

@attrs.frozen(slots=True)
class _Slot:
    """A variable's operand slot before its dereference (the reference's raw index)."""
    name: str
    pos: int


@attrs.define(slots=True)
class _Op:
    kind: int
    pos: int
    name: str = ""
    prev: int = 0       # multi-argument functions: value-stack mark


def _parse(text: str, integer: bool, node: str,
           int_names: bool | None = None) -> tuple[Node, bool]:
    """Parse; returns (tree, lenient) where lenient marks float syntax in integer mode.

    ``int_names`` (default: ``integer``) resolves names by the integer-mode rules; the
    lenient path parses an integer formula with double arithmetic but those names.
    """
    if int_names is None:
        int_names = integer

    def err(message: str, pos: int | None) -> FormulaError:
        return FormulaError(message, formula=text, position=pos, node=node)

    if not isinstance(text, str):
        raise err(f"formula must be text, not {type(text).__name__}", None)
    tokens = _lex(text, integer, err)
    if not tokens:
        raise err("empty formula", 0)

    functions = INT_FUNCTIONS if int_names else FLOAT_FUNCTIONS
    lenient = False
    # Pass 1: the reference records a program of operations and a list of operands.
    ops: list[_Op] = [_Op(_OBR, 0)]
    values: list[Node | _Slot] = []
    obr_dist = 2
    after_neg = 0          # 1 right after a unary minus (a number/variable closes it)
    fn_flag = False        # a function name was seen (its "(" is then swallowed)
    depth = 0
    for index, (kind, value, pos, extra) in enumerate(tokens):
        obr_dist -= 1
        if kind == _T_NUM:
            if extra and integer:
                lenient = True
            values.append(Number(value, text[pos:pos + _token_len(text, pos, kind)], pos))
            if after_neg == 1:
                ops.append(_Op(_CBR, pos))
                after_neg = 0
            else:
                after_neg -= 1
            continue
        if kind == _T_NAME:
            upper = value.upper()
            # Integer mode knows only NEG and SGN: other names are variables (FLIR
            # files have a variable EXP), except a float function directly followed
            # by "(", which we accept leniently.
            call = upper in functions or (
                upper in FLOAT_FUNCTIONS and index + 1 < len(tokens)
                and tokens[index + 1][0] == _T_SYM and tokens[index + 1][1] == _OBR)
            if upper in CONSTANTS and not int_names:
                values.append(Number(CONSTANTS[upper], value, pos))
                after_neg -= 1
            elif call:
                if upper not in functions:
                    lenient = True
                ops.append(_Op(_MULTI if upper == "ROUND" else _FUNC, pos, upper))
                fn_flag = True
                after_neg -= 1
            else:
                values.append(_Slot(value, pos))
                ops.append(_Op(_VAR, pos, value))
                if after_neg == 1:
                    ops.append(_Op(_CBR, pos))
                after_neg -= 1
            continue
        # symbols
        if value == _CBR:
            depth -= 1
            ops.append(_Op(_CBR, pos))
            after_neg -= 1
        elif value == _COMMA:
            ops.append(_Op(_COMMA, pos))
            obr_dist = 2
            after_neg -= 1
        elif value == _OBR:
            depth += 1
            if depth > MAX_DEPTH:
                raise err(f"parentheses nested deeper than {MAX_DEPTH} levels", pos)
            if not (fn_flag and ops[-1].kind in (_FUNC, _MULTI)):
                ops.append(_Op(_OBR, pos))
            obr_dist = 2
            after_neg -= 1
            fn_flag = False
        elif value == _SUB and obr_dist >= 1:
            ops.append(_Op(_FUNC, pos, "-"))    # the reference's NegOp
            after_neg = 1
        elif value == _ADD and obr_dist >= 1:
            after_neg -= 1                       # unary plus: ignored
        else:
            if value not in (_ADD, _SUB):
                obr_dist = 2
            after_neg -= 1
            ops.append(_Op(value, pos))
    if depth != 0 or _unbalanced(tokens):
        raise err("brackets do not match", _bracket_error_pos(tokens))
    tree = _run(text, ops, values, err)
    return tree, lenient


def _token_len(text: str, pos: int, kind: int) -> int:
    i, n = pos, len(text)
    if text[i:i + 2] in ("0x", "0X") and i + 2 < n and text[i + 2] in _HEX:
        i += 2
        while i < n and text[i] in _HEX:
            i += 1
        return i - pos
    return _decimal_end(text, i)[0] - pos


def _decimal_end(text: str, i: int) -> tuple[int, bool]:
    """End of the decimal literal starting at ``i`` (digits, ``.digits``, exponent),
    and whether it is written as a float."""
    n = len(text)
    is_float = False
    while i < n and text[i] in _DIGITS:
        i += 1
    if i < n and text[i] == ".":
        is_float = True
        i += 1
        while i < n and text[i] in _DIGITS:
            i += 1
    if i < n and text[i] in "eE":
        j = i + 1
        if j < n and text[j] in "+-":
            j += 1
        if j < n and text[j] in _DIGITS:
            is_float = True
            i = j
            while i < n and text[i] in _DIGITS:
                i += 1
    return i, is_float


def _unbalanced(tokens: list[Token]) -> bool:
    level = 0
    for kind, value, _, _ in tokens:
        if kind == _T_SYM:
            if value == _OBR:
                level += 1
            elif value == _CBR:
                level -= 1
                if level < 0:
                    return True
    return level != 0


def _bracket_error_pos(tokens: list[Token]) -> int:
    level, opened = 0, []
    for kind, value, pos, _ in tokens:
        if kind == _T_SYM and value == _OBR:
            opened.append(pos)
        elif kind == _T_SYM and value == _CBR:
            if not opened:
                return pos
            opened.pop()
    return opened[-1] if opened else 0


def _run(text: str, ops: list[_Op], values: list[Node | _Slot],
         err: Callable[..., FormulaError]) -> Node:
    """The reference's evaluation loop, run once over tree nodes instead of numbers."""
    if not values:
        raise err("formula has no operand", ops[1].pos if len(ops) > 1 else 0)
    depth: dict[int, int] = {}

    def make(node: Node, *children: Node) -> Node:
        d = 1 + max((depth.get(id(c), 1) for c in children), default=0)
        if d > MAX_DEPTH:
            raise err(f"formula nested deeper than {MAX_DEPTH} levels", node.pos)
        depth[id(node)] = d
        keep.append(node)
        return node

    keep: list[Node] = []           # keeps ids stable while `depth` refers to them
    op_stack: list[_Op] = [ops[0]]
    val_stack: list[Node | _Slot] = [values[0]]
    vi = 0
    last = len(values) - 1

    def check(operand: Node | _Slot) -> Node:
        if isinstance(operand, _Slot):
            raise err(f"misplaced variable {operand.name!r}: an operator uses it before "
                      "it is read", operand.pos)
        return operand

    def calc() -> None:
        op = op_stack.pop()
        kind = op.kind
        if kind in (_OBR, _QUEST, _COMMA):
            return
        if kind == _MULTI:
            count = len(val_stack) - op.prev
            if count not in (1, 2):
                raise err("invalid parameter count for ROUND (1 or 2 expected)", op.pos)
            args = tuple(check(arg) for arg in val_stack[op.prev:])
            del val_stack[op.prev:]
            val_stack.append(make(Call(op.name, args, op.pos), *args))
            return
        if not val_stack:
            raise err(f"operator {_describe(op)} lacks an operand", op.pos)
        top = val_stack.pop()
        if kind == _VAR:
            # The reference pushes a variable's index and dereferences it here; when
            # its quirks put another operand on top, it reads an arbitrary variable
            # (or fails).  Such formulas are garbage: refuse them.
            if not (isinstance(top, _Slot) and top.name == op.name):
                raise err(f"misplaced variable {op.name!r}: no operator links it to "
                          "the rest of the formula", op.pos)
            val_stack.append(Name(top.name, top.pos))
            return
        right = check(top)
        if kind == _NOT:
            val_stack.append(make(Unary("~", right, op.pos), right))
            return
        if kind == _FUNC:
            if op.name == "-":
                val_stack.append(make(Unary("-", right, op.pos), right))
            else:
                val_stack.append(make(Call(op.name, (right,), op.pos), right))
            return
        if not val_stack:
            raise err(f"operator {_describe(op)} lacks an operand", op.pos)
        left = check(val_stack.pop())
        if kind == _COLON:
            if not op_stack or op_stack[-1].kind != _QUEST:
                raise err("':' without a matching '?'", op.pos)
            op_stack.pop()
            if not val_stack:
                raise err("'?:' lacks its condition", op.pos)
            cond = check(val_stack.pop())
            val_stack.append(make(Ternary(cond, left, right, op.pos), cond, left, right))
            return
        if kind > _COLON or kind in (_OBR, 8, 9, 16):
            raise err(f"unexpected {_describe(op)}", op.pos)
        val_stack.append(make(Binary(_OP_TEXT[kind], left, right, op.pos), left, right))

    def calc_to_obr() -> None:
        op_stack.pop()                          # the ')'
        while op_stack and op_stack[-1].kind not in (_FUNC, _MULTI, _OBR):
            calc()
        if not op_stack:
            raise err("brackets do not match", 0)
        calc()

    for op in ops[1:]:
        closed = False
        if op_stack[-1].kind == _CBR:
            calc_to_obr()
            closed = True
        prio = _PRIORITY[op.kind]
        # After a ')' the reference reduces even before functions and '(' (priority
        # <= 0): "(1)(2)" fails there, "PI % -1 NEG" reads as NEG(PI % -1).
        if (prio > 0 or closed) and op_stack:
            while _PRIORITY[op_stack[-1].kind] >= prio:
                calc()
                if not op_stack:
                    raise err(f"misplaced {_describe(op)}", op.pos)
        if op.kind == _COMMA:
            while op_stack and op_stack[-1].kind not in (_COMMA, _MULTI):
                calc()
            if not op_stack:
                raise err("',' outside a ROUND(x, n) call", op.pos)
        op_stack.append(op)
        if op.kind in _NO_VALUE:
            continue
        if op.kind == _MULTI:
            op.prev = len(val_stack) - 1
            continue
        vi += 1
        if vi > last:
            raise err(f"operator {_describe(op)} lacks an operand", op.pos)
        val_stack.append(values[vi])
    if op_stack[-1].kind == _CBR:
        calc_to_obr()
    while len(op_stack) > 1:
        calc()
    if len(val_stack) != 1 or vi != last:
        extra = values[vi + 1] if vi < last else val_stack[-1]
        raise err("operand without an operator (invalid formula)", extra.pos)
    return check(val_stack[0])


def _describe(op: _Op) -> str:
    if op.kind in (_FUNC, _MULTI):
        return "unary '-'" if op.name == "-" else op.name
    return repr(_OP_TEXT.get(op.kind, "?"))


def parse(text: str, integer: bool = False, node: str = "") -> Node:
    """Parse ``text`` into a tree (see the module docstring); FormulaError if invalid."""
    return _parse(text, integer, node)[0]


# --------------------------------------------------------------------------- evaluation

Values = Mapping[str, Any]
Fn = Callable[[Values], Any]


def _c_pow(x: float, y: float) -> float:
    try:
        return math.pow(x, y)
    except OverflowError:
        if x < 0 and y == math.floor(y) and math.fmod(y, 2.0) != 0:
            return -math.inf
        return math.inf
    except ValueError:
        if x == 0.0:                              # 0 ** negative
            if math.copysign(1.0, x) < 0 and y == math.floor(y) and math.fmod(y, 2.0) != 0:
                return -math.inf
            return math.inf
        return math.nan                           # negative ** fraction


def _c_fmod(x: float, y: float) -> float:
    try:
        return math.fmod(x, y)
    except ValueError:
        return math.nan


def _libm(fn: Callable[[float], float], overflow: float = math.inf) -> Callable[[float], float]:
    def call(x: float) -> float:
        try:
            return fn(x)
        except OverflowError:
            return overflow
        except ValueError:
            return math.nan
    return call


def _c_log(base10: bool) -> Callable[[float], float]:
    log = math.log10 if base10 else math.log

    def call(x: float) -> float:
        if x > 0.0:
            return log(x)
        if x == 0.0:
            return -math.inf
        return math.nan                           # negative or nan
    return call


def _to_double(fn: Callable[[float], Any]) -> Callable[[float], float]:
    def call(x: float) -> float:
        if x != x or x in (math.inf, -math.inf):
            return x
        return float(fn(x))
    return call


def _trunc(x: float) -> float:
    if x != x or x in (math.inf, -math.inf):
        return x
    return float(math.floor(x) if x >= 0.0 else math.ceil(x))


def _sgn(x: float) -> float:
    return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)


_FLOAT_FN: dict[str, Callable[[float], float]] = {
    "NEG": lambda x: -x,
    "SGN": _sgn,
    "ABS": abs,
    "SIN": _libm(math.sin), "COS": _libm(math.cos), "TAN": _libm(math.tan),
    "ASIN": _libm(math.asin), "ACOS": _libm(math.acos), "ATAN": math.atan,
    "EXP": _libm(math.exp), "LN": _c_log(False), "LG": _c_log(True),
    "SQRT": _libm(math.sqrt),
    "TRUNC": _trunc, "FLOOR": _to_double(math.floor), "CEIL": _to_double(math.ceil),
}


def _round(x: float, n: float = 0.0) -> float:
    """The reference's ROUND: scale by 10 ``n`` times, add ±0.5, truncate, scale back."""
    if n != n or not (_I32_MIN <= n <= _I32_MAX):
        sharp = 0                                 # (int) of nan/huge is INT_MIN: no loop
    else:
        sharp = int(n)
    coef = 10.0
    if sharp < 0:
        coef, sharp = 0.1, -sharp
    sharp = min(sharp, 1100)                      # beyond this the result no longer changes
    for _ in range(sharp):
        x *= coef
    x = x + (0.5 if x >= 0 else -0.5)
    x = _trunc(x)
    for _ in range(sharp):
        x /= coef
    return x


class _EvalError(Exception):
    """Internal: carries a message to the Formula wrapper (never escapes this module)."""


def _i32(x: float, what: str) -> int:
    if _I32_MIN <= x <= _I32_MAX:
        return int(x)
    raise _EvalError(f"value {x!r} too big for operation {what!r} (int32 range)")


def _wrap32(x: int) -> int:
    return ((x + 0x80000000) & 0xFFFFFFFF) - 0x80000000


def _bound(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn``: a lambda binding what it uses as default arguments instead of closure
    cells (a call copies every cell of a closure, and a formula's pieces run on every
    evaluation after an invalidation: their own values stay in one tuple each)."""
    return fn


def _float_binary(op: str) -> Callable[[Any, Any], Any]:
    if op == "+":
        return lambda a, b: a + b
    if op == "-":
        return lambda a, b: a - b
    if op == "*":
        return lambda a, b: a * b
    if op == "/":
        def div(a: float, b: float) -> float:
            if -_EPS < b < _EPS:
                raise _EvalError("division by zero")
            return a / b
        return div
    if op == "%":
        def mod(a: float, b: float) -> float:
            if -_EPS < b < _EPS:
                raise _EvalError("modulo by zero")
            return _c_fmod(a, b)
        return mod
    if op == "**":
        return _c_pow
    if op == "&":
        return _bound(lambda a, b, op=op: float(_i32(a, op) & _i32(b, op)))
    if op == "|":
        return _bound(lambda a, b, op=op: float(_i32(a, op) | _i32(b, op)))
    if op == "^":
        return _bound(lambda a, b, op=op: float(_i32(a, op) ^ _i32(b, op)))
    if op == "<<":
        return _bound(lambda a, b, op=op: float(_wrap32(_i32(a, op) << (_i32(b, op) & 31))))
    if op == ">>":
        return _bound(lambda a, b, op=op: float(_i32(a, op) >> (_i32(b, op) & 31)))
    return _compare(op, 1.0, 0.0)


def _compare(op: str, one: Any, zero: Any) -> Callable[[Any, Any], Any]:
    if op == "=":
        return _bound(lambda a, b, one=one, zero=zero: one if a == b else zero)
    if op == "<>":
        return _bound(lambda a, b, one=one, zero=zero: one if a != b else zero)
    if op == "<":
        return _bound(lambda a, b, one=one, zero=zero: one if a < b else zero)
    if op == ">":
        return _bound(lambda a, b, one=one, zero=zero: one if a > b else zero)
    if op == "<=":
        return _bound(lambda a, b, one=one, zero=zero: one if a <= b else zero)
    if op == ">=":
        return _bound(lambda a, b, one=one, zero=zero: one if a >= b else zero)
    if op == "&&":
        return _bound(lambda a, b, one=one, zero=zero: one if (a != 0 and b != 0) else zero)
    if op == "||":
        return _bound(lambda a, b, one=one, zero=zero: one if (a != 0 or b != 0) else zero)
    raise AssertionError(op)  # pragma: no cover


def _w64(x: int) -> int:
    if _I64_MIN <= x <= _I64_MAX:
        return x
    return ((x + _B64) & _M64) - _B64


def _int_pow(a: int, b: int) -> int:
    if b < 0:
        if a == 0:
            return _I64_MIN                      # powl -> inf -> integer indefinite
        if a == 1:
            return 1
        if a == -1:
            return -1 if b & 1 else 1
        return 0
    if a in (0, 1) or b == 0:
        return 1 if b == 0 else a
    if a == -1:
        return -1 if b & 1 else 1
    if b > 64:
        return _I64_MIN
    r = a ** b
    return r if _I64_MIN <= r <= _I64_MAX else _I64_MIN


def _int_div(a: int, b: int) -> int:
    if b == 0:
        raise _EvalError("division by zero")
    q = abs(a) // abs(b)
    return _w64(q if (a < 0) == (b < 0) else -q)


def _int_mod(a: int, b: int) -> int:
    if b == 0:
        raise _EvalError("modulo by zero")
    r = abs(a) % abs(b)
    return -r if a < 0 else r


def _int_binary(op: str) -> Callable[[int, int], int]:
    if op == "+":
        return lambda a, b: _w64(a + b)
    if op == "-":
        return lambda a, b: _w64(a - b)
    if op == "*":
        return lambda a, b: _w64(a * b)
    if op == "/":
        return _int_div
    if op == "%":
        return _int_mod
    if op == "**":
        return _int_pow
    if op == "&":
        return lambda a, b: a & b
    if op == "|":
        return lambda a, b: a | b
    if op == "^":
        return lambda a, b: a ^ b
    if op == "<<":
        return lambda a, b: _w64(a << (b & 63))
    if op == ">>":
        return lambda a, b: a >> (b & 63)
    return _compare(op, 1, 0)


# Compiled pieces are (shape, payload, in_range): shape _K a constant, _V a variable
# key, _F a closure.  Leaves are inlined into their parent's closure (one Python call
# fewer per leaf).  In integer mode, + - * & | ^ << ~ NEG are ring operations modulo
# 2**64, so their results are wrapped to int64 only where an operation needs the true
# value (/ % >> ** comparisons ?: SGN) and at the end: in_range tells whether a
# piece is known to be inside the int64 range already.
_K, _V, _F = 0, 1, 2
_RING = frozenset({"+", "-", "*", "&", "|", "^", "<<"})
_ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul}
_INT_RING = {"+": operator.add, "-": operator.sub, "*": operator.mul, "&": operator.and_,
             "|": operator.or_, "^": operator.xor}
#: (shape, payload, known to be in the int64 range): a constant, a variable name or a function.
Piece = tuple[int, Any, bool]


def _as_fn(piece: Piece, conv: Callable[[Any], Any]) -> Fn:
    shape, payload, _ = piece
    if shape == _K:
        return _bound(lambda v, payload=payload: payload)
    if shape == _V:
        return _bound(lambda v, payload=payload: v[payload])
    fn: Fn = payload
    return fn


def _wrapped(piece: Piece, conv: Callable[[Any], Any]) -> Piece:
    if piece[2]:
        return piece
    f = _as_fn(piece, conv)
    return (_F, lambda v, f=f: r if _I64_MIN <= (r := f(v)) <= _I64_MAX else _w64(r), True)


def _apply2(fn: Callable[[Any, Any], Any], a: Piece, b: Piece,
            conv: Callable[[Any], Any]) -> Fn:
    """``lambda v: fn(a, b)`` with constant and variable operands inlined."""
    (sa, pa, _), (sb, pb, _) = a, b
    if sb == _K:
        if sa == _V:
            return _bound(lambda v, fn=fn, pa=pa, pb=pb: fn(v[pa], pb))
        fa = _as_fn(a, conv)
        return _bound(lambda v, fa=fa, fn=fn, pb=pb: fn(fa(v), pb))
    if sa == _K:
        if sb == _V:
            return _bound(lambda v, fn=fn, pa=pa, pb=pb: fn(pa, v[pb]))
        fb = _as_fn(b, conv)
        return _bound(lambda v, fb=fb, fn=fn, pa=pa: fn(pa, fb(v)))
    if sa == _V and sb == _V:
        return _bound(lambda v, fn=fn, pa=pa, pb=pb: fn(v[pa], v[pb]))
    if sa == _V:
        return _bound(lambda v, fn=fn, pa=pa, pb=pb: fn(v[pa], pb(v)))
    if sb == _V:
        return _bound(lambda v, fn=fn, pa=pa, pb=pb: fn(pa(v), v[pb]))
    return _bound(lambda v, fn=fn, pa=pa, pb=pb: fn(pa(v), pb(v)))


def _apply1(fn: Callable[[Any], Any], a: Piece, conv: Callable[[Any], Any]) -> Fn:
    shape, payload, _ = a
    if shape == _V:
        return _bound(lambda v, fn=fn, payload=payload: fn(v[payload]))
    f = _as_fn(a, conv)
    return _bound(lambda v, f=f, fn=fn: fn(f(v)))


def _fold(piece: Piece, *parts: Piece) -> Piece:
    """Evaluate a piece made only of constants now (unless it raises at run time)."""
    if all(p[0] == _K for p in parts):
        try:
            return (_K, piece[1]({}), piece[2])
        except _EvalError:
            pass
    return piece


def _int64_of(x: Any) -> int:
    """A variable's value in integer mode: an int64.  A float (a Float node's value) is
    rounded half away from zero and refused beyond int64 (infinities too; NaN becomes
    INT64_MIN), as the reference's integer view of a float node does (measured: 2.5 → 3,
    -0.5 → -1, 9.3e18 fails); an integer out of range wraps as int64 arithmetic wraps."""
    if x.__class__ is int and _I64_MIN <= x <= _I64_MAX:
        return x
    if isinstance(x, float):
        if x != x:  # NaN passes the reference's range check: C's conversion gives INT64_MIN
            return _I64_MIN
        if x in (math.inf, -math.inf):
            raise _EvalError(f"variable value {x!r} is out of the range an integer can take")
        number = int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)
        if number == 1 << 63:  # passes the reference's check (made in double): C's INT64_MIN
            return _I64_MIN
        if not _I64_MIN <= number <= _I64_MAX:
            raise _EvalError(f"variable value {x!r} is out of the range an integer can take")
        return number
    return _w64(int(x))


def int64_variable(x: Any, formula: "Formula") -> int:
    """A float variable's value (``x``) read by the integer ``formula``, as the reference
    converts every pVariable of an integer formula when it reads it, used or not
    (:func:`_int64_of`): out of int64 it is the FormulaError the formula raises."""
    try:
        return _int64_of(x)
    except _EvalError as exc:
        raise FormulaError(str(exc), formula=formula.text, node=formula.node) from None


def _piece(tree: Node, integer: bool) -> Piece:
    conv: Callable[[Any], Any] = _int64_of if integer else float
    if isinstance(tree, Number):
        return (_K, tree.value, True)
    if isinstance(tree, Name):
        return (_V, tree.name, True)
    if isinstance(tree, Unary):
        a = _piece(tree.operand, integer)
        if integer:
            fn = operator.neg if tree.op == "-" else operator.invert
            return _fold((_F, _apply1(fn, a, conv), tree.op == "~" and a[2]), a)
        if tree.op == "-":
            return _fold((_F, _apply1(operator.neg, a, conv), True), a)
        return _fold((_F, _apply1(lambda x: float(~_i32(x, "~")), a, conv), True), a)
    if isinstance(tree, Binary):
        members = _equality_set(tree, integer)
        if members is not None:  # (X = 1) || (X = 2) || ...: one set lookup
            name, values = members
            one, zero = (1, 0) if integer else (1.0, 0.0)
            return (_F, lambda v, name=name, one=one, values=values, zero=zero:
                        one if v[name] in values else zero, True)
        a, b = _piece(tree.left, integer), _piece(tree.right, integer)
        op = tree.op
        test = _COMPARE.get(op)
        if test is not None:  # the comparison inlined (one C call, no Python frame)
            if integer:
                a, b = _wrapped(a, conv), _wrapped(b, conv)
            one, zero = (1, 0) if integer else (1.0, 0.0)
            return _fold((_F, _compare_fn(test, a, b, one, zero, conv), True), a, b)
        if not integer:
            binary = _ARITH.get(op) or _float_binary(op)
            return _fold((_F, _apply2(binary, a, b, conv), True), a, b)
        if op in _RING:
            if op == "<<":
                b = _wrapped(b, conv)
                return _fold((_F, _apply2(lambda x, y: x << (y & 63), a, b, conv), False),
                             a, b)
            in_range = op in "&|^" and a[2] and b[2]
            return _fold((_F, _apply2(_INT_RING[op], a, b, conv), in_range), a, b)
        a, b = _wrapped(a, conv), _wrapped(b, conv)
        return _fold((_F, _apply2(_int_binary(op), a, b, conv), True), a, b)
    if isinstance(tree, Ternary):
        return _ternary(tree, integer, conv)
    if isinstance(tree, Call):
        args = [_piece(arg, integer) for arg in tree.args]
        if tree.name == "ROUND":
            if len(args) == 1:
                return _fold((_F, _apply1(_round, args[0], conv), True), *args)
            return _fold((_F, _apply2(_round, args[0], args[1], conv), True), *args)
        if integer:
            if tree.name == "NEG":
                return _fold((_F, _apply1(operator.neg, args[0], conv), False), *args)
            a = _wrapped(args[0], conv)
            return _fold((_F, _apply1(lambda x: (x > 0) - (x < 0), a, conv), True), a)
        return _fold((_F, _apply1(_FLOAT_FN[tree.name], args[0], conv), True), *args)
    raise AssertionError(tree)  # pragma: no cover


_COMPARE = {"=": operator.eq, "<>": operator.ne, "<": operator.lt, ">": operator.gt,
            "<=": operator.le, ">=": operator.ge}


def _compare_fn(test: Callable[[Any, Any], Any], a: Piece, b: Piece, one: Any, zero: Any,
                conv: Callable[[Any], Any]) -> Fn:
    """``lambda v: one if test(a, b) else zero`` with constant and variable operands
    inlined (both operands evaluated, as before: neither is skipped)."""
    (sa, pa, _), (sb, pb, _) = a, b
    if sa == _V and sb == _K:
        return _bound(lambda v, one=one, pa=pa, pb=pb, test=test, zero=zero:
                      one if test(v[pa], pb) else zero)
    if sa == _K and sb == _V:
        return _bound(lambda v, one=one, pa=pa, pb=pb, test=test, zero=zero:
                      one if test(pa, v[pb]) else zero)
    if sa == _V and sb == _V:
        return _bound(lambda v, one=one, pa=pa, pb=pb, test=test, zero=zero:
                      one if test(v[pa], v[pb]) else zero)
    fa, fb = _as_fn(a, conv), _as_fn(b, conv)
    if sb == _K:
        return _bound(lambda v, fa=fa, one=one, pb=pb, test=test, zero=zero:
                      one if test(fa(v), pb) else zero)
    return _bound(lambda v, fa=fa, fb=fb, one=one, test=test, zero=zero:
                  one if test(fa(v), fb(v)) else zero)


def _equality_set(tree: Node, integer: bool) -> tuple[str, frozenset[Any]] | None:
    """For ``(X = k1) || (X = k2) || ...`` (any grouping, at least two tests of one
    variable against literals): the variable and the set of literals.  Such a chain is
    true exactly when the (converted) variable equals one of them, and none of its
    comparisons can raise, so one set lookup gives the same result.  None otherwise
    (a NaN literal, which equals nothing, keeps the comparisons)."""
    if not (isinstance(tree, Binary) and tree.op == "||"):
        return None
    name: str | None = None
    found: set[Any] = set()
    stack: list[Node] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Binary) and node.op == "||":
            stack += (node.left, node.right)
            continue
        if not (isinstance(node, Binary) and node.op == "="):
            return None
        left, right = node.left, node.right
        if isinstance(left, Number) and isinstance(right, Name):
            left, right = right, left
        if not (isinstance(left, Name) and isinstance(right, Number)):
            return None
        if name is None:
            name = left.name
        elif left.name != name:
            return None
        value = right.value
        if integer and value.__class__ is not int:
            return None  # a float literal in an integer formula: keep the general path
        if value != value:
            return None
        found.add(value)
    if name is None or len(found) < 2:
        return None
    return name, frozenset(found)


def _may_raise(tree: Node, integer: bool) -> bool:
    """Whether evaluating ``tree`` (variables already converted) can raise: divisions,
    modulo, float-mode bit operations (int32 range) and functions count as raising."""
    if isinstance(tree, (Number, Name)):
        return False
    if isinstance(tree, Unary):
        return (not integer and tree.op == "~") or _may_raise(tree.operand, integer)
    if isinstance(tree, Binary):
        if tree.op in ("/", "%") or (not integer and tree.op in ("&", "|", "^", "<<", ">>")):
            return True
        return _may_raise(tree.left, integer) or _may_raise(tree.right, integer)
    if isinstance(tree, Ternary):
        return any(_may_raise(t, integer) for t in (tree.cond, tree.then, tree.otherwise))
    return True  # Call: functions are not worth proving safe


def _ternary(tree: Ternary, integer: bool, conv: Callable[[Any], Any]) -> Piece:
    """``cond ? then : otherwise``.  The reference evaluates all three; only a branch
    that can raise (a division by zero ...) makes that visible, so only such branches
    are evaluated eagerly, the others only when chosen: a chain of N ternaries costs its
    position in the chain, not N.  A condition comparing a variable with a constant is
    inlined (one C call)."""
    switch = _switch(tree, integer, conv)
    if switch is not None:
        return switch
    cond = tree.cond
    t, o = _piece(tree.then, integer), _piece(tree.otherwise, integer)
    if integer:
        t, o = _wrapped(t, conv), _wrapped(o, conv)
    ft, fo = _as_fn(t, conv), _as_fn(o, conv)
    if _may_raise(tree.then, integer) or _may_raise(tree.otherwise, integer):
        c = _as_fn(_wrapped(_piece(cond, integer), conv) if integer
                   else _piece(cond, integer), conv)

        def eager(v: Values, c: Fn = c, ft: Fn = ft, fo: Fn = fo) -> Any:
            test, then, otherwise = c(v), ft(v), fo(v)   # eager, like the reference
            return then if test != 0 else otherwise
        return (_F, eager, True)
    members = _equality_set(cond, integer)
    if members is not None:
        name, values = members
        return (_F, lambda v, fo=fo, ft=ft, name=name, values=values:
                    ft(v) if v[name] in values else fo(v), True)
    compare = _COMPARE.get(cond.op) if isinstance(cond, Binary) else None
    if compare is not None and isinstance(cond, Binary):
        left, right = cond.left, cond.right
        if isinstance(left, Name) and isinstance(right, Number):
            name, constant = left.name, right.value
            if t[0] == _K and o[0] == _K:
                kt, ko = t[1], o[1]
                return (_F, lambda v, compare=compare, constant=constant, ko=ko, kt=kt, name=name:
                            kt if compare(v[name], constant) else ko, True)
            if t[0] == _K:
                kt = t[1]
                return (_F, lambda v, compare=compare, constant=constant, fo=fo, kt=kt, name=name:
                            kt if compare(v[name], constant) else fo(v), True)
            return (_F, lambda v, compare=compare, constant=constant, fo=fo, ft=ft, name=name:
                        ft(v) if compare(v[name], constant) else fo(v), True)
        if isinstance(left, Number) and isinstance(right, Name):
            name, constant = right.name, left.value
            return (_F, lambda v, compare=compare, constant=constant, fo=fo, ft=ft, name=name:
                        ft(v) if compare(constant, v[name]) else fo(v), True)
    c = _as_fn(_wrapped(_piece(cond, integer), conv) if integer
               else _piece(cond, integer), conv)
    return (_F, lambda v, c=c, fo=fo, ft=ft: ft(v) if c(v) != 0 else fo(v), True)


def _compile(tree: Node, integer: bool) -> tuple[Fn, Fn]:
    """Turn a tree into nested closures (depth is bounded by MAX_DEPTH): (the evaluator,
    its body).  Every variable is converted once per call (int64 or double) before the
    body runs, so its closures read ``v[name]`` directly; evaluating every occurrence
    eagerly converted each of them anyway, so the same values are refused.  The body
    alone takes values converted already (see :attr:`Formula.body`)."""
    conv: Callable[[Any], Any] = _int64_of if integer else float
    piece = _piece(tree, integer)
    if integer:
        piece = _wrapped(piece, conv)
    inner = _as_fn(piece, conv)
    return _converting(inner, tree, integer), inner


def _converting(inner: Fn, tree: Node, integer: bool) -> Fn:
    """``inner`` behind the conversion of every variable of ``tree`` (int64 or double)."""
    names = tuple(sorted(_names(tree)))
    if not names:
        return inner
    if not integer:
        if len(names) == 1:
            (only,) = names
            return _bound(lambda v, inner=inner, only=only: inner({only: float(v[only])}))

        def floats(v: Values, inner: Fn = inner, names: tuple[str, ...] = names) -> Any:
            converted = {}
            for name in names:
                converted[name] = float(v[name])
            return inner(converted)
        return floats

    def int64s(v: Values, inner: Fn = inner, names: tuple[str, ...] = names) -> Any:
        converted = {}
        for name in names:
            x = v[name]
            # _int64_of's first test, inlined: most variables are int64 already
            converted[name] = x if x.__class__ is int and _I64_MIN <= x <= _I64_MAX \
                else _int64_of(x)
        return inner(converted)
    return int64s


#: the most literals a lookup table is built for (vendor multiplexers: a few dozen)
MAX_TABLE = 256


def _tests_only(tree: Node, name: str, literals: set[Any]) -> bool:
    """Whether ``tree`` is a test of variable ``name`` against integer literals only
    (``=``, ``<>``, ``||``, ``&&`` of such), collecting the literals."""
    if isinstance(tree, Binary):
        if tree.op in ("||", "&&"):
            return _tests_only(tree.left, name, literals) and \
                _tests_only(tree.right, name, literals)
        if tree.op in ("=", "<>"):
            left, right = tree.left, tree.right
            if isinstance(left, Number) and isinstance(right, Name):
                left, right = right, left
            if isinstance(left, Name) and left.name == name and \
                    isinstance(right, Number) and right.value == right.value:  # not NaN
                literals.add(right.value)
                return True
    return False


def _test(tree: Node, value: Any) -> bool:
    """A test of :func:`_tests_only` for the variable equal to ``value`` (None: equal to
    none of the literals)."""
    assert isinstance(tree, Binary)
    if tree.op == "||":
        return _test(tree.left, value) or _test(tree.right, value)
    if tree.op == "&&":
        return _test(tree.left, value) and _test(tree.right, value)
    side = tree.right if isinstance(tree.right, Number) else tree.left
    assert isinstance(side, Number)
    literal = side.value
    equal = value is not None and value == literal
    return equal if tree.op == "=" else not equal


def _tested_name(tree: Node) -> str | None:
    """The variable a test (``S = 1``, ``(S = 1) || ...``) compares, if it is one."""
    while isinstance(tree, Binary) and tree.op in ("||", "&&"):
        tree = tree.left
    if isinstance(tree, Binary) and tree.op in ("=", "<>"):
        for side in (tree.left, tree.right):
            if isinstance(side, Name):
                return side.name
    return None


def _switch_shape(tree: Node, name: str, literals: set[Any], integer: bool) -> bool:
    """Whether ``tree`` is ternaries whose conditions test ``name`` against literals
    (collected), down to branches that cannot raise."""
    if isinstance(tree, Ternary) and _tests_only(tree.cond, name, set()):
        _tests_only(tree.cond, name, literals)
        return _switch_shape(tree.then, name, literals, integer) and \
            _switch_shape(tree.otherwise, name, literals, integer)
    return not _may_raise(tree, integer)


def _switch(tree: Ternary, integer: bool, conv: Callable[[Any], Any]) -> Piece | None:
    """A chain of ternaries choosing by the value of one variable compared with
    literals (Basler's selector multiplexers, ``(S = 0) ? A : ((S = 1) ? B : C)``,
    with ``||`` groups) as one table lookup: literal → the branch it reaches, and one
    branch for every other value (every ``=`` false, every ``<>`` true).  Only when no
    branch can raise: the reference evaluates every branch, which is visible only when
    one raises.  None for any other ternary."""
    name = _tested_name(tree.cond)
    literals: set[Any] = set()
    if name is None or not _switch_shape(tree, name, literals, integer) or \
            not 2 <= len(literals) <= MAX_TABLE:
        return None
    entries: dict[int, tuple[bool, Any]] = {}

    def entry(value: Any) -> tuple[bool, Any]:
        node: Node = tree
        while isinstance(node, Ternary) and _tests_only(node.cond, name, set()):
            node = node.then if _test(node.cond, value) else node.otherwise
        found = entries.get(id(node))
        if found is None:
            piece = _piece(node, integer)
            if integer:
                piece = _wrapped(piece, conv)
            found = entries[id(node)] = (True, piece[1]) if piece[0] == _K else \
                (False, _as_fn(piece, conv))
        return found

    table = {literal: entry(literal) for literal in literals}
    other = entry(None)
    def switch(v: Values, get: Callable[[Any, Any], Any] = table.get, name: str = name,
               other: Any = other) -> Any:
        constant, branch = get(v[name], other)
        return branch if constant else branch(v)
    return (_F, switch, True)


def _chooser(tree: Node, name: str, literals: set[Any]) -> bool:
    """Whether ``tree`` chooses a constant by tests of ``name`` only: a constant (a tree
    without variables: ``5``, ``-7``), or ``test ? chooser : chooser`` (a selector's
    multiplexer of addresses)."""
    if not _names(tree):
        return True
    if isinstance(tree, Ternary):
        return _tests_only(tree.cond, name, literals) and \
            _chooser(tree.then, name, literals) and _chooser(tree.otherwise, name, literals)
    return False


def _lookup_table(tree: Node, body: Fn) -> tuple[dict[int, Any], Any] | None:
    """For an integer formula of one variable that only chooses a literal by comparing
    the variable with literals (``(S = 0) ? 0x40 : ((S = 1) ? 0x44 : 0)``, nested and
    with ``||`` chains, as vendors write multiplexers): the table literal → result, and
    the result for every other value.  Exact: for a value outside the literals every
    test is false, so all such values take one path; each entry is what ``body``
    gives.  None for any other formula (or one whose evaluation raises)."""
    names = _names(tree)
    if len(names) != 1 or not isinstance(tree, Ternary):
        return None
    (name,) = names
    literals: set[int] = set()
    if not _chooser(tree, name, literals) or len(literals) > MAX_TABLE:
        return None
    if any(k.__class__ is not int or not _I64_MIN <= k <= _I64_MAX for k in literals):
        return None
    other = next(k for k in (max(literals) + 1, min(literals) - 1, 0) if k not in literals)
    if not _I64_MIN <= other <= _I64_MAX:
        return None
    try:
        table = {k: body({name: k}) for k in literals}
        default = body({name: other})
    except Exception:
        return None
    return table, default


def _names(tree: Node) -> frozenset[str]:
    found: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Name):
            found.add(node.name)
        elif isinstance(node, Unary):
            stack.append(node.operand)
        elif isinstance(node, Binary):
            stack += (node.left, node.right)
        elif isinstance(node, Ternary):
            stack += (node.cond, node.then, node.otherwise)
        elif isinstance(node, Call):
            stack += node.args
    return frozenset(found)


def _round_to_int64(x: float) -> int:
    if x != x or x in (math.inf, -math.inf):
        raise _EvalError(f"result {x!r} is not a finite number")
    r = math.floor(abs(x) + 0.5)
    r = r if x >= 0 else -r
    return max(_I64_MIN, min(_I64_MAX, r))


@attrs.frozen(slots=True)
class Formula:
    """A compiled formula; call it with a mapping of variable values."""

    text: str
    integer: bool
    variables: frozenset[str]
    ast: Any = attrs.field(repr=False, eq=False)
    node: str = ""
    lenient: bool = False
    _fn: Callable[[Values], int | float] = attrs.field(repr=False, eq=False, alias="fn",
                                                       default=None)
    #: the evaluator without the conversion of the variables: called with every variable
    #: already an int64 (integer mode: an ``int`` in range) or a ``float`` (double mode),
    #: it gives what calling the formula gives, and raises what the formula would raise
    #: only as a Python exception (not a FormulaError: call the formula again for that).
    #: None for a lenient integer formula (evaluated in double, then rounded).
    body: Callable[[Values], int | float] | None = attrs.field(repr=False, eq=False,
                                                               default=None)
    #: for an integer formula of one variable that only chooses a literal by testing the
    #: variable against literals: (table literal → result, result for any other int64)
    #: — what :attr:`body` gives, looked up (see ``_lookup_table``); else None
    table: tuple[dict[int, Any], Any] | None = attrs.field(repr=False, eq=False,
                                                          default=None)
    #: the parser's error for a formula it refuses (:func:`deferred_formula`): calling
    #: the formula raises it; None for a formula that parsed
    refused: FormulaError | None = attrs.field(repr=False, eq=False, default=None)
    #: the reference refuses it before reading the variables (see deferred_formula)
    refused_early: bool = attrs.field(repr=False, eq=False, default=False)

    def __call__(self, values: Values) -> Union[int, float]:
        try:
            return self._fn(values)
        except _EvalError as exc:
            raise FormulaError(str(exc), formula=self.text, node=self.node) from None
        except KeyError as exc:
            raise FormulaError(f"no value for variable {exc.args[0]!r}", formula=self.text,
                               node=self.node) from None
        except (TypeError, ValueError, OverflowError) as exc:
            raise FormulaError(f"cannot evaluate: {exc}", formula=self.text,
                               node=self.node) from None

    def to_text(self) -> str:
        """The formula text as given."""
        return self.text


def deferred_formula(text: str, integer: bool = False, node: str = "") -> Formula:
    """:func:`compile_formula`, except that a formula the parser refuses gives a Formula
    that raises that FormulaError each time it is evaluated (:attr:`Formula.refused`).

    The reference builds a formula node whatever its text says and reports the error
    when a value is asked for: the node keeps a kind, an access mode and bounds that do
    not need the formula.  It refuses in two stages, and which one matters when a
    variable cannot be read: a character it does not know, brackets that do not match
    or an empty text fail before the variables are read ("Failed to parse formula",
    :attr:`Formula.refused_early`); an operator without its operands or a ``:`` without
    its ``?`` fail after ("Failed to evaluate formula").  :attr:`Formula.variables`
    holds the names the text uses, so the node can tell a name it does not define
    (also refused before the variables are read)."""
    try:
        return compile_formula(text, integer=integer, node=node)
    except FormulaError as exc:
        error = exc

    def err(message: str, pos: int | None) -> FormulaError:
        return FormulaError(message, formula=text, position=pos, node=node)

    try:
        tokens = _lex(text, integer, err)
    except FormulaError:
        tokens, early = [], True
    else:
        early = not tokens and not text or _unbalanced(tokens)
    functions = INT_FUNCTIONS if integer else FLOAT_FUNCTIONS
    names = frozenset(value for kind, value, _, _ in tokens if kind == _T_NAME
                      and value.upper() not in functions
                      and (integer or value.upper() not in CONSTANTS))

    def refuse(_values: Values) -> int | float:
        raise error.with_context(str(error))

    return Formula(text=text, integer=integer, variables=names, ast=None, node=node,
                   fn=refuse, refused=error, refused_early=early)


def compile_formula(text: str, integer: bool = False, node: str = "") -> Formula:
    """Parse ``text`` once and build its evaluator; FormulaError on a syntax error."""
    tree, lenient = _parse(text, integer, node)
    if lenient:
        warnings.warn(FormulaWarning(
            f"node {node!r}: integer formula {text!r} uses float literals or float "
            f"functions, which the GenICam reference refuses; evaluating it in double and "
            f"rounding the result half away from zero"), stacklevel=2)
        tree_f, _ = _parse(text, False, node, int_names=True)
        inner, _ = _compile(tree_f, False)

        def rounded(v: Values) -> int:
            return _round_to_int64(inner(v))
        fn: Callable[[Values], int | float] = rounded
        body = None
        tree = tree_f
    else:
        fn, body = _compile(tree, integer)
    table = _lookup_table(tree, body) if integer and body is not None else None
    return Formula(text=text, integer=integer, variables=_names(tree), ast=tree,
                   node=node, lenient=lenient, fn=fn, body=body, table=table)
