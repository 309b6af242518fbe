"""The application view: ``nm.features["Width"].value = 256``.

:class:`Features` is a read-only mapping from names to :class:`Feature` objects (also
reachable as attributes); a :class:`Feature` exposes one node's value, bounds, access
mode and metadata.  Every call that evaluates holds the node map's lock, so a node map
can be shared between threads; reading a value that is cached and valid is one lookup
in the node map's store (:mod:`nodemap.cache`) and takes no lock.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from types import FunctionType
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from .cache import MISSING
from .errors import NodeMapError, XmlError
from .interfaces import (as_category, as_command, as_enumeration, as_numeric,
                         as_register_span, as_string)
from .nodes.base import Node

if TYPE_CHECKING:  # pragma: no cover
    from .nodemap import NodeMap

__all__ = ["Features", "Feature"]

_T = TypeVar("_T")


class Features(Mapping[str, "Feature"]):
    """Every node of a node map by name; ``KeyError`` suggests close matches."""

    def __init__(self, nodemap: "NodeMap") -> None:
        self._nodemap = nodemap
        self._cache: dict[str, Feature] = {}

    def __getitem__(self, name: str) -> "Feature":
        feature = self._cache.get(name)
        if feature is not None:
            return feature
        if name not in self._nodemap:
            close = difflib.get_close_matches(name, self._nodemap.names, n=5, cutoff=0.6)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise KeyError(f"no feature {name!r} in this node map{hint}")
        feature = self._cache[name] = Feature(self._nodemap, name)
        return feature

    def __getattr__(self, name: str) -> "Feature":
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(exc.args[0]) from None

    def __dir__(self) -> list[str]:
        return list(super().__dir__()) + self._nodemap.names

    def __iter__(self) -> Iterator[str]:
        return iter(self._nodemap.names)

    def __len__(self) -> int:
        return len(self._nodemap.names)

    def __contains__(self, name: object) -> bool:
        return name in self._nodemap

    def __repr__(self) -> str:
        return f"<Features: {len(self)} names>"


class Feature:
    """One named node.  ``value`` reads and writes; the rest describes it."""

    __slots__ = ("_nodemap", "name", "_lock", "_node", "_values", "_evaluate")

    def __init__(self, nodemap: "NodeMap", name: str) -> None:
        self._nodemap = nodemap
        self.name = name
        self._lock = nodemap.lock
        self._node: Node | None = None
        #: the store's valid values (the dict is cleared, never replaced)
        self._values = nodemap.store.values
        #: the node's compiled value evaluation (``Node.evaluate_value`` once it is a
        #: closure, which is never replaced): the miss path calls it without going
        #: through the node; None before the first evaluation compiled it
        self._evaluate: Callable[[], Any] | None = None

    @property
    def node(self) -> Node:
        """The underlying node (built on first use)."""
        node = self._node
        if node is None:
            with self._lock:
                node = self._node = _guard(self.name, self._nodemap.node, self.name)
        return node

    # -- value ---------------------------------------------------------------------

    @property
    def value(self) -> Any:
        """int | float | bool | str (enumerations: the symbolic name) | bytes."""
        value = self._values.get(self.name, MISSING)
        if value is not MISSING:  # valid: nothing it depends on changed since
            return value
        evaluate = self._evaluate
        node = None if evaluate is not None else self._node or self.node
        lock = self._lock
        lock.acquire()  # not ``with``: its protocol costs as much again on this path
        try:
            # another thread may have evaluated it while this one waited for the lock:
            # one more lookup, so a device is not read twice for one value
            value = self._values.get(self.name, MISSING)
            if value is not MISSING:
                return value
            if node is not None:
                return self._first_value(node)
            return evaluate()  # type: ignore[misc]  # set whenever node is None
        except NodeMapError as exc:
            raise exc.locate(feature=self.name)   # unless a deeper feature is known
        except RecursionError:
            raise XmlError(f"{self.name}: the chain of nodes it depends on is too deep "
                           f"to evaluate") from None
        finally:
            lock.release()

    @value.setter
    def value(self, value: Any) -> None:
        node = self._node or self.node
        with self._lock:  # _guard, inlined (a selector sweep writes on every step)
            try:
                node.set(value)
            except NodeMapError as exc:
                # a refused write: the node works its value out again on its next read,
                # as the reference's does (docs/core.md, "Register bytes are shared by
                # span"; what depends on it keeps its results)
                node.store.refresh(node.name)
                raise exc.locate(feature=self.name)
            except RecursionError:
                raise XmlError(f"{self.name}: the chain of nodes it depends on is too "
                               f"deep to evaluate") from None

    def _first_value(self, node: Node) -> Any:
        """The value through the node's ``evaluate_value`` (under the lock), which is
        kept for the next misses once it is the compiled closure."""
        value = node.evaluate_value()
        evaluate = node.evaluate_value
        if evaluate.__class__ is FunctionType:  # compiled: final (a method may not be)
            self._evaluate = evaluate
        return value

    def get(self) -> Any:
        return self.value

    def set(self, value: Any) -> None:
        self.value = value

    # What a feature offers beyond its value follows from its interface (its kind, see
    # nodemap.interfaces): asking a Boolean for min is an AccessError saying a Boolean
    # has no bounds, before anything is evaluated.

    @property
    def int_value(self) -> int:
        """Enumeration: the integer behind the symbolic value."""
        return self._run(as_enumeration(self.node, self.name, "integer value").get_int)

    @property
    def min(self) -> int | float:
        """Integer/Float: the smallest value."""
        return self._run(as_numeric(self.node, self.name).get_min)

    @property
    def max(self) -> int | float:
        """Integer/Float: the largest value."""
        return self._run(as_numeric(self.node, self.name).get_max)

    @property
    def inc(self) -> int | float | None:
        """Integer/Float: the increment (a Float may have none: None)."""
        return self._run(as_numeric(self.node, self.name).get_inc)

    @property
    def max_length(self) -> int:
        """String: the most bytes it holds."""
        return self._run(as_string(self.node, self.name).get_max_length)

    @property
    def address(self) -> int:
        """Register nodes: the address the bytes are at now."""
        return self._run(as_register_span(self.node, self.name, "address").get_address)

    @property
    def length(self) -> int:
        """Register nodes: how many bytes."""
        return self._run(as_register_span(self.node, self.name, "length").length)

    def execute(self) -> None:
        """Command: write its CommandValue."""
        self._run(as_command(self.node, self.name, "execute").execute)

    def is_done(self) -> bool:
        """Command: True once the device reports the command finished."""
        return self._run(as_command(self.node, self.name, "is_done").is_done)

    def invalidate(self) -> None:
        """Forget the cached value: the next read asks the device."""
        with self._lock:
            self._nodemap.invalidate(self.name)

    def _run(self, function: Callable[[], _T]) -> _T:
        with self._lock:
            result: _T = _guard(self.name, function)
            return result

    # -- description -------------------------------------------------------------

    @property
    def kind(self) -> str:
        return self.node.kind

    @property
    def access(self) -> str:
        return self._run(self.node.access)

    @property
    def is_readable(self) -> bool:
        return self.access in ("RW", "RO")

    @property
    def is_writable(self) -> bool:
        return self.access in ("RW", "WO")

    @property
    def entries(self) -> list[str]:
        """Enumeration: symbolic names of implemented entries."""
        return self._run(as_enumeration(self.node, self.name, "entries").entries)

    @property
    def features(self) -> list[str]:
        """Category: the names it groups."""
        return self._run(as_category(self.node, self.name).features)

    visibility = property(lambda self: self.node.visibility)
    description = property(lambda self: self.node.description)
    tooltip = property(lambda self: self.node.tooltip)
    display_name = property(lambda self: self.node.display_name)
    unit = property(lambda self: self.node.unit)
    representation = property(lambda self: self.node.representation)
    streamable = property(lambda self: self.node.streamable)
    is_deprecated = property(lambda self: self.node.is_deprecated)
    selected = property(lambda self: self.node.selected)
    polling_time = property(lambda self: self.node.polling_time)
    namespace = property(lambda self: self.node.namespace)
    display_notation = property(lambda self: getattr(self.node, "display_notation", None))
    display_precision = property(lambda self: getattr(self.node, "display_precision", None))

    def __repr__(self) -> str:
        return f"<Feature {self.name} ({self.kind})>"


def _guard(name: str, function: Any, *args: Any) -> Any:
    """Turn Python failures deep in a graph into nodemap errors naming the feature."""
    try:
        return function(*args)
    except NodeMapError as exc:
        raise exc.locate(feature=name)   # the feature asked for, unless a deeper one is known
    except RecursionError:
        raise XmlError(f"{name}: the chain of nodes it depends on is too deep to "
                       f"evaluate") from None
