"""Bad producers, built here with gcc: a library exporting no GenTL function, one missing
some mandatory functions, one whose GCInitLib fails, one failing mid-enumeration.  Each
gives a clear error, and whatever was initialised is closed again."""

from __future__ import annotations

import ctypes
import subprocess
from pathlib import Path

import pytest

from nodemap.errors import PortError
from nodemap.transports.gentl import producer as producer_module
from nodemap.transports.gentl.api import MANDATORY, GenTLError, ProducerLoadError
from nodemap.transports.gentl.link import open_link
from tests.peers import require_executable

HEADER = """
#include <stdint.h>
#include <string.h>
#include <stddef.h>
int fake_init_calls = 0, fake_close_calls = 0, fake_tl_open = 0, fake_tl_close = 0;
static const char *last = "";
int GCGetLastError(int32_t *code, char *text, size_t *size) {
    size_t n = strlen(last) + 1;
    if (code) *code = -1010;
    if (text && size && *size >= n) memcpy(text, last, n);
    if (size) *size = n;
    return 0;
}
"""


def _build(tmp_path: Path, name: str, body: str, stubs: set[str]) -> Path:
    gcc = require_executable("gcc", "install gcc to build the fake producers")
    source = tmp_path / f"{name}.c"
    lines = [HEADER, body]
    lines += [f"int {fn}() {{ return -1003; }}" for fn in sorted(stubs)]   # NOT_IMPLEMENTED
    source.write_text("\n".join(lines))
    out = tmp_path / f"{name}.cti"
    subprocess.run([gcc, "-shared", "-fPIC", "-o", str(out), str(source)], check=True,
                   capture_output=True, timeout=60)
    return out


def test_a_library_without_genTL_functions_is_refused(tmp_path: Path) -> None:
    lib = _build(tmp_path, "plain", "int answer(void) { return 42; }", set())
    with pytest.raises(ProducerLoadError, match=r"not a usable GenTL producer: it lacks the "
                                                r"mandatory functions .*GCInitLib"):
        open_link(f"gentl:{lib}")


def test_missing_mandatory_functions_are_named(tmp_path: Path) -> None:
    present = set(MANDATORY) - {"GCGetLastError", "DSQueueBuffer", "EventGetData"}
    lib = _build(tmp_path, "partial", "", present)
    with pytest.raises(ProducerLoadError, match=r"lacks the mandatory functions "
                                                r"DSQueueBuffer, EventGetData$"):
        open_link(f"gentl:{lib}")


def test_optional_functions_may_be_missing(tmp_path: Path) -> None:
    from nodemap.transports.gentl.api import Library

    lib = _build(tmp_path, "core", "", set(MANDATORY) - {"GCGetLastError"})
    loaded = Library(lib)
    assert "GCGetNumPortURLs" in loaded.missing_optional
    assert "DSGetBufferSegmentInfo" in loaded.missing_optional
    with pytest.raises(GenTLError, match="GCGetNumPortURLs: the producer core.cti does not "
                                         "export this function"):
        loaded.call("GCGetNumPortURLs", None, None)


def test_gcinitlib_failure_carries_the_producers_message(tmp_path: Path) -> None:
    body = """
int GCInitLib(void) { fake_init_calls++; last = "licence dongle missing"; return -1001; }
int GCCloseLib(void) { fake_close_calls++; return 0; }
"""
    lib = _build(tmp_path, "noinit", body,
                 set(MANDATORY) - {"GCGetLastError", "GCInitLib", "GCCloseLib"})
    with pytest.raises(ProducerLoadError, match=r"GCInitLib of .*noinit.cti failed: "
                                                r".*GC_ERR_ERROR.*licence dongle missing"):
        open_link(f"gentl:{lib}")
    assert not producer_module._registry


def test_an_error_while_enumerating_closes_everything(tmp_path: Path) -> None:
    body = """
static int tl;
int GCInitLib(void) { fake_init_calls++; return 0; }
int GCCloseLib(void) { fake_close_calls++; return 0; }
int TLOpen(void **h) { fake_tl_open++; *h = &tl; return 0; }
int TLClose(void *h) { fake_tl_close++; return h == &tl ? 0 : -1006; }
int TLUpdateInterfaceList(void *h, uint8_t *changed, uint64_t timeout) {
    last = "bus fault on the frame grabber"; return -1010;
}
"""
    lib = _build(tmp_path, "busfault", body,
                 set(MANDATORY) - {"GCGetLastError", "GCInitLib", "GCCloseLib", "TLOpen",
                                   "TLClose", "TLUpdateInterfaceList"})
    for _ in range(3):
        with pytest.raises(GenTLError, match=r"TLUpdateInterfaceList \(busfault.cti\) failed: "
                                             r"GC_ERR_IO — producer says: bus fault"):
            open_link(f"gentl:{lib}?index=0")
    counters = ctypes.CDLL(str(lib))
    calls = {n: ctypes.c_int.in_dll(counters, n).value
             for n in ("fake_init_calls", "fake_close_calls", "fake_tl_open", "fake_tl_close")}
    assert calls == {"fake_init_calls": 3, "fake_close_calls": 3, "fake_tl_open": 3,
                     "fake_tl_close": 3}
    assert not producer_module._registry


def test_a_text_file_and_a_missing_path(tmp_path: Path) -> None:
    text = tmp_path / "readme.cti"
    text.write_text("this is not a producer")
    with pytest.raises(ProducerLoadError, match="not a GenTL producer: not a shared library"):
        open_link(f"gentl:{text}")
    with pytest.raises(PortError, match="does not exist"):
        open_link(f"gentl:{tmp_path / 'gone.cti'}")
