"""nodemap: one GenICam GenApi feature API for every camera.

    import nodemap
    nm = nodemap.NodeMap.from_xml("camera.xml")
    nm.connect(nodemap.MemoryPort(0x10000), name="Device")
    nm.features["Width"].value = 256

    with nodemap.open("gvcp://192.168.1.10") as cam:
        cam.features["SCPS0"].value = 1500

Only the public surface lives here; transports are imported on first use.
"""

from __future__ import annotations

from . import errors
from .camera import Camera, open
from .errors import (AccessError, DeviceError, FormulaError, NodeMapError, PortError,
                     ProtocolError, RangeError, TimeoutError, UnsupportedError, XmlError)
from .features import Feature, Features
from .nodemap import NodeMap
from .port import MemoryPort, Port

__version__ = "0.1.0"

__all__ = [
    "open", "Camera", "NodeMap", "Features", "Feature", "Port", "MemoryPort", "errors",
    "NodeMapError", "AccessError", "RangeError", "FormulaError", "XmlError", "PortError",
    "TimeoutError", "DeviceError", "ProtocolError", "UnsupportedError", "__version__",
]
