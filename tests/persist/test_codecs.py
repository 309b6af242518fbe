"""The two text formats without a device: values, names and whole files round-trip."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings, strategies as st

from nodemap import persist
from nodemap.errors import FeatureSetError
from nodemap.persist import nmfs, pfs
from nodemap.persist.model import Entry

_text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=40)
_values = {
    "Integer": st.integers(-(2 ** 63), 2 ** 64),
    "Float": st.floats(allow_nan=False),
    "Boolean": st.booleans(),
    "String": _text,
    "Register": st.binary(max_size=16),
    "Enumeration": st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True),
}


@settings(max_examples=200)
@given(data=st.data(), kind=st.sampled_from(sorted(_values)))
def test_nmfs_values_round_trip(data, kind):
    value = data.draw(_values[kind])
    assert persist.parse_value(kind, persist.format_value(kind, value)) == value


@settings(max_examples=200)
@given(data=st.data(), kind=st.sampled_from(sorted(_values)))
def test_pfs_values_round_trip(data, kind):
    value = data.draw(_values[kind])
    try:
        text = persist.format_pfs_value(kind, value)
    except ValueError as exc:
        assert kind in ("String", "Enumeration") and "line break" in str(exc)
        assert "\n" in value or "\r" in value
        return
    assert "\n" not in text and "\r" not in text
    back = persist.parse_pfs_value(kind, text)
    if kind == "Float":  # GenApi's text: 6 significant digits by default
        assert back == value or math.isclose(back, value, rel_tol=1e-5)
    else:
        assert back == value


@pytest.mark.parametrize("kind, value, style, text", [
    # each text is what the GenApi 3.5 reference's StoreToBag produced for such a node
    ("Integer", 0xABCDEF, {"representation": "HexNumber"}, "0xabcdef"),
    ("Integer", 0xC0A80102, {"representation": "IPV4Address"}, "192.168.1.2"),
    ("Integer", 0x1234, {"representation": "MACAddress"}, "00:00:00:00:12:34"),
    ("Integer", -5, {}, "-5"),
    ("Float", 0.123456789, {}, "0.123457"),
    ("Float", 1234567.891, {"notation": "Fixed", "precision": 2}, "1234567.89"),
    ("Float", 0.0000001234, {}, "1.234e-07"),
    ("Float", 12345.5, {"notation": "Scientific", "precision": 3}, "1.235e+04"),
    ("Float", 1e300, {}, "1e+300"),
    ("Float", 2500.0, {}, "2500"),
    ("Register", b"\x01\x02\xab\xff", {}, "0x0102abff"),
    ("String", "a b\tc", {}, "a b\tc"),
])
def test_pfs_value_texts_match_the_reference(kind, value, style, text):
    assert persist.format_pfs_value(kind, value, **style) == text
    back = persist.parse_pfs_value(kind, text)
    # lossy beyond the display precision, exactly as GenApi's own files are
    assert back == value or math.isclose(back, value, rel_tol=10.0 ** (1 - style.get(
        "precision", 6)))


def test_pfs_value_texts_are_genapis():
    assert persist.format_pfs_value("Boolean", True) == "1"
    assert persist.format_pfs_value("String", "") == "GENICAM_EMPTY_STRING"
    assert persist.parse_pfs_value("String", "GENICAM_EMPTY_STRING") == ""
    assert persist.parse_pfs_value("String", "  two  spaces \r") == "  two  spaces "
    assert persist.parse_pfs_value("Float", "10000") == 10000.0
    assert math.isinf(persist.parse_value("Float", "-inf"))


@settings(max_examples=300)
@given(name=_text.filter(bool), value=st.integers())
def test_every_name_round_trips_through_nmfs(name, value):
    text, count, unwritable = nmfs.render("dev", "streamable", [Entry(name, "Integer", value)],
                                          [])
    assert count == 1 and not unwritable
    [assignment] = nmfs.parse(text)
    assert assignment.name == name and persist.parse_value("Integer", assignment.text) == value


@settings(max_examples=300)
@given(name=_text, value=_text)
def test_pfs_holds_what_it_can_and_says_what_it_cannot(name, value):
    text, count, unwritable = pfs.render("dev", "streamable", [Entry(name, "String", value)], [])
    if count:
        [assignment] = pfs.parse(text)
        assert assignment.name == name
        assert persist.parse_pfs_value("String", assignment.text) == value
    else:
        assert unwritable[0].name == name and unwritable[0].reason
        assert pfs.name_problem(name) or "\n" in value or "\r" in value or \
            value == "GENICAM_EMPTY_STRING"


def test_detection_by_content():
    assert persist.detect("# {05D8C294-F295-4dfb-9D01-096BD04049F4}\nA\t1\n") == "pfs"
    assert persist.detect("\ufeff#{05d8c294-f295-4dfb-9d01-096bd04049f4}\n") == "pfs"
    assert persist.detect("# nodemap feature set 1\nA = 1\n") == "nmfs"
    assert persist.detect("A = 1\n") == "nmfs"


def test_pfs_layouts_of_the_spec():
    text = ("# {05D8C294-F295-4dfb-9D01-096BD04049F4}\r\n"
            "# GenApi persistence file (version 3.5.0)\r\n"
            "# Device = Basler::GigECamera -- Basler generic GigEVision camera interface\r\n"
            "GainAuto\tOff\r\n"
            "GainRaw\t{GainSelector=All}\t0\r\n"
            "TriggerMode\t{TriggerSelector=FrameStart,LineSelector=Line1}\tOn\r\n"
            "DeviceUserID\t{not a context}\tkeeps tabs\r\n"
            "# a comment between entries\r\n"
            "GainSelector\tAll\r\n")
    got = [(a.name, a.text, a.line, a.context) for a in pfs.parse(text)]
    assert got == [
        ("GainAuto", "Off", 4, ()),
        ("GainRaw", "0", 5, (("GainSelector", "All"),)),
        ("TriggerMode", "On", 6, (("TriggerSelector", "FrameStart"), ("LineSelector", "Line1"))),
        ("DeviceUserID", "{not a context}\tkeeps tabs", 7, ()),
        ("GainSelector", "All", 9, ())]


@pytest.mark.parametrize("text, match", [
    ("# {4709CB3C-7322-4460-84C3-DA11DDA09939}\n[Default]\nA\t1\n", "CFeatureBagger"),
    ("# {05D8C294-F295-4dfb-9D01-096BD04049F4}\nWidth 640\n", r"line 2: 'Width 640' is not"),
    ("# {05D8C294-F295-4dfb-9D01-096BD04049F4}\n\t640\n", "line 2: no feature name"),
])
def test_bad_pfs_files(text, match):
    with pytest.raises(FeatureSetError, match=match):
        persist.parse(text)
    with pytest.raises(FeatureSetError, match="missing|starts with"):
        persist.parse("A\t1\n", "pfs")
