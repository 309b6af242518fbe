"""What a feature set holds and in which order: selector cycles and chains, commands,
names needing escaping — each expected file written out by hand, and nothing left out
silently (every streamable feature is in the file or in the report with a reason)."""

from __future__ import annotations

from lxml import etree

from nodemap import persist
from nodemap.persist.selection import MAX_NESTING
from tests.core.xmlkit import NS

from .kit import build, category, integer


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def _streamable_in_xml(nm) -> set[str]:
    """Streamable names read straight from the XML text (not through nodemap)."""
    root = etree.fromstring(nm.to_xml())
    return {e.get("Name") for e in root.iter() if e.find(f"{{{NS}}}Streamable") is not None
            and e.find(f"{{{NS}}}Streamable").text == "Yes"}


def _accounted(nm, text: str, report) -> None:
    saved = {line.split(" = ")[0].strip('"') for line in _lines(text)}
    skipped = {s.name for s in report.skipped}
    missing = _streamable_in_xml(nm) - saved - skipped
    assert not missing, f"left out silently: {missing}"


def test_features_selecting_each_other_are_saved_in_document_order():
    # A selects B, B selects A (A first in the document): A is the selector, B is saved
    # under each value of A; S selects itself and X: S is a selector of X only.
    body = (integer("A", 0x100, selects=["B"], high=2) + integer("B", 0x200, selects=["A"],
                                                                 index="A")
            + integer("S", 0x300, selects=["S", "X"], high=1) + integer("X", 0x400, index="S"))
    nm, port = build(body)
    f = nm.features
    for a, b in ((0, 10), (1, 11), (2, 12)):
        f["A"].value = a
        f["B"].value = b
    f["A"].value = 1
    f["S"].value = 0
    f["X"].value = 5
    f["S"].value = 1
    f["X"].value = 6
    text, report = persist.render(nm)
    assert _lines(text) == ["A = 0", "B = 10", "A = 1", "B = 11", "A = 2", "B = 12", "A = 1",
                            "S = 0", "X = 5", "S = 1", "X = 6", "S = 1"]
    assert report.skipped == ()
    _accounted(nm, text, report)
    # a fresh device: everything comes back, under the right selector values
    fresh, _ = build(body)
    loaded = persist.loads(fresh, text)
    assert loaded.ok, [str(p) for p in loaded.problems]
    g = fresh.features
    for a, b in ((0, 10), (1, 11), (2, 12)):
        g["A"].value = a
        assert g["B"].value == b
    g["S"].value = 0
    assert g["X"].value == 5


def test_a_selection_loop_of_three_nests_forward_edges():
    body = (integer("P", 0x100, selects=["Q"], high=1) + integer("Q", 0x200, selects=["R"],
                                                                 high=1, index="P")
            + integer("R", 0x300, selects=["P"], index="Q"))
    nm, _ = build(body)
    text, report = persist.render(nm)
    assert _lines(text) == ["P = 0", "Q = 0", "R = 0", "Q = 1", "R = 0", "Q = 0",
                            "P = 1", "Q = 0", "R = 0", "Q = 1", "R = 0", "Q = 0", "P = 0"]
    assert report.skipped == ()
    fresh, _ = build(body)
    assert persist.loads(fresh, text).ok


def test_a_long_selector_chain_is_cut_with_a_reason():
    depth = 40
    body = "".join(integer(f"S{i}", 0x100 + 4 * i, selects=[f"S{i + 1}"] if i < depth else [],
                           high=0) for i in range(depth + 1))
    nm, _ = build(body)
    text, report = persist.render(nm)
    assert _lines(text)[:MAX_NESTING + 1] == [f"S{i} = 0" for i in range(MAX_NESTING + 1)]
    cut = {s.name for s in report.skipped}
    assert cut == {f"S{i}" for i in range(MAX_NESTING + 1, depth + 1)}
    assert all("nesting deeper than" in s.reason for s in report.skipped)
    _accounted(nm, text, report)
    assert persist.loads(build(body)[0], text).ok


def test_commands_and_their_registers_are_never_saved_nor_written():
    body = (category(["Zoom", "ZoomAlias", "Position", "Temperature"])
            + '<Command Name="Zoom"><pValue>ZoomReg</pValue><CommandValue>1</CommandValue>'
              '</Command>'
            + '<Integer Name="ZoomAlias"><pValue>ZoomReg</pValue></Integer>'
            + '<IntReg Name="ZoomReg"><Address>0x10</Address><Length>4</Length><AccessMode>RW'
              '</AccessMode><pPort>Device</pPort><Cachable>NoCache</Cachable><Sign>Unsigned'
              '</Sign><Endianess>BigEndian</Endianess></IntReg>'
            + integer("Position", 0x20, streamable=False)
            + integer("Temperature", 0x30, streamable=False, access="RO"))
    nm, port = build(body)
    text, report = persist.render(nm)
    assert report.selection == "writable"
    assert _lines(text) == ["Position = 0"]
    assert {s.name: s.reason.split(":")[0] for s in report.skipped} == {
        "ZoomAlias": "its value is the register of the command Zoom",
        "Temperature": "read-only now (locked in the current mode, or set only by the device) "
                       "(access RO)"}
    # an old file holding the command register: reported, never written
    port.writes.clear()
    loaded = persist.loads(nm, "ZoomReg = 1\nZoomAlias = 1\nZoom = 1\nPosition = 7\n")
    assert {p.name for p in loaded.problems} == {"ZoomReg", "ZoomAlias", "Zoom"}
    assert all("never executes commands" in p.reason for p in loaded.problems)
    assert [address for address, _ in port.writes] == [0x20]


def test_names_needing_escaping_round_trip():
    awkward = ["Gain\u00a0Extra", "#Hidden", "A=B", 'Quo"te', "Tab\tName", "semi;colon", "Größe"]
    body = "".join(integer(name, 0x100 + 0x10 * i) for i, name in enumerate(awkward))
    nm, _ = build(body)
    for i, name in enumerate(awkward):
        nm.features[name].value = 100 + i
    text, report = persist.render(nm)
    assert report.skipped == ()
    assert '"Gain\\u00a0Extra" = 100' in text and '"#Hidden" = 101' in text
    assert "Größe = 106" in text      # letters need no quotes
    fresh, _ = build(body)
    loaded = persist.loads(fresh, text)
    assert loaded.ok and loaded.verified == len(awkward)
    assert [fresh.features[n].value for n in awkward] == [100 + i for i in range(len(awkward))]
    # the GenApi format has no escaping: what it cannot hold is listed, the rest saved
    pfs_text, pfs_report = persist.render(nm, "pfs")
    assert {s.name for s in pfs_report.skipped} == {"#Hidden", "Tab\tName"}
    fresh, _ = build(body)
    loaded = persist.loads(fresh, pfs_text)
    assert loaded.ok and loaded.verified == len(awkward) - 2
    assert fresh.features["Gain\u00a0Extra"].value == 100 and fresh.features["semi;colon"].value == 105


def test_dependency_order_is_topological_on_a_generated_graph():
    # F0 <- F1 <- ... : each feature's maximum is the next one's value (a chain backwards
    # in document order), so the file must list them in reverse document order.
    n = 300
    body = []
    for i in range(n):
        bound = f"<pMax>F{i + 1}</pMax>" if i + 1 < n else "<Max>100000</Max>"
        body.append(f'<Integer Name="F{i}"><Streamable>Yes</Streamable><pValue>F{i}Reg</pValue>'
                    f'<Min>0</Min>{bound}</Integer>'
                    f'<IntReg Name="F{i}Reg"><Address>{0x100 + 4 * i:#x}</Address><Length>4'
                    f'</Length><AccessMode>RW</AccessMode><pPort>Device</pPort><Sign>Unsigned'
                    f'</Sign><Endianess>BigEndian</Endianess></IntReg>')
    nm, _ = build("".join(body))
    for i in reversed(range(n)):
        nm.features[f"F{i}"].value = 1000 + i
    text, report = persist.render(nm)
    assert _lines(text) == [f"F{i} = {1000 + i}" for i in reversed(range(n))]
    fresh, _ = build("".join(body))
    assert persist.loads(fresh, text).ok
