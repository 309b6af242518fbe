"""The GenTL transport as a nodemap plugin (``gentl:/path/producer.cti?device=SERIAL``).

Discovery loads every producer on ``GENICAM_GENTL64_PATH`` (``GENICAM_GENTL32_PATH`` on a
32-bit Python) plus those given with ``--cti``, and lists each producer's interfaces and
their devices.  A producer that cannot be loaded is reported in the log and skipped.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterator

from nodemap.errors import NodeMapError
from nodemap.plugin import DiscoveredDevice, DiscoveryRequest, Option, TransportPlugin

__all__ = ["plugin", "discover"]

log = logging.getLogger("nodemap.gentl")


def discover(request: DiscoveryRequest) -> Iterator[DiscoveredDevice]:
    """Every device of every producer on the path (and of ``--cti`` files)."""
    from .api import producer_path_variable
    from .link import device_url
    from .producer import Producer, producer_paths

    if (request.serial_ports or request.address) and "gentl" not in request.only:
        return      # the user asked about serial lines or one IP address
    extra = request.options.get("gentl_producers") or ()
    if isinstance(extra, (str, Path)):
        extra = (extra,)
    paths = [Path(p) for p in extra] + producer_paths()
    if not paths:
        log.info("gentl discovery: %s names no producer", producer_path_variable())
    timeout_ms = max(1, int(request.timeout * 1000))
    seen: set[Path] = set()
    for path in paths:
        key = path.resolve()
        if key in seen:
            continue
        seen.add(key)
        try:
            producer = Producer.open(path)
        except NodeMapError as exc:
            if str(path) in {str(p) for p in extra}:
                raise ValueError(f"--cti {path}: {exc}") from exc
            log.warning("gentl discovery: skipping %s: %s", path, exc)
            continue
        try:
            entries = producer.devices(request.interface, timeout_ms)
            for entry in entries:
                yield DiscoveredDevice(
                    url=device_url(entry, entries), transport="gentl", vendor=entry.vendor,
                    model=entry.model, serial=entry.serial, interface=entry.interface,
                    extra={"producer": str(producer.path), "device_id": entry.id,
                           "display_name": entry.display_name, "tl_type": entry.tl_type,
                           "user_name": entry.user_name, "access_status": entry.access_status})
        except NodeMapError as exc:
            log.warning("gentl discovery on %s: %s", path, exc)
        finally:
            producer.close()


plugin = TransportPlugin(
    name="gentl",
    summary="any camera with a GenTL producer (.cti): USB3 Vision, CoaXPress, Camera Link, "
            "GigE through the vendor's driver",
    schemes=("gentl",),
    url_forms=("gentl:/path/producer.cti?device=SERIAL",
               "gentl:/path/producer.cti?index=N[&interface=ID]",
               "gentl:?device=SERIAL   (producers on GENICAM_GENTL64_PATH)"),
    open_link="nodemap.transports.gentl.link:open_link",
    discover=discover,
    discover_options=(
        Option(("--cti",), "gentl_producers",
               "also ask this GenTL producer file (repeatable)", kind="existing-file",
               multiple=True),),
    capabilities=frozenset({"features", "registers", "images", "chunks"}),
    unreachable_hint=("check the producer path (or GENICAM_GENTL64_PATH), that the vendor's "
                      "driver sees the camera (its own viewer), and that no other program "
                      "holds it open"),
)
