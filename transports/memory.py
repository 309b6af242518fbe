"""``mem:PATH``: a device simulated by a MemoryPort behind any XML description.

Useful for trying a description without hardware: registers start at zero unless a
``fill`` byte is given (``mem:camera.xml?size=65536&base=0``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs

import attrs

from nodemap.errors import ParameterError
from nodemap.plugin import TransportPlugin
from nodemap.port import MemoryPort
from nodemap.urls import split_scheme, unknown_parameters_error


@attrs.define
class MemoryLink:
    """A MemoryPort plus the XML that describes it."""

    port: MemoryPort
    xml: bytes = attrs.field(repr=False)
    port_name: str = "Device"

    def descriptions(self, progress: Callable[[int, int], None] | None = None) -> list[bytes]:
        if progress:
            progress(len(self.xml), len(self.xml))
        return [self.xml]

    def close(self) -> None:
        pass


def open_link(url: str, *, xml: bytes | None = None, size: int | None = None,
              base: int | None = None, **_ignored: Any) -> MemoryLink:
    _, rest = split_scheme(url)
    path, _, query = rest.partition("?")
    params = {k: v[-1] for k, v in parse_qs(query).items()}
    unknown = set(params) - {"size", "base"}
    if unknown:
        raise unknown_parameters_error(url, unknown, {"size", "base"})
    numbers: dict[str, int] = {}
    for key in ("size", "base"):
        if key in params:
            try:
                numbers[key] = int(params[key], 0)
            except ValueError:
                raise ParameterError(f"{url!r}: {key}={params[key]!r} is not a number (e.g. "
                                     f"{key}=0x10000)") from None
            if numbers[key] < 0 or numbers[key] > 1 << 32:
                raise ParameterError(f"{url!r}: {key}={params[key]} is outside 0-4 GiB")
    data = xml if xml is not None else Path(path).read_bytes()
    size = numbers.get("size", size or 0x100000)
    base = numbers.get("base", base or 0)
    port = MemoryPort(size, base=base)
    return MemoryLink(port=port, xml=data)


plugin = TransportPlugin(
    name="mem",
    summary="any GenApi XML backed by memory (try a description without hardware)",
    schemes=("mem",),
    url_forms=("mem:FILE.xml[?size=N&base=ADDR]",),
    open_link=open_link,
    discover_by_default=False,
    capabilities=frozenset({"features", "registers"}),
    unreachable_hint="check the XML file's path",
)
