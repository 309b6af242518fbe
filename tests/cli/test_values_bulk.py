"""`nodemap values` reads in bulk where the transport allows (concatenated READREG)."""

from __future__ import annotations

from .conftest import as_json


def _values_and_packets(cli, make_gige, concatenation: bool) -> tuple[dict, int]:
    url, sim = make_gige()
    sim.concatenation = concatenation
    before = sim.stats["received"]
    values = as_json(cli("values", url, "--json"))["values"]
    return values, sim.stats["received"] - before


def test_values_uses_concatenated_reads(cli, make_gige):
    bulk, bulk_packets = _values_and_packets(cli, make_gige, True)
    single, single_packets = _values_and_packets(cli, make_gige, False)
    # Same answers either way, but for what identifies each simulated device.
    identity = {"CurrentIPAddress", "MACAddressLow", "MACAddressHigh", "SerialNumber",
                "PrimaryApplicationPort", "PrimaryApplicationIPAddress", "DeviceID"}
    assert bulk.keys() == single.keys() and len(bulk) > 20
    assert {k: v for k, v in bulk.items() if k not in identity} == \
        {k: v for k, v in single.items() if k not in identity}
    assert bulk_packets < 0.6 * single_packets        # far fewer round trips in bulk
