"""Register addresses and lengths: 64-bit in the engine, checked where they are formed.

The engine accepts any address in [0, 2**64) (FCB and SXH485 map commands onto 56-bit
virtual addresses); a negative one, one past 64 bits, a span running off the end of
the address space, a length a register type cannot hold, or an address term that is not
a number is an XmlError naming the node, raised before any port is asked.  Ports refuse
what their own wire cannot carry (GigE Vision: 32 bits).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nodemap
from nodemap.errors import XmlError

from .xmlkit import description


class RecordingPort(nodemap.MemoryPort):
    """A MemoryPort at ``base`` that records the (address, length) of every access."""

    def __init__(self, size: int, *, base: int = 0) -> None:
        super().__init__(size, base=base)
        self.calls: list[tuple[str, int, int]] = []

    def read(self, address: int, length: int) -> bytes:
        self.calls.append(("read", address, length))
        return super().read(address, length)

    def write(self, address: int, data: bytes) -> None:
        self.calls.append(("write", address, len(data)))
        super().write(address, data)


def _reg(name: str, address_xml: str, *, length: str = "<Length>4</Length>",
         tag: str = "IntReg", access: str = "RW") -> str:
    return (f'<{tag} Name="{name}">{address_xml}{length}<AccessMode>{access}</AccessMode>'
            f'<pPort>Device</pPort></{tag}>')


@pytest.mark.parametrize("address", [0x1_0000_0000, 0x48E2_0000_0000_0000,
                                     0xFFFF_FFFF_FFFF_FFFC])
def test_addresses_beyond_32_bits_reach_the_port(address: int) -> None:
    nm = nodemap.NodeMap.from_xml(description(_reg("R", f"<Address>{address:#x}</Address>")))
    port = RecordingPort(0x10, base=address)
    nm.connect(port)
    nm.features["R"].value = 0x1234
    nm.invalidate()
    assert nm.features["R"].value == 0x1234
    assert nm.features["R"].address == address
    assert port.calls == [("write", address, 4), ("read", address, 4)]


@pytest.mark.parametrize("body, expected", [
    (_reg("R", "<Address>0x10000000000000000</Address>"), "outside the 64-bit address space"),
    (_reg("R", "<Address>-4</Address>"), "works out to -0x4, outside"),
    (_reg("R", "<Address>0xFFFFFFFFFFFFFFFE</Address>"), "run past the end"),
    # a negative computed address: pAddress and an inline IntSwissKnife
    (_reg("R", "<Address>0x10</Address><pAddress>Off</pAddress>")
     + '<Integer Name="Off"><Value>-0x20</Value></Integer>', "works out to -0x10"),
    (_reg("R", "<IntSwissKnife><pVariable Name=\"B\">Off</pVariable><Formula>B - 0x100"
               "</Formula></IntSwissKnife>")
     + '<Integer Name="Off"><Value>0x10</Value></Integer>', "works out to -0xF0"),
    (_reg("R", "<Address>0xFFFFFFFFFFFFFFF0</Address><pIndex Offset=\"0x100\">Sel</pIndex>")
     + '<Integer Name="Sel"><Value>1</Value></Integer>', "works out to 0x100000000000000F0"),
    # address terms that are not numbers an address can take
    # (NaN reads as INT64_MIN, as the reference converts it: no address to read there)
    (_reg("R", "<pAddress>F</pAddress>") + '<Float Name="F"><Value>nan</Value></Float>',
     "works out to -0x8000000000000000, outside the 64-bit address space"),
    (_reg("R", "<pAddress>F</pAddress>") + '<Float Name="F"><Value>inf</Value></Float>',
     "inf is out of the range an integer can take"),
    # lengths a register type cannot hold
    (_reg("R", "<Address>0</Address>", length="<Length>0</Length>"), "holds 1 to 8"),
    (_reg("R", "<Address>0</Address>", length="<Length>16</Length>"), "holds 1 to 8"),
    (_reg("R", "<Address>0</Address>", length="<Length>-1</Length>", tag="Register"),
     "length is -1 bytes"),
    (_reg("R", "<Address>0</Address>", length="<Length>0x100000000000</Length>",
          tag="StringReg"), "holds 0 to 67108864"),
    (_reg("R", "<Address>0</Address>", length="<pLength>L</pLength>", tag="Register")
     + '<Integer Name="L"><Value>-8</Value></Integer>', "length is -8 bytes"),
    (_reg("R", "<Address>0</Address>", length="<Length>5</Length>", tag="FloatReg"),
     "4 or 8 bytes"),
])
def test_bad_addresses_and_lengths_are_xml_errors_naming_the_node(body: str,
                                                                  expected: str) -> None:
    nm = nodemap.NodeMap.from_xml(description(body))
    port = RecordingPort(0x1000)
    nm.connect(port)
    written = {"Register": b"\0", "String": ""}.get(nm.features["R"].kind, 0)
    for action in (lambda: nm.features["R"].value,
                   lambda: setattr(nm.features["R"], "value", written)):
        with pytest.raises(XmlError, match=expected) as info:
            action()
        assert "'R'" in str(info.value)
    assert port.calls == []          # refused before the port is asked
    assert nm.prefetch(["R"]) == 0   # and prefetch leaves it to the checked read


def test_empty_raw_register_reads_no_bytes_without_asking_the_port() -> None:
    body = (_reg("R", "<Address>0x10</Address>", length="<pLength>L</pLength>",
                 tag="Register", access="RO")
            + '<Integer Name="L"><Value>0</Value></Integer>')
    nm = nodemap.NodeMap.from_xml(description(body))
    port = RecordingPort(0x100)
    nm.connect(port)
    assert nm.features["R"].value == b""
    assert port.calls == []


@settings(max_examples=200, deadline=None)
@given(address=st.integers(-(1 << 70), 1 << 70), offset=st.integers(-(1 << 63), (1 << 63) - 1),
       length=st.sampled_from([1, 2, 4, 8]))
def test_any_computed_address_reaches_the_port_only_inside_64_bits(
        address: int, offset: int, length: int) -> None:
    body = (_reg("R", f"<Address>{address}</Address><pAddress>Off</pAddress>",
                 length=f"<Length>{length}</Length>")
            + f'<Integer Name="Off"><Value>{offset}</Value></Integer>')
    nm = nodemap.NodeMap.from_xml(description(body))
    port = RecordingPort(0)
    nm.connect(port)
    total = address + offset
    try:
        nm.features["R"].value  # noqa: B018
    except XmlError as exc:
        assert not (0 <= total and total + length <= 1 << 64), exc
        assert "'R'" in str(exc) and port.calls == []
    except nodemap.errors.PortError:   # inside the space: the (empty) port refuses it
        assert 0 <= total and total + length <= 1 << 64
        assert port.calls == [("read", total, length)]
    else:  # pragma: no cover - an empty port cannot answer
        raise AssertionError("an empty MemoryPort answered a read")
