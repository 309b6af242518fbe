"""Errors carry their facts as fields: ``feature``, ``address``, ``status`` (None where
unknown), so code adds context from the fields, never by reading the message."""

from __future__ import annotations

import pickle

import pytest

from nodemap import errors
from nodemap.errors import (AccessError, DeviceError, FeatureSetError, FormulaError,
                            NodeMapError, PortError, RangeError, TimeoutError, XmlError)
from nodemap.formula import compile_formula
from nodemap.loader import parse_document

ALL = [NodeMapError, AccessError, RangeError, PortError, TimeoutError, DeviceError,
       errors.ProtocolError, errors.UnsupportedError, errors.ParameterError]


@pytest.mark.parametrize("cls", ALL)
def test_fields_default_to_none_and_are_set_by_keyword(cls: type[NodeMapError]) -> None:
    bare = cls("plain message")
    assert (bare.feature, bare.address, bare.status) == (None, None, None)
    assert str(bare) == "plain message"
    full = cls("Width: refused", feature="Width", address=0xA000, status=0x8006)
    assert (full.feature, full.address, full.status) == ("Width", 0xA000, 0x8006)
    assert str(full) == "Width: refused"        # fields do not change the words


@pytest.mark.parametrize("cls", ALL)
def test_with_context_keeps_class_and_fields_and_fills_only_the_unknown(
        cls: type[NodeMapError]) -> None:
    inner = cls("device answered ACCESS_DENIED", address=0x10, status=6)
    outer = inner.with_context("Gain: write at 0x10 failed: device answered ACCESS_DENIED",
                               feature="Gain", address=0x99, status=1)
    assert type(outer) is cls and outer is not inner
    assert str(outer).startswith("Gain: write at 0x10 failed")
    # Known fields win over the context's; unknown ones are filled in.
    assert (outer.feature, outer.address, outer.status) == ("Gain", 0x10, 6)
    assert inner.feature is None and str(inner) == "device answered ACCESS_DENIED"


def test_locate_fills_in_place_and_returns_the_same_error() -> None:
    err = DeviceError("camera 1 answered error 41", status=0x41)
    assert err.locate(feature="Gain", address=0x20) is err
    assert (err.feature, err.address, err.status) == ("Gain", 0x20, 0x41)
    err.locate(feature="Other", address=0x30, status=2)            # already known: kept
    assert (err.feature, err.address, err.status) == ("Gain", 0x20, 0x41)
    assert str(err) == "camera 1 answered error 41"


def test_timeout_error_is_still_a_builtin_timeout_with_fields() -> None:
    err = TimeoutError("no answer", address=0x0D04)
    assert isinstance(err, builtins_timeout()) and err.address == 0x0D04
    again = err.with_context("SCPS0: no answer")
    assert isinstance(again, builtins_timeout()) and again.address == 0x0D04


def builtins_timeout() -> type[BaseException]:
    import builtins
    return builtins.TimeoutError


def test_fields_survive_pickling() -> None:
    err = DeviceError("refused", feature="Width", address=4, status=0x8006)
    back = pickle.loads(pickle.dumps(err))
    assert (type(back), str(back), back.feature, back.address, back.status) == \
        (DeviceError, "refused", "Width", 4, 0x8006)


def test_formula_error_names_its_node_as_the_feature() -> None:
    with pytest.raises(FormulaError) as info:
        compile_formula("A + * B", node="GainConverter")
    assert info.value.feature == "GainConverter" and info.value.node == "GainConverter"
    assert info.value.formula == "A + * B" and info.value.position is not None
    assert "'GainConverter'" in str(info.value)
    formula = compile_formula("A / B", node="Ratio")
    with pytest.raises(FormulaError) as info:
        formula({"A": 1.0})                        # no value for B
    assert info.value.feature == "Ratio"


def test_xml_errors_carry_the_line() -> None:
    with pytest.raises(XmlError) as info:
        parse_document(b'<?xml version="1.0"?>\n<RegisterDescription>\n<Integer Name="X">\n'
                       b'</RegisterDescription>')
    assert info.value.line == 4 and "(line 4)" in str(info.value)
    assert info.value.feature is None
    named = XmlError("Width: <pValue> names no node", line=7, feature="Width")
    assert (named.feature, named.line) == ("Width", 7)


def test_feature_set_error_keeps_its_problems_through_context() -> None:
    err = FeatureSetError("2 lines cannot be read", problems=((3, "bad"), (5, "worse")))
    again = err.with_context("settings.nmfs: 2 lines cannot be read")
    assert again.problems == ((3, "bad"), (5, "worse")) and again.line == 3


# ---------------------------------------------------------------- through a node map

def test_range_errors_name_the_feature_in_a_field() -> None:
    from tests.core.xmlkit import int_reg, load

    nm, _ = load('<Integer Name="Width"><pValue>WidthReg</pValue><Min>16</Min><Max>64</Max>'
                 '<Inc>4</Inc></Integer>' + int_reg("WidthReg", 0x10)
                 + '<Enumeration Name="Mode"><EnumEntry Name="A"><Value>0</Value></EnumEntry>'
                   '<pValue>WidthReg</pValue></Enumeration>')
    for name, value in (("Width", 65), ("Width", 17), ("Mode", "B")):
        with pytest.raises(RangeError) as info:
            nm.features[name].value = value
        assert info.value.feature == name and name in str(info.value)


def test_xml_errors_of_a_node_name_it_and_its_line() -> None:
    import nodemap
    from tests.core.xmlkit import description

    nm = nodemap.NodeMap.from_xml(description(
        '<Integer Name="Broken">\n<pValue>Nowhere</pValue></Integer>'))
    with pytest.raises(XmlError) as info:
        nm.features["Broken"].value
    assert info.value.feature == "Broken" and info.value.line is not None
    assert "Nowhere" in str(info.value)


def test_access_errors_name_the_feature_in_a_field() -> None:
    from tests.core.xmlkit import int_reg, load

    nm, _ = load(int_reg("Ro", 0x10, access="RO"))
    with pytest.raises(AccessError) as info:
        nm.features["Ro"].value = 1
    assert info.value.feature == "Ro" and info.value.status is None


def test_read_errors_name_the_feature_in_a_field() -> None:
    from tests.core.xmlkit import int_reg, load

    nm, _ = load(int_reg("Wo", 0x10, access="WO"))
    with pytest.raises(AccessError) as info:
        nm.features["Wo"].value
    assert info.value.feature == "Wo" and "write-only" in str(info.value)
