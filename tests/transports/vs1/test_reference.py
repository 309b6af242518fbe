"""vs1.xml through the GenApi reference (``genicam`` wheel) over the live VS-1 Port:
proves the description is valid GenApi and the virtual registers decode as intended."""

from __future__ import annotations

import pytest

from nodemap.resources import description_path
from tests.peers import require_genicam
from tests.reference.memory import reference_port
from nodemap.transports.vs1.link import open_link

from tests.polling import wait_until

from .conftest import make_sim


def test_reference_reads_vs1_features() -> None:
    genapi = require_genicam()

    with make_sim(rate=1000.0, count=50) as device, \
            open_link(device.url + "&retry=0.1&monitor=0.2", wait=10) as link:
        port = reference_port(link.port)
        nm = genapi.NodeMap()
        nm.load_xml_from_file(str(description_path("vs1.xml")))
        nm.connect(port, "Device")
        assert wait_until(lambda: nm.get_node("ResultCount1").value == 50, 30.0)
        assert nm.get_node("ResultString1").value.startswith("R1;SEQ=49;")
        assert nm.get_node("ResultDropped1").value == 0
        assert nm.get_node("BootHostName").value == "host"
        nm.get_node("ServiceSelector").value = "Result1"
        assert nm.get_node("ConnectionState").value == "Connected"
        nm.get_node("ServiceSelector").value = "Http"
        assert wait_until(lambda: nm.get_node("ConnectionState").value == "Connected", 30.0)
        with pytest.raises(Exception, match="proprietary"):
            nm.get_node("VskitCameraRPC").get(4)
        del nm, port
