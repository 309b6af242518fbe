"""Where a simulated GigE device keeps the description it serves through its first URL.

The ``Local:name;ADDR;LEN`` URL points into the device's own register space, so the blob must
sit where the description declares no register: a 1.1 MB vendor XML placed at a fixed address
would cover (and make read-only) dozens of the camera's own registers.  :func:`register_spans`
lists the address ranges a description's registers occupy (static ``<Address>`` sums plus
``<Length>``; an indexed register reserves room for :data:`INDEX_BOUND` indices), and
:func:`free_address` picks an aligned range in the 32-bit space that none of them touches,
preferring :data:`PREFERRED` when it is free.
"""

from __future__ import annotations

from nodemap.errors import NodeMapError

__all__ = ["ALIGN", "INDEX_BOUND", "PREFERRED", "PlacementError", "free_address",
           "register_spans"]

ALIGN = 0x1_0000           # blobs start on a 64 KiB boundary
PREFERRED = 0x10_0000      # where the served XML has always gone when nothing is there
LOWEST = 0x1_0000          # never below: bootstrap (0x0000-0x9FFF) and its neighbourhood
SPACE = 1 << 32            # GVCP addresses are 32-bit
INDEX_BOUND = 256          # indices an indexed register (pIndex) is assumed to reach


class PlacementError(NodeMapError, ValueError):
    """No free address range can hold the served description."""


def _number(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text.strip(), 0)
    except ValueError:
        return None


def register_spans(xml: bytes) -> list[tuple[int, int]]:
    """``(start, end)`` of every register range the description ``xml`` declares, sorted.

    Raises :class:`~nodemap.errors.XmlError` when ``xml`` is not a loadable description.
    """
    from nodemap.loader import localname, parse_document

    document = parse_document(xml)
    spans: list[tuple[int, int]] = []
    for element in document.root.iter():
        if not isinstance(element.tag, str):
            continue                       # comments, processing instructions
        children = [c for c in element if isinstance(c.tag, str)]
        addresses = [_number(c.text) for c in children if localname(c.tag) == "Address"]
        if not addresses or any(a is None for a in addresses):
            continue
        start = sum(a for a in addresses if a is not None)
        length = 4
        extent = 0
        for child in children:
            tag = localname(child.tag)
            if tag == "Length":
                length = _number(child.text) or 4
            elif tag == "pIndex":
                offset = _number(child.get("Offset")) or length
                extent = max(extent, offset * INDEX_BOUND)
        length = max(length, 1)
        end = start + max(length, extent)
        if end > 0 and start < SPACE:
            spans.append((max(start, 0), min(end, SPACE)))
    return sorted(spans)


def _align(value: int) -> int:
    return (value + ALIGN - 1) // ALIGN * ALIGN


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def free_address(spans: list[tuple[int, int]], length: int) -> int:
    """The lowest aligned address (``PREFERRED`` first) where ``length`` bytes overlap none
    of ``spans`` and fit in the 32-bit space; :class:`PlacementError` when there is none."""
    merged = _merged(spans)

    def free(start: int) -> bool:
        end = start + length
        if end > SPACE:
            return False
        for s, e in merged:
            if s >= end:
                return True
            if e > start:
                return False
        return True

    if free(PREFERRED):
        return PREFERRED
    for start in (LOWEST, *(_align(e) for _, e in merged)):
        if start >= LOWEST and free(start):
            return start
    raise PlacementError(
        f"no free {length}-byte range in the 32-bit register space: the description's "
        f"registers leave no gap for the served XML; serve it zipped (--zip) to make it "
        f"smaller")
