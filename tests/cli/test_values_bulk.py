"""`nodemap values` reads in bulk where the transport allows (concatenated READREG)."""

from __future__ import annotations

from transports.gvcp import protocol as p

from .conftest import as_json


def _values_and_packets(cli, make_gige, concatenation: bool) -> tuple[dict, int]:
    """The values and the READREG requests the device received for them (the XML download,
    READMEM, is the same either way and grows with the description: not counted)."""
    url, sim = make_gige()
    sim.concatenation = concatenation
    handle, reads = sim._handle, [0]

    def counting(data: bytes, peer: tuple[str, int]) -> None:
        try:
            reads[0] += isinstance(p.decode_command(data), p.ReadRegCmd)
        except p.GvcpCodecError:
            pass
        handle(data, peer)

    sim._handle = counting
    values = as_json(cli("values", url, "--json"))["values"]
    return values, reads[0]


def test_values_uses_concatenated_reads(cli, make_gige):
    bulk, bulk_packets = _values_and_packets(cli, make_gige, True)
    single, single_packets = _values_and_packets(cli, make_gige, False)
    # Same answers either way, but for what identifies each simulated device.
    identity = {"CurrentIPAddress", "MACAddressLow", "MACAddressHigh", "SerialNumber",
                "PrimaryApplicationPort", "PrimaryApplicationIPAddress", "DeviceID"}
    assert bulk.keys() == single.keys() and len(bulk) > 20
    assert {k: v for k, v in bulk.items() if k not in identity} == \
        {k: v for k, v in single.items() if k not in identity}
    assert single_packets > 20 and bulk_packets < 0.6 * single_packets  # far fewer in bulk
