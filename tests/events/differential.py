"""Both sides of the event differential: the same EVENT/EVENTDATA packets delivered to our
:class:`nodemap.events.EventAdapter` and to the GenICam reference's ``EventAdapterGEV``,
each reporting every named feature's value after each packet ("Error" where reading it
raises the side's own error).  The sim test and the hypothesis test share it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from nodemap.errors import NodeMapError
from nodemap.events import EventAdapter
from nodemap.nodemap import NodeMap
from nodemap.transports.gvcp.events import deliver_message

Facts = list[dict[str, object]]

# The reference crashes when its node map and adapter are destroyed in a pytest process;
# each comparison therefore runs in a child interpreter.
CHILD = r'''
import json, sys, os, genicam.genapi as g
job = json.loads(sys.stdin.read())
nm = g.NodeMap(); nm.load_xml_from_string(job["xml"])
ad = g.EventAdapterGEV(nm.pointer)
out = []
for packet in job["packets"]:
    ad.deliver_message(bytes.fromhex(packet))
    facts = {}
    for name in job["features"]:
        try:
            facts[name] = nm.get_node(name).value
        except g.GenericException:
            facts[name] = "Error"
    out.append(facts)
sys.stdout.write(json.dumps(out)); sys.stdout.flush(); os._exit(0)
'''


def _text(xml: str | bytes) -> str:
    return xml.decode() if isinstance(xml, bytes) else xml


def reference_facts(xml: str | bytes, features: list[str], packets: list[bytes]) -> Facts:
    """The reference's feature values after each packet (in a child interpreter)."""
    job = {"xml": _text(xml), "features": features, "packets": [x.hex() for x in packets]}
    done = subprocess.run([sys.executable, "-c", CHILD], input=json.dumps(job),
                          capture_output=True, text=True, timeout=120, cwd=os.getcwd(),
                          check=True)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def our_facts(xml: str | bytes, features: list[str], packets: list[bytes]) -> Facts:
    """Our feature values after each packet."""
    nm = NodeMap.from_xml(_text(xml).encode())
    adapter = EventAdapter(nm)
    out = []
    for packet in packets:
        deliver_message(adapter, packet)
        facts: dict[str, object] = {}
        for name in features:
            try:
                facts[name] = nm.node(name).get()
            except NodeMapError:      # ours; anything else is a bug and must surface
                facts[name] = "Error"
        out.append(facts)
    return out


def as_int64(facts: Facts) -> Facts:
    """GenApi integers are int64: an 8-byte unsigned register >= 2**63 reads negative
    there and as the unsigned value here (the engine's documented choice); compare both
    modulo 2**64."""
    return [{k: v & (2**64 - 1) if isinstance(v, int) else v for k, v in f.items()}
            for f in facts]
