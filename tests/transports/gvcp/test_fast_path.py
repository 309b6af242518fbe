"""The READREG/WRITEREG fast path of GvcpClient against the full codec path.

``read_register``/``write_register`` pack their request with one precompiled struct and
accept a plain success ack by comparing its header bytes, without building packet
objects.  These tests pin that this changes nothing observable: the same request bytes
(through the ``tap`` hook), the same values and errors, the same stats, with DEBUG
logging on (fast acceptance off) and off, with the kernel's receive timeouts and with
Python's, when stale, mismatched, malformed, pending and error acks arrive.
"""

from __future__ import annotations

import logging
import socket
import struct
import threading
import time
from typing import Any, Callable, Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nodemap.transports.gvcp.client as client_module
from nodemap.errors import DeviceError, TimeoutError
from tests.transports.gvcp.conftest import next_address
from nodemap.transports.gvcp import protocol as p
from nodemap.transports.gvcp.client import GvcpClient
from nodemap.transports.gvcp.protocol import Status

u32 = st.integers(0, 0xFFFFFFFF)
# Only an upper bound: a silent request costs one TIMEOUT; generous so that a loaded
# machine does not retry where the script did not ask for it.
TIMEOUT = 0.4
req_ids = st.integers(1, 0xFFFF)

# Scripted answers, chosen by the register address of the request.
OK, ERROR, STALE_FIRST, JUNK_FIRST, PENDING_FIRST, PADDED, SILENT_ONCE = (
    0xA000, 0xB000, 0xC000, 0xC100, 0xC200, 0xC300, 0xC400)


class ScriptedDevice:
    """A loopback 'device' answering READREG/WRITEREG per a fixed script, in a thread."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((next_address(), 0))
        self.sock.settimeout(0.05)
        self.address = self.sock.getsockname()
        self.registers: dict[int, int] = {}
        self._silenced: set[tuple[Any, bytes]] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        end = time.monotonic() + 60                  # bounded by time and count
        for _ in range(100_000):
            if self._stop.is_set() or time.monotonic() > end:
                return
            try:
                data, peer = self.sock.recvfrom(2048)
            except socket.timeout:
                continue
            except OSError:
                return
            for answer in self._answers(p.decode_command(data), (peer, data)):
                self.sock.sendto(answer, peer)

    def _answers(self, cmd: Any, request: tuple[Any, bytes]) -> list[bytes]:
        rid = cmd.req_id
        if isinstance(cmd, p.ReadRegCmd):
            address = cmd.addresses[0]
            good = p.ReadRegAck(rid, (self.registers.get(address, address ^ 0x5A5A),)).encode()
            error = p.ReadRegAck(rid, (), Status.INVALID_ADDRESS).encode()
        else:
            address, value = cmd.pairs[0]
            if address != ERROR:
                self.registers[address] = value
            good = p.WriteRegAck(rid, 1).encode()
            error = p.WriteRegAck(rid, 0, Status.WRITE_PROTECT).encode()
        base = address & 0xFF00
        if base == ERROR:
            return [error]
        if base == STALE_FIRST:
            return [p.ReadRegAck(rid - 1 or 0xFFFF, (7,)).encode(), good]
        if base == JUNK_FIRST:     # wrong ack code, wrong length, truncated bytes
            return [p.WriteMemAck(rid, 4).encode(), p.ReadRegAck(rid, (1, 2)).encode(),
                    b"\x00\x00\x00\x81\x00\x08", good]
        if base == PENDING_FIRST:
            return [p.PendingAck(rid, 50).encode(), good]
        if base == PADDED:         # trailing bytes (Ethernet padding): decoded, not fast-accepted
            return [good + b"\0" * 6]
        if base == SILENT_ONCE and request not in self._silenced:
            self._silenced.add(request)   # only a retry of these very bytes gets an answer
            return []
        return [good]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


@pytest.fixture
def scripted() -> Iterator[ScriptedDevice]:
    dev = ScriptedDevice()
    yield dev
    dev.close()


# ----------------------------------------------------------------------------- reference

def reference_read(c: GvcpClient, address: int) -> int:
    """READREG the long way: a ReadRegCmd object, the full ack decoder."""
    ack = c.transact(lambda rid: p.ReadRegCmd(rid, (address,)), 4)
    c._check(ack, f"READREG 0x{address:08X}")
    return ack.values[0]  # type: ignore[union-attr]


def reference_write(c: GvcpClient, address: int, value: int) -> None:
    ack = c.transact(lambda rid: p.WriteRegCmd(rid, ((address, value & 0xFFFFFFFF),)), 4)
    c._check(ack, f"WRITEREG 0x{address:08X}=0x{value & 0xFFFFFFFF:08X}")


def outcome(call: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return "ok", call()
    except DeviceError as exc:
        return "DeviceError", (str(exc), exc.status)


def run_script(dev: ScriptedDevice, read: Callable[..., int], write: Callable[..., None],
               debug: bool, caplog: pytest.LogCaptureFixture) -> tuple[list, dict, list, dict]:
    """One fresh client through every scripted case; returns what an observer can see."""
    packets: list[tuple[str, bytes]] = []
    caplog.clear()
    level = logging.DEBUG if debug else logging.WARNING
    with caplog.at_level(level, logger="nodemap.gvcp"):
        c = GvcpClient(*dev.address, timeout=TIMEOUT, retries=3,
                       tap=lambda direction, peer, data: packets.append((direction, data)))
        try:
            results: dict[Any, tuple[str, Any]] = {}
            for base in (OK, ERROR, STALE_FIRST, JUNK_FIRST, PENDING_FIRST, PADDED):
                results[base, "write"] = outcome(lambda: write(c, base + 4, 0x1_0000_0000 + base))
                results[base, "read back"] = outcome(lambda: read(c, base + 4))
                results[base, "read"] = outcome(lambda: read(c, base + 8))
            results[SILENT_ONCE, "read"] = outcome(lambda: read(c, SILENT_ONCE))
            c.session.req_id = 0xFFFE           # ids wrap 0xFFFF → 1, never 0
            for n in range(3):
                results["wrap", n] = outcome(lambda: read(c, OK))
            stats = dict(c.stats)
        finally:
            c.close()
    received = [m for m in caplog.messages if m.startswith("←")]
    return packets, results, received, stats


def test_fast_and_reference_paths_are_indistinguishable(
        scripted: ScriptedDevice, caplog: pytest.LogCaptureFixture) -> None:
    runs = {}
    for debug in (False, True):
        runs["fast", debug] = run_script(
            scripted, GvcpClient.read_register, GvcpClient.write_register, debug, caplog)
        runs["reference", debug] = run_script(scripted, reference_read, reference_write, debug,
                                              caplog)
    packets, results, received, stats = runs["fast", False]
    for key, (other_packets, other_results, other_received, other_stats) in runs.items():
        assert other_packets == packets, key           # byte-identical, in both directions
        assert other_results == results, key
        assert other_stats == stats, key
        if key[1]:
            assert other_received == runs["fast", True][2], key
    # The script really exercised the unusual cases.
    kind, (message, status) = results[ERROR, "read"]
    assert kind == "DeviceError" and status == Status.INVALID_ADDRESS
    assert "READREG 0x0000B008" in message and "GEV_STATUS_INVALID_ADDRESS" in message
    kind, (message, status) = results[ERROR, "write"]
    assert kind == "DeviceError" and status == Status.WRITE_PROTECT
    assert "WRITEREG 0x0000B004=0x0000B000" in message
    for base in (OK, STALE_FIRST, JUNK_FIRST, PENDING_FIRST, PADDED):
        assert results[base, "read back"] == ("ok", base)
        assert results[base, "read"] == ("ok", (base + 8) ^ 0x5A5A)
    assert results[SILENT_ONCE, "read"] == ("ok", SILENT_ONCE ^ 0x5A5A)
    assert stats["stale"] == 3 and stats["mismatched"] == 6 and stats["malformed"] == 3
    assert stats["pending"] == 3 and stats["retries"] == 1
    sent = [data for direction, data in packets if direction == "out"]
    assert [struct.unpack_from(">H", d, 6)[0] for d in sent[-3:]] == [0xFFFF, 1, 2]
    assert stats["sent"] == len(sent)
    assert len(runs["fast", True][2]) >= len(results)     # DEBUG logs every accepted ack


def test_retry_of_the_fast_path_resends_identical_bytes(scripted: ScriptedDevice) -> None:
    sent: list[bytes] = []
    with GvcpClient(*scripted.address, timeout=TIMEOUT, retries=3,
                    tap=lambda d, peer, data: sent.append(data) if d == "out" else None) as c:
        assert c.read_register(SILENT_ONCE + 0x10) == (SILENT_ONCE + 0x10) ^ 0x5A5A
        c.write_register(SILENT_ONCE + 0x14, 3)
    assert sent[0] == sent[1] and sent[2] == sent[3] and len(sent) == 4


def test_python_socket_timeouts_behave_the_same(scripted: ScriptedDevice,
                                                caplog: pytest.LogCaptureFixture,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The fallback for platforms without the kernel receive timeout (Windows, macOS)."""
    kernel = run_script(scripted, GvcpClient.read_register, GvcpClient.write_register, False,
                        caplog)
    monkeypatch.setattr(client_module, "_KERNEL_TIMEOUT", False)
    python = run_script(scripted, GvcpClient.read_register, GvcpClient.write_register, False,
                        caplog)
    assert python[:2] == kernel[:2] and python[3] == kernel[3]


@pytest.mark.parametrize("kernel", [True, False])
def test_silence_still_times_out(kernel: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module, "_KERNEL_TIMEOUT", kernel and client_module._KERNEL_TIMEOUT)
    mute = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    mute.bind((next_address(), 0))
    try:
        with GvcpClient(*mute.getsockname(), timeout=0.02, retries=2) as c:
            with pytest.raises(TimeoutError, match=r"READREG_CMD id=1 \[0x0000A000\].*2 attempt"):
                c.read_register(0xA000)
            with pytest.raises(TimeoutError, match=r"WRITEREG_CMD id=2 \[0x0000A000=0x00000005\]"):
                c.write_register(0xA000, 5)
            assert c.stats["sent"] == 4 and c.stats["retries"] == 2
    finally:
        mute.close()


def test_timeval_never_means_forever() -> None:
    assert client_module._timeval(0.0) == client_module._TIMEVAL.pack(0, 1)
    assert client_module._timeval(1e-9) == client_module._TIMEVAL.pack(0, 1)
    assert client_module._timeval(2.5) == client_module._TIMEVAL.pack(2, 500_000)


@given(req_ids, u32)
def test_precompiled_readreg_matches_the_codec(req_id: int, address: int) -> None:
    assert p.encode_readreg1(req_id, address) == p.ReadRegCmd(req_id, (address,)).encode()


@given(req_ids, u32, u32)
def test_precompiled_writereg_matches_the_codec(req_id: int, address: int, value: int) -> None:
    assert p.encode_writereg1(req_id, address, value) == \
        p.WriteRegCmd(req_id, ((address, value),)).encode()


@given(req_ids, st.lists(u32, min_size=1, max_size=p.MAX_READREG), st.integers(0, 0xFFFF))
def test_success_ack_header_is_the_codecs(req_id: int, values: list[int], index: int) -> None:
    full = p.ReadRegAck(req_id, tuple(values)).encode()
    assert full[:8] == p.success_ack_header(p.Cmd.READREG_ACK, 4 * len(values), req_id)
    assert p.WriteRegAck(req_id, index).encode()[:8] == \
        p.success_ack_header(p.Cmd.WRITEREG_ACK, 4, req_id)


@given(req_ids, st.binary(min_size=0, max_size=24))
def test_fast_accepted_acks_decode_to_a_success_of_one_value(req_id: int, tail: bytes) -> None:
    """Any datagram the fast path accepts is one the full decoder reads the same way."""
    exact = p.success_ack_header(p.Cmd.READREG_ACK, 4, req_id)
    data = exact + tail
    if len(data) == 12 and data.startswith(exact):
        ack = p.decode_ack(data)
        assert isinstance(ack, p.ReadRegAck) and ack.status == Status.SUCCESS
        assert ack.req_id == req_id and ack.values == (p.u32_at(data, 8),)
