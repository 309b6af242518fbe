"""nodemap: one GenICam GenApi feature API for every camera.

    import nodemap
    nm = nodemap.NodeMap.from_xml("camera.xml")
    nm.connect(nodemap.MemoryPort(0x10000), name="Device")
    nm.features["Width"].value = 256

    with nodemap.open("gvcp://192.168.1.10") as cam:
        cam.features["SCPS0"].value = 1500

Only the public surface lives here; ``open`` and ``Camera`` come from the application layer
(``nodemap.app``), transports are imported on first use of their URL scheme.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from . import errors
from .errors import (AccessError, DeviceError, FormulaError, NodeMapError, PortError,
                     ParameterError, ProtocolError, RangeError, TimeoutError, UnsupportedError,
                     XmlError, FeatureSetError)
from .features import Feature, Features
from .nodemap import NodeMap
from .port import MemoryPort, Port

__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    from .app.camera import Camera


def open(url: str, *, progress: Callable[[int, int], None] | None = None,  # noqa: A001
         **options: Any) -> "Camera":
    """Open the device at ``url`` (``gvcp://HOST``, ``fcb:PORT?address=N``, ``sxh485:...``,
    ``vs1://HOST``, ``mem:FILE.xml`` or any installed plugin's scheme) → a Camera."""
    from .app.camera import open as open_camera

    return open_camera(url, progress=progress, **options)


def __getattr__(name: str) -> Any:
    if name == "Camera":
        from .app.camera import Camera

        return Camera
    raise AttributeError(f"module 'nodemap' has no attribute {name!r}")

__all__ = [
    "open", "Camera", "NodeMap", "Features", "Feature", "Port", "MemoryPort", "errors",
    "NodeMapError", "AccessError", "RangeError", "FormulaError", "XmlError", "PortError",
    "TimeoutError", "DeviceError", "ProtocolError", "UnsupportedError", "ParameterError", "FeatureSetError",
    "__version__",
]
