"""GenTL producers (``.cti``) as a nodemap transport: ``gentl:/path/producer.cti?device=SERIAL``.

The producer is the vendor's binary (USB3 Vision, CoaXPress, Camera Link, GigE through the
vendor's driver), reached through ctypes (``api``); nodemap's own engine evaluates the
device XML on top.  See docs/gentl.md.
"""
