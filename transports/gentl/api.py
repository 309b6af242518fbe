"""The GenTL C API (EMVA GenICam GenTL 1.6, ``GenTL.h``) declared for ctypes.

This room holds facts of the standard only: the enumerations this transport uses, the
prototype of every function (``GC_CALLTYPE`` is stdcall on 32-bit Windows, the C default
elsewhere), the mapping of ``GC_ERR_*`` codes to nodemap errors, the ``INFO_DATATYPE_*``
decoding of info queries, and :class:`Library` — a loaded producer (``.cti``) whose
functions raise a :class:`GenTLError` naming the call and the producer's own
``GCGetLastError`` text.

A producer may lack optional functions (TLSimu has no buffer-segment calls, older
producers no ``GCGetNumPortURLs``): those are ``None`` in :attr:`Library.functions` and
calling them raises :class:`GenTLNotImplemented`.  A producer lacking any of
:data:`MANDATORY` is refused when it is loaded, with the missing names.

Before ``dlopen`` the file's header is read (:func:`binary_bits`): an ELF, PE or Mach-O of
the other word size than this Python is refused with a message saying which Python to use,
instead of the loader's cryptic "wrong ELF class"; so is a library of another system (a PE
on Linux).  Platforms: Linux (ELF, ``dlopen``), macOS (Mach-O) and Windows (PE; the
producer's folder is added to the DLL search path while it loads, and on 32-bit Windows
the functions are ``__stdcall``, loaded through ``WinDLL``).
"""

from __future__ import annotations

import ctypes
import enum
import os
import struct
import sys
import threading
from pathlib import Path
from typing import Any, Callable

from nodemap.errors import (AccessError, DeviceError, PortError, TimeoutError,
                            UnsupportedError)

__all__ = ["GC", "INFO", "TL_INFO", "INTERFACE_INFO", "DEVICE_INFO", "DEVICE_ACCESS",
           "DEVICE_ACCESS_STATUS", "STREAM_INFO", "BUFFER_INFO", "PORT_INFO", "URL_INFO",
           "URL_SCHEME", "EVENT", "ACQ_QUEUE", "ACQ_STOP", "PAYLOAD_TYPE", "PIXELFORMAT_NS",
           "INFINITE", "GenTLError", "GenTLTimeout", "GenTLNotImplemented", "GenTLAccessDenied",
           "GenTLAbort", "GenTLInvalidAddress", "ProducerLoadError", "Library", "MANDATORY",
           "PROTOTYPES", "binary_bits", "python_bits", "error_for"]


class GC(enum.IntEnum):
    """GC_ERROR codes."""

    SUCCESS = 0
    ERROR = -1001
    NOT_INITIALIZED = -1002
    NOT_IMPLEMENTED = -1003
    RESOURCE_IN_USE = -1004
    ACCESS_DENIED = -1005
    INVALID_HANDLE = -1006
    INVALID_ID = -1007
    NO_DATA = -1008
    INVALID_PARAMETER = -1009
    IO = -1010
    TIMEOUT = -1011
    ABORT = -1012
    INVALID_BUFFER = -1013
    NOT_AVAILABLE = -1014
    INVALID_ADDRESS = -1015
    BUFFER_TOO_SMALL = -1016
    INVALID_INDEX = -1017
    PARSING_CHUNK_DATA = -1018
    INVALID_VALUE = -1019
    RESOURCE_EXHAUSTED = -1020
    OUT_OF_MEMORY = -1021
    BUSY = -1022
    AMBIGUOUS = -1023


class INFO(enum.IntEnum):
    """INFO_DATATYPE: how an info query's bytes are to be read."""

    UNKNOWN = 0
    STRING = 1
    STRINGLIST = 2
    INT16 = 3
    UINT16 = 4
    INT32 = 5
    UINT32 = 6
    INT64 = 7
    UINT64 = 8
    FLOAT64 = 9
    PTR = 10
    BOOL8 = 11
    SIZET = 12
    BUFFER = 13
    PTRDIFF = 14


class TL_INFO(enum.IntEnum):  # noqa: N801 - the standard's names
    ID = 0
    VENDOR = 1
    MODEL = 2
    VERSION = 3
    TLTYPE = 4
    NAME = 5
    PATHNAME = 6
    DISPLAYNAME = 7
    CHAR_ENCODING = 8
    GENTL_VER_MAJOR = 9
    GENTL_VER_MINOR = 10


class INTERFACE_INFO(enum.IntEnum):  # noqa: N801
    ID = 0
    DISPLAYNAME = 1
    TLTYPE = 2


class DEVICE_ACCESS(enum.IntEnum):  # noqa: N801
    """DEVICE_ACCESS_FLAGS for IFOpenDevice."""

    UNKNOWN = 0
    NONE = 1
    READONLY = 2
    CONTROL = 3
    EXCLUSIVE = 4


class DEVICE_ACCESS_STATUS(enum.IntEnum):  # noqa: N801
    UNKNOWN = 0
    READWRITE = 1
    READONLY = 2
    NOACCESS = 3
    BUSY = 4
    OPEN_READWRITE = 5
    OPEN_READONLY = 6


class DEVICE_INFO(enum.IntEnum):  # noqa: N801
    ID = 0
    VENDOR = 1
    MODEL = 2
    TLTYPE = 3
    DISPLAYNAME = 4
    ACCESS_STATUS = 5
    USER_DEFINED_NAME = 6
    SERIAL_NUMBER = 7
    VERSION = 8
    TIMESTAMP_FREQUENCY = 9


class STREAM_INFO(enum.IntEnum):  # noqa: N801
    ID = 0
    NUM_DELIVERED = 1
    NUM_UNDERRUN = 2
    NUM_ANNOUNCED = 3
    NUM_QUEUED = 4
    NUM_AWAIT_DELIVERY = 5
    NUM_STARTED = 6
    PAYLOAD_SIZE = 7
    IS_GRABBING = 8
    DEFINES_PAYLOADSIZE = 9
    TLTYPE = 10
    NUM_CHUNKS_MAX = 11
    BUF_ANNOUNCE_MIN = 12
    BUF_ALIGNMENT = 13


class BUFFER_INFO(enum.IntEnum):  # noqa: N801
    BASE = 0
    SIZE = 1
    USER_PTR = 2
    TIMESTAMP = 3
    NEW_DATA = 4
    IS_QUEUED = 5
    IS_ACQUIRING = 6
    IS_INCOMPLETE = 7
    TLTYPE = 8
    SIZE_FILLED = 9
    WIDTH = 10
    HEIGHT = 11
    XOFFSET = 12
    YOFFSET = 13
    XPADDING = 14
    YPADDING = 15
    FRAMEID = 16
    IMAGEPRESENT = 17
    IMAGEOFFSET = 18
    PAYLOADTYPE = 19
    PIXELFORMAT = 20
    PIXELFORMAT_NAMESPACE = 21
    DELIVERED_IMAGEHEIGHT = 22
    DELIVERED_CHUNKPAYLOADSIZE = 23
    CHUNKLAYOUTID = 24
    FILENAME = 25
    PIXEL_ENDIANNESS = 26
    DATA_SIZE = 27
    TIMESTAMP_NS = 28
    DATA_LARGER_THAN_BUFFER = 29
    CONTAINS_CHUNKDATA = 30
    IS_COMPOSITE = 31


class PORT_INFO(enum.IntEnum):  # noqa: N801
    ID = 0
    VENDOR = 1
    MODEL = 2
    TLTYPE = 3
    MODULE = 4
    LITTLE_ENDIAN = 5
    BIG_ENDIAN = 6
    ACCESS_READ = 7
    ACCESS_WRITE = 8
    ACCESS_NA = 9
    ACCESS_NI = 10
    VERSION = 11
    PORTNAME = 12


class URL_INFO(enum.IntEnum):  # noqa: N801
    URL = 0
    SCHEMA_VER_MAJOR = 1
    SCHEMA_VER_MINOR = 2
    FILE_VER_MAJOR = 3
    FILE_VER_MINOR = 4
    FILE_VER_SUBMINOR = 5
    FILE_SHA1_HASH = 6
    FILE_REGISTER_ADDRESS = 7
    FILE_SIZE = 8
    SCHEME = 9
    FILENAME = 10


class URL_SCHEME(enum.IntEnum):  # noqa: N801
    LOCAL = 0
    HTTP = 1
    FILE = 2


class EVENT(enum.IntEnum):
    """EVENT_TYPE for GCRegisterEvent."""

    ERROR = 0
    NEW_BUFFER = 1
    FEATURE_INVALIDATE = 2
    FEATURE_CHANGE = 3
    REMOTE_DEVICE = 4
    MODULE = 5


class ACQ_QUEUE(enum.IntEnum):  # noqa: N801
    INPUT_TO_OUTPUT = 0
    OUTPUT_DISCARD = 1
    ALL_TO_INPUT = 2
    UNQUEUED_TO_INPUT = 3
    ALL_DISCARD = 4


class ACQ_STOP(enum.IntEnum):  # noqa: N801
    DEFAULT = 0
    KILL = 1


class PAYLOAD_TYPE(enum.IntEnum):  # noqa: N801
    UNKNOWN = 0
    IMAGE = 1
    RAW_DATA = 2
    FILE = 3
    CHUNK_DATA = 4
    JPEG = 5
    JPEG2000 = 6
    H264 = 7
    CHUNK_ONLY = 8
    DEVICE_SPECIFIC = 9
    MULTI_PART = 10
    GENDC = 11


class PIXELFORMAT_NS(enum.IntEnum):  # noqa: N801
    UNKNOWN = 0
    GEV = 1
    IIDC = 2
    PFNC_16BIT = 3
    PFNC_32BIT = 4


INFINITE = 0xFFFFFFFFFFFFFFFF


class EVENT_NEW_BUFFER_DATA(ctypes.Structure):  # noqa: N801
    """What EventGetData delivers for EVENT_NEW_BUFFER (packed to 1 byte)."""

    _pack_ = 1
    _fields_ = [("BufferHandle", ctypes.c_void_p), ("pUserPointer", ctypes.c_void_p)]


class PORT_REGISTER_STACK_ENTRY(ctypes.Structure):  # noqa: N801
    _pack_ = 1
    _fields_ = [("Address", ctypes.c_uint64), ("pBuffer", ctypes.c_void_p),
                ("Size", ctypes.c_size_t)]


class SINGLE_CHUNK_DATA(ctypes.Structure):  # noqa: N801
    _pack_ = 1
    _fields_ = [("ChunkID", ctypes.c_uint64), ("ChunkOffset", ctypes.c_ssize_t),
                ("ChunkLength", ctypes.c_size_t)]


# ---------------------------------------------------------------------------- errors

class GenTLError(DeviceError):
    """A GenTL call returned an error: ``call`` names it, ``status`` is the GC_ERROR code,
    ``producer_message`` is GCGetLastError's text."""

    def __init__(self, message: str, *, status: int | None = None, call: str = "",
                 producer_message: str = "") -> None:
        super().__init__(message, status=status)
        self.call = call
        self.producer_message = producer_message


class GenTLTimeout(GenTLError, TimeoutError):
    """GC_ERR_TIMEOUT (also a nodemap and builtin TimeoutError)."""


class GenTLNotImplemented(GenTLError, UnsupportedError):
    """GC_ERR_NOT_IMPLEMENTED, or a function this producer does not export."""


class GenTLAccessDenied(GenTLError, AccessError):
    """GC_ERR_ACCESS_DENIED / RESOURCE_IN_USE / BUSY: someone else holds the resource."""


class GenTLAbort(GenTLError):
    """GC_ERR_ABORT: a wait was cancelled (EventKill, acquisition stopped)."""


class GenTLInvalidAddress(GenTLError):
    """GC_ERR_INVALID_ADDRESS: a port access outside the module's register map."""


class ProducerLoadError(PortError):
    """A file that cannot be used as a GenTL producer (missing, wrong word size, not a
    shared library, mandatory functions absent, GCInitLib failed)."""


_ERROR_CLASSES: dict[int, type[GenTLError]] = {
    GC.TIMEOUT: GenTLTimeout,
    GC.NOT_IMPLEMENTED: GenTLNotImplemented,
    GC.ACCESS_DENIED: GenTLAccessDenied,
    GC.RESOURCE_IN_USE: GenTLAccessDenied,
    GC.BUSY: GenTLAccessDenied,
    GC.ABORT: GenTLAbort,
    GC.INVALID_ADDRESS: GenTLInvalidAddress,
}

_HINTS: dict[int, str] = {
    GC.RESOURCE_IN_USE: "the device or resource is already open (in this process or "
                        "another); close it there, or open with access=readonly",
    GC.ACCESS_DENIED: "access was denied: another application may hold the device",
    GC.BUSY: "the producer is busy; try again once the other operation ended",
    GC.NOT_INITIALIZED: "the producer is not initialised (GCInitLib) or the module is closed",
    GC.INVALID_HANDLE: "the module was already closed",
    GC.NOT_IMPLEMENTED: "this producer does not offer it",
    GC.TIMEOUT: "nothing arrived in time; check that acquisition is running",
}


def code_name(code: int) -> str:
    try:
        return f"GC_ERR_{GC(code).name}"
    except ValueError:
        return f"GC_ERR_CUSTOM({code})" if code <= -10000 else f"GC_ERROR {code}"


def error_for(call: str, code: int, producer_message: str = "", what: str = "") -> GenTLError:
    """The nodemap exception for ``call`` returning ``code`` (``what`` names the object)."""
    cls = _ERROR_CLASSES.get(code, GenTLError)
    text = f"{call}{f' ({what})' if what else ''} failed: {code_name(code)}"
    if producer_message:
        text += f" — producer says: {producer_message}"
    hint = _HINTS.get(code)
    if hint:
        text += f" ({hint})"
    return cls(text, status=code, call=call, producer_message=producer_message)


# ---------------------------------------------------------------------------- binary header

def python_bits() -> int:
    """The word size of this Python (32 or 64)."""
    return struct.calcsize("P") * 8


_PE_MACHINES = {0x14C: 32, 0x8664: 64, 0xAA64: 64, 0x1C0: 32, 0x1C4: 32}


def binary_bits(path: str | os.PathLike[str]) -> tuple[str, int]:
    """``(format, bits)`` of a shared library from its header: ``("ELF", 64)``,
    ``("PE", 32)``, ``("Mach-O", 64)``; raises ProducerLoadError for anything else."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            head = fh.read(64)
            if head[:4] == b"\x7fELF":
                if len(head) < 5 or head[4] not in (1, 2):
                    raise ProducerLoadError(f"{p}: an ELF file of unknown class {head[4:5]!r}")
                return "ELF", 32 if head[4] == 1 else 64
            if head[:2] == b"MZ" and len(head) >= 0x40:
                (pe_offset,) = struct.unpack_from("<I", head, 0x3C)
                fh.seek(pe_offset)
                pe = fh.read(6)
                if pe[:4] != b"PE\0\0" or len(pe) < 6:
                    raise ProducerLoadError(f"{p}: an MZ file without a PE header; not a DLL")
                (machine,) = struct.unpack_from("<H", pe, 4)
                if machine not in _PE_MACHINES:
                    raise ProducerLoadError(f"{p}: PE machine type 0x{machine:04x} is unknown")
                return "PE", _PE_MACHINES[machine]
            magic = head[:4]
            if magic in (b"\xfe\xed\xfa\xce", b"\xce\xfa\xed\xfe"):
                return "Mach-O", 32
            if magic in (b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe"):
                return "Mach-O", 64
            if magic in (b"\xca\xfe\xba\xbe", b"\xbe\xba\xfe\xca"):
                return "Mach-O", python_bits()   # universal binary: the loader picks a slice
    except FileNotFoundError:
        raise ProducerLoadError(f"GenTL producer {p} does not exist; check the path (or "
                                f"{producer_path_variable()})") from None
    except IsADirectoryError:
        raise ProducerLoadError(f"{p} is a folder, not a GenTL producer (.cti) file") from None
    except PermissionError as exc:
        raise ProducerLoadError(f"cannot read GenTL producer {p}: {exc}") from None
    raise ProducerLoadError(f"{p} is not a GenTL producer: not a shared library (ELF, PE "
                            f"or Mach-O); it starts {head[:8].hex(' ') or 'empty'}")


def producer_path_variable(bits: int | None = None) -> str:
    """``GENICAM_GENTL64_PATH`` on a 64-bit Python, ``GENICAM_GENTL32_PATH`` on 32-bit."""
    return f"GENICAM_GENTL{bits or python_bits()}_PATH"


# ---------------------------------------------------------------------------- prototypes

c_handle = ctypes.c_void_p
P_size = ctypes.POINTER(ctypes.c_size_t)
P_int32 = ctypes.POINTER(ctypes.c_int32)
P_uint32 = ctypes.POINTER(ctypes.c_uint32)
P_handle = ctypes.POINTER(ctypes.c_void_p)
P_bool8 = ctypes.POINTER(ctypes.c_uint8)
c_int32 = ctypes.c_int32
c_uint32 = ctypes.c_uint32
c_uint64 = ctypes.c_uint64
c_size_t = ctypes.c_size_t
c_void_p = ctypes.c_void_p
c_char_p = ctypes.c_char_p
_INFO = (c_int32, P_int32, c_void_p, P_size)          # cmd, *type, buffer, *size

#: Every function this transport may call: name → argument types (all return GC_ERROR).
PROTOTYPES: dict[str, tuple[Any, ...]] = {
    "GCGetInfo": _INFO,
    "GCGetLastError": (P_int32, c_char_p, P_size),
    "GCInitLib": (),
    "GCCloseLib": (),
    "GCReadPort": (c_handle, c_uint64, c_void_p, P_size),
    "GCWritePort": (c_handle, c_uint64, c_void_p, P_size),
    "GCGetPortURL": (c_handle, c_char_p, P_size),
    "GCGetPortInfo": (c_handle,) + _INFO,
    "GCRegisterEvent": (c_handle, c_int32, P_handle),
    "GCUnregisterEvent": (c_handle, c_int32),
    "EventGetData": (c_handle, c_void_p, P_size, c_uint64),
    "EventGetDataInfo": (c_handle, c_void_p, c_size_t) + _INFO,
    "EventGetInfo": (c_handle,) + _INFO,
    "EventFlush": (c_handle,),
    "EventKill": (c_handle,),
    "TLOpen": (P_handle,),
    "TLClose": (c_handle,),
    "TLGetInfo": (c_handle,) + _INFO,
    "TLGetNumInterfaces": (c_handle, P_uint32),
    "TLGetInterfaceID": (c_handle, c_uint32, c_char_p, P_size),
    "TLGetInterfaceInfo": (c_handle, c_char_p) + _INFO,
    "TLOpenInterface": (c_handle, c_char_p, P_handle),
    "TLUpdateInterfaceList": (c_handle, P_bool8, c_uint64),
    "IFClose": (c_handle,),
    "IFGetInfo": (c_handle,) + _INFO,
    "IFGetNumDevices": (c_handle, P_uint32),
    "IFGetDeviceID": (c_handle, c_uint32, c_char_p, P_size),
    "IFUpdateDeviceList": (c_handle, P_bool8, c_uint64),
    "IFGetDeviceInfo": (c_handle, c_char_p) + _INFO,
    "IFOpenDevice": (c_handle, c_char_p, c_int32, P_handle),
    "DevGetPort": (c_handle, P_handle),
    "DevGetNumDataStreams": (c_handle, P_uint32),
    "DevGetDataStreamID": (c_handle, c_uint32, c_char_p, P_size),
    "DevOpenDataStream": (c_handle, c_char_p, P_handle),
    "DevGetInfo": (c_handle,) + _INFO,
    "DevClose": (c_handle,),
    "DSAnnounceBuffer": (c_handle, c_void_p, c_size_t, c_void_p, P_handle),
    "DSAllocAndAnnounceBuffer": (c_handle, c_size_t, c_void_p, P_handle),
    "DSFlushQueue": (c_handle, c_int32),
    "DSStartAcquisition": (c_handle, c_int32, c_uint64),
    "DSStopAcquisition": (c_handle, c_int32),
    "DSGetInfo": (c_handle,) + _INFO,
    "DSGetBufferID": (c_handle, c_uint32, P_handle),
    "DSClose": (c_handle,),
    "DSRevokeBuffer": (c_handle, c_handle, P_handle, P_handle),
    "DSQueueBuffer": (c_handle, c_handle),
    "DSGetBufferInfo": (c_handle, c_handle) + _INFO,
    # GenTL 1.1
    "GCGetNumPortURLs": (c_handle, P_uint32),
    "GCGetPortURLInfo": (c_handle, c_uint32) + _INFO,
    "GCReadPortStacked": (c_handle, ctypes.POINTER(PORT_REGISTER_STACK_ENTRY), P_size),
    "GCWritePortStacked": (c_handle, ctypes.POINTER(PORT_REGISTER_STACK_ENTRY), P_size),
    # GenTL 1.3
    "DSGetBufferChunkData": (c_handle, c_handle, ctypes.POINTER(SINGLE_CHUNK_DATA), P_size),
    # GenTL 1.4
    "IFGetParentTL": (c_handle, P_handle),
    "DevGetParentIF": (c_handle, P_handle),
    "DSGetParentDev": (c_handle, P_handle),
    # GenTL 1.5
    "DSGetNumBufferParts": (c_handle, c_handle, P_uint32),
    "DSGetBufferPartInfo": (c_handle, c_handle, c_uint32) + _INFO,
    # GenTL 1.6 (segments: TLSimu lacks them)
    "DSGetNumBufferSegments": (c_handle, c_handle, P_uint32),
    "DSGetBufferSegmentInfo": (c_handle, c_handle, c_uint32) + _INFO,
}

#: Functions without which nodemap refuses a producer (the GenTL 1.0 core it relies on).
MANDATORY = frozenset({
    "GCGetInfo", "GCGetLastError", "GCInitLib", "GCCloseLib", "GCReadPort", "GCWritePort",
    "GCGetPortURL", "GCGetPortInfo", "GCRegisterEvent", "GCUnregisterEvent", "EventGetData",
    "EventKill", "TLOpen", "TLClose", "TLGetInfo",
    "TLGetNumInterfaces", "TLGetInterfaceID", "TLGetInterfaceInfo", "TLOpenInterface",
    "TLUpdateInterfaceList", "IFClose", "IFGetInfo", "IFGetNumDevices", "IFGetDeviceID",
    "IFUpdateDeviceList", "IFGetDeviceInfo", "IFOpenDevice", "DevGetPort",
    "DevGetNumDataStreams", "DevGetDataStreamID", "DevOpenDataStream", "DevGetInfo",
    "DevClose", "DSAnnounceBuffer", "DSAllocAndAnnounceBuffer", "DSFlushQueue",
    "DSStartAcquisition", "DSStopAcquisition", "DSGetInfo", "DSGetBufferID", "DSClose",
    "DSRevokeBuffer", "DSQueueBuffer", "DSGetBufferInfo",
})


def _decode_info(kind: int, raw: bytes) -> Any:
    """An info query's bytes → a Python value, by INFO_DATATYPE."""
    if kind == INFO.STRING:
        return raw.split(b"\0", 1)[0].decode("utf-8", "replace")
    if kind == INFO.STRINGLIST:
        return [s.decode("utf-8", "replace") for s in raw.rstrip(b"\0").split(b"\0") if s]
    if kind == INFO.BOOL8:
        return bool(raw[:1] != b"\0") if raw else False
    if kind == INFO.FLOAT64:
        return struct.unpack("=d", raw[:8])[0]
    if kind == INFO.BUFFER or kind == INFO.UNKNOWN:
        return bytes(raw)
    formats: dict[int, str] = {
        INFO.INT16: "=h", INFO.UINT16: "=H", INFO.INT32: "=i", INFO.UINT32: "=I",
        INFO.INT64: "=q", INFO.UINT64: "=Q", INFO.PTR: "P", INFO.SIZET: "N",
        INFO.PTRDIFF: "n"}
    fmt = formats.get(kind)
    if fmt is None:
        return bytes(raw)     # a custom data type: the bytes as they are
    size = struct.calcsize(fmt)
    if len(raw) < size:       # producers sometimes report fewer bytes: zero-extend
        raw = raw + b"\0" * (size - len(raw))
    return struct.unpack(fmt, raw[:size])[0]


class Library:
    """One GenTL producer file, loaded (not yet initialised: see producer.Producer).

    ``functions[name]`` is the ctypes function or None when the producer lacks it;
    :meth:`call` runs one and turns a failure into a :class:`GenTLError`.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).resolve() if Path(path).exists() else Path(path)
        fmt, bits = binary_bits(self.path)
        mine = python_bits()
        if bits != mine:
            raise ProducerLoadError(
                f"{self.path} is a {bits}-bit producer ({fmt}) but this Python is {mine}-bit; "
                f"load it from a {bits}-bit Python, or use the vendor's {mine}-bit producer "
                f"(listed on {producer_path_variable(mine)})")
        expected = {"win32": "PE", "darwin": "Mach-O"}.get(sys.platform, "ELF")
        if fmt != expected:
            raise ProducerLoadError(f"{self.path} is a {fmt} library; this {sys.platform} "
                                    f"system loads {expected} producers only")
        loader: Callable[..., Any] = ctypes.CDLL
        if sys.platform == "win32" and mine == 32:   # GC_CALLTYPE is __stdcall there
            loader = getattr(ctypes, "WinDLL")
        mode = getattr(os, "RTLD_NOW", 0) | getattr(os, "RTLD_LOCAL", 0)
        dll_directory = None
        if sys.platform == "win32" and hasattr(os, "add_dll_directory"):
            # vendors ship the DLLs a producer needs next to it; Windows' default search
            # for a dependent DLL does not look there since Python 3.8
            dll_directory = os.add_dll_directory(str(self.path.parent))
        try:
            self.dll = loader(str(self.path), mode=mode)
        except OSError as exc:
            check = "Dependencies.exe" if sys.platform == "win32" else (
                "otool -L" if sys.platform == "darwin" else "ldd")
            raise ProducerLoadError(f"cannot load GenTL producer {self.path}: {exc} (a "
                                    f"library it needs may be missing: check with "
                                    f"{check})") from exc
        finally:
            if dll_directory is not None:
                dll_directory.close()
        self.functions: dict[str, Any] = {}
        for name, argtypes in PROTOTYPES.items():
            try:
                fn = getattr(self.dll, name)
            except AttributeError:
                self.functions[name] = None
                continue
            fn.argtypes = list(argtypes)
            fn.restype = ctypes.c_int32
            self.functions[name] = fn
        missing = sorted(n for n in MANDATORY if self.functions.get(n) is None)
        if missing:
            raise ProducerLoadError(
                f"{self.path} is not a usable GenTL producer: it lacks the mandatory "
                f"function{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
        self._lock = threading.Lock()

    def has(self, name: str) -> bool:
        return self.functions.get(name) is not None

    @property
    def missing_optional(self) -> list[str]:
        """The optional functions this producer does not export."""
        return sorted(n for n, f in self.functions.items() if f is None)

    def last_error(self) -> str:
        """GCGetLastError's text ("" when the producer gives none)."""
        fn = self.functions["GCGetLastError"]
        code = ctypes.c_int32(0)
        size = ctypes.c_size_t(1024)
        buf = ctypes.create_string_buffer(1024)
        try:
            if fn(ctypes.byref(code), buf, ctypes.byref(size)) != GC.SUCCESS:
                return ""
        except OSError:   # pragma: no cover - a crashing producer on Windows (SEH)
            return ""
        return buf.value.decode("utf-8", "replace").strip()

    def raw(self, name: str, *args: Any) -> int:
        """Run ``name`` and return its GC_ERROR code (no exception)."""
        fn = self.functions.get(name)
        if fn is None:
            return GC.NOT_IMPLEMENTED
        return int(fn(*args))

    def call(self, name: str, *args: Any, what: str = "") -> None:
        """Run ``name``; raise the matching GenTLError when it fails."""
        fn = self.functions.get(name)
        if fn is None:
            raise GenTLNotImplemented(
                f"{name}{f' ({what})' if what else ''}: the producer {self.path.name} does "
                f"not export this function", status=GC.NOT_IMPLEMENTED, call=name)
        code = fn(*args)
        if code != GC.SUCCESS:
            raise error_for(name, code, self.last_error(), what)

    # -- typed helpers -------------------------------------------------------------------

    def info(self, name: str, *prefix: Any, cmd: int, what: str = "") -> Any:
        """An info query (``XxxGetInfo(prefix..., cmd, &type, buf, &size)``) decoded by its
        INFO_DATATYPE."""
        kind = ctypes.c_int32(0)
        size = ctypes.c_size_t(0)
        self.call(name, *prefix, cmd, ctypes.byref(kind), None, ctypes.byref(size),
                  what=what)
        n = max(int(size.value), 1)
        for _ in range(4):
            buf = ctypes.create_string_buffer(n)
            size = ctypes.c_size_t(n)
            fn = self.functions[name]
            code = fn(*prefix, cmd, ctypes.byref(kind), buf, ctypes.byref(size))
            if code == GC.BUFFER_TOO_SMALL:
                n *= 2
                continue
            if code != GC.SUCCESS:
                raise error_for(name, code, self.last_error(), what)
            return _decode_info(kind.value, buf.raw[:size.value])
        raise error_for(name, GC.BUFFER_TOO_SMALL, self.last_error(), what)

    def string(self, name: str, *prefix: Any, what: str = "") -> str:
        """A string getter (``Fn(prefix..., char *buf, size_t *size)``), sized first."""
        size = ctypes.c_size_t(0)
        self.call(name, *prefix, None, ctypes.byref(size), what=what)
        n = max(int(size.value), 1)
        buf = ctypes.create_string_buffer(n)
        size = ctypes.c_size_t(n)
        self.call(name, *prefix, buf, ctypes.byref(size), what=what)
        return buf.value.decode("utf-8", "replace")

    def count(self, name: str, handle: Any, what: str = "") -> int:
        n = ctypes.c_uint32(0)
        self.call(name, handle, ctypes.byref(n), what=what)
        return int(n.value)

    def open_handle(self, name: str, *args: Any, what: str = "") -> int:
        """``Fn(args..., HANDLE *out)`` → the handle (an int)."""
        out = ctypes.c_void_p(None)
        self.call(name, *args, ctypes.byref(out), what=what)
        if not out.value:
            raise GenTLError(f"{name}{f' ({what})' if what else ''} returned success but a "
                             "NULL handle", status=GC.ERROR, call=name)
        return int(out.value)

    def __repr__(self) -> str:
        return f"<GenTL Library {self.path}>"


def is_error(exc: BaseException, *codes: int) -> bool:
    """True when ``exc`` is a GenTLError with one of ``codes``."""
    return isinstance(exc, GenTLError) and exc.status in codes

