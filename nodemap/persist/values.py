"""Feature values as text, in the two feature-set formats (pure functions, no device).

nodemap's own format (``nmfs``): Integer decimal (``0x`` hex accepted when reading),
Float in Python ``repr`` form (exact round trip), Boolean ``true``/``false``,
Enumeration the entry's symbolic name, String a JSON string, Register hex bytes.

The GenApi feature-file format (``pfs``, what GenApi's ``CFeatureBag`` and pylon write):
the text GenApi's ``IValue::ToString`` gives — Boolean ``1``/``0``, Integer decimal,
Float in the node's DisplayNotation/DisplayPrecision (``2500``, ``0.123457``: GenApi
verifies a loaded file by comparing these texts, so an exact ``2500.0`` would fail its
check), Integer by its Representation (``0xabcdef``, ``192.168.1.2``,
``00:00:00:00:12:34``), Enumeration the symbolic name, String the raw text (an empty
string is the token ``GENICAM_EMPTY_STRING``, as GenApi 3.5 stores it), Register ``0x`` +
hex bytes.  (Each of these texts was checked against the GenApi 3.5 reference.)
A pfs value cannot hold a line break: such a String is not saved in that format.

Every function raises ``ValueError`` for a text that cannot mean a value of the kind;
callers turn that into a :class:`~nodemap.errors.FeatureSetError` with the line number.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

__all__ = ["format_value", "parse_value", "format_pfs_value", "parse_pfs_value", "same",
           "lone_surrogate", "GENICAM_EMPTY_STRING"]

GENICAM_EMPTY_STRING = "GENICAM_EMPTY_STRING"
_DIGITS = {2: "01", 10: "0123456789", 16: "0123456789abcdefABCDEF"}
_SURROGATE = re.compile("[\ud800-\udfff]")


def lone_surrogate(text: str) -> str | None:
    """The first lone surrogate in ``text`` (not Unicode text: cannot be UTF-8), or None."""
    match = _SURROGATE.search(text)
    return match.group() if match else None


def _check_text(value: str) -> str:
    bad = lone_surrogate(value)
    if bad is not None:
        raise ValueError(f"the text holds a lone surrogate (U+{ord(bad):04X}), which is not "
                         f"Unicode text and cannot be written as UTF-8")
    return value


def format_value(kind: str, value: Any) -> str:
    """The nmfs text of ``value`` for a feature of ``kind``."""
    if kind == "Boolean":
        return "true" if value else "false"
    if kind == "Float":
        return repr(float(value))
    if kind == "Integer":
        return str(int(value))
    if kind == "String":
        return json.dumps(_check_text(str(value)), ensure_ascii=False)
    if kind == "Register" or isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    return _check_text(str(value))


def _integer(text: str) -> int:
    t = text.strip()
    sign = 1
    if t and t[0] in "+-":
        sign, t = (-1 if t[0] == "-" else 1), t[1:]
    lowered = t.lower()
    if lowered.startswith("0x"):
        digits, base = t[2:], 16
    elif lowered.startswith("0b"):
        digits, base = t[2:], 2
    else:
        digits, base = t, 10
    allowed = _DIGITS[base]
    if not digits or any(c not in allowed for c in digits):
        raise ValueError(f"{text.strip()!r} is not an integer (decimal, or 0x hex)")
    if len(digits) > 40:
        raise ValueError(f"{text.strip()[:20]!r}… is far too long for an integer")
    return sign * int(digits, base)


def _float(text: str) -> float:
    t = text.strip()
    try:
        value = float(t)
    except ValueError:
        raise ValueError(f"{t!r} is not a number") from None
    if math.isnan(value):
        raise ValueError(f"{t!r} is not a number (NaN)")
    return value


def _boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise ValueError(f"{text.strip()!r} is not true or false")


def _register(text: str) -> bytes:
    t = text.strip()
    t = t[2:] if t[:2].lower() == "0x" else t
    try:
        return bytes.fromhex(t)
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not hex bytes") from None


def parse_value(kind: str, text: str) -> Any:
    """The value an nmfs ``text`` means for a feature of ``kind``."""
    text = text.strip()
    if kind == "Boolean":
        return _boolean(text)
    if kind == "Integer":
        return _integer(text)
    if kind == "Float":
        return _float(text)
    if kind == "String":
        if text.startswith('"'):
            try:
                value, end = json.JSONDecoder().raw_decode(text)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{text!r} is not a complete JSON string ({exc.msg} at "
                                 f"column {exc.colno})") from None
            if not isinstance(value, str) or text[end:].strip():
                raise ValueError(f"{text!r} is not one JSON string")
            return _check_text(value)
        return _check_text(text)
    if kind == "Register":
        return _register(text)
    if not text:
        raise ValueError("the value is empty")
    return _check_text(text)  # Enumeration: the symbolic name


def _genapi_float(value: float, notation: str, precision: int) -> str:
    """A float as GenApi's ``IFloat::ToString`` writes it (C++ stream formatting with the
    node's DisplayNotation and DisplayPrecision)."""
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if notation == "Fixed":
        return f"{value:.{precision}f}"
    if notation == "Scientific":
        return f"{value:.{precision}e}"
    return f"{value:.{max(precision, 1)}g}"


def format_pfs_value(kind: str, value: Any, *, representation: str = "",
                     notation: str = "Automatic", precision: int = 6) -> str:
    """The GenApi feature-file text of ``value``: what GenApi's ``ToString`` gives, so that
    GenApi's own verification (a text comparison) accepts it.  Floats follow the node's
    DisplayNotation/DisplayPrecision (``2500`` not ``2500.0``; lossy beyond the
    precision, like every GenApi feature file); integers follow their Representation
    (``0xabcdef``, ``192.168.1.2``, ``00:11:22:33:44:55``).  ValueError if the format
    cannot hold the value."""
    if kind == "Boolean":
        return "1" if value else "0"
    if kind == "Float":
        return _genapi_float(float(value), notation, precision)
    if kind == "Integer":
        number = int(value)
        if representation == "HexNumber" and number >= 0:
            return f"0x{number:x}"
        if representation == "IPV4Address" and 0 <= number < 1 << 32:
            return ".".join(str((number >> shift) & 0xFF) for shift in (24, 16, 8, 0))
        if representation == "MACAddress" and 0 <= number < 1 << 48:
            return ":".join(f"{(number >> shift) & 0xFF:02x}" for shift in range(40, -8, -8))
        return str(number)
    if kind == "Register" or isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    text = _check_text(str(value))
    if "\n" in text or "\r" in text:
        raise ValueError("the text holds a line break, which the GenApi feature-file format "
                         "cannot hold (save in the nodemap format instead)")
    if kind == "String" and text == "":
        return GENICAM_EMPTY_STRING
    if kind == "String" and text == GENICAM_EMPTY_STRING:
        raise ValueError(f"the text is the format's own token for an empty string "
                         f"({GENICAM_EMPTY_STRING}), which the GenApi feature-file format "
                         f"cannot tell apart (save in the nodemap format instead)")
    return text


_IPV4 = re.compile(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})")
_MAC = re.compile(r"([0-9a-fA-F]{2})(?::([0-9a-fA-F]{2})){5}")


def parse_pfs_value(kind: str, text: str) -> Any:
    """The value a GenApi feature-file ``text`` means for a feature of ``kind``."""
    if kind == "String":
        raw = text.rstrip("\r\n")
        return "" if raw == GENICAM_EMPTY_STRING else _check_text(raw)
    if kind == "Register":
        return _register(text)
    if kind == "Integer":
        t = text.strip()
        ipv4 = _IPV4.fullmatch(t)
        if ipv4 and all(int(part) < 256 for part in ipv4.groups()):
            return int.from_bytes(bytes(int(part) for part in ipv4.groups()), "big")
        if _MAC.fullmatch(t):
            return int(t.replace(":", ""), 16)
    return parse_value(kind, text)


def same(kind: str, expected: Any, actual: Any) -> bool:
    """Whether a value read back equals the one in the file (floats: to 1e-6 relative)."""
    if kind == "Float":
        return math.isclose(float(expected), float(actual), rel_tol=1e-6, abs_tol=1e-9)
    if kind == "String":
        return str(expected).rstrip("\0") == str(actual).rstrip("\0")
    return bool(expected == actual)
