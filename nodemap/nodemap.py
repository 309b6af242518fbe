"""NodeMap: the lazy graph of GenApi nodes behind one or more XML descriptions.

Responsibilities: build nodes on first use, bind Ports to Port nodes, and keep the
caches honest.  Every result a node computes (value, bounds, access) and every register
byte read lives in the node map's one :class:`~nodemap.cache.Store` (:attr:`NodeMap.store`);
a change anywhere (a write, ``pInvalidator``, a selector, a poll) invalidates there what
depends on it, transitively.  docs/core.md explains the design.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence

from lxml import etree

from .cache import MISSING, Store
from .errors import AccessError, NodeMapError, XmlError
from .lazyindex import FullIndex, Index, open_index
from .loader import Document, Source, localname
from .nodes import NODE_CLASSES, UnknownNode
from .nodes.base import Node
from .nodes.registers import RegisterNode
from .nodes.values import Integer, writes_through
from .pointers import pointer_target
from .port import Port

if TYPE_CHECKING:  # pragma: no cover
    from .features import Features

__all__ = ["NodeMap"]

log = logging.getLogger("nodemap.core")


class _Evaluating:
    """Context manager marking (node, aspect) as under evaluation, to catch cycles."""

    __slots__ = ("nodemap", "key")

    def __init__(self, nodemap: "NodeMap", key: tuple[str, str]) -> None:
        self.nodemap = nodemap
        self.key = key

    def __enter__(self) -> None:
        active = self.nodemap.active
        if self.key in active:
            raise self.nodemap.cycle_error(self.key)
        active[self.key] = None

    def __exit__(self, *exc: object) -> None:
        self.nodemap.active.pop(self.key, None)


class NodeMap:
    """The node graph of a device description.  See docs/architecture.md for how a read travels."""

    def __init__(self, documents: Sequence[Document | Index]) -> None:
        if not documents:
            raise XmlError("a node map needs at least one description")
        #: the descriptions' indexes: name → element type, elements parsed on first use
        self._indexes: list[Index] = [FullIndex(document) if isinstance(document, Document)
                                      else document for document in documents]
        self._merged_categories: dict[str, list[Index]] = {}
        #: name → the index defining it, when there are several (earlier ones win)
        self._owners: dict[str, Index] | None = None
        if len(self._indexes) == 1:
            #: name → element type, in document order
            self._tags: dict[str, str] = dict(self._indexes[0].tags)
        else:
            self._tags = {}
            self._owners = {}
            for index in self._indexes:
                for name, tag in index.tags.items():
                    if name not in self._tags:
                        self._tags[name] = tag
                        self._owners[name] = index
                    elif tag == "Category" and self._tags[name] == "Category":
                        self._merged_categories.setdefault(name, []).append(index)
        self._nodes: dict[str, Node] = {}
        self._ports: dict[str, Port] = {}
        self.lock = threading.RLock()
        #: every cached result, register byte and held value (docs/core.md)
        self.store = Store()
        #: (node, aspect) pairs under evaluation, in the order they began (a dict as an
        #: ordered set): the evaluation stack, which names a cycle when one closes.
        self.active: dict[tuple[str, str], None] = {}
        self._behind: dict[str, tuple[Node, ...]] = {}
        #: nodes to build so that the invalidation graph is complete (see _link)
        self._link_queue: list[str] = []
        #: built nodes whose edges beyond their inputs wait for complete_graph
        self._unlinked: list[str] = []
        self._linking = False
        self._deep_next = False
        self._selected_by: dict[str, tuple[str, ...]] | None = None
        self._behind_built = 0
        self._poll_elapsed: dict[str, int] = {}
        self._features: "Features | None" = None
        #: whether the last write of a value node ended in a constant slot of an indexed
        #: Integer that also has pointer slots (see :meth:`quiet_written`)
        self.quiet_write = False

    # -- construction -------------------------------------------------------------------

    @classmethod
    def from_xml(cls, *sources: Source) -> "NodeMap":
        """Load one description, or several layered ones (names in earlier ones win).

        Each source is a path (``str``/``Path``) or ``bytes`` of XML or of a zip.  Opening
        only indexes the names (:mod:`nodemap.lazyindex`); an element is parsed when its
        node is first built.
        """
        if not sources:
            raise TypeError("from_xml() needs at least one XML source")
        return cls([open_index(source) for source in sources])

    @property
    def documents(self) -> list[Document]:
        """The whole parsed documents (parsed on first use: the runtime does not need
        them; export, persistence and the tools do)."""
        return [index.document for index in self._indexes]

    @property
    def names(self) -> list[str]:
        """Every node name, in document order."""
        return list(self._tags)

    def __contains__(self, name: object) -> bool:
        return name in self._tags

    def element_type(self, name: str) -> str:
        """The XML element type of node ``name`` (``IntReg``, ``EnumEntry`` ...)."""
        return self._tags[name]

    def element(self, name: str) -> etree._Element:
        """The XML element of node ``name`` (parsed on first use).  ``KeyError`` if absent."""
        owners = self._owners
        index = self._indexes[0] if owners is None else owners[name]
        return index.element(name)

    def _struct_parent(self, name: str) -> etree._Element | None:
        owners = self._owners
        index = self._indexes[0] if owners is None else owners[name]
        return index.struct_parent(name)

    def node(self, name: str) -> Node:
        """The node called ``name``, built on first use.  ``KeyError`` if absent."""
        node = self._nodes.get(name)
        if node is not None:
            return node
        with self.lock:
            node = self._nodes.get(name)
            if node is not None:
                return node
            element = self.element(name)
            cls = NODE_CLASSES.get(self._tags[name], UnknownNode)
            node = cls(self, name, element, self._struct_parent(name))
            node.built()
            if self._deep_next:
                node.deep = True
                self._deep_next = False
            self._nodes[name] = node
            self._link(node)
            return node

    def _link(self, node: Node) -> None:
        """Enter ``node``'s inputs in the store's graph (what its results are computed
        from: pointers, formula variables, port); the rest of its edges wait for
        :meth:`complete_graph` (:meth:`_link_more`), which every invalidation calls
        first, so a session that only reads never pays for them."""
        self.store.depend(node.name, node.dependencies)
        self._unlinked.append(node.name)

    def _link_more(self, node: Node) -> None:
        """Enter the rest of ``node``'s edges, as the reference follows them: the nodes
        it names in ``pInvalidator`` (an EnumEntry's are ignored, as in the reference),
        its selectors and what it selects (``pSelected``: a selected node depends on
        its selector), and which inputs' values its access mode and bounds read
        (:meth:`Store.impact`).  An invalidation then reaches, transitively, every node
        whose results may change, and nothing else: the registers *behind* a selected
        feature or an invalidated node keep their bytes (measured: the reference
        re-reads neither)."""
        store = self.store
        name = node.name
        definition = node.definition
        elements = self._tags
        store.depend_aspects(name, _targets(definition, ACCESS_READS, elements),
                             _targets(definition, CONVERTER_BOUND_READS if definition.type in
                                      ("Converter", "IntConverter") else BOUND_READS,
                                      elements))
        declared: list[str] = []
        if definition.type != "EnumEntry":
            declared.extend(target for target in definition.all("pInvalidator")
                            if target in elements)
            if declared:
                store.depend(name, declared, declared=True)
        for selected in definition.all("pSelected"):
            if selected in elements:
                store.depend(selected, (name,), declared=True)
        selectors = self._selectors().get(name)
        if selectors:
            store.depend(name, selectors, declared=True)
            declared.extend(selectors)
        if isinstance(node, RegisterNode):
            store.registers.add(name)
        # A pInvalidator target or a selector may never be read itself, yet a change
        # reaching it must reach this node: it is built (with everything it is computed
        # from, its own targets and selectors: a "deep" node) so its edges are there too.
        if node.deep:
            declared.extend(node.dependencies)
        queue = self._link_queue
        nodes = self._nodes
        for target in declared:
            built = nodes.get(target)
            if built is None or not built.deep:
                queue.append(target)

    def complete_graph(self) -> None:
        """Enter every pending edge (:meth:`_link_more`) and build the nodes they pass
        through, so that the invalidation about to happen follows every chain."""
        if (self._link_queue or self._unlinked) and not self._linking:
            with self.lock:
                self._linking = True
                try:
                    self._complete()
                finally:
                    self._linking = False

    def _complete(self) -> None:
        nodes = self._nodes
        queue = self._link_queue
        while self._unlinked or queue:
            names, self._unlinked = self._unlinked, []
            for name in names:
                self._link_more(nodes[name])
            while queue:
                name = queue.pop()
                node = nodes.get(name)
                if node is not None:
                    if not node.deep:
                        node.deep = True
                        self._link_more(node)
                    continue
                if name not in self._tags:
                    continue
                self._deep_next = True
                try:
                    self.node(name)  # queues it in _unlinked, deep
                except NodeMapError:
                    continue  # a broken node has no results to forget; reading it says why
                finally:
                    self._deep_next = False

    def _selectors(self) -> dict[str, tuple[str, ...]]:
        """``pSelected`` reversed: selected node → the selectors naming it (scanned
        once, on the first node built)."""
        table = self._selected_by
        if table is None:
            found: dict[str, list[str]] = defaultdict(list)
            for index in self._indexes:
                for _, owner_name, text in index.owned("pSelected"):
                    target = text.strip()
                    if owner_name is not None and owner_name in self._tags and \
                            target and owner_name not in found[target]:
                        found[target].append(owner_name)
            table = self._selected_by = {name: tuple(owners) for name, owners in found.items()}
        return table

    def category_children(self, name: str, own: list[str]) -> list[str]:
        """A Category's pFeature list, merged over layered descriptions."""
        extra = self._merged_categories.get(name)
        if not extra:
            return own
        seen = dict.fromkeys(own)
        for index in extra:
            for child in index.element(name):
                if localname(child.tag) == "pFeature" and child.text:
                    seen.setdefault(child.text.strip())
        return list(seen)

    def reader(self, pointer: str, double: bool = False) -> Callable[[], Any]:
        """A callable reading ``Node`` or ``Node.Suffix`` (``.Value .Min .Max .Inc
        .Entry.X``) as a number, resolved lazily so the target may be built later.  An
        Enumeration gives its current entry's NumericValue: rounded to an integer
        (``numeric``), or with ``double`` (a SwissKnife's or Converter's variable) as
        it is (``double_value``)."""
        pointer = pointer.strip()
        if pointer in self._tags or "." not in pointer:
            name = pointer
            if name not in self._tags:
                return _missing_reader(name)
            nodes = self._nodes
            node_fn = self.node
            values = self.store.values
            # A node whose number is its value (every kind but Enumeration) is read
            # straight from the store when valid: formulas read many such inputs.
            plain = NODE_CLASSES.get(self.element_type(name), UnknownNode).numeric is \
                Node.numeric

            def read_value() -> Any:
                if plain:
                    value = values.get(name, MISSING)
                    if value is not MISSING:
                        return value
                    node = nodes.get(name)  # numeric() is get(): it missed already
                    return (node or node_fn(name)).evaluate_value()
                node = nodes.get(name)
                return (node or node_fn(name)).numeric()

            if double and not plain and self.element_type(name) == "Enumeration":
                def read_double() -> Any:
                    node = nodes.get(name)
                    return (node or node_fn(name)).double_value()  # type: ignore[attr-defined]
                read_double.cached_name = None  # type: ignore[attr-defined]
                return read_double

            # what a compiled formula may look up in the store itself (see
            # nodemap.nodes.formulas.FormulaTerms.runner) before calling the reader
            read_value.cached_name = name if plain else None  # type: ignore[attr-defined]
            return read_value
        name, _, suffix = pointer.partition(".")
        if name not in self._tags:
            return _missing_reader(name)
        return lambda: self.node(name).attribute(suffix)

    # -- ports --------------------------------------------------------------------------

    def connect(self, port: Port, name: str = "Device") -> None:
        """Bind ``port`` to the Port node called ``name`` (``Device`` by default)."""
        if not (callable(getattr(port, "read", None)) and callable(getattr(port, "write", None))):
            raise TypeError(f"{port!r} is not a Port: it needs read(address, length) and "
                            f"write(address, data)")
        with self.lock:
            self._ports[name] = port
            self.store.clear(constant=True)

    def bind(self, port: Port | None, name: str) -> None:
        """Bind ``port`` (None: unbind) to the Port node ``name`` and forget only what is
        computed from that port: the event and chunk paths rebind their ports on every
        event or frame, and the features on the other ports keep their cached values.
        ``connect`` checks its argument and clears everything; this is the fast path."""
        with self.lock:
            if port is None:
                self._ports.pop(name, None)
            else:
                self._ports[name] = port
            self.complete_graph()
            self.store.port_changed(name)

    def disconnect(self, name: str = "Device") -> None:
        with self.lock:
            self._ports.pop(name, None)
            self.store.clear(constant=True)

    def port(self, name: str) -> Port:
        try:
            return self._ports[name]
        except KeyError:
            raise AccessError(f"no Port is connected as {name!r}: call "
                              f"NodeMap.connect(port, name={name!r}) first") from None

    def has_port(self, name: str) -> bool:
        return name in self._ports

    # -- cache ----------------------------------------------------------------------------

    def evaluating(self, node: Node, aspect: str) -> _Evaluating:
        return _Evaluating(self, (node.name, aspect))

    def cycle_error(self, key: tuple[str, str]) -> XmlError:
        """The error for evaluating ``key`` = (node, aspect) while it is under way: it
        names every step of the cycle, from the node back to itself."""
        chain = list(self.active)
        steps = chain[chain.index(key):] if key in chain else [key]
        path = " -> ".join(f"{name} ({aspect})" for name, aspect in [*steps, key])
        try:
            line = self.element(key[0]).sourceline
        except (KeyError, XmlError):
            line = None
        return XmlError(f"reference cycle: {path}; the description makes {key[0]!r} depend "
                        f"on itself", line=line)

    def invalidate(self, name: str | None = None) -> None:
        """Forget cached values: of one node, the registers its value is read from and
        what depends on them (so the next read asks the device), or of every node.

        One node's invalidation drops every result of the node and of what is computed
        from it, as the reference's ``InvalidateNode`` does; of the registers its value
        is read from (not those only its pIsImplemented/pIsAvailable/pIsLocked
        conditions read, nor its Enumeration entries) it drops the bytes and the values
        computed from them, keeping the access modes and bounds the reference keeps
        (measured: it drops nothing the node is computed from)."""
        with self.lock:
            if name is None:
                self.store.clear()
                return
            self.node(name)  # KeyError for a name the description does not define
            self.complete_graph()
            store = self.store
            store.invalidate((name,))  # the node and what is computed from it
            # the value's registers: their bytes and the values computed from them go,
            # the access modes and bounds of those stay (as InvalidateNode keeps them)
            store.forget_bytes([register.name for register in self._registers_behind(name)])

    def changed(self, node: Node) -> None:
        """``node``'s value just changed (it was written): invalidate what depends on it
        (what is computed from it, what names it in ``pInvalidator``, what it selects:
        the store's graph holds all three, see :meth:`_link`), transitively."""
        if self._link_queue or self._unlinked:
            self.complete_graph()
        self.store.changed(node.name)  # a register keeps the bytes it wrote through

    def quiet_written(self, node: Node, value: Any, wrote_node: bool) -> None:
        """``node`` was written ``value`` by a write that ends in a constant slot
        (``ValueIndexed``/``ValueDefault``) of an indexed Integer that also has pointer
        slots.  The reference invalidates nothing after such a write: what is computed
        from the node keeps its cached value (its bounds, which the reference does not
        cache, go), a value kept from an earlier such write stays kept, and an Integer
        whose value path caches written values (``writes_through``) keeps ``value``
        through the next invalidation that reaches it (docs/core.md, "A write that
        invalidates nothing"); ``wrote_node``: ``node`` wrote a node, whose write did
        the invalidation."""
        store = self.store
        if not wrote_node:
            if self._link_queue or self._unlinked:
                self.complete_graph()
            store.forget_value(node.name)
            store.forget_bounds(store.downstream(node.name))
        if isinstance(node, Integer) and writes_through(node):
            store.keep_written(node.name, node.convert(value))
            # served by the node itself after its access check, for as long as it lasts
            node.evaluate_value = node.evaluate_kept
        self.quiet_write = True

    def _registers_behind(self, name: str) -> tuple[Node, ...]:
        """The built register nodes ``name``'s value is read from (its inputs,
        transitively, but not the nodes only a pIsImplemented/pIsAvailable/pIsLocked
        condition names, nor an Enumeration's entries); cached until more nodes are
        built."""
        return tuple(node for node in self.value_inputs(name)
                     if isinstance(node, RegisterNode))

    def value_inputs(self, name: str) -> tuple[Node, ...]:
        """The built nodes ``name``'s value is computed from, ``name`` first, then its
        inputs, transitively (not the nodes only a pIsImplemented/pIsAvailable/pIsLocked
        condition names, nor an Enumeration's entries); cached until more nodes are
        built."""
        if self._behind_built != len(self._nodes):
            self._behind.clear()
            self._behind_built = len(self._nodes)
        found = self._behind.get(name)
        if found is not None:
            return found
        nodes = []
        seen = {name}
        stack = [name]
        while stack:
            node = self._nodes.get(stack.pop())
            if node is None:
                continue
            nodes.append(node)
            # what only its access reads: its conditions, an Enumeration's entries
            skip = set(_targets(node.definition, CONDITIONS, self._tags))
            if node.kind == "Enumeration":
                skip.update(getattr(node, "entry_names", ()))
            for dependency in node.dependencies:
                if dependency not in seen and dependency not in skip:
                    seen.add(dependency)
                    stack.append(dependency)
        found = self._behind[name] = tuple(nodes)
        return found

    def poll(self, elapsed_ms: int) -> None:
        """Tell the node map ``elapsed_ms`` passed: nodes with a ``PollingTime`` whose
        time is up are invalidated (as GenApi's ``INodeMap::Poll``)."""
        with self.lock:
            expired = []
            for name, node in self._nodes.items():
                period = node.polling_time
                if not period:
                    continue
                total = self._poll_elapsed.get(name, 0) + elapsed_ms
                if total >= period:
                    expired.append(name)
                    total = 0
                self._poll_elapsed[name] = total
            for name in expired:
                self.invalidate(name)

    def prefetch(self, names: Iterable[str]) -> int:
        """Read the registers behind these features in as few port calls as the port
        allows (``read_many``: concatenated READREG on GigE Vision), filling their caches
        so the reads that follow are served without round trips.

        Only cacheable, readable registers at a constant address are fetched; anything
        else (and any batch the device refuses) is left to the ordinary per-feature
        reads, which report their own errors.  Returns how many registers were filled.
        """
        with self.lock:
            wanted: dict[str, dict[tuple[int, int], list[RegisterNode]]] = defaultdict(dict)
            for register in self._registers_needed(names):
                if not isinstance(register, RegisterNode) or register.caching == "NoCache":
                    continue
                span = register.constant_span()
                if span is None or not self.has_port(register.port_name) or \
                        self.store.bytes_at((register.port_name, *span)) is not None:
                    continue
                try:
                    if register.access() not in ("RW", "RO"):
                        continue
                except NodeMapError:
                    continue
                wanted[register.port_name].setdefault(span, []).append(register)
            filled = 0
            for port_name, spans in wanted.items():
                read_many = getattr(self._ports[port_name], "read_many", None)
                if read_many is None or len(spans) < 2:
                    continue
                requests = list(spans)
                try:
                    results = read_many(requests)
                except NodeMapError as exc:
                    log.debug("prefetch of %d registers failed, reading one by one: %s",
                              len(requests), exc)
                    continue
                for (address, length), data in zip(requests, results):
                    if not isinstance(data, (bytes, bytearray)) or len(data) != length:
                        continue
                    for register in spans[(address, length)]:
                        register.fill(bytes(data), address)
                        filled += 1
            return filled

    def _registers_needed(self, names: Iterable[str]) -> Iterator[Node]:
        """Every node the given features' values depend on (built on the way)."""
        seen: set[str] = set()
        stack = [name for name in names if name in self._tags]
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            try:
                node = self.node(name)
            except NodeMapError:
                continue
            yield node
            stack.extend(d for d in node.dependencies if d in self._tags and d not in seen)

    # -- application view --------------------------------------------------------------

    @property
    def features(self) -> "Features":
        if self._features is None:
            from .features import Features

            self._features = Features(self)
        return self._features

    def attach_chunks(self, frame_or_payload: Any, *, layout: str = "gev") -> Any:
        """Bind the chunk ports (``<ChunkID>``) to a frame's chunk data (or raw payload
        bytes; None detaches): chunk features then read that frame's values, missing
        chunks are NA.  Raw bytes are parsed with ``layout``: "gev" (GigE Vision trailers,
        big-endian) or "u3v" (USB3 Vision trailers, little-endian); a frame carries its
        own.  Returns a :class:`nodemap.chunks.AttachResult`."""
        from nodemap import chunks

        data = frame_or_payload
        if data is not None and not isinstance(data, (bytes, bytearray, memoryview)):
            view = getattr(data, "chunks", None)
            result = chunks.attach(self, None) if view is None else view.attach(self)
        else:
            result = chunks.attach(self, data, layout=layout)
        self._chunk_owner = None
        return result

    def to_xml(self) -> bytes:
        """The description as XML: one document, layered ones merged (earlier wins)."""
        from .export import to_xml

        return to_xml(self)

    def __repr__(self) -> str:
        return f"<NodeMap {len(self._tags)} nodes, ports {sorted(self._ports)}>"


#: The pointers whose target's *value* a node's access mode reads, and those its bounds
#: read (Store.impact: a write reaches a dependent's access mode or bounds only
#: through these, or through an input's access mode or bounds).
CONDITIONS = ("pIsImplemented", "pIsAvailable", "pIsLocked")
ACCESS_READS = (*CONDITIONS, "pIndex")
BOUND_READS = ("pMin", "pMax", "pInc", "pIndex", "pLength")
#: a Converter's bounds are its pValue's converted by formulas over its pVariables (a
#: SwissKnife's bounds are constants)
CONVERTER_BOUND_READS = (*BOUND_READS, "pVariable")


def _targets(definition: Any, tags: tuple[str, ...], elements: Any) -> list[str]:
    """The nodes ``definition``'s ``tags`` pointers name (``Width.Max`` → ``Width``)."""
    found = []
    for tag in tags:
        for text in definition.all(tag):
            target = pointer_target(text)
            if target in elements:
                found.append(target)
    return found


def _missing_reader(name: str) -> Callable[[], Any]:
    def read() -> Any:
        raise XmlError(f"the description refers to a node {name!r} that it does not define")

    return read
