"""Which features of a node map read registers on given ports.

Chunk data and event data reach the node map through ``Port`` nodes with a ``<ChunkID>`` or
an ``<EventID>``; the features an application reads for them are the value nodes that read,
directly or through other nodes, a register on such a port.  Both adapters ask this module.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from .errors import NodeMapError

if TYPE_CHECKING:
    from .nodemap import NodeMap


def reads_port(nodemap: "NodeMap", name: str, ports: Collection[str]) -> bool:
    """Whether ``name`` or a node it depends on is a register on one of ``ports`` (nodes
    are built on demand; a node the description cannot build does not count)."""
    seen = {name}
    stack = [name]
    while stack:
        current = stack.pop()
        if current not in nodemap:
            continue
        try:
            node = nodemap.node(current)
        except NodeMapError:
            continue
        if getattr(node, "port_name", None) in ports:
            return True
        for dependency in node.dependencies:
            if dependency not in seen and dependency not in ports:
                seen.add(dependency)
                stack.append(dependency)
    return False


def features_on_ports(nodemap: "NodeMap", ports: Collection[str],
                      accept: Callable[[str], bool]) -> tuple[str, ...]:
    """The nodes ``accept`` admits that read a register on ``ports``, in document order,
    without the nodes another found one wraps (``ChunkExposureTime``, not the
    ``ChunkExposureTimeReg`` it reads)."""
    found = [name for name in nodemap.names
             if name not in ports and accept(name) and reads_port(nodemap, name, ports)]
    wrapped = {d for name in found for d in nodemap.node(name).dependencies if d in found}
    return tuple(n for n in found if n not in wrapped)
