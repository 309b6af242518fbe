"""Corrupt and hostile feature-set files: a FeatureSetError naming the line, and nothing
applied; fuzzed files end in a report or that error, never another exception."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from nodemap import persist
from nodemap.errors import FeatureSetError, NodeMapError

from .kit import build, integer

LABEL = ('<StringReg Name="Label"><Streamable>Yes</Streamable><Address>0x800</Address>'
         '<Length>16</Length><AccessMode>RW</AccessMode><pPort>Device</pPort></StringReg>')
MODE = ('<Enumeration Name="Mode"><Streamable>Yes</Streamable>'
        '<EnumEntry Name="Mode_Off"><Value>0</Value><Symbolic>Off</Symbolic></EnumEntry>'
        '<EnumEntry Name="Mode_On"><Value>1</Value><Symbolic>On</Symbolic></EnumEntry>'
        '<pValue>ModeReg</pValue></Enumeration>'
        '<IntReg Name="ModeReg"><Address>0x900</Address><Length>4</Length><AccessMode>RW'
        '</AccessMode><pPort>Device</pPort><Sign>Unsigned</Sign><Endianess>BigEndian</Endianess>'
        '</IntReg>')
BODY = (integer("Sel", 0x100, selects=["Gain"], high=3) + integer("Gain", 0x200, index="Sel")
        + integer("Width", 0x300) + LABEL + MODE
        + '<Float Name="Exposure"><Streamable>Yes</Streamable><Value>1.5</Value></Float>')


def _untouched(port) -> None:
    assert port.writes == [], f"something was written: {port.writes}"


def test_undecodable_bytes_name_the_line(tmp_path):
    nm, port = build(BODY)
    path = tmp_path / "bad.nmfs"
    path.write_bytes(b"# nodemap feature set 1\nWidth = 5\nLabel = \"caf\xe9\"\nGain = 1\n")
    with pytest.raises(FeatureSetError, match=r"line 3: byte 0xe9 at column 13 is not UTF-8"):
        persist.load(nm, path)
    _untouched(port)
    with pytest.raises(FeatureSetError, match="nothing was applied"):
        persist.load(nm, path.open("rb"))
    _untouched(port)


@pytest.mark.parametrize("line, where", [
    ('Label = "\\udc80"', "lone surrogate"),
    ("Label = \udcff", "lone surrogate"),                    # surrogateescape'd text
    ("Sel = 0xZZ", "Sel = '0xZZ': cannot be read as an Integer"),
    ("Gain = 1e3", "is not an integer"),
    ("Sel =", "is not an integer"),                          # found by the fuzz test below
    ("Width = " + "9" * 5000, "far too long"),
    ("Exposure = nan", "NaN"),
    ('Label = "unterminated', "not a complete JSON string"),
    ("Mode =", "the value is empty"),
    ("no equals sign here", "no '='"),
    ("two words = 3", "must be written as a JSON string"),
    ('"unterminated name = 3', "quoted name is not a complete JSON string"),
    ("# nodemap feature set 9", "format '9'"),
])
def test_unusable_lines_raise_before_anything_is_applied(line, where):
    nm, port = build(BODY)
    number = 1 if line.startswith("#") else 3
    text = ("Width = 5\nSel = 2\n" if number == 3 else "") + line + "\nGain = 4\n"
    with pytest.raises(FeatureSetError, match=f"line {number}") as info:
        persist.loads(nm, text)
    assert where in str(info.value)
    assert info.value.line == number and "nothing was applied" in str(info.value)
    _untouched(port)


def test_every_bad_line_is_listed():
    nm, port = build(BODY)
    with pytest.raises(FeatureSetError) as info:
        persist.loads(nm, "Sel = x\nWidth = y\nGain = 3\nMode = On\nWidth = z\n")
    assert [line for line, _ in info.value.problems] == [1, 2, 5]
    assert str(info.value).startswith("the feature set: 3 lines cannot be used")
    _untouched(port)


def test_a_lone_surrogate_value_is_not_saved():
    body = '<String Name="Note"><Streamable>Yes</Streamable><Value>x</Value></String>' + \
        integer("Width", 0x300)
    nm, _ = build(body)
    nm.features["Note"].value = "bad \udc80 text"
    text, report = persist.render(nm)
    assert [(s.name, "lone surrogate" in s.reason) for s in report.skipped] == [("Note", True)]
    assert "Width = 0" in text and "# not saved: Note" in text
    text.encode("utf-8")  # the file itself is valid UTF-8


_names = st.sampled_from(["Sel", "Gain", "Width", "Label", "Mode", "Exposure", "Nope",
                          '"Gain"', "#", ""])
_values = st.one_of(st.integers(-5, 2 ** 40).map(str), st.sampled_from(
    ["On", "Off", '"text"', "0x1F", "1.5", "true", "", "\udc80", '"\\ud800"', "{", "0xZZ"]),
    st.text(max_size=12))
_lines = st.lists(st.tuples(_names, st.sampled_from([" = ", "=", "\t", " "]), _values)
                  .map(lambda t: "".join(t)), max_size=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=_lines, pfs=st.booleans())
def test_fuzzed_files_end_in_a_report_or_a_feature_set_error(lines, pfs):
    nm, port = build(BODY)
    header = "# {05D8C294-F295-4dfb-9D01-096BD04049F4}\n" if pfs else ""
    try:
        report = persist.loads(nm, header + "\n".join(lines) + "\n")
    except FeatureSetError as exc:
        assert exc.problems and all(line >= 1 for line, _ in exc.problems)
        _untouched(port)
    else:
        assert all(isinstance(p.reason, str) and p.line >= 1 for p in report.problems)


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=200))
def test_fuzzed_bytes_end_in_a_report_or_a_feature_set_error(tmp_path_factory, data):
    nm, port = build(BODY)
    path = tmp_path_factory.mktemp("fuzz") / "f.nmfs"
    path.write_bytes(data)
    try:
        persist.load(nm, path)
    except FeatureSetError:
        _untouched(port)
    except NodeMapError as exc:  # pragma: no cover - would be a bug: say which
        pytest.fail(f"{type(exc).__name__} instead of FeatureSetError: {exc}")
