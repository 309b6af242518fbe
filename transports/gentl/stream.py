"""Frames from a GenTL data stream: :class:`GenTLSource`, a nodemap FrameSource.

``GenTLLink.open_stream`` returns it; ``Camera.stream()`` wraps it in a Stream.  Its life:

- **open**: the link's data stream module (DevOpenDataStream, shared with
  ``cam.data_stream``); the payload size from the stream when it defines one
  (STREAM_INFO_DEFINES_PAYLOADSIZE), else the remote PayloadSize feature, else
  Width × Height × PixelFormat; ``buffers`` buffers (at least STREAM_INFO_BUF_ANNOUNCE_MIN)
  announced — our own memory with DSAnnounceBuffer (``allocate="consumer"``, the default:
  frames are zero-copy views of it), or the producer's with DSAllocAndAnnounceBuffer
  (``allocate="producer"``: each frame's bytes are copied out, so a frame never points at
  memory the producer frees); EVENT_NEW_BUFFER registered (GCRegisterEvent, once per data
  stream: the link keeps it until DSClose).
- **start**: every free buffer queued (DSQueueBuffer), DSStartAcquisition, then on the
  remote device AcquisitionMode = Continuous (when writable; the previous mode is put back
  at stop), TLParamsLocked = 1 and AcquisitionStart.
- **next_frame**: EventGetData waited in slices (so Ctrl-C lands) up to the timeout; the
  buffer's DSGetBufferInfo (size filled, width, height, offsets, padding, frame id,
  timestamp, pixel format and its namespace, payload type, image offset, incomplete flag,
  chunk layout) becomes a :class:`nodemap.imaging.Frame` (its chunks located by the
  producer's DSGetBufferChunkData list when it gives one, otherwise read as trailers from
  the end: little-endian for a U3V device, big-endian GigE Vision ones for the others).  A buffer goes back to the
  producer's input pool (DSQueueBuffer) once the frame and every view of it are gone.
- **stop**: AcquisitionStop, TLParamsLocked = 0 and the AcquisitionMode there was before
  start on the remote device, EventKill to wake a waiting ``next_frame``,
  DSStopAcquisition (kill), DSFlushQueue (all discard).  Frames the application still
  holds stay valid: their memory is ours.
- **close**: stop, DSFlushQueue, EventFlush, DSRevokeBuffer for every buffer.

Statistics come from the data stream module (STREAM_INFO_NUM_DELIVERED, _NUM_UNDERRUN,
_NUM_STARTED) next to our own completed/incomplete counts.
"""

from __future__ import annotations

import ctypes
import logging
import struct
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any

import attrs

from nodemap.errors import (
    AccessError,
    NodeMapError,
    PortError,
    TimeoutError,
    UnsupportedError,
)
from nodemap.imaging import pfnc
from nodemap.imaging.buffers import BufferPool
from nodemap.imaging.frame import Frame
from nodemap.imaging.sizing import payload_size

from .api import (
    ACQ_QUEUE,
    ACQ_STOP,
    BUFFER_INFO,
    EVENT_NEW_BUFFER_DATA,
    GC,
    INFINITE,
    INFO,
    PAYLOAD_TYPE,
    PIXELFORMAT_NS,
    SINGLE_CHUNK_DATA,
    STREAM_INFO,
    GenTLError,
    error_for,
)

if TYPE_CHECKING:
    from nodemap.nodemap import NodeMap

    from .link import GenTLLink

__all__ = ["GenTLSource", "ChunkLayout", "trailer_layout"]

log = logging.getLogger("nodemap.gentl")

_ABSENT = (GC.NOT_AVAILABLE, GC.NOT_IMPLEMENTED, GC.INVALID_PARAMETER, GC.NO_DATA,
           GC.ERROR, GC.INVALID_ID)
_INT_FORMATS: dict[int, str] = {INFO.INT16: "=h", INFO.UINT16: "=H", INFO.INT32: "=i", INFO.UINT32: "=I",
                INFO.INT64: "=q", INFO.UINT64: "=Q", INFO.PTR: "P", INFO.SIZET: "N",
                INFO.PTRDIFF: "n"}
WAIT_SLICE = 0.25      # seconds per EventGetData call, so signals (Ctrl-C) are handled


@attrs.frozen
class ChunkLayout:
    """What the producer reports about a buffer's chunk data: the layout id
    (BUFFER_INFO_CHUNKLAYOUTID) and each chunk as (id, offset, length) from
    DSGetBufferChunkData, offsets counted from the buffer's start."""

    layout_id: int
    chunks: tuple[tuple[int, int, int], ...]


def trailer_layout(tl_type: str) -> str:
    """How chunks are laid out in a buffer whose producer gives no chunk list: USB3
    Vision devices write little-endian trailers ("u3v"), GigE Vision ones (and, as a
    default, the others) big-endian ones ("gev") — the choice harvesters makes between
    GenApi's ChunkAdapterU3V and ChunkAdapterGEV."""
    return "u3v" if tl_type.strip().upper() == "U3V" else "gev"


def _chunk_bytes(data: memoryview, chunks: tuple[tuple[int, int, int], ...], image_end: int
                 ) -> tuple[bytes | None, tuple[tuple[int, int, int], ...] | None]:
    """The chunk data of a buffer whose producer listed its chunks (DSGetBufferChunkData,
    offsets from the buffer's start): the bytes from the first chunk that starts past the
    image (``image_end``) to the last chunk's end, and the descriptors of those chunks
    rebased on them; (None, None) when every listed chunk lies in the image (the image
    chunk itself)."""
    kept = [c for c in chunks if c[1] >= image_end and c[1] + c[2] <= len(data)]
    if not kept:
        return None, None
    start = min(offset for _, offset, _ in kept)
    end = max(offset + length for _, offset, length in kept)
    return bytes(data[start:end]), tuple((cid, offset - start, length)
                                         for cid, offset, length in kept)


class GenTLSource:
    """A FrameSource over the data stream of a :class:`.link.GenTLLink`."""

    def __init__(self, link: GenTLLink, nodemap: NodeMap, *, buffers: int = 8,
                 packet_size: int | None = None, allocate: str = "consumer",
                 **options: Any) -> None:
        if allocate not in ("consumer", "producer"):
            raise UnsupportedError(f"allocate={allocate!r}: use 'consumer' (our buffers, "
                                   "zero-copy frames) or 'producer' (DSAllocAndAnnounceBuffer)")
        if options:
            from nodemap.urls import unknown_parameters_error
            raise unknown_parameters_error("cam.stream()", options, ("buffers", "allocate",
                                                                      "packet_size"))
        self.link = link
        self.nodemap = nodemap
        self.lib = link.producer.lib
        self.module = link.data_stream
        self.name = f"{link.entry.serial or link.entry.id}/{self.module.label}"
        self.trailer_layout = trailer_layout(link.entry.tl_type)
        self.h = ctypes.c_void_p(self.module.handle)
        self.allocate = allocate
        self._lock = threading.RLock()
        self._running = False
        self._closed = False
        self._waiting = 0
        self._restore_mode: str | None = None   # AcquisitionMode to put back at stop
        self._absent: set[int] = set()
        self._kind = ctypes.c_int32(0)
        self._size = ctypes.c_size_t(0)
        self._info_buf = ctypes.create_string_buffer(64)
        self._get_info = self.lib.functions["DSGetBufferInfo"]
        self._queue = self.lib.functions["DSQueueBuffer"]
        self._wait = self.lib.functions["EventGetData"]
        self.counts = {"completed": 0, "incomplete": 0, "errors": 0}
        self.chunk_layouts: "weakref.WeakKeyDictionary[Frame, ChunkLayout]" = \
            weakref.WeakKeyDictionary()
        if packet_size:
            self._set_packet_size(packet_size)
        self.payload_size = self._payload_size()
        minimum = int(self.module.info(STREAM_INFO.BUF_ANNOUNCE_MIN, 0) or 0)
        self.count = max(int(buffers), minimum, 1)
        if self.count != buffers:
            log.debug("%s needs at least %d buffers; announcing %d", self.name, minimum,
                      self.count)
        self.handles: list[int] = []
        self._index: dict[int, int] = {}
        self._queued: set[int] = set()
        self._pins: list[Any] = []
        self.pool = BufferPool(self.count, self.payload_size) if allocate == "consumer" \
            else None
        self._free: list[int] = list(range(self.count))   # producer mode only
        self.event: ctypes.c_void_p | None = None
        try:
            self._announce()
            self.event = ctypes.c_void_p(link.new_buffer_event())
            self._default_format = self._remote_pixel_format()
        except BaseException:
            self._release()
            raise
        log.info("GenTL stream %s: %d buffers of %d bytes (%s-allocated)", self.name,
                 self.count, self.payload_size, allocate)

    # ------------------------------------------------------------------ setup

    def _feature(self, name: str) -> Any | None:
        features = self.nodemap.features
        return features[name] if name in features else None

    def _set_packet_size(self, size: int) -> None:
        f = self._feature("GevSCPSPacketSize") or self._feature("DeviceStreamChannelPacketSize")
        if f is not None and f.is_writable:
            f.value = int(size)
        else:
            log.info("%s: the producer chooses the packet size (packet_size=%d ignored)",
                     self.name, size)

    def _payload_size(self) -> int:
        if self.module.info(STREAM_INFO.DEFINES_PAYLOADSIZE, False):
            size = int(self.module.info(STREAM_INFO.PAYLOAD_SIZE, 0) or 0)
            if size > 0:
                return size
        return payload_size(self.nodemap, self.name)

    def _remote_pixel_format(self) -> int:
        f = self._feature("PixelFormat")
        try:
            return int(f.int_value) if f is not None else 0
        except NodeMapError:
            return 0

    def _announce(self) -> None:
        for i in range(self.count):
            out = ctypes.c_void_p(None)
            private = ctypes.c_void_p(i + 1)          # never NULL
            if self.pool is not None:
                pin = (ctypes.c_char * self.payload_size).from_buffer(self.pool.buffers[i])
                self._pins.append(pin)
                self.lib.call("DSAnnounceBuffer", self.h, ctypes.addressof(pin),
                              self.payload_size, private, ctypes.byref(out),
                              what=f"buffer {i} of {self.name}")
            else:
                self.lib.call("DSAllocAndAnnounceBuffer", self.h, self.payload_size, private,
                              ctypes.byref(out), what=f"buffer {i} of {self.name}")
            self.handles.append(int(out.value or 0))
            self._index[int(out.value or 0)] = i

    # ------------------------------------------------------------------ buffers

    def _take_free(self) -> int | None:
        if self.pool is not None:
            return self.pool.acquire()
        return self._free.pop() if self._free else None

    def _give_back(self, i: int) -> None:
        if self.pool is not None:
            self.pool.give_back(i)
        else:
            self._free.append(i)

    def _queue_free(self) -> None:
        """Hand every free buffer to the producer's input pool."""
        while True:
            i = self._take_free()
            if i is None:
                return
            code = self._queue(self.h, ctypes.c_void_p(self.handles[i]))
            if code != GC.SUCCESS:
                self._give_back(i)
                raise error_for("DSQueueBuffer", code, self.lib.last_error(),
                                f"buffer {i} of {self.name}")
            self._queued.add(i)

    def _reclaim(self) -> None:
        """After a flush: buffers the producer held are free again."""
        for i in sorted(self._queued):
            self._give_back(i)
        self._queued.clear()

    # ------------------------------------------------------------------ FrameSource

    def start(self) -> None:
        with self._lock:
            if self._closed:
                raise PortError(f"the stream of {self.name} is closed; open a new one")
            if self._running:
                return
            self._queue_free()
            self.lib.call("DSStartAcquisition", self.h, 0, INFINITE, what=self.name)
            self._running = True
        try:
            mode = self._feature("AcquisitionMode")
            if mode is not None and mode.is_writable and "Continuous" in mode.entries:
                # a stream is Continuous; the camera's own mode (SingleFrame, MultiFrame)
                # comes back at stop, so cam.grab()/cam.stream() leave the setting alone
                previous = mode.value
                if previous != "Continuous":
                    mode.value = "Continuous"
                    self._restore_mode = previous
            locked = self._feature("TLParamsLocked")
            if locked is not None and locked.is_writable:
                locked.value = 1
            start = self._feature("AcquisitionStart")
            if start is not None:
                start.execute()
            else:
                log.info("%s's XML has no AcquisitionStart; the producer streams on "
                         "DSStartAcquisition alone", self.name)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        with self._lock:
            if not self._running:
                return
            self._running = False
        try:
            stop = self._feature("AcquisitionStop")
            if stop is not None and stop.is_writable:
                stop.execute()
            locked = self._feature("TLParamsLocked")
            if locked is not None and locked.is_writable:
                locked.value = 0
            restore, self._restore_mode = self._restore_mode, None
            mode = self._feature("AcquisitionMode") if restore is not None else None
            if mode is not None and mode.is_writable:
                mode.value = restore
        except (PortError, AccessError) as exc:
            log.warning("stopping acquisition on %s failed: %s", self.name, exc)
        finally:
            with self._lock:
                if self._waiting and self.event is not None:
                    self.lib.raw("EventKill", self.event)
                for name, args in (("DSStopAcquisition", (self.h, int(ACQ_STOP.KILL))),
                                   ("DSFlushQueue", (self.h, int(ACQ_QUEUE.ALL_DISCARD)))):
                    code = self.lib.raw(name, *args)
                    if code != GC.SUCCESS:
                        log.debug("%s", error_for(name, code, self.lib.last_error(),
                                                  self.name))
                if self.event is not None and self.lib.has("EventFlush"):
                    self.lib.raw("EventFlush", self.event)
                self._reclaim()

    def next_frame(self, timeout: float) -> Frame:
        with self._lock:
            if self._closed:
                raise PortError(f"the stream of {self.name} is closed; open a new one")
            if not self._running:
                raise PortError(f"the stream of {self.name} is stopped; start it first")
            self._queue_free()
            self._waiting += 1
        try:
            handle = self._wait_buffer(timeout)
        finally:
            with self._lock:
                self._waiting -= 1
        with self._lock:
            i = self._index.get(handle)
            if i is None or i not in self._queued:
                raise PortError(f"the stream of {self.name} was stopped while a frame was "
                                "being delivered")
            self._queued.discard(i)
            try:
                return self._frame(i, handle)
            except BaseException:
                self.counts["errors"] += 1
                self._give_back(i)
                if self._running:
                    try:
                        self._queue_free()
                    except GenTLError as exc:
                        log.debug("requeue after an error on %s: %s", self.name, exc)
                raise

    def _wait_buffer(self, timeout: float) -> int:
        assert self.event is not None
        deadline = time.monotonic() + max(0.0, timeout)
        data = EVENT_NEW_BUFFER_DATA()
        size = ctypes.c_size_t(ctypes.sizeof(data))
        while True:
            remaining = deadline - time.monotonic()
            ms = int(max(0.0, min(remaining, WAIT_SLICE)) * 1000)
            size.value = ctypes.sizeof(data)
            code = self._wait(self.event, ctypes.byref(data), ctypes.byref(size), ms)
            if code == GC.SUCCESS:
                return int(data.BufferHandle or 0)
            if code == GC.TIMEOUT:
                if time.monotonic() >= deadline:
                    stats = ", ".join(f"{k} {v}" for k, v in self.stats.items())
                    raise TimeoutError(f"no frame from {self.name} in {timeout:g} s ({stats}); "
                                       "check the trigger settings and that the device "
                                       "is acquiring")
                if not self._running:
                    raise PortError(f"the stream of {self.name} was stopped while waiting")
                continue
            if code == GC.ABORT:
                raise PortError(f"the stream of {self.name} was stopped while waiting for "
                                "a frame")
            raise error_for("EventGetData", code, self.lib.last_error(), self.name)

    def _info(self, handle: ctypes.c_void_p, cmd: int, default: Any = 0) -> Any:
        """One DSGetBufferInfo; ``default`` when the producer does not offer ``cmd``."""
        if cmd in self._absent:
            return default
        self._size.value = 64
        code = self._get_info(self.h, handle, cmd, ctypes.byref(self._kind), self._info_buf,
                              ctypes.byref(self._size))
        if code != GC.SUCCESS:
            if code in _ABSENT:
                self._absent.add(cmd)
                return default
            raise error_for("DSGetBufferInfo", code, self.lib.last_error(),
                            f"{BUFFER_INFO(cmd).name} of {self.name}")
        kind = self._kind.value
        raw = self._info_buf.raw[:max(self._size.value, 0)]
        if kind == INFO.BOOL8:
            return raw[:1] not in (b"", b"\0")
        fmt = _INT_FORMATS.get(kind)
        if fmt is not None:
            need = struct.calcsize(fmt)
            return struct.unpack(fmt, raw[:need].ljust(need, b"\0"))[0]
        if kind == INFO.FLOAT64:
            return struct.unpack("=d", raw[:8].ljust(8, b"\0"))[0]
        if kind == INFO.STRING:
            return raw.split(b"\0", 1)[0].decode("utf-8", "replace")
        return raw

    def _frame(self, i: int, bh: int) -> Frame:
        h = ctypes.c_void_p(bh)
        q = self._info
        reported = q(h, BUFFER_INFO.SIZE_FILLED, None)
        filled = min(int(reported), self.payload_size) if reported else self.payload_size
        # A buffer the producer says it wrote nothing into is no frame, whatever the flag.
        incomplete = bool(q(h, BUFFER_INFO.IS_INCOMPLETE, False)) or \
            bool(q(h, BUFFER_INFO.DATA_LARGER_THAN_BUFFER, False)) or reported == 0
        payload_type = int(q(h, BUFFER_INFO.PAYLOADTYPE, PAYLOAD_TYPE.IMAGE))
        width = int(q(h, BUFFER_INFO.WIDTH, 0))
        height = int(q(h, BUFFER_INFO.HEIGHT, 0))
        delivered = int(q(h, BUFFER_INFO.DELIVERED_IMAGEHEIGHT, 0))
        if delivered and delivered < height:
            height = delivered
        if not width or not height:
            width, height = self._remote_size()
        fmt = int(q(h, BUFFER_INFO.PIXELFORMAT, 0))
        namespace = int(q(h, BUFFER_INFO.PIXELFORMAT_NAMESPACE, PIXELFORMAT_NS.PFNC_32BIT))
        if not fmt or namespace not in (PIXELFORMAT_NS.PFNC_32BIT, PIXELFORMAT_NS.GEV):
            fmt = self._default_format or fmt
        image_offset = int(q(h, BUFFER_INFO.IMAGEOFFSET, 0))
        padding_x = int(q(h, BUFFER_INFO.XPADDING, 0))
        has_chunks = bool(q(h, BUFFER_INFO.CONTAINS_CHUNKDATA, False)) or \
            payload_type in (PAYLOAD_TYPE.CHUNK_DATA, PAYLOAD_TYPE.CHUNK_ONLY)
        if self.pool is not None:
            data = self.pool.lease(i, filled)
        else:
            base = int(q(h, BUFFER_INFO.BASE, 0))
            if not base:
                raise GenTLError(f"DSGetBufferInfo gave no BASE for buffer {i} of "
                                 f"{self.name}", status=GC.ERROR, call="DSGetBufferInfo")
            data = memoryview(ctypes.string_at(base, filled))
            self._give_back(i)       # copied: the buffer can go back at once
        payload = data[image_offset:] if image_offset else data
        chunks = None
        layout = None
        descriptors = None
        if has_chunks:
            layout = self._chunk_layout(h)
            try:
                image = pfnc.payload_size(fmt, width, height, padding_x)
            except NodeMapError:
                image = -1
            if layout is not None and layout.chunks:
                chunks, descriptors = _chunk_bytes(data, layout.chunks,
                                                   image_offset + max(image, 0))
            elif 0 <= image < len(payload):
                chunks = bytes(payload[image:])
        frame = Frame(payload, width=width, height=height,
                      pixel_format=fmt if fmt else pfnc.code_of("Mono8"),
                      frame_id=int(q(h, BUFFER_INFO.FRAMEID, 0)),
                      timestamp=int(q(h, BUFFER_INFO.TIMESTAMP, 0)),
                      offset_x=int(q(h, BUFFER_INFO.XOFFSET, 0)),
                      offset_y=int(q(h, BUFFER_INFO.YOFFSET, 0)),
                      padding_x=padding_x, padding_y=int(q(h, BUFFER_INFO.YPADDING, 0)),
                      status="incomplete" if incomplete else "complete",
                      chunks=chunks, payload_type=payload_type,
                      chunk_descriptors=descriptors, chunk_layout=self.trailer_layout)
        if layout is not None:
            self.chunk_layouts[frame] = layout
        self.counts["incomplete" if incomplete else "completed"] += 1
        if self.pool is None and self._running:
            self._queue_free()
        return frame

    def _chunk_layout(self, h: ctypes.c_void_p) -> ChunkLayout | None:
        layout_id = int(self._info(h, BUFFER_INFO.CHUNKLAYOUTID, 0))
        fn = self.lib.functions.get("DSGetBufferChunkData")
        if fn is None or -1 in self._absent:
            return ChunkLayout(layout_id, ())
        count = ctypes.c_size_t(0)
        code = fn(self.h, h, None, ctypes.byref(count))
        if code != GC.SUCCESS and code != GC.BUFFER_TOO_SMALL:
            if code in _ABSENT:
                self._absent.add(-1)
            return ChunkLayout(layout_id, ())
        n = int(count.value)
        if n == 0:
            return ChunkLayout(layout_id, ())
        table = (SINGLE_CHUNK_DATA * n)()
        count.value = n
        if fn(self.h, h, table, ctypes.byref(count)) != GC.SUCCESS:
            return ChunkLayout(layout_id, ())
        return ChunkLayout(layout_id, tuple((int(c.ChunkID), int(c.ChunkOffset),
                                             int(c.ChunkLength))
                                            for c in table[:int(count.value)]))

    def _remote_size(self) -> tuple[int, int]:
        try:
            return (int(self.nodemap.features["Width"].value),
                    int(self.nodemap.features["Height"].value))
        except (NodeMapError, KeyError):
            return 0, 0

    @property
    def stats(self) -> dict[str, int]:
        out = dict(self.counts)
        out["underruns"] = 0
        if not self._closed:
            for key, cmd in (("delivered", STREAM_INFO.NUM_DELIVERED),
                             ("underruns", STREAM_INFO.NUM_UNDERRUN),
                             ("started", STREAM_INFO.NUM_STARTED),
                             ("announced", STREAM_INFO.NUM_ANNOUNCED),
                             ("queued", STREAM_INFO.NUM_QUEUED),
                             ("awaiting_delivery", STREAM_INFO.NUM_AWAIT_DELIVERY)):
                try:
                    value = self.module.info(cmd)
                except GenTLError:
                    value = None
                if value is not None:
                    out[key] = int(value)
        return out

    @property
    def running(self) -> bool:
        return self._running

    def chunk_layout(self, frame: Frame) -> ChunkLayout | None:
        """The chunk layout the producer reported for ``frame`` (None without chunks)."""
        return self.chunk_layouts.get(frame)

    def _release(self) -> None:
        """Flush and revoke every buffer (errors logged, not raised).  The new-buffer event
        stays registered with the data stream (the link unregisters it before DSClose):
        TLSimu delivers unfilled buffers to an event registered a second time."""
        self.lib.raw("DSFlushQueue", self.h, int(ACQ_QUEUE.ALL_DISCARD))
        if self.event is not None:
            if self.lib.has("EventFlush"):
                self.lib.raw("EventFlush", self.event)
            self.event = None
        for i, bh in enumerate(self.handles):
            code = self.lib.raw("DSRevokeBuffer", self.h, ctypes.c_void_p(bh), None, None)
            if code != GC.SUCCESS:
                log.warning("%s", error_for("DSRevokeBuffer", code, self.lib.last_error(),
                                            f"buffer {i} of {self.name}"))
        self.handles.clear()
        self._index.clear()
        self._queued.clear()
        self._pins.clear()

    def close(self) -> None:
        if self._closed:
            return
        try:
            self.stop()
        finally:
            with self._lock:
                self._closed = True
                self._release()
            self.link._forget_source(self)

    def __repr__(self) -> str:
        return (f"<GenTLSource {self.name} {self.count}×{self.payload_size} B "
                f"{'running' if self._running else 'stopped'}>")
