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
  computed from it, that name it in ``pInvalidator`` or that it selects
  (:meth:`Store.depend`, filled as nodes are built), so :meth:`Store.invalidate`
  removes a node's results *and* everything computed from them, transitively: a
  write, a ``pInvalidator``, a selector change or an expired ``PollingTime`` costs the
  size of what it makes stale.  A write (:meth:`Store.invalidate_dependents`) removes
  the values of what it reaches but access modes and bounds only where they read a
  changed value (:meth:`Store.depend_aspects`, :meth:`Store.impact`).
* **register bytes** — one cached span (port, address, length) per address, as the
  reference keeps them: registers at the same address and length share one read; a
  read of another length there, or a write there, lays its bytes over that span, and no
  other register is invalidated by it (docs/core.md, "Register bytes are shared by
  span").
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

from typing import Any, Callable, Iterable


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

    __slots__ = ("values", "aspects", "_dependents", "_bytes", "_span_of",
                 "span_of", "cached_bytes", "_at", "volatile", "dynamic", "constant_access",
                 "constant_base", "_held", "held_slots",
                 "_closures", "_downstream", "_access_readers", "_bound_readers",
                 "_impacts", "sticky_access", "_declared", "_computed_closures",
                 "registers", "failed_conditions", "bytes_at", "kept", "_value_like",
                 "_bound_tables", "_access_like", "_followers", "graph_version")

    def __init__(self) -> None:
        #: node name → its valid cached value (the hot path reads this dict; it is never
        #: replaced, only cleared, so views may keep a reference to it)
        self.values: dict[str, Any] = {}
        #: aspect (``access``, ``min``, ``max``, ``inc``, ``int``, ``verified`` ...) →
        #: node name → its valid result: one table per aspect (never replaced, only
        #: cleared), so an invalidation finds what it drops by one set intersection per
        #: table, and the write and access paths look a result up in one dict
        self.aspects: dict[str, dict[str, Any]] = {
            aspect: {} for aspect in ("access", "min", "max", "inc", "int", "verified")}
        #: the aspect tables by what invalidates them (see :meth:`_drop`): those that go
        #: with the value, the bounds, and the rest (access modes)
        self._value_like: tuple[dict[str, Any], ...] = ()
        self._bound_tables: tuple[dict[str, Any], ...] = ()
        self._access_like: tuple[dict[str, Any], ...] = ()
        self._sort_tables()
        self._dependents: dict[str, set[str]] = {}
        self._bytes: dict[Span, bytes] = {}
        #: ``bytes_at(span)``: the valid cached bytes of ``span``, or None (the dict's own
        #: lookup: the compiled register reads call it on every uncached read)
        self.bytes_at: Callable[[Span], bytes | None] = self._bytes.get
        #: register → the span it last read or wrote (kept while the register is stale:
        #: every invalidation of the register drops that span's bytes, as in the
        #: reference; the other registers that read the span keep their results)
        self._span_of: dict[str, Span] = {}
        #: the same dicts and list, public for the compiled register reads, which do
        #: what :meth:`keep_bytes` and :meth:`read_from` do inline (never replaced,
        #: only cleared)
        self.span_of = self._span_of
        self.cached_bytes = self._bytes
        #: (port, address) → the one span cached at that address (:meth:`claim`),
        #: perhaps dropped from ``_bytes`` since
        self._at: dict[tuple[str, int], Span] = {}
        #: how many uncachable reads happened so far (see the module docstring)
        self.volatile = 0
        #: how many times an access mode was worked out from something that varies
        self.dynamic = 0
        #: how many pIsImplemented/pIsAvailable/pIsLocked readings failed so far (an
        #: access mode computed while one failed is kept as the reference keeps it)
        self.failed_conditions = 0
        #: node name → its access mode, for access modes that cannot vary
        self.constant_access: dict[str, str] = {}
        #: node name → its base access mode (before its own conditions and
        #: ImposedAccessMode), when that cannot vary though the conditions do (a
        #: pIsLocked over a NoCache register): kept and cleared like ``constant_access``
        self.constant_base: dict[str, str] = {}
        self._held: dict[tuple[str, Any], Any] = {}
        #: (name, slot) → what node ``name`` holds there (:meth:`held`/:meth:`hold`, as
        #: one dict the compiled read and write of a held value use directly)
        self.held_slots = self._held
        #: name → it and everything computed from it, transitively (worked out on the
        #: first invalidation, forgotten when the graph grows)
        self._closures: dict[str, frozenset[str]] = {}
        #: name → everything computed from it, without it (see :meth:`downstream`)
        self._downstream: dict[str, frozenset[str]] = {}
        #: name → the nodes whose access mode (conditions, pIndex) or bounds (pMin, pMax,
        #: pInc, pIndex, pVariable, pLength) read its *value* (see :meth:`impact`)
        self._access_readers: dict[str, set[str]] = {}
        self._bound_readers: dict[str, set[str]] = {}
        #: name → the nodes that name it in ``pInvalidator`` or that it selects (the
        #: edges of ``_dependents`` are inputs: the dependent is computed from it), and
        #: the closures over inputs only
        self._declared: dict[str, set[str]] = {}
        self._computed_closures: dict[str, frozenset[str]] = {}
        #: the register nodes (their values are bytes read from a port: reaching one
        #: means reading it again)
        self.registers: set[str] = set()
        #: name → (values, bounds, access modes) a change of its value makes stale
        #: (and, last, those of the values whose bounds go and whose access modes go)
        self._impacts: dict[str, tuple[frozenset[str], frozenset[str], frozenset[str],
                                       frozenset[str], frozenset[str]]] = {}
        #: nodes whose kept access mode is the one a failing condition left behind: it
        #: goes with any invalidation of the node, as in the reference
        self.sticky_access: set[str] = set()
        #: node name → (the value a write that invalidated nothing left it, whether an
        #: invalidation reached the node since) (see :meth:`keep_written`): the first
        #: invalidation reaching the node marks it, the next one drops it.  The node
        #: serves these itself, after its access check (``ValueNode.evaluate_kept``):
        #: they are never in ``values``
        self.kept: dict[str, tuple[Any, bool]] = {}
        #: source → the nodes that read its cached value each time (:meth:`follow`)
        self._followers: dict[str, set[str]] = {}
        #: how many edges the graph gained so far (plans worked out from the graph
        #: outside the store, :meth:`refresh_plan`, hold while it did not move)
        self.graph_version = 0

    # -- cached results -----------------------------------------------------------------

    def get(self, name: str, aspect: str = "value", default: Any = MISSING) -> Any:
        """The valid cached ``aspect`` of node ``name``, else ``default``."""
        if aspect == "value":
            return self.values.get(name, default)
        table = self.aspects.get(aspect)
        return default if table is None else table.get(name, default)

    def put(self, name: str, aspect: str, value: Any) -> None:
        """Keep ``value`` as the ``aspect`` of ``name`` until it is invalidated."""
        if aspect == "value":
            self.values[name] = value
            return
        table = self.aspects.get(aspect)
        if table is None:
            table = self.aspects[aspect] = {}
            self._sort_tables()
        table[name] = value

    def _sort_tables(self) -> None:
        """Group the aspect tables by what invalidates them (:meth:`_drop`)."""
        tables = self.aspects.items()
        self._value_like = tuple(t for aspect, t in tables if aspect in _VALUE_LIKE)
        self._bound_tables = tuple(t for aspect, t in tables if aspect in _BOUNDS)
        self._access_like = tuple(t for aspect, t in tables
                                  if aspect not in _VALUE_LIKE and aspect not in _BOUNDS)

    def keep_written(self, name: str, value: Any) -> None:
        """Node ``name`` was written ``value`` by a write that invalidated nothing (it
        ended in a constant slot of an indexed Integer that also has pointer slots):
        ``value`` is its value through the first invalidation that reaches the node, as
        GenApi's written value cache is (docs/core.md, "A write that invalidates
        nothing")."""
        self.values.pop(name, None)
        self.kept[name] = (value, False)

    def kept_value(self, name: str) -> Any:
        """The value :meth:`keep_written` left node ``name`` while it lasts, else MISSING."""
        found = self.kept.get(name)
        return MISSING if found is None else found[0]

    def unkeep(self, name: str) -> None:
        """Node ``name`` is being written again: a value kept by :meth:`keep_written`
        goes (the new write decides what the node holds)."""
        self.kept.pop(name, None)

    def _outlive(self, reached: "set[str] | frozenset[str]") -> None:
        """An invalidation reached ``reached``: values kept there outlive it (marked),
        values marked since the last one go."""
        kept = self.kept
        for name in [name for name in kept if name in reached]:
            value, reached_once = kept[name]
            if reached_once:
                del kept[name]
            else:
                kept[name] = (value, True)

    # -- register bytes -------------------------------------------------------------------

    def keep_bytes(self, name: str, span: Span, data: bytes) -> None:
        """Cache ``data`` as the bytes of ``span``, read (or written) by register ``name``."""
        self.claim(span, data)
        self._span_of[name] = span

    def claim(self, span: Span, data: bytes) -> None:
        """``data`` was just read from the device at ``span`` (not found in the cache).
        It becomes the cached bytes of ``span``, unless a span of another length is
        cached at that address: then it is laid over that one (which keeps its
        length), and ``span`` stays uncached, as the reference keeps one buffer per
        address."""
        where = (span[0], span[1])
        cached = self._bytes
        other = self._at.get(where)
        if other is not None and other != span:
            old = cached.get(other)
            if old is not None:
                cached[other] = data[:len(old)] + old[len(data):]
                return
        cached[span] = data
        self._at[where] = span

    def read_from(self, name: str, span: Span) -> None:
        """Register ``name`` computed its results from the cached bytes of ``span``: its
        invalidation drops them."""
        self._span_of[name] = span

    def reads_cached(self, name: str) -> bool:
        """Whether register ``name``'s current results come from cached bytes (so a change
        on the device behind it needs an invalidation to be seen): its value is kept,
        or the bytes it last read are."""
        span = self._span_of.get(name)
        return span is not None and (span in self._bytes or name in self.values)

    def written(self, name: str, span: Span, data: bytes | None) -> None:
        """Register ``name`` wrote ``span``.  ``data`` (when not None: a write-through
        write) is laid over the span cached at the same address (which keeps its own
        length), or becomes the cached bytes of ``span`` when none is; without it the
        span cached there is dropped.  Spans cached at other addresses stay as they are,
        even where they overlap the written bytes, and no other register is
        invalidated: as in the reference, a register over the written bytes keeps its
        cached results until its own dependency graph (or an invalidation) reaches it
        (docs/core.md, "Register bytes are shared by span")."""
        cached, where = self._bytes, (span[0], span[1])
        other = self._at.get(where)
        if other is not None and (old := cached.get(other)) is not None:
            if data is None:
                del cached[other]
            else:
                cached[other] = data[:len(old)] + old[len(data):]
        elif data is not None:
            cached[span] = data
            self._at[where] = span
        self.forget_value(name)  # its access and bounds do not come from its bytes
        self._span_of[name] = span

    # -- validity -------------------------------------------------------------------------

    def depend(self, name: str, inputs: Iterable[str], *, declared: bool = False) -> None:
        """Results of ``name`` are computed from ``inputs`` (``declared``: the
        description only says a change of them reaches ``name``, as ``pInvalidator`` and
        ``pSelected`` do): invalidating one of them invalidates ``name``."""
        dependents = self._declared if declared else self._dependents
        for source in inputs:
            if not _add_edge(dependents, source, name):
                continue
            self.graph_version += 1
            if self._closures or self._downstream or self._impacts or \
                    self._computed_closures:
                self._closures.clear()
                self._downstream.clear()
                self._impacts.clear()
                self._computed_closures.clear()

    def depend_aspects(self, name: str, access: Iterable[str], bounds: Iterable[str]) -> None:
        """The access mode of ``name`` reads the values of ``access`` (its conditions,
        its pIndex), its bounds those of ``bounds``.  Both must also be inputs given to
        :meth:`depend`: these edges only say which of ``name``'s results a change of
        their values reaches (:meth:`impact`)."""
        for table, inputs in ((self._access_readers, access), (self._bound_readers, bounds)):
            for source in inputs:
                if _add_edge(table, source, name):
                    self._impacts.clear()
                    self.graph_version += 1

    def dependents(self, name: str) -> set[str]:
        """The nodes whose results are computed directly from ``name``."""
        return self._dependents.get(name, set())

    def forget_value(self, name: str) -> None:
        """Forget the value of ``name`` (and ``int``, an enumeration's value as a number),
        keeping its other results (bounds and access are not computed from its own
        value; when they are, the node depends on itself and ``invalidate`` reaches it)
        and the bytes it read."""
        self.values.pop(name, None)
        for table in self._value_like:
            if table:
                table.pop(name, None)

    def forget_bounds(self, names: "set[str] | frozenset[str]") -> None:
        """Forget the bounds of ``names`` (their values and access modes stay)."""
        _delete(self._bound_tables, names)

    def refresh(self, name: str) -> None:
        """A write of ``name`` was refused: its value is worked out again on its next
        read, and so are the bounds read from it (the reference reads a bound input's
        value each time) and the values of its followers (:meth:`follow`); the values
        computed from it stay, as in the reference (its dependents are not invalidated:
        tests/reference/test_rules_shared_bytes.py)."""
        self.refresh_many(self.refresh_plan((name,)))

    def follow(self, name: str, source: str) -> None:
        """Node ``name`` has no cached value of its own in the reference: it reads
        ``source``'s cached value each time (an Enumeration its pValue's), so a refresh
        of ``source`` refreshes ``name`` too."""
        followers = self._followers.setdefault(source, set())
        if name not in followers:
            followers.add(name)
            self.graph_version += 1  # a refresh plan now reaches one more node

    def refresh_plan(self, names: Iterable[str]) -> tuple[frozenset[str], frozenset[str]]:
        """What :meth:`refresh_many` removes for ``names``: (the names with their
        followers, the nodes whose bounds read them), valid while
        :attr:`graph_version` does not move."""
        seen = set(names)
        todo = list(seen)
        while todo:
            for follower in self._followers.get(todo.pop(), ()):
                if follower not in seen:
                    seen.add(follower)
                    todo.append(follower)
        found = frozenset(seen)
        readers_get = self._bound_readers.get
        return found, frozenset().union(*(readers_get(name, ()) for name in found))

    def refresh_many(self, plan: tuple[frozenset[str], frozenset[str]]) -> None:
        """:meth:`refresh` of each of the names of ``plan`` (:meth:`refresh_plan`):
        their values go, and the bounds read from them (removals only, so in one
        intersection per table)."""
        names, bounds = plan
        _delete((self.values, *self._value_like), names)
        if bounds:
            _delete(self._bound_tables, bounds)

    def changed(self, name: str) -> "set[str] | frozenset[str]":
        """The value of ``name`` changed (it was written): :meth:`forget_value` then
        :meth:`invalidate_dependents`, in one call.  Returns the names made stale."""
        self.values.pop(name, None)
        for table in self._value_like:
            if table:
                table.pop(name, None)
        return self.invalidate_dependents(name)

    def computed_closure(self, name: str) -> frozenset[str]:
        """``name`` and every node whose value is computed from it, transitively, over
        inputs only (not ``pInvalidator``/``pSelected``) (cached)."""
        found = self._computed_closures.get(name)
        if found is None:
            stack = [name]
            seen = {name}
            computed = self._dependents
            while stack:
                for dependent in computed.get(stack.pop(), ()):
                    if dependent not in seen:
                        seen.add(dependent)
                        stack.append(dependent)
            found = self._computed_closures[name] = frozenset(seen)
        return found

    def closure(self, name: str) -> frozenset[str]:
        """``name`` and every node computed from it or reached from it through
        ``pInvalidator``/``pSelected``, transitively (cached)."""
        found = self._closures.get(name)
        if found is None:
            stack = [name]
            seen = {name}
            dependents, declared = self._dependents, self._declared
            while stack:
                source = stack.pop()
                for dependent in (*dependents.get(source, ()), *declared.get(source, ())):
                    if dependent not in seen:
                        seen.add(dependent)
                        stack.append(dependent)
            found = self._closures[name] = frozenset(seen)
        return found

    def downstream(self, name: str) -> frozenset[str]:
        """Every node computed from ``name``, transitively: what a write of ``name``
        makes stale (``name`` itself only when a cycle of the description leads back to
        it).  Worked out once per node, forgotten when the graph grows."""
        found = self._downstream.get(name)
        if found is None:
            found = frozenset().union(*(self.closure(dependent) for dependent in (
                *self._dependents.get(name, ()), *self._declared.get(name, ()))))
            self._downstream[name] = found
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
        dropped = self._drop(stale)  # given a set, the same set, grown
        assert isinstance(dropped, set)
        return dropped

    def impact(self, name: str) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
        """What a change of ``name``'s *value* makes stale, as three sets: the nodes
        whose values go (:meth:`downstream`: everything computed from it), those among
        them whose bounds go too, and those whose access modes go too.  An access mode
        changes only through a value it reads (a pIsImplemented/pIsAvailable/pIsLocked
        condition, a pIndex) or an input's access mode that changed; bounds only through
        a value they read (pMin, pMax, pInc, pIndex, a Converter's pVariable, pLength),
        an input's bounds or access mode that changed.  So writing a selector keeps the
        bounds and access modes of the features it selects unless they are computed
        from it: the next reads evaluate values only.  Worked out once per node."""
        found = self._impacts.get(name)
        if found is None:
            found = self._impact(name)
        return found[:3]

    def _impact(self, name: str) -> tuple[frozenset[str], frozenset[str], frozenset[str],
                                          frozenset[str], frozenset[str]]:
        """:meth:`impact`, with the values whose bounds go and those whose access modes
        go (what :meth:`_drop` removes besides the values), worked out and kept."""
        found = self._impacts.get(name)
        if found is None:
            # Everything reached goes stale as in the reference, but only what holds
            # bytes (a register: read again) or is computed from something that
            # changed can give another value: a formula, enumeration or value node
            # reached only through pInvalidator/pSelected keeps its value, which the
            # same inputs would compute again.
            reached = self.downstream(name)
            registers = self.registers
            values = frozenset().union(
                *(self.computed_closure(dependent)
                  for dependent in self._dependents.get(name, ())),
                *(self.computed_closure(register) for register in reached
                  if register in registers))
            sources = values | {name}
            access_roots: set[str] = set()
            bound_roots: set[str] = set()
            for source in sources:
                readers = self._access_readers.get(source)
                if readers:
                    access_roots |= readers
                readers = self._bound_readers.get(source)
                if readers:
                    bound_roots |= readers
            access = frozenset().union(*(self.closure(root) for root in access_roots))
            bounds = access.union(*(self.closure(root) for root in bound_roots))
            # The written node keeps its access mode even where a cycle of the
            # description leads back to it: the reference does not invalidate the node
            # it writes (measured: an Enumeration holding its value, whose write
            # reaches its entries' conditions, keeps its access; nodemap walked its
            # entries, one port read, on every write: FLIR's LineSelector)
            access = access - {name}
            found = self._impacts[name] = (values, bounds, access, values & (bounds | access),
                                           values & access)
        return found

    def forget_bytes(self, registers: Iterable[str]) -> set[str]:
        """Forget the bytes ``registers`` read (other registers that read the same span
        keep their results) and the *values* of everything computed from them; their
        access modes and bounds stay (a failed condition's too).  What
        ``NodeMap.invalidate(name)`` does to the registers behind a node's value: the
        next read asks the device, while the access modes are those the reference's
        InvalidateNode keeps.  Returns the names whose values went."""
        span_of, pop_bytes = self._span_of, self._bytes.pop
        stale: set[str] = set()
        for register in registers:
            stale |= self.computed_closure(register)
            span = span_of.get(register)
            if span is not None:
                pop_bytes(span, None)
        values = self.values
        for name in _common(stale, values):
            del values[name]
        for aspect in _VALUE_LIKE:
            table = self.aspects.get(aspect)
            if table:
                for name in _common(stale, table):
                    del table[name]
        return stale

    def invalidate_dependents(self, name: str, *, consume: bool = True
                              ) -> "set[str] | frozenset[str]":
        """Forget the results of everything computed from ``name`` (not ``name``'s own,
        unless a cycle leads back to it): what a write of ``name`` does.  Values go;
        bounds and access modes only where they read a changed value (:meth:`impact`).
        A few set operations on sets worked out once per node.  It counts as an
        invalidation of the values kept by :meth:`keep_written` over everything it
        reaches (``consume``), or leaves them alone: a write that invalidates nothing in
        the reference (not ``consume``)."""
        found = self._impacts.get(name)
        values, _, _, bounds_gone, access_gone = found if found is not None \
            else self._impact(name)
        if consume and self.kept:
            self._outlive(self.downstream(name))
        sticky = self.sticky_access
        if sticky:  # reached at all: invalidated in the reference, the failure comes back
            reached = self.downstream(name)
            hit = [node for node in sticky if node in reached]
            if hit:
                # their access modes go, and with them every access mode worked out
                # from theirs (a Float whose pMax is a Converter over one: generator
                # seed 7301), as a changed value's access readers go (_impact)
                again = frozenset().union(*(self.closure(node) for node in hit))
                values = values | again
                access_gone = access_gone | again
        if not values:
            return values
        return self._drop(values, keep=(bounds_gone, access_gone), consume=False)

    def _drop(self, stale: "set[str] | frozenset[str]",
              keep: tuple[frozenset[str], frozenset[str]] | None = None,
              consume: bool = True) -> "set[str] | frozenset[str]":
        """Remove the results of ``stale`` (closed under dependents) and the register
        bytes its registers read (not the results of other registers that read the same
        bytes); returns ``stale``.  With ``keep`` = (bounds, access),
        the nodes of ``stale`` lose their bounds only when in ``bounds`` and their access
        modes only when in ``access`` (or when their kept access is one a failed
        condition left: ``sticky_access``); else every result goes.  Which names hold
        results is found by C-level set intersections with the tables' keys (walking
        the smaller side), not by Python loops."""
        span_of = self._span_of
        pending = stale.intersection(span_of) if len(span_of) < len(stale) \
            else span_of.keys() & stale
        if pending:
            # an invalidated register's bytes go (its next read asks the device); the
            # other registers that read them keep their results, as in the reference
            pop_bytes = self._bytes.pop
            for register in pending:
                pop_bytes(span_of[register], None)
        if consume and self.kept:
            self._outlive(stale)
        # _common(names, table), inlined below: one C-level intersection per table,
        # walking the smaller side (a write drops a handful of names from tables of
        # hundreds; an invalidation of everything meets small tables)
        values = self.values
        for name in (stale.intersection(values) if len(values) < len(stale)
                     else values.keys() & stale):
            del values[name]
        if keep is None:
            for table in self.aspects.values():
                if table:
                    for name in _common(stale, table):
                        del table[name]
            return stale
        bounds: "set[str] | frozenset[str]"
        access: "set[str] | frozenset[str]"
        bounds, access = keep
        sticky = self.sticky_access
        if sticky:
            lost = stale & sticky
            if lost:  # every result of these goes
                bounds, access = bounds | lost, access | lost
        # _delete(tables, names) of the value-like tables (an enumeration's number, a
        # Converter's check), the bound tables, the access tables, inlined (a write
        # comes here every time)
        for tables, names in ((self._value_like, stale), (self._bound_tables, bounds),
                              (self._access_like, access)):
            if names:
                for table in tables:
                    if table:
                        for name in (names.intersection(table) if len(table) < len(names)
                                     else table.keys() & names):
                            del table[name]
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
        for where in [where for where in self._at if where[0] == port]:
            del self._at[where]
        span_of = self._span_of
        for reader in [reader for reader, span in span_of.items() if span[0] == port]:
            del span_of[reader]
        return stale

    def clear(self, *, constant: bool = False) -> None:
        """Forget every cached result and register byte (held values stay: they are
        state, not cache); with ``constant`` (a port was connected or disconnected) the
        constant access modes too."""
        if constant:
            self.constant_access.clear()
            self.constant_base.clear()
        if self.kept:  # kept values outlive one clear (keep_written)
            self._outlive(set(self.kept))
        self.values.clear()
        for table in self.aspects.values():
            table.clear()
        self._bytes.clear()
        self._span_of.clear()
        self._at.clear()

    # -- held values ----------------------------------------------------------------------

    def held(self, name: str, slot: Any, default: Any = MISSING) -> Any:
        """The value node ``name`` holds in ``slot`` (``"value"``, ``"default"`` or an
        index) once written; ``default`` before."""
        return self._held.get((name, slot), default)

    def hold(self, name: str, slot: Any, value: Any) -> None:
        """Node ``name`` now holds ``value`` in ``slot`` (kept by :meth:`clear`)."""
        self._held[(name, slot)] = value

    def __repr__(self) -> str:
        others = sum(map(len, self.aspects.values()))
        return (f"<Store {len(self.values)} values, {others} other results, "
                f"{len(self._bytes)} cached register spans>")


def _common(names: "set[str] | frozenset[str]", table: dict[str, Any]
            ) -> "set[str] | frozenset[str]":
    """The ``names`` that are keys of ``table``, by one C-level intersection walking
    the smaller of the two (a write's set of names is often much larger or much
    smaller than a table of kept results)."""
    if len(table) < len(names):
        return names.intersection(table)
    return table.keys() & names


#: aspects that go with the value (see Store._drop), and the bounds
_VALUE_LIKE = frozenset(("int", "verified"))
_BOUNDS = frozenset(("min", "max", "inc"))


def _add_edge(table: dict[str, set[str]], source: str, name: str) -> bool:
    """Add ``name`` to ``table[source]``; whether it was new (the graph grew)."""
    targets = table.get(source)
    if targets is None:
        table[source] = {name}
        return True
    if name in targets:
        return False
    targets.add(name)
    return True


def _delete(tables: "Iterable[dict[str, Any]]", names: "set[str] | frozenset[str]") -> None:
    """Remove ``names`` from each of ``tables`` (one C-level intersection per table, over
    the smaller side)."""
    for table in tables:
        if table:
            for name in (names.intersection(table) if len(table) < len(names)
                         else table.keys() & names):
                del table[name]
