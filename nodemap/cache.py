"""The one value store of a node map: cached results, register bytes, their validity, held values.

Node definitions never change once built; everything that does change lives here, in one
:class:`Store` per :class:`~nodemap.nodemap.NodeMap`, keyed by node name:

* **cached results** — per node its ``value`` (kept in :attr:`Store.values`, the dict
  the fast read path of :class:`~nodemap.features.Feature` looks in) and other
  *aspects* (``access``, ``min``, ``max``, ``inc``, ``int``).  A result is valid exactly
  while it is present: invalidation removes it, so a read of a valid result is one dict
  lookup and never walks the graph.  Formula nodes (SwissKnife, IntSwissKnife,
  Converter, IntConverter) keep their results here like every other node, so they are
  evaluated again only after one of their inputs changed.
* **the dependency graph, reversed** — for each node the nodes whose results are
  computed from it (:meth:`Store.depend`, filled as nodes are built), so
  :meth:`Store.invalidate` removes a node's results *and* everything computed from
  them, transitively: a write, a ``pInvalidator``, a selector change or an expired
  ``PollingTime`` costs the size of what it makes stale.
* **register bytes** — cached by *span* (port, address, length), as the reference
  does: registers at the same address share one read.  :class:`CachedRegisters`
  indexes the spans by address, so a write drops every cached span it overlaps and
  invalidates the registers that read them (and what depends on those).
* **constant access modes** — an access mode computed without reading any value
  (no ``pIsImplemented``/``pIsAvailable``/``pIsLocked`` condition, no ``pIndex``, no
  varying access among its inputs: :attr:`Store.dynamic` did not move) cannot change
  until a port is connected or disconnected, so it is kept in
  :attr:`Store.constant_access`, which invalidation leaves alone and
  ``clear(constant=True)`` (a port change) empties.  The same holds for a node's
  *base* access mode (what it is built on, before its own conditions) in
  :attr:`Store.constant_base`: a node locked by a ``NoCache`` register works out its
  conditions on every read, not what it is built on.
* **uncachable reads** — :attr:`Store.volatile` counts reads of ``NoCache`` registers.
  A node stores a result only when the counter did not move while computing it, so
  anything depending on a ``NoCache`` register is read again every time.
* **held values** — what a node holds itself rather than on the device (``<Value>``,
  ``ValueIndexed``/``ValueDefault`` slots written by the application).  These are
  state, not cache: :meth:`Store.clear` keeps them.

Nodes and views use the methods below; the only direct access from outside is the
read of :attr:`Store.values` on the hot path (a lookup, never a write).
"""

from __future__ import annotations

from typing import Any, Iterable

from .regcache import CachedRegisters

__all__ = ["Store", "MISSING", "Span"]


class _Missing:
    """The marker for "no valid result" (``None`` is a valid result: a Float's inc)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()

#: Where register bytes live: (port name, address, length).
Span = tuple[str, int, int]


class Store:
    """Cached results, the graph that invalidates them, register bytes and held values."""

    __slots__ = ("values", "_aspects", "_dependents", "_bytes", "_readers", "_span_of",
                 "_index", "_unindexed", "volatile", "dynamic", "constant_access", "constant_base", "_held",
                 "_closures")

    def __init__(self) -> None:
        #: node name → its valid cached value (the hot path reads this dict; it is never
        #: replaced, only cleared, so views may keep a reference to it)
        self.values: dict[str, Any] = {}
        self._aspects: dict[str, dict[str, Any]] = {}
        self._dependents: dict[str, set[str]] = {}
        self._bytes: dict[Span, bytes] = {}
        #: span → registers whose current results were read from it
        self._readers: dict[Span, set[str]] = {}
        #: register → the span it last read (to drop when the register is invalidated)
        self._span_of: dict[str, Span] = {}
        #: the spans of ``_bytes`` by address; spans cached since the last write wait in
        #: ``_unindexed`` (reads far outnumber writes: only a write needs the index)
        self._index = CachedRegisters()
        self._unindexed: list[Span] = []
        #: how many uncachable reads happened so far (see the module docstring)
        self.volatile = 0
        #: how many times an access mode was worked out from something that varies
        self.dynamic = 0
        #: node name → its access mode, for access modes that cannot vary
        self.constant_access: dict[str, str] = {}
        #: node name → its base access mode (before its own conditions and
        #: ImposedAccessMode), when that cannot vary though the conditions do (a
        #: pIsLocked over a NoCache register): kept and cleared like ``constant_access``
        self.constant_base: dict[str, str] = {}
        self._held: dict[tuple[str, Any], Any] = {}
        #: name → it and everything computed from it, transitively (worked out on the
        #: first invalidation, forgotten when the graph grows)
        self._closures: dict[str, frozenset[str]] = {}

    # -- cached results -----------------------------------------------------------------

    def get(self, name: str, aspect: str = "value", default: Any = MISSING) -> Any:
        """The valid cached ``aspect`` of node ``name``, else ``default``."""
        if aspect == "value":
            return self.values.get(name, default)
        aspects = self._aspects.get(name)
        return default if aspects is None else aspects.get(aspect, default)

    def put(self, name: str, aspect: str, value: Any) -> None:
        """Keep ``value`` as the ``aspect`` of ``name`` until it is invalidated."""
        if aspect == "value":
            self.values[name] = value
            return
        aspects = self._aspects.get(name)
        if aspects is None:
            self._aspects[name] = {aspect: value}
        else:
            aspects[aspect] = value

    # -- register bytes -------------------------------------------------------------------

    def bytes_at(self, span: Span) -> bytes | None:
        """The valid cached bytes of ``span``, or None."""
        return self._bytes.get(span)

    def keep_bytes(self, name: str, span: Span, data: bytes) -> None:
        """Cache ``data`` as the bytes of ``span``, read (or written) by register ``name``."""
        if span not in self._bytes:
            self._unindexed.append(span)
        self._bytes[span] = data
        readers = self._readers.get(span)  # read_from, inlined (the uncached read path)
        if readers is None:
            self._readers[span] = {name}
        else:
            readers.add(name)
        self._span_of[name] = span

    def read_from(self, name: str, span: Span) -> None:
        """Register ``name`` computed its results from the cached bytes of ``span``: a
        write over the span invalidates it."""
        readers = self._readers.get(span)
        if readers is None:
            self._readers[span] = {name}
        else:
            readers.add(name)
        self._span_of[name] = span

    def reads_cached(self, name: str) -> bool:
        """Whether register ``name``'s current results come from cached bytes (so a change
        on the device behind it needs an invalidation to be seen)."""
        return name in self._span_of

    def _indexed(self) -> CachedRegisters:
        """The span index, brought up to date."""
        if self._unindexed:
            index, cached = self._index, self._bytes
            for span in self._unindexed:
                if span in cached:
                    index.add(span, span)
            self._unindexed.clear()
        return self._index

    def written(self, name: str, span: Span, data: bytes | None) -> set[str]:
        """Register ``name`` wrote ``span``: every cached span overlapping it is dropped
        and the registers that read one of them are invalidated (with what depends on
        them); ``data`` (when not None) becomes the cached bytes of ``span``.  Returns
        the names made stale (the writer's own dependents are the caller's business)."""
        port, address, length = span
        end = address + length
        stale: set[str] = set()
        for other in list(self._indexed().overlapping(port, address, length)):
            if other[0] == port and other[1] < end and address < other[1] + other[2]:
                stale |= self._readers.pop(other, set())
                self._bytes.pop(other, None)
                self._index.discard(other)
        stale.discard(name)
        self.forget_value(name)  # its access and bounds do not come from its bytes
        self._span_of.pop(name, None)
        if data is not None:
            self.keep_bytes(name, span, data)
        return self.invalidate(stale) if stale else stale

    # -- validity -------------------------------------------------------------------------

    def depend(self, name: str, inputs: Iterable[str]) -> None:
        """Results of ``name`` are computed from ``inputs``: invalidating one of them
        invalidates ``name``."""
        dependents = self._dependents
        for source in inputs:
            targets = dependents.get(source)
            if targets is None:
                dependents[source] = {name}
            elif name not in targets:
                targets.add(name)
            else:
                continue
            if self._closures:
                self._closures.clear()

    def dependents(self, name: str) -> set[str]:
        """The nodes whose results are computed directly from ``name``."""
        return self._dependents.get(name, set())

    def forget_value(self, name: str) -> None:
        """Forget the value of ``name`` (and ``int``, an enumeration's value as a number),
        keeping its other results (bounds and access are not computed from its own
        value; when they are, the node depends on itself and ``invalidate`` reaches it)
        and the bytes it read."""
        self.values.pop(name, None)
        aspects = self._aspects.get(name)
        if aspects is not None:
            aspects.pop("int", None)

    def closure(self, name: str) -> frozenset[str]:
        """``name`` and every node computed from it, transitively (cached)."""
        found = self._closures.get(name)
        if found is None:
            stack = [name]
            seen = {name}
            dependents = self._dependents
            while stack:
                for dependent in dependents.get(stack.pop(), ()):
                    if dependent not in seen:
                        seen.add(dependent)
                        stack.append(dependent)
            found = self._closures[name] = frozenset(seen)
        return found

    def invalidate(self, names: Iterable[str]) -> set[str]:
        """Forget the results of ``names`` and of everything computed from them,
        transitively; returns every name made stale.  A stale register's cached bytes go,
        and with them every other register that read the same bytes (else a later write
        over the span could no longer find it).  Costs the size of the dependency closure
        in set operations, and one dict removal per result actually cached."""
        stale: set[str] = set()
        for name in names:
            stale |= self.closure(name)
        span_of = self._span_of
        pending = [name for name in stale if name in span_of]
        while pending:
            span = span_of.pop(pending.pop(), None)
            if span is None:
                continue
            if self._bytes.pop(span, None) is not None:
                self._index.discard(span)
            for reader in self._readers.pop(span, ()):
                if reader not in stale:
                    more = self.closure(reader) - stale
                    stale |= more
                    pending.extend(name for name in more if name in span_of)
        values, aspects = self.values, self._aspects
        for name in values.keys() & stale:
            del values[name]
        for name in aspects.keys() & stale:
            del aspects[name]
        return stale

    def port_changed(self, port: str) -> set[str]:
        """The port node ``port`` was bound to another device or buffer: forget the
        results of every node computed from it (their constant access modes included:
        a register's access depends on whether its port is connected) and every
        register byte cached from it.  Nodes on other ports keep their results.
        Returns the names made stale."""
        stale = self.invalidate((port,))
        constant = self.constant_access
        for name in stale & constant.keys():
            del constant[name]
        base = self.constant_base
        for name in stale & base.keys():
            del base[name]
        for span in [span for span in self._bytes if span[0] == port]:
            del self._bytes[span]
            self._index.discard(span)
            for reader in self._readers.pop(span, ()):
                if self._span_of.get(reader) == span:
                    del self._span_of[reader]
        return stale

    def clear(self, *, constant: bool = False) -> None:
        """Forget every cached result and register byte (held values stay: they are
        state, not cache); with ``constant`` (a port was connected or disconnected) the
        constant access modes too."""
        if constant:
            self.constant_access.clear()
            self.constant_base.clear()
        self._unindexed.clear()
        self.values.clear()
        self._aspects.clear()
        self._bytes.clear()
        self._readers.clear()
        self._span_of.clear()
        self._index.clear()

    # -- held values ----------------------------------------------------------------------

    def held(self, name: str, slot: Any, default: Any = MISSING) -> Any:
        """The value node ``name`` holds in ``slot`` (``"value"``, ``"default"`` or an
        index) once written; ``default`` before."""
        return self._held.get((name, slot), default)

    def hold(self, name: str, slot: Any, value: Any) -> None:
        """Node ``name`` now holds ``value`` in ``slot`` (kept by :meth:`clear`)."""
        self._held[(name, slot)] = value

    def __repr__(self) -> str:
        return (f"<Store {len(self.values)} values, {len(self._aspects)} nodes with other "
                f"results, {len(self._bytes)} cached register spans>")
