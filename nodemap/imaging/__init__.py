"""Images: frames, PFNC pixel formats and the transport-neutral acquisition API.

``nodemap.imaging.pfnc`` names pixel formats and unpacks payloads into numpy arrays,
``nodemap.imaging.frame`` holds one delivered image, ``nodemap.imaging.stream`` is the
``with cam.stream() as s: for frame in s.frames(): ...`` surface every image-making
transport answers.  Nothing here knows a wire; numpy is imported only when an array is made.
"""

from __future__ import annotations

from .frame import Frame
from .stream import FrameSource, Stream

__all__ = ["Frame", "FrameSource", "Stream"]
