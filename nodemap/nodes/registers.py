"""Register nodes: bytes at an address on a Port, and the numbers and strings in them.

Register (raw bytes), IntReg, MaskedIntReg and StructEntry (bit fields), FloatReg,
StringReg.  The address is the sum of ``Address``, ``pAddress`` and inline
``IntSwissKnife`` terms plus ``pIndex`` × offset.  Reads go through the node map's
store (:mod:`nodemap.cache`: bytes cached by span, shared by registers at the same
address) unless ``Cachable`` is ``NoCache``; writes follow ``WriteThrough`` (keep the
written bytes) or ``WriteAround`` (forget them).

Addresses are 64-bit: a negative one, one beyond 64 bits or a span running past the end
of the address space, and a length the register type cannot hold (integers 1–8 bytes,
floats 4 or 8), are XmlErrors naming the node, raised before the port is asked.  A port
refuses what its own wire cannot carry (GigE Vision: 32 bits).
"""

from __future__ import annotations

import struct
import sys
from typing import Any, Callable, Iterable, Literal, NoReturn

from ..cache import MISSING
from ..errors import AccessError, NodeMapError, PortError, ProtocolError, RangeError, XmlError
from ..loader import localname
from .base import (INT64_MAX, INT64_MIN, READABLE, WRITABLE, Node, as_int, combine_access,
                   parse_int, whole)

__all__ = ["RegisterNode", "RawRegister", "IntReg", "MaskedIntReg", "FloatReg", "StringReg"]


#: The address space the engine works in: 64 bits (serial transports map commands onto
#: 56-bit virtual addresses); a port refuses what its own wire cannot carry.
ADDRESS_SPACE = 1 << 64
#: The most bytes one register may hold (real files: ≤ 32 KiB); integers hold 1 to 8.
MAX_REGISTER_LENGTH = 64 * 1024 * 1024


class RegisterNode(Node):
    """Bytes at an address."""

    kind = "Register"
    #: (fewest, most) bytes this register type holds (a raw or string register may be
    #: empty for now: its pLength says so)
    LENGTHS = (0, MAX_REGISTER_LENGTH)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.port_name = self.text("pPort") or "Device"
        self.access_mode = self.text("AccessMode", "RO") or "RO"
        if self.access_mode not in ("RW", "RO", "WO"):
            raise XmlError(f"{self.where('AccessMode')}: {self.access_mode!r} is not a "
                           f"register access mode (RW, RO or WO)")
        # its AccessMode applies after the conditions (see Node._compute_access): an RO
        # register locked by a write-only node is NA, as an RW one is (measured)
        self.ACCESS_CAP = self.access_mode
        self.caching = self.text("Cachable", "WriteThrough") or "WriteThrough"
        #: whether the port is a chunk port, whose data comes and goes with each frame
        #: (nodemap.chunks.attach); worked out on first use (None: not yet)
        self._chunk_port: bool | None = None
        self.little = (self.text("Endianess", "LittleEndian") or "LittleEndian") != "BigEndian"
        self.byteorder: Literal["little", "big"] = "little" if self.little else "big"
        self._address_terms = self._compile_address()
        length = self.text("Length")
        self._fixed_length = parse_int(length, where=self.where("Length")) \
            if length is not None else None
        self._length_reader = self.nodemap.reader(self.text("pLength") or "") \
            if self.text("pLength") else None
        if self._fixed_length is None and self._length_reader is None:
            raise XmlError(f"{self.where()} has no Length or pLength")
        #: (address, length) when both are constant and valid, else None
        self._static_span: tuple[int, int] | None = None
        if not self._address_terms and self._fixed_length is not None:
            try:
                self._static_span = self._checked(self._constant_address, self._fixed_length)
            except XmlError:
                pass  # raised again on every access, by span()
        #: (port, address, length) of a constant span: the store's key for its bytes
        self._static_key: tuple[str, int, int] | None = None if self._static_span is None \
            else (self.port_name, *self._static_span)
        self._cachable = self.caching != "NoCache"
        #: the node map's connected ports by name (a dict it never replaces)
        self._ports = self.nodemap._ports

    def _collect_dependencies(self) -> Iterable[str]:
        yield from super()._collect_dependencies()
        for element in self.props.get("IntSwissKnife", ()):
            for child in element:
                if localname(child.tag) == "pVariable" and child.text:
                    yield child.text.strip().partition(".")[0]
        yield self.text("pPort") or "Device"

    def _index_term(self, index: Callable[[], Any], where: str,
                    offset: int | Callable[[], Any]) -> Callable[[], int]:
        """One ``<pIndex>`` address term: the index times its constant or read offset."""
        whole = self.whole
        if isinstance(offset, int):
            constant = offset
            return lambda: whole(index(), where) * constant
        read_offset = offset
        return lambda: whole(index(), where) * whole(read_offset(), "pOffset")

    def _compile_address(self) -> list[tuple[str, Callable[[], Any]]]:
        """The variable address terms, each with the element it comes from."""
        terms: list[tuple[str, Callable[[], Any]]] = []
        constant = 0
        for text in self.texts("Address"):
            constant += parse_int(text, where=self.where("Address"))
        for text in self.texts("pAddress"):
            terms.append((f"<pAddress> {text}", self.nodemap.reader(text)))
        for element in self.props.get("IntSwissKnife", ()):
            from .formulas import InlineSwissKnife

            terms.append(("its <IntSwissKnife>", InlineSwissKnife(self, element).get))
        for element in self.props.get("pIndex", ()):
            name = (element.text or "").strip()
            index = self.nodemap.reader(name)
            where = f"<pIndex> {name}"
            offset_pointer = element.get("pOffset")
            if offset_pointer:
                offset_name = offset_pointer.strip()
                terms.append((f"{where} x pOffset {offset_name}",
                              self._index_term(index, where, self.nodemap.reader(offset_name))))
            else:
                offset = parse_int(element.get("Offset", "1"), where=self.where("pIndex Offset"))
                terms.append((f"{where} x Offset {offset}",
                              self._index_term(index, where, offset)))
        self._constant_address = constant
        return terms

    def address(self) -> int:
        """The address now, checked to lie in the 64-bit address space."""
        address = self._constant_address
        for where, term in self._address_terms:
            value = term()
            address += value if value.__class__ is int else \
                whole(value, f"{self.where()}: the address term from {where}")
        if not 0 <= address < ADDRESS_SPACE:
            raise self._address_error(address)
        return address

    def _address_error(self, address: int) -> XmlError:
        return XmlError(f"{self.where()}: its address works out to {_hex(address)}, outside "
                        f"the 64-bit address space [0, 0xFFFFFFFFFFFFFFFF] (check Address, "
                        f"pAddress, pIndex and the nodes they name)")

    def length(self) -> int:
        length = self._fixed_length
        if length is not None:
            low, high = self.LENGTHS
            if low <= length <= high:
                return length
        else:
            length = self.whole(self._length_reader(), "pLength")  # type: ignore[misc]
        low, high = self.LENGTHS
        if not low <= length <= high:
            raise XmlError(f"{self.where()}: its length is {length} bytes; a "
                           f"{self.definition.type} holds {low} to {high}")
        return length

    def span(self) -> tuple[int, int]:
        """(address, length) now, both checked: the bytes end inside the address space."""
        if self._static_span is not None:
            return self._static_span
        return self._checked(self.address(), self.length())

    def _checked(self, address: int, length: int) -> tuple[int, int]:
        if not 0 <= address < ADDRESS_SPACE:
            raise XmlError(f"{self.where()}: its address {_hex(address)} is outside the 64-bit "
                           f"address space [0, 0xFFFFFFFFFFFFFFFF]")
        low, high = self.LENGTHS
        if not low <= length <= high:
            raise XmlError(f"{self.where()}: its length is {length} bytes; a "
                           f"{self.definition.type} holds {low} to {high}")
        if address + length > ADDRESS_SPACE:
            raise XmlError(f"{self.where()}: its {length} bytes at {_hex(address)} run past the "
                           f"end of the 64-bit address space")
        return address, length

    def base_access(self) -> str:
        """RW within what the port allows; NI/NA when an address input (pAddress,
        pIndex, a pVariable of an address formula) is not implemented/available — the
        reference looks at whether they are there, not whether they can be read: a
        write-only pIndex leaves an RO register RO (measured)."""
        mode = "RW"
        nm = self.nodemap
        chunk = self._chunk_port
        if chunk is None:
            port = self.port_name
            chunk = self._chunk_port = port in nm and nm.element_type(port) == "Port" and \
                bool(nm.node(port).text("ChunkID"))
        if chunk:  # bound and unbound frame by frame: varies
            self.store.dynamic += 1
        if not nm.has_port(self.port_name) and self.port_name in nm:
            mode = combine_access(mode, nm.node(self.port_name).access())
        inputs = self.dependencies_presence(self.port_name)  # the address inputs
        return combine_access(mode, inputs) if inputs != "RW" else mode

    def check_readable(self) -> None:
        mode = self.access()  # once: a condition over a NoCache register reads the device
        if mode not in READABLE:
            self._check_port()
            self.refuse("readable", mode)

    def check_writable(self) -> None:
        mode = self.access()
        if mode not in WRITABLE:
            self._check_port()
            self.refuse_write(mode)
        if self.access_mode == "RO":
            # a failed condition leaves RW as its access (Node.access), but the register
            # itself still refuses the write, as the reference's does (generator seed
            # 7301; a write-only one is read there, as in the reference)
            self.refuse_write("RO")

    def refuse_write(self, mode: str) -> None:
        """Refuse a write for access mode ``mode``.  The register's own cached value
        goes first (not what is computed from it, nor the bytes it read): its next read
        decodes the cached bytes again, as the reference's does after refusing a write
        for its access or its range (tests/reference/test_rules_shared_bytes.py)."""
        self.store.refresh(self.name)
        self.refuse("writable", mode)

    def _check_port(self) -> None:
        if not self.nodemap.has_port(self.port_name):
            self.nodemap.port(self.port_name)  # raises, saying what to connect

    def constant_span(self) -> tuple[int, int] | None:
        """(address, length) when neither depends on another node (and both are valid),
        else None."""
        return self._static_span

    def fill(self, data: bytes, address: int) -> None:
        """Take bytes read in bulk (``NodeMap.prefetch``) as this register's cached value."""
        self.store.keep_bytes(self.name, (self.port_name, address, len(data)), data)

    def get_address(self) -> int:
        return self.address()

    # -- bytes --------------------------------------------------------------------------

    def read_bytes(self) -> bytes:
        """The register's bytes (cached by span unless NoCache); callers check
        readability."""
        nm = self.nodemap
        store = self.store
        before = store.volatile
        key = self._static_key
        if key is None:  # the cycle guard of nm.evaluating, inlined
            active = nm.active
            marker = (self.name, "address")
            if marker in active:
                raise nm.cycle_error(marker)
            active[marker] = None
            try:
                address, length = self._checked(self.address(), self.length())
            finally:
                active.pop(marker, None)
            key = (self.port_name, address, length)
        else:  # a constant address needs no evaluation (nor a cycle guard)
            address, length = key[1], key[2]
        cachable = self._cachable
        if cachable:
            data = store.bytes_at(key)
            if data is not None:
                store.read_from(self.name, key)
                return data
        data = self._port_read(address, length)
        if cachable and store.volatile == before:
            store.keep_bytes(self.name, key, data)
        else:
            store.volatile += 1
        return data

    def _port_read(self, address: int, length: int) -> bytes:
        """``length`` bytes at ``address`` from the port (no cache): a failure names this
        register and the address; a reply of the wrong size is a ProtocolError."""
        try:
            port = self._ports.get(self.port_name)
            if port is None:
                port = self.nodemap.port(self.port_name)  # raises, saying what to connect
            data = port.read(address, length) if length else b""
        except (NodeMapError, OSError) as exc:
            self._read_failed(address, exc)
        return self._reply(data, address, length)

    def _read_failed(self, address: int, exc: Exception) -> NoReturn:
        """Raise the error of a failed port read (called in its ``except`` clause)."""
        error = _port_error(self, "read", address, exc)
        if error is exc:
            raise exc
        raise error from exc

    def _reply(self, data: Any, address: int, length: int) -> bytes:
        """``data`` read from the port as bytes, checked to be ``length`` of them."""
        if data.__class__ is not bytes:
            if not isinstance(data, (bytes, bytearray)):
                raise ProtocolError(
                    f"{self.name}: the port returned {type(data).__name__} for a "
                    f"{length}-byte read at 0x{address:X}, not bytes")
        reply = bytes(data)  # the same object when it is bytes already
        if len(reply) != length:
            raise ProtocolError(
                f"{self.name}: the port returned {len(reply)} bytes for a {length}-byte "
                f"read at 0x{address:X}")
        return reply

    def _fetcher(self) -> Callable[[int, int], bytes]:
        """One port read, the reply checked (a wrong type or length is a ProtocolError,
        a failure reported by :meth:`_read_failed`, a missing port says what to
        connect): what the compiled reads call on a miss of the store's bytes."""
        port_read, failed, reply = self._port_read, self._read_failed, self._reply
        ports, port_name = self._ports, self.port_name

        def fetch(address: int, length: int) -> bytes:
            port = ports.get(port_name)
            if port is None:
                return port_read(address, length)  # raises, saying what to connect
            try:
                data = port.read(address, length)
            except (NodeMapError, OSError) as exc:
                failed(address, exc)
            if data.__class__ is not bytes or len(data) != length:
                data = reply(data, address, length)
            return data
        return fetch

    def _compile_read(self, decode: Callable[[bytes], Any]) -> Callable[[], Any]:
        """The whole uncached read of this register's value, built once: the access
        check (one lookup when constant), the bytes (the store's, or one port read) and
        ``decode``, with no per-read allocation beyond the value.  A register at a
        constant span (most of them) gets a closure specialised to it; NoCache ones
        never touch the cached bytes and are never kept."""
        name, store, values = self.name, self.store, self._values
        constant_access, check = self._constant_access, self.check_readable
        key = self._static_key
        if key is None:  # an address or length read from other nodes
            read_bytes = self.read_bytes

            def read_dynamic() -> Any:
                before = store.volatile  # an access read from a NoCache register: not kept
                if constant_access.get(name) not in READABLE:
                    check()
                value = decode(read_bytes())
                if store.volatile == before:
                    values[name] = value
                return value
            return read_dynamic
        fetch = self._fetcher()
        address, length = key[1], key[2]
        if not self._cachable:
            def read_volatile() -> Any:
                if constant_access.get(name) not in READABLE:
                    check()
                data = fetch(address, length)
                store.volatile += 1  # what is computed from it is not kept either
                return decode(data)
            return read_volatile
        bytes_at, span_of = store.bytes_at, store.span_of
        claim = store.claim

        def read_cached() -> Any:
            kept = True
            if constant_access.get(name) not in READABLE:
                before = store.volatile
                check()
                # an access worked out from a NoCache register is worked out again on
                # the next read: the value is not kept either (it would skip the check)
                kept = store.volatile == before
            data = bytes_at(key)
            if data is None:  # Store.keep_bytes, inlined
                data = fetch(address, length)
                claim(key, data)
            span_of[name] = key  # Store.read_from, likewise
            value = decode(data)
            if kept:
                values[name] = value
            return value
        return read_cached

    def _compile_dynamic(self, layout: tuple[bool, int, int | None] | None,
                         decode: Callable[[bytes], Any]) -> Callable[[], Any] | None:
        """The whole read of a register at a varying address (``pAddress``, an inline
        IntSwissKnife, ``pIndex``) of a fixed length, compiled once: the access check,
        the address under the cycle guard (a term naming a node whose number is its
        value is one store lookup when valid, its ``evaluate_value`` on a miss), the
        span checked, its bytes from the store or one port read (kept unless the
        volatile counter moved), the decode (``layout``: an integer's, inlined; else
        ``decode``) and the value kept as :meth:`read_bytes` and the generic read keep
        them.  None when the length is not fixed and valid (the generic read then)."""
        length = self._fixed_length
        fewest, most = self.LENGTHS
        if length is None or not max(fewest, 1) <= length <= most:
            return None
        nm = self.nodemap
        name, store, values = self.name, self.store, self._values
        values_get, built_get = values.get, nm._nodes.get
        constant_access_get = self._constant_access.get
        active, marker = nm.active, (self.name, "address")
        own = self.where()
        terms = tuple((f"{own}: the address term from {where}", term,
                       getattr(term, "cached_name", None))
                      for where, term in self._address_terms)
        constant = self._constant_address
        cachable = self._cachable
        bytes_at, keep_bytes, read_from = store.bytes_at, store.keep_bytes, store.read_from
        port_name, fetch = self.port_name, self._fetcher()
        from_bytes, byteorder = int.from_bytes, self.byteorder
        signed, shift, mask = layout if layout is not None else (False, 0, None)
        inline = layout is not None
        space = ADDRESS_SPACE
        single = len(terms) == 1 and terms[0][2] is not None
        # one term naming a node whose number is its value (a pAddress: most of them)
        term_where, only_term, plain = terms[0] if terms else ("", _no_term, None)
        term_name: str = plain or ""

        # what the usual read uses is bound as default arguments, not cells (see
        # _compile_int_read: a large file's reads stay in the CPU's cache)
        def read_dynamic(register: RegisterNode = self, only_term: Callable[[], Any] = only_term,
                         term_where: str = term_where,
                         decode: Callable[[bytes], Any] = decode,
                         constant_access_get: Callable[[str], str | None] =
                         constant_access_get, name: str = name, store: Any = store,
                         marker: tuple[str, str] = marker, active: dict[Any, None] = active,
                         single: bool = single, values_get: Callable[..., Any] = values_get,
                         term_name: str = term_name,
                         built_get: Callable[[str], Node | None] = built_get,
                         terms: tuple[Any, ...] = terms, constant: int = constant,
                         space: int = space, length: int = length, port_name: str = port_name,
                         cachable: bool = cachable,
                         bytes_at: Callable[[Any], bytes | None] = bytes_at,
                         read_from: Callable[[str, Any], None] = read_from,
                         keep_bytes: Callable[[str, Any, bytes], None] = keep_bytes,
                         fetch: Callable[[int, int], bytes] = fetch, inline: bool = inline,
                         mask: int | None = mask, from_bytes: Callable[..., int] = from_bytes,
                         byteorder: Literal["little", "big"] = byteorder,
                         signed: bool = signed, shift: int = shift,
                         values: dict[str, Any] = values) -> Any:
            if constant_access_get(name) not in READABLE:
                register.check_readable()
            before = store.volatile
            if marker in active:
                raise register.nodemap.cycle_error(marker)
            active[marker] = None
            try:
                if single:
                    value = values_get(term_name, MISSING)
                    if value is MISSING:
                        node = built_get(term_name)
                        value = only_term() if node is None else node.evaluate_value()
                    address = constant + (value if value.__class__ is int
                                          else whole(value, term_where))
                else:
                    address = constant
                    for where, term, cached_name in terms:
                        if cached_name is not None:
                            value = values_get(cached_name, MISSING)
                            if value is MISSING:
                                node = built_get(cached_name)
                                value = term() if node is None else node.evaluate_value()
                        else:
                            value = term()
                        address += value if value.__class__ is int else whole(value, where)
                if not 0 <= address < space:
                    raise register._address_error(address)
                if address + length > space:
                    register._checked(address, length)  # raises, saying where the bytes end
            finally:
                active.pop(marker, None)
            key = (port_name, address, length)
            data = bytes_at(key) if cachable else None
            if data is not None:
                read_from(name, key)
            else:
                data = fetch(address, length)
                if cachable and store.volatile == before:
                    keep_bytes(name, key, data)
                else:
                    store.volatile += 1
            if not inline:
                value = decode(data)
            elif mask is None:
                value = from_bytes(data, byteorder, signed=signed)
            else:
                value = (from_bytes(data, byteorder) >> shift) & mask
            if store.volatile == before:
                values[name] = value
            return value
        return read_dynamic

    def _compile_int_read(self, signed: bool, shift: int, mask: int | None
                          ) -> Callable[[], int]:
        """:meth:`_compile_read` for a cachable register at a constant span holding an
        integer (``mask``: a bit field ``shift`` bits up), the decode and the port read
        inlined.  What the usual read uses is bound as default arguments, not closure
        cells: one tuple per register instead of a cell object per variable, which on
        a large file is the difference between reads that stay in the CPU's cache and
        reads that miss it (acA640: ~60 cache misses a read before).  No cell at all:
        a call copies (and so touches) every cell of a closure; what only a failure
        or a varying access mode needs is reached through the node."""
        name, store, values = self.name, self.store, self._values
        key = self._static_key
        assert key is not None and self._cachable
        address, length = key[1], key[2]

        def read_int(node: RegisterNode = self, store: Any = store, name: str = name,
                     key: tuple[str, int, int] = key,
                     address: int = address, length: int = length,
                     access_get: Callable[[str], str | None] = self._constant_access.get,
                     readable: frozenset[str] = READABLE,
                     bytes_at: Callable[[Any], bytes | None] = store.bytes_at,
                     span_of: dict[str, Any] = store.span_of,
                     claim: Callable[[Any, bytes], None] = store.claim,
                     ports_get: Callable[[str], Any] = self._ports.get,
                     port_name: str = self.port_name,
                     from_bytes: Callable[..., int] = int.from_bytes,
                     byteorder: Literal["little", "big"] = self.byteorder,
                     signed: bool = signed, shift: int = shift, mask: int | None = mask,
                     values: dict[str, Any] = values) -> int:
            kept = True
            if access_get(name) not in readable:
                before = store.volatile
                node.check_readable()
                kept = store.volatile == before  # see _compile_read
            data = bytes_at(key)
            if data is None:  # the port read (RegisterNode._fetcher, inlined)
                port = ports_get(port_name)
                if port is None:
                    node._port_read(address, length)  # raises, saying what to connect
                try:
                    data = port.read(address, length)
                except _PORT_ERRORS as exc:
                    node._read_failed(address, exc)
                if data.__class__ is not bytes or len(data) != length:
                    data = node._reply(data, address, length)
                claim(key, data)  # Store.keep_bytes, inlined
            span_of[name] = key  # Store.read_from, likewise
            if mask is None:
                value = from_bytes(data, byteorder, signed=signed)
            else:
                value = (from_bytes(data, byteorder) >> shift) & mask
            if kept:
                values[name] = value
            return value
        return read_int

    def write_bytes(self, data: bytes) -> None:
        nm = self.nodemap
        store = self.store
        before = store.volatile
        span = self._static_span
        if span is None:
            with nm.evaluating(self, "address"):
                span = self._checked(self.address(), self.length())
        address, length = span
        if len(data) > length:
            raise RangeError(f"{self.name} holds {length} bytes; got {len(data)}")
        try:
            nm.port(self.port_name).write(address, bytes(data))
        except (NodeMapError, OSError) as exc:
            error = _port_error(self, "write", address, exc)
            if error is exc:
                raise
            raise error from exc
        key = (self.port_name, address, length)
        kept: bytes | None = bytes(data)
        if len(data) < length:  # a short write changes the leading bytes only (GenApi)
            previous = store.bytes_at(key)
            kept = data + previous[len(data):] if previous is not None else None
        if self.caching != "WriteThrough" or store.volatile != before:
            kept = None
        nm.complete_graph()  # the invalidation below follows every chain
        store.written(self.name, key, kept)
        nm.changed(self)


#: what a port read may raise that is reported naming the register (RegisterNode._read_failed)
_PORT_ERRORS = (NodeMapError, OSError)


def _no_term() -> int:
    return 0


def _hex(number: int) -> str:
    return f"-0x{-number:X}" if number < 0 else f"0x{number:X}"


def _port_error(node: Node, verb: str, address: int, exc: Exception) -> Exception:
    """The error to raise for a failed port call: it names the feature and address, in
    its words and in its fields (``feature``, ``address``; a device ``status`` stays)."""
    message = f"{node.name}: {verb} at 0x{address:X} failed: {exc}"
    if isinstance(exc, NodeMapError):
        if exc.feature == node.name:        # raised knowing this node: says it already
            return exc.locate(address=address)
        return exc.with_context(message, feature=node.name, address=address)
    return PortError(message, feature=node.name, address=address)


class RawRegister(RegisterNode):
    """``<Register>``: the bytes themselves."""

    kind = "Register"

    def get(self) -> bytes:
        self.check_readable()
        return self.read_bytes()

    def set(self, value: Any) -> None:
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise RangeError(f"{self.name} is a Register: write bytes, not "
                             f"{type(value).__name__}")
        self.check_writable()
        self.write_bytes(bytes(value))


class IntReg(RegisterNode):
    """A two's-complement or unsigned integer filling its register."""

    kind = "Integer"
    LENGTHS = (1, 8)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.signed = (self.text("Sign", "Unsigned") or "Unsigned") == "Signed"

    def _bits(self) -> int:
        return 8 * self.length()

    def _compile_value(self) -> Callable[[], Any]:
        """The compiled read (:meth:`_compile_int_read` at a constant span,
        :meth:`_compile_dynamic` at a varying one, else :meth:`_compile_read`)."""
        layout = self._int_layout()
        if self._static_key is not None:
            if layout is not None and self._cachable:
                return self._compile_int_read(*layout)
            return self._compile_read(self._decoder())
        return self._compile_dynamic(layout, self.decode) or self._compile_read(self.decode)

    def _int_layout(self) -> tuple[bool, int, int | None] | None:
        """(signed, shift, mask or None) of the integer of a fixed length, for the
        decode inlined in the compiled read; None: decode through :meth:`decode`."""
        length = self._fixed_length
        return None if length is None else (self.signed or length >= 8, 0, None)

    def _decoder(self) -> Callable[[bytes], int]:
        """``decode`` with what the definition fixes worked out once."""
        key = self._static_key
        if key is None:
            return self.decode
        from_bytes, byteorder = int.from_bytes, self.byteorder
        signed = self.signed or key[2] >= 8
        return lambda data: from_bytes(data, byteorder, signed=signed)

    def decode(self, data: bytes) -> int:
        # An unsigned 8-byte register reads as int64 in the reference (two's complement).
        return int.from_bytes(data, self.byteorder, signed=self.signed or len(data) >= 8)

    def get_min(self) -> int:
        self.check_bounds_available()
        return (self._width_bounds or self._width())[0]

    def get_max(self) -> int:
        self.check_bounds_available()
        return (self._width_bounds or self._width())[1]

    def _width(self) -> tuple[int, int]:
        """(min, max) of the register's width (or bit field's); kept on the node when
        the length is fixed (the definition settles it)."""
        bits = self._bits()
        bounds = (max(-(1 << (bits - 1)), INT64_MIN) if self.signed else 0,
                  self._max_of(bits))
        if self._fixed_length is not None:
            self._width_bounds = bounds
        return bounds

    def _max_of(self, bits: int) -> int:
        return min((1 << (bits - 1)) - 1 if self.signed else (1 << bits) - 1, INT64_MAX)

    def get_inc(self) -> int:
        self.check_bounds_available()
        return 1

    #: (min, max) of a register of a fixed length: its width's, worked out once
    #: (:meth:`_width`)
    _width_bounds: tuple[int, int] | None = None

    def set(self, value: Any) -> None:
        value = as_int(self, value)
        bounds = self._width_bounds
        if bounds is not None:
            # what check_writable_for_bounds then get_min/get_max do when the bounds
            # are the fixed width's: the access check, and the bounds (read nothing)
            if self._constant_access.get(self.name) not in WRITABLE:
                self.check_writable()
            low, high = bounds
        else:
            self.check_writable_for_bounds()  # the bounds read under this one access check
            try:
                low, high = self.get_min(), self.get_max()
            finally:
                self.bounds_checked()
        if not low <= value <= high:
            self.store.refresh(self.name)  # as refuse_write: decoded again
            raise RangeError(f"{self.name}: {value} is outside [{low}, {high}]")
        # and the register's own write checks it again, as the reference does (measured
        # with a counting port: two reads of a NoCache condition per IntReg write)
        self.check_writable()
        self.write_bytes(self.encode(value))

    def encode(self, value: int) -> bytes:
        length = self.length()
        return (value & ((1 << (8 * length)) - 1)).to_bytes(length, self.byteorder)


class MaskedIntReg(IntReg):
    """A bit field (``Bit`` or ``LSB``..``MSB``) of a register; writes read-modify-write.

    Little-endian registers number bits from the least significant; big-endian ones
    from the most significant (bit 0 = MSB), as GenApi does.
    """

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        bit = self.int_prop("Bit")
        lsb = self.int_prop("LSB", bit)
        msb = self.int_prop("MSB", bit)
        if lsb is None or msb is None:
            lsb = msb = 0 if bit is None else bit
        self._lsb_msb = (lsb, msb)
        self._field: tuple[int, int] | None = None

    def field(self) -> tuple[int, int]:
        """(shift, width) of the field within the register's integer value."""
        if self._field is None:
            lsb, msb = self._lsb_msb
            bits = 8 * self.length()
            if not self.little:
                lsb, msb = bits - 1 - lsb, bits - 1 - msb
            low, high = min(lsb, msb), max(lsb, msb)
            if high >= bits or low < 0:
                raise XmlError(f"{self.where()}: bits {self._lsb_msb} do not fit a "
                               f"{self.length()}-byte register")
            self._field = (low, high - low + 1)
        return self._field

    def _bits(self) -> int:
        return self.field()[1]

    def get_max(self) -> int:
        if self._width_bounds is None:
            self._bits()  # a field that does not fit: its XmlError before the access check
        return super().get_max()

    def _max_of(self, bits: int) -> int:
        # An unsigned 64-bit field's maximum 2**64 - 1 comes out of the reference's int64
        # arithmetic as -1 (measured: LSB 0, MSB 63 → max -1; IntReg keeps INT64_MAX).
        if not self.signed and bits == 64:
            return -1
        return super()._max_of(bits)

    def _int_layout(self) -> tuple[bool, int, int | None] | None:
        if self._fixed_length is None or self.signed:
            return None
        try:
            shift, width = self.field()
        except XmlError:  # raised by each read, after its access check
            return None
        if width >= 64:  # a whole 64-bit field reads as int64: decode() does it
            return None
        return False, shift, (1 << width) - 1

    def _decoder(self) -> Callable[[bytes], int]:
        if self._static_key is None:
            return self.decode
        try:
            shift, width = self.field()
        except XmlError:  # raised by each read, after its access check
            return self.decode
        from_bytes, byteorder, mask = int.from_bytes, self.byteorder, (1 << width) - 1
        if not self.signed and width < 64:
            return lambda data: (from_bytes(data, byteorder) >> shift) & mask
        return self.decode

    def decode(self, data: bytes) -> int:
        shift, width = self.field()
        raw = (int.from_bytes(data, self.byteorder) >> shift) & ((1 << width) - 1)
        # signed, or a whole 64-bit field (the reference's int64: two's complement)
        if (self.signed or width >= 64) and raw >> (width - 1):
            raw -= 1 << width
        return raw

    def encode(self, value: int) -> bytes:
        shift, width = self.field()
        mask = ((1 << width) - 1) << shift
        if self.access() not in ("RW", "RO"):
            # Read-modify-write needs the register's bytes: like the reference, a bit
            # field that cannot be read cannot be written either.
            raise AccessError(f"{self.name} is a write-only bit field: writing it reads "
                              f"the register first (read-modify-write), which its access "
                              f"mode {self.access()} forbids")
        current = int.from_bytes(self.read_bytes(), self.byteorder)
        raw = (current & ~mask) | ((value << shift) & mask)
        return raw.to_bytes(self.length(), self.byteorder)


class FloatReg(RegisterNode):
    """An IEEE 754 float of 4 or 8 bytes."""

    kind = "Float"
    LENGTHS = (4, 8)

    def _format(self) -> str:
        length = self.length()
        if length not in (4, 8):
            raise XmlError(f"{self.where()}: a FloatReg is 4 or 8 bytes, not {length}")
        return ("<" if self.little else ">") + ("f" if length == 4 else "d")

    def _compile_value(self) -> Callable[[], Any]:
        """The compiled read; a length that is no float's is checked by each read
        (:meth:`_read_checked`, before the port is asked)."""
        if self._fixed_length is None:
            return self._read_checked
        try:
            unpack = struct.Struct(self._format()).unpack
        except XmlError:  # a length that is no float: each read says so
            return self._read_checked
        decode: Callable[[bytes], float] = lambda data: unpack(data)[0]  # noqa: E731
        if self._static_key is not None:
            return self._compile_read(decode)
        return self._compile_dynamic(None, decode) or self._read_checked

    def _read_checked(self) -> float:
        """The read with the length checked first (before the port is asked)."""
        store = self.store
        before = store.volatile  # an access read from a NoCache register: not kept
        self.check_readable()
        value: float = struct.unpack(self._format(), self.read_bytes())[0]
        if store.volatile == before:
            store.values[self.name] = value
        return value

    def set(self, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise RangeError(f"{self.name} is a Float: write a number, not "
                             f"{type(value).__name__}")
        self.check_writable()
        value = float(value)
        # bounds as the reference checks them (an infinity is refused; NaN passes)
        if value < self.get_min() or value > self.get_max():
            self.store.refresh(self.name)  # as refuse_write: decoded again
            raise RangeError(f"{self.name}: {value} is outside its bounds "
                             f"[{self.get_min()}, {self.get_max()}]")
        try:
            data = struct.pack(self._format(), value)
        except OverflowError:
            raise RangeError(f"{self.name}: {value} does not fit a "
                             f"{self.length()}-byte float") from None
        self.write_bytes(data)

    def get_min(self) -> float:
        return -self.get_max()

    def get_max(self) -> float:
        self.check_bounds_available()
        return sys.float_info.max if self.length() == 8 else _FLT_MAX

    def get_inc(self) -> None:
        return None


_FLT_MAX = struct.unpack("<f", b"\xff\xff\x7f\x7f")[0]


class StringReg(RegisterNode):
    """A NUL-terminated (or full-length) string."""

    kind = "String"

    def get(self) -> str:
        value = self.store.values.get(self.name)
        if value is None:
            self.check_readable()
            store = self.store
            before = store.volatile
            value = self.read_bytes().split(b"\0", 1)[0].decode("utf-8", errors="replace")
            if store.volatile == before:
                store.values[self.name] = value
        return value

    def set(self, value: Any) -> None:
        if not isinstance(value, str):
            raise RangeError(f"{self.name} is a String: write str, not {type(value).__name__}")
        self.check_writable()
        data = value.encode("utf-8")
        length = self.length()
        if len(data) > length:
            raise RangeError(f"{self.name}: {len(data)} bytes do not fit its {length}")
        self.write_bytes(data.ljust(length, b"\0"))

    def get_max_length(self) -> int:
        return self.length()
