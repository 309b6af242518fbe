"""Camera: one device = a transport link (port + XML) + the node map built from it.

``nodemap.open(url)`` returns a Camera.  Transport-specific extras of the link
(``snapshot`` on SXH485, ``files`` on VS-1 ...) are reachable as attributes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from ..nodemap import NodeMap
from ..port import Port

if TYPE_CHECKING:
    from ..features import Features
    from ..imaging.frame import Frame
    from ..imaging.stream import Stream
    from ..plugin import DeviceLink

__all__ = ["Camera", "open"]


class Camera:
    """A connected device: ``cam.features[...]``, ``cam.port``, ``cam.nodemap``."""

    def __init__(self, link: DeviceLink, *,
                 progress: Callable[[int, int], None] | None = None) -> None:
        self.link = link
        try:
            self.nodemap = NodeMap.from_xml(*link.descriptions(progress))
            self.nodemap.connect(link.port, name=getattr(link, "port_name", "Device"))
        except BaseException:
            link.close()
            raise

    @property
    def port(self) -> Port:
        return self.link.port

    @property
    def features(self) -> Features:
        return self.nodemap.features

    def stream(self, buffers: int = 8, packet_size: int | None = None,
               **options: Any) -> Stream:
        """A :class:`nodemap.imaging.Stream`: acquisition starts on ``with`` entry, stops on
        exit.  ``packet_size`` fixes the GVSP packet size instead of negotiating it."""
        from ..imaging.stream import Stream

        open_stream = getattr(self.link, "open_stream", None)
        if open_stream is None:
            from ..errors import UnsupportedError
            extras = [name for name in ("snapshot", "files", "events")
                      if hasattr(self.link, name)]
            instead = (f"; it offers {', '.join(extras)}" if extras else
                       "; use cam.features and cam.port")
            raise UnsupportedError(f"{type(self.link).__name__} cannot stream images"
                                   f"{instead}")
        return Stream(open_stream(self.nodemap, buffers=buffers, packet_size=packet_size,
                                  **options))

    def grab(self, timeout: float = 2.0, **options: Any) -> Frame:
        """One frame: a short stream (2 buffers) started and stopped around it."""
        options.setdefault("buffers", 2)
        with self.stream(**options) as stream:
            return stream.next(timeout)

    @property
    def events(self) -> Any:
        """The device's events (``enable``, ``iter``, ``subscribe``): the link's own
        ``events``, else what its ``open_events(nodemap)`` opens (GigE Vision: the message
        channel) on first use, closed with the camera."""
        events = self.__dict__.get("_events")
        if events is None:
            own = getattr(self.link, "events", None)
            if own is not None:
                return own
            from .events_cli import open_events

            events = self.__dict__["_events"] = open_events(self)
        return events

    @property
    def files(self) -> Any:
        """The device's files (``list``, ``read``, ``write``, ``open``): the transport's own
        file service where it has one (VS-1: FTP), else the SFNC FileAccessControl
        features of the node map (:class:`nodemap.files.FileAccess`)."""
        from ..errors import UnsupportedError

        if hasattr(self.link, "files"):
            own = self.link.files
            if own is None:
                raise UnsupportedError(f"{type(self.link).__name__}: its file service is "
                                       f"switched off (see the URL's options, e.g. ftp=)")
            return own
        files = self.__dict__.get("_files")
        if files is None:
            from ..files import FEATURES, FileAccess, supports_files

            if not supports_files(self.nodemap):
                raise UnsupportedError(
                    f"{type(self.link).__name__}: this device has no file access (its "
                    f"description lacks the SFNC FileAccessControl features "
                    f"{', '.join(n for n in FEATURES if n not in self.nodemap.features)})")
            files = self.__dict__["_files"] = FileAccess(self.nodemap)
        return files

    def close(self) -> None:
        events = self.__dict__.pop("_events", None)
        try:
            if events is not None:
                events.close()
        finally:
            self.link.close()

    def __enter__(self) -> "Camera":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name == "link":
            raise AttributeError(name)
        try:
            return getattr(self.link, name)
        except AttributeError:
            raise AttributeError(
                f"{type(self).__name__} has no attribute {name!r} (nor does its "
                f"{type(self.link).__name__})") from None

    def __repr__(self) -> str:
        return f"<Camera {self.link!r}>"


def open(url: str, *, progress: Callable[[int, int], None] | None = None,  # noqa: A001
         **options: Any) -> Camera:
    """Open the device at ``url``: the scheme picks the transport plugin
    (``gvcp://``, ``fcb:``, ``sxh485:``, ``vs1://``, ``mem:`` and any installed plugin's)."""
    from .plugins import open_link

    return Camera(open_link(url, **options), progress=progress)
