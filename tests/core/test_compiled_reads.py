"""The compiled read path (docs/core.md, "Evaluation order of one read"): a register's
read compiled once into one closure, formula plans, kept pValue nodes and kept base
access modes must not change what is read from the device, nor when.  The device reads
are counted through the port."""

from __future__ import annotations

import struct

import pytest

import nodemap
from nodemap.errors import ProtocolError

from .xmlkit import description, int_reg, load

NOCACHE = "<Cachable>NoCache</Cachable>"


def _masked(name: str, address: int, lsb: int, msb: int, extra: str = "") -> str:
    return (f'<MaskedIntReg Name="{name}"><Address>{address:#x}</Address><Length>4</Length>'
            f'<AccessMode>RW</AccessMode><pPort>Device</pPort>{extra}<LSB>{lsb}</LSB>'
            f'<MSB>{msb}</MSB></MaskedIntReg>')


def _float_reg(name: str, address: int, extra: str = "") -> str:
    return (f'<FloatReg Name="{name}"><Address>{address:#x}</Address><Length>4</Length>'
            f'<AccessMode>RW</AccessMode><pPort>Device</pPort>{extra}'
            f'<Endianess>LittleEndian</Endianess></FloatReg>')


@pytest.mark.parametrize("body, name", [
    (int_reg("R", 0x10, extra=NOCACHE), "R"),
    (_masked("R", 0x10, 0, 7, NOCACHE), "R"),
    (_float_reg("R", 0x10, NOCACHE), "R"),
    (int_reg("Reg", 0x10, extra=NOCACHE) +
     '<IntSwissKnife Name="R"><pVariable Name="X">Reg</pVariable><Formula>X + 1</Formula>'
     '</IntSwissKnife>', "R"),
    (int_reg("Reg", 0x10, extra=NOCACHE) +
     '<Converter Name="R"><pVariable Name="K">Reg</pVariable><FormulaTo>FROM</FormulaTo>'
     '<FormulaFrom>TO * 2</FormulaFrom><pValue>Reg</pValue></Converter>', "R"),
    (int_reg("Reg", 0x10, extra=NOCACHE) + '<Integer Name="R"><pValue>Reg</pValue></Integer>',
     "R"),
])
def test_a_nocache_register_is_read_from_the_device_on_every_read(body: str, name: str) -> None:
    nm, port = load(body)
    feature = nm.features[name]
    feature.value  # builds and compiles
    values = []
    for step in range(1, 6):
        reads = port.reads
        if feature.kind == "Float" and "FloatReg" in body:
            port.memory[0x10:0x14] = struct.pack("<f", float(step))
        else:
            port.memory[0x10] = step
        values.append(feature.value)
        # one device read per read: the Converter reads its pValue and its pVariable,
        # both the same NoCache register
        assert port.reads - reads == (2 if "Converter" in body else 1)
        assert name not in nm.store.values
    assert values == sorted(values) and len(set(values)) == 5  # each read saw the device


def test_a_cached_register_is_read_once_until_invalidated() -> None:
    nm, port = load(int_reg("A", 0x10) + _masked("Low", 0x10, 0, 7) + _float_reg("F", 0x20))
    f = nm.features
    port.memory[0x10] = 0x34
    port.memory[0x20:0x24] = struct.pack("<f", 1.5)
    reads = port.reads
    for _ in range(3):
        assert (f["A"].value, f["Low"].value, f["F"].value) == (0x34, 0x34, 1.5)
    assert port.reads == reads + 2   # A and Low share one span
    port.memory[0x10] = 0x56
    assert f["Low"].value == 0x34    # cached
    nm.invalidate()
    assert (f["Low"].value, f["A"].value) == (0x56, 0x56)
    assert port.reads == reads + 3


def test_a_write_by_another_path_reaches_the_writers_dependents_only() -> None:
    """As in the reference (checked there step by step): a write reaches what is
    computed from the written node; another register over the same bytes keeps its
    cached value until it is invalidated, and reads the written bytes then."""
    body = (int_reg("Whole", 0x20) + _masked("Low", 0x20, 0, 7) +
            '<Integer Name="View"><pValue>Whole</pValue></Integer>'
            '<IntConverter Name="Twice"><FormulaTo>FROM / 2</FormulaTo>'
            '<FormulaFrom>TO * 2</FormulaFrom><pValue>Whole</pValue></IntConverter>'
            '<IntSwissKnife Name="Plus"><pVariable Name="L">Low</pVariable>'
            '<Formula>L + 1</Formula></IntSwissKnife>')
    nm, port = load(body)
    f = nm.features
    assert [f[n].value for n in ("Whole", "Low", "View", "Twice", "Plus")] == [0, 0, 0, 0, 1]
    f["View"].value = 0x105               # through the Integer
    assert [f[n].value for n in ("Whole", "Low", "Twice", "Plus")] == [0x105, 0, 0x20A, 1]
    reads = port.reads
    f["Low"].invalidate()                 # its bytes go with it: read again
    assert [f[n].value for n in ("Low", "Plus")] == [5, 6]
    assert port.reads == reads + 1
    f["Low"].value = 7                    # through the bit field (read-modify-write)
    assert [f[n].value for n in ("Whole", "View", "Twice", "Plus")] == [0x105, 0x105, 0x20A, 8]
    f["Whole"].invalidate()
    assert [f[n].value for n in ("Whole", "View", "Twice")] == [0x107, 0x107, 0x20E]
    port.memory[0x20] = 3                 # behind the node map's back: seen after invalidate
    assert f["View"].value == 0x107
    f["Whole"].invalidate()
    assert [f[n].value for n in ("View", "Twice", "Low")] == [0x103, 0x206, 7]


def test_a_node_locked_by_a_nocache_register_asks_the_lock_on_every_read() -> None:
    body = (int_reg("Lock", 0x0, extra=NOCACHE) + int_reg("Reg", 0x4) +
            '<Integer Name="Gain"><pIsLocked>Lock</pIsLocked><pValue>Reg</pValue>'
            '<Min>0</Min><Max>100</Max></Integer>')
    nm, port = load(body)
    f = nm.features
    port.memory[4] = 9
    assert f["Gain"].value == 9 and f["Gain"].access == "RW"
    assert nm.store.constant_base["Gain"] == "RW"      # what it is built on is kept
    assert "Gain" not in nm.store.constant_access      # its access is not
    for locked in (1, 0, 1):
        port.memory[0] = locked
        reads = port.reads
        assert f["Gain"].value == 9
        assert port.reads == reads + 1                  # the lock, not the cached value
        assert f["Gain"].access == ("RO" if locked else "RW")
    nm.disconnect()                                     # a port change forgets it
    assert "Gain" not in nm.store.constant_base
    assert f["Gain"].access == "NI"
    nm.connect(port)
    port.memory[0] = 0
    assert f["Gain"].access == "RW"


def test_a_rebound_port_forgets_the_kept_base_access_of_what_is_computed_from_it() -> None:
    body = (int_reg("Lock", 0x0, extra=NOCACHE) + int_reg("Reg", 0x4) +
            '<Integer Name="Gain"><pIsLocked>Lock</pIsLocked><pValue>Reg</pValue></Integer>')
    nm, port = load(body)
    assert nm.features["Gain"].access == "RW"
    assert "Gain" in nm.store.constant_base
    nm.bind(None, "Device")
    assert "Gain" not in nm.store.constant_base
    assert nm.features["Gain"].access == "NI"
    nm.bind(port, "Device")
    assert nm.features["Gain"].access == "RW"


class _OddPort:
    """A port answering reads with a given reply."""

    def __init__(self, reply: object) -> None:
        self.reply = reply

    def read(self, address: int, length: int) -> object:
        return self.reply

    def write(self, address: int, data: bytes) -> None:
        pass


@pytest.mark.parametrize("cachable", ["", NOCACHE])
def test_the_compiled_read_checks_the_port_reply(cachable: str) -> None:
    nm = nodemap.NodeMap.from_xml(description(int_reg("R", 0x10, extra=cachable)))
    nm.connect(_OddPort(bytearray(b"\x05\x00\x00\x00")))
    assert nm.features["R"].value == 5            # a bytearray is taken as bytes
    for reply in (b"\x01\x00", None):
        nm.connect(_OddPort(reply))
        with pytest.raises(ProtocolError, match="R"):
            nm.features["R"].value


def test_a_register_with_no_port_says_what_to_connect() -> None:
    nm = nodemap.NodeMap.from_xml(description(int_reg("R", 0x10)))
    with pytest.raises(nodemap.NodeMapError, match="connect"):
        nm.features["R"].value


# -- compiled value evaluation (Node.evaluate_value, docs/core.md) ----------------------

SEL = '<Integer Name="Sel"><Value>0</Value><Min>0</Min><Max>3</Max></Integer>'
#: a Basler-style selected register: its address is an IntSwissKnife over the selector
ADDR = ('<IntSwissKnife Name="Addr"><pVariable Name="S">Sel</pVariable>'
        '<Formula>(S = 0) ? 0x40 : ((S = 1) ? 0x44 : 0x48)</Formula>'
        '</IntSwissKnife>')


def _selected(extra: str = "") -> str:
    return (SEL + ADDR + f'<IntReg Name="R"><pAddress>Addr</pAddress><Length>4</Length>'
            f'<AccessMode>RW</AccessMode><pPort>Device</pPort>{extra}</IntReg>')


def test_a_register_at_a_varying_address_follows_its_selector() -> None:
    nm, port = load(_selected() + '<Integer Name="View"><pValue>R</pValue></Integer>')
    f = nm.features
    port.memory[0x40], port.memory[0x44] = 7, 9
    reads = port.reads
    for _ in range(3):
        assert f["View"].value == 7
    assert port.reads == reads + 1           # kept until an input changes
    f["Sel"].value = 1                        # written by another path: the address moves
    assert (f["View"].value, f["R"].value, f["Addr"].value) == (9, 9, 0x44)
    assert port.reads == reads + 2
    port.memory[0x44] = 10                    # behind its back: kept until invalidated
    assert f["View"].value == 9
    nm.invalidate()
    assert f["View"].value == 10


def test_a_nocache_register_at_a_varying_address_is_read_on_every_read() -> None:
    nm, port = load(_selected(NOCACHE) +
                    '<IntSwissKnife Name="Twice"><pVariable Name="X">R</pVariable>'
                    '<Formula>X * 2</Formula></IntSwissKnife>')
    f = nm.features
    for step in range(1, 5):
        port.memory[0x40] = step
        reads = port.reads
        assert (f["Twice"].value, f["R"].value) == (2 * step, step)
        assert port.reads == reads + 2        # one device read per read, nothing kept
        assert "Twice" not in nm.store.values and "R" not in nm.store.values
        assert nm.store.values["Addr"] == 0x40   # the address is cachable: kept


def test_an_address_outside_the_address_space_names_the_register_every_time() -> None:
    body = (SEL + '<IntSwissKnife Name="Addr"><pVariable Name="S">Sel</pVariable>'
            '<Formula>S - 1</Formula></IntSwissKnife>'
            '<IntReg Name="R"><pAddress>Addr</pAddress><Length>4</Length>'
            '<AccessMode>RW</AccessMode><pPort>Device</pPort></IntReg>')
    nm, _ = load(body)
    for _ in range(3):                        # generic first read, then the compiled one
        with pytest.raises(nodemap.XmlError, match=r"'R'.*works out to -0x1"):
            nm.features["R"].value
        assert not nm.active


def test_a_cycle_through_compiled_formulas_names_every_step_on_every_read() -> None:
    body = (int_reg("Reg", 0x10) +
            '<IntSwissKnife Name="A"><pVariable Name="B">B</pVariable>'
            '<pVariable Name="R">Reg</pVariable><Formula>B + R</Formula></IntSwissKnife>'
            '<IntConverter Name="B"><pVariable Name="C">C</pVariable><FormulaTo>FROM'
            '</FormulaTo><FormulaFrom>TO + C</FormulaFrom><pValue>Reg</pValue></IntConverter>'
            '<Integer Name="C"><pValue>A</pValue></Integer>')
    nm, _ = load(body)
    messages = set()
    for _ in range(3):  # (its access mode meets the cycle first: it reads the inputs')
        with pytest.raises(nodemap.XmlError, match=r"reference cycle: A \((value|access)\) "
                           r"-> B \(\w+\) -> C \(\w+\) -> A \(\w+\)") as info:
            nm.features["A"].value
        messages.add(str(info.value))
        assert not nm.active and "A" not in nm.store.values
    assert len(messages) == 1
    # the cycle on the value itself, once the access modes are known
    body = (int_reg("Reg", 0x10) +
            '<IntSwissKnife Name="A"><pVariable Name="B">B</pVariable>'
            '<Formula>B + 1</Formula></IntSwissKnife>'
            '<Integer Name="B"><pValue>Hold</pValue></Integer>'
            '<Integer Name="Hold"><Value>0</Value></Integer>')
    nm, _ = load(body)
    assert nm.features["A"].value == 1       # compiled now
    b = nm.node("B")
    b._pvalue = "A"                           # (a description that loops, seen late)
    b._target_read = None
    b.evaluate_value = b._first_evaluation
    nm.invalidate()
    for _ in range(3):
        with pytest.raises(nodemap.XmlError, match=r"reference cycle: A \(value\) -> "
                           r"B \(value\) -> A \(value\)"):
            nm.features["A"].value
        assert not nm.active


def test_an_error_deep_in_a_compiled_chain_names_the_node_that_failed() -> None:
    body = (SEL + int_reg("Reg", 0x10) +
            '<IntSwissKnife Name="Div"><pVariable Name="S">Sel</pVariable>'
            '<pVariable Name="R">Reg</pVariable><Formula>R / S</Formula></IntSwissKnife>'
            '<IntConverter Name="Conv"><pVariable Name="D">Div</pVariable><FormulaTo>FROM'
            '</FormulaTo><FormulaFrom>TO + D</FormulaFrom><pValue>Reg</pValue></IntConverter>'
            '<Integer Name="Top"><pValue>Conv</pValue></Integer>')
    nm, port = load(body)
    f = nm.features
    port.memory[0x10] = 6
    f["Sel"].value = 3
    assert f["Top"].value == 8                # compiled on the way
    f["Sel"].value = 0                        # now Div divides by zero
    for _ in range(2):
        with pytest.raises(nodemap.FormulaError, match="R / S") as info:
            f["Top"].value
        assert info.value.feature == "Div"
        assert not nm.active and "Top" not in nm.store.values
    f["Sel"].value = 2
    assert f["Top"].value == 9


def test_a_failing_port_read_at_a_varying_address_names_register_and_address() -> None:
    class Failing:
        def read(self, address: int, length: int) -> bytes:
            raise OSError("no answer")

        def write(self, address: int, data: bytes) -> None:
            pass

    nm = nodemap.NodeMap.from_xml(description(_selected()))
    nm.connect(Failing())
    for _ in range(2):
        with pytest.raises(nodemap.NodeMapError, match="R: read at 0x40 failed") as info:
            nm.features["R"].value
        assert (info.value.feature, info.value.address) == ("R", 0x40)


# Maps whose values go the compiled way and the general way alike: the compiled path
# must give the same value, or the same error, as the general one (``_compile_value``
# disabled) on every read.
SAME_AS_GENERIC = [
    # variables of every kind in integer and double formulas, constants, booleans
    SEL + int_reg("Reg", 0x10) + '<Boolean Name="On"><pValue>Reg</pValue></Boolean>'
    '<Float Name="Half"><Value>2.5</Value></Float>'
    '<IntSwissKnife Name="I"><pVariable Name="A">On</pVariable><pVariable Name="B">Half'
    '</pVariable><pVariable Name="U">Sel</pVariable><Constant Name="K">3</Constant>'
    '<Formula>A + B * K</Formula></IntSwissKnife>'
    '<SwissKnife Name="D"><pVariable Name="A">On</pVariable><pVariable Name="S">Sel'
    '</pVariable><Constant Name="K">0.5</Constant><Formula>A / (S + K)</Formula></SwissKnife>'
    '<IntSwissKnife Name="One"><pVariable Name="H">Half</pVariable>'
    '<Formula>H * 2</Formula></IntSwissKnife>'
    '<SwissKnife Name="OneD"><pVariable Name="R">Reg</pVariable><Formula>R / 4</Formula>'
    '</SwissKnife>'
    '<IntSwissKnife Name="Lenient"><pVariable Name="R">Reg</pVariable>'
    '<Formula>R * 1.5</Formula></IntSwissKnife>'
    '<IntSwissKnife Name="FloatConst"><pVariable Name="R">Reg</pVariable>'
    '<Constant Name="K">2.75</Constant><Formula>R + K</Formula></IntSwissKnife>'
    '<IntSwissKnife Name="Wrap"><pVariable Name="R">Reg</pVariable>'
    '<Formula>R * 0x7FFFFFFFFFFFFFFF</Formula></IntSwissKnife>'
    '<IntSwissKnife Name="Mux"><pVariable Name="S">Sel</pVariable>'
    '<Formula>(S = 0) ? 0x40 : ((S = 2) ? 0x44 : -1)</Formula></IntSwissKnife>',
    # an infinite double where an integer formula wants an int64, and a division by zero
    '<Float Name="Big"><Value>1e300</Value></Float><Float Name="Inf"><Value>inf</Value>'
    '</Float><IntSwissKnife Name="FromInf"><pVariable Name="X">Inf</pVariable>'
    '<Formula>X + 1</Formula></IntSwissKnife>'
    '<IntConverter Name="Outside"><FormulaTo>FROM</FormulaTo><FormulaFrom>TO</FormulaFrom>'
    '<pValue>Big</pValue></IntConverter>'
    '<Converter Name="Zero"><pVariable Name="B">Big</pVariable><FormulaTo>FROM</FormulaTo>'
    '<FormulaFrom>TO / (B - B)</FormulaFrom><pValue>Big</pValue></Converter>',
    # Converters over integer, float and boolean targets; value nodes over each
    int_reg("Reg", 0x10) + '<Float Name="F"><Value>-1.25</Value></Float>'
    '<Boolean Name="B"><pValue>Reg</pValue><OnValue>6</OnValue><OffValue>0</OffValue>'
    '</Boolean><Converter Name="CI"><FormulaTo>FROM</FormulaTo><FormulaFrom>TO * 2'
    '</FormulaFrom><pValue>Reg</pValue></Converter><IntConverter Name="CF"><FormulaTo>FROM'
    '</FormulaTo><FormulaFrom>TO * 2</FormulaFrom><pValue>F</pValue></IntConverter>'
    '<Converter Name="CB"><FormulaTo>FROM</FormulaTo><FormulaFrom>TO + 1</FormulaFrom>'
    '<pValue>B</pValue></Converter><Integer Name="IF"><pValue>F</pValue></Integer>'
    '<Float Name="FI"><pValue>Reg</pValue></Float><Integer Name="IC"><pValue>CI</pValue>'
    '</Integer><Boolean Name="BB"><pValue>B</pValue></Boolean>'
    '<Enumeration Name="E"><EnumEntry Name="Six"><Value>6</Value></EnumEntry>'
    '<EnumEntry Name="Zero"><Value>0</Value></EnumEntry><pValue>Reg</pValue></Enumeration>'
    '<Integer Name="IE"><pValue>E</pValue></Integer>',
    # doubles from int64 values that a double cannot hold exactly; results of either type
    '<Integer Name="Huge"><Value>4611686018427387905</Value></Integer>'
    '<Converter Name="CH"><FormulaTo>FROM</FormulaTo><FormulaFrom>TO - 4611686018427387904'
    '</FormulaFrom><pValue>Huge</pValue></Converter>'
    '<SwissKnife Name="SH"><pVariable Name="H">Huge</pVariable>'
    '<Formula>H - 4611686018427387904</Formula></SwissKnife>'
    '<SwissKnife Name="SH2"><pVariable Name="H">Huge</pVariable><pVariable Name="G">Huge'
    '</pVariable><Formula>H - G + 3</Formula></SwissKnife>'
    '<SwissKnife Name="Three"><Formula>3</Formula></SwissKnife>'
    '<IntSwissKnife Name="IThree"><Formula>3</Formula></IntSwissKnife>'
    '<Float Name="FH"><pValue>Huge</pValue></Float>',
    # values held in the node (<Value>) of every kind, one the entries do not name, one
    # behind a condition that reads the written selector
    SEL + '<Boolean Name="HB"><Value>1</Value></Boolean>'
    '<Enumeration Name="HE"><EnumEntry Name="A"><Value>1</Value></EnumEntry><Value>1</Value>'
    '</Enumeration><Enumeration Name="HBad"><EnumEntry Name="A"><Value>1</Value></EnumEntry>'
    '<Value>5</Value></Enumeration><String Name="HS"><Value>text</Value></String>'
    '<Float Name="HF"><Value>-0.5</Value></Float><Integer Name="HI"><Value>-7</Value>'
    '<pIsAvailable>Sel</pIsAvailable></Integer><IntSwissKnife Name="OverHI"><pVariable '
    'Name="H">HI</pVariable><pVariable Name="S">Sel</pVariable><Formula>H + S</Formula>'
    '</IntSwissKnife>',
]


def _every_read(nm: nodemap.NodeMap, names: list[str]) -> list[object]:
    out: list[object] = []
    for name in names:
        try:
            value = nm.features[name].value
            out.append((type(value).__name__, value))  # 3 and 3.0 differ here
        except nodemap.NodeMapError as exc:
            out.append((type(exc).__name__, str(exc), exc.feature))
    return out


@pytest.mark.parametrize("body", SAME_AS_GENERIC)
def test_the_compiled_evaluation_gives_what_the_general_one_gives(
        body: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import warnings

    from nodemap.nodes.registers import FloatReg, RegisterNode

    def run(generic: bool) -> list[list[object]]:
        with monkeypatch.context() as patch:
            nm, port = load(body)
            if generic:  # every node evaluates the general way, never compiled
                for node_name in nm.names:
                    node = nm.node(node_name)
                    if node.evaluate_value != node._first_evaluation:
                        continue
                    if isinstance(node, RegisterNode):  # the read before the compiled one
                        if node.constant_span() is None:
                            patch.setattr(node, "evaluate_value", node._read_checked
                                          if isinstance(node, FloatReg)
                                          else node._compile_read(node.decode))
                    else:
                        patch.setattr(node, "evaluate_value", node._evaluate_value)
            names = [n for n in nm.names if nm.element_type(n) not in ("Port", "EnumEntry")]
            rounds = []
            for memory in (0, 6, 3):
                port.memory[0x10] = memory
                if "Sel" in nm:
                    nm.features["Sel"].value = memory % 4
                nm.invalidate()
                for _ in range(3):  # the first read compiles; the next ones use it
                    rounds.append(_every_read(nm, names))
            return rounds

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the lenient integer formula's FormulaWarning
        compiled, generic = run(False), run(True)
    assert compiled == generic
