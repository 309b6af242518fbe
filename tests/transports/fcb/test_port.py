"""The FCB Port over a real pty / pyserial socket:// against the simulated camera.

Checks the exact bytes on the line, GenApi Command semantics on TRIGGER registers, the
two command sockets, cancel, error replies, and the faults of a real line (noise,
dropped replies, a silent camera) — each bounded in time, the bus usable afterwards.
"""

from __future__ import annotations

import sys
import threading
import time

import pytest

from nodemap.errors import AccessError, DeviceError, PortError, ProtocolError, RangeError, TimeoutError
from nodemap.resources import read_description
from nodemap.transports.fcb import protocol as p
from nodemap.transports.fcb.link import register_labels
from tests.polling import wait_until

H = bytes.fromhex
A = {name: address for address, name in register_labels(read_description("sony-fcb.xml")).items()}
MANUAL = b"\x03"


def wire(sim, action) -> bytes:
    """The bytes ``action()`` puts on the line (what the simulated camera received)."""
    with sim.line.lock:
        sim.line.rx.clear()
    action()
    with sim.line.lock:
        return bytes(sim.line.rx)


# ---------------------------------------------------------------- exact bytes
def test_zoom_position_bytes(make_sim, make_link, transport) -> None:
    sim = make_sim(transport=transport)
    port = make_link(sim).port
    assert wire(sim, lambda: port.write(A["ZoomPosition"], H("12 34"))) == H("81 01 04 47 01 02 03 04 FF")
    out: list[bytes] = []
    assert wire(sim, lambda: out.append(port.read(A["ZoomPosition"], 2))) == H("81 09 04 47 FF")
    assert out == [H("12 34")]


def test_gain_bytes(make_sim, make_link, transport) -> None:
    sim = make_sim(transport=transport)
    port = make_link(sim).port
    assert wire(sim, lambda: port.write(A["ExposureMode"], MANUAL)) == H("81 01 04 39 03 FF")
    assert wire(sim, lambda: port.write(A["Gain"], H("00 05"))) == H("81 01 04 4C 00 00 00 05 FF")
    assert port.read(A["Gain"], 2) == H("00 05")
    assert sim.line.camera(1).values["Gain"] == 5


@pytest.mark.parametrize("name, data, packet", [
    ("Power", "03", "81 01 04 00 03 FF"),
    ("FocusMode", "03", "81 01 04 38 03 FF"),
    ("WhiteBalanceMode", "04", "81 01 04 35 04 FF"),
    ("ExposureMode", "0A", "81 01 04 39 0A FF"),
    ("ExposureCompensationEnable", "02", "81 01 04 3E 02 FF"),
    ("ExposureCompensation", "00 09", "81 01 04 4E 00 00 00 09 FF"),
    ("BacklightCompensation", "02", "81 01 04 33 02 FF"),
])
def test_value_writes_and_inquiries(make_sim, make_link, name: str, data: str, packet: str) -> None:
    sim = make_sim()
    port = make_link(sim).port
    assert wire(sim, lambda: port.write(A[name], H(data))) == H(packet)
    inquiry = bytes((0x81, 0x09)) + H(packet)[2:4] + b"\xff"
    out: list[bytes] = []
    assert wire(sim, lambda: out.append(port.read(A[name], len(H(data))))) == inquiry
    assert out == [H(data)]


def test_version_inquiry_block(make_sim, make_link) -> None:
    sim = make_sim()
    port = make_link(sim).port
    assert wire(sim, lambda: port.read(A["DeviceVendorID"], 2)) == H("81 09 00 02 FF")
    assert port.read(A["DeviceVendorID"], 2) == H("00 20")
    assert port.read(A["DeviceModelID"], 2) == H("07 12")
    assert port.read(A["DeviceROMVersion"], 2) == H("01 17")
    assert port.read(A["MaxSocket"], 1) == H("02")
    with pytest.raises(AccessError, match="read-only"):
        port.write(A["MaxSocket"], b"\x03")
    with pytest.raises(PortError, match="outside"):
        port.read(A["MaxSocket"], 2)


def test_start_up_sends_address_set_and_if_clear(make_sim, make_link) -> None:
    sim = make_sim(cameras=2)
    link = make_link(sim)
    assert bytes(sim.line.rx).startswith(H("88 30 01 FF 88 01 00 01 FF"))
    assert link.bus.cameras_found == 2


def test_bad_addresses_and_values(make_sim, make_link) -> None:
    port = make_link(make_sim()).port
    with pytest.raises(PortError, match="not an FCB virtual address"):
        port.read(0x50000000000000, 2)
    with pytest.raises(RangeError, match="ZoomPosition"):
        port.write(A["ZoomPosition"], H("01 00 00"))  # 0x10000 needs 5 nibbles
    with pytest.raises(PortError, match="value encoding"):
        port.read(0x00000447000000, 2)


# ---------------------------------------------------------------- commands (GenApi Command semantics)
def test_trigger_returns_after_ack_and_reads_busy_until_completion(make_sim, make_link) -> None:
    sim = make_sim(one_push_time=60.0)  # the one-push AF never finishes by itself
    port = make_link(sim).port
    port.write(A["FocusMode"], MANUAL)
    assert wire(sim, lambda: port.write(A["FocusOnePush"], b"\x01")) == H("81 01 04 18 01 FF")
    assert port.read(A["FocusOnePush"], 1) == b"\x01"  # socket busy: CommandValue
    assert port.busy(A["FocusOnePush"])
    (socket,) = port.jobs()
    assert port.cancel(socket) is True
    assert port.read(A["FocusOnePush"], 1) == b"\x00"  # ended (cancelled)
    assert port.cancel(socket) is False  # nothing left to cancel: "no socket"


def test_trigger_completes(make_sim, make_link) -> None:
    sim = make_sim()
    port = make_link(sim).port
    port.write(A["FocusMode"], MANUAL)
    port.write(A["FocusOnePush"], b"\x01")
    assert wait_until(lambda: port.read(A["FocusOnePush"], 1) == b"\x00")
    assert port.last_error(A["FocusOnePush"]) is None
    port.write(A["FocusOnePush"], b"\x00")  # writing 0 is a no-op
    assert port.read(A["FocusOnePush"], 1) == b"\x00"


def test_trigger_error_is_done_and_reported(make_sim, make_link) -> None:
    sim = make_sim()
    port = make_link(sim).port
    port.write(A["FocusMode"], b"\x02")  # auto: one-push AF is not executable
    port.write(A["FocusOnePush"], b"\x01")
    assert wait_until(lambda: port.read(A["FocusOnePush"], 1) == b"\x00")
    error = port.last_error(A["FocusOnePush"])
    assert isinstance(error, DeviceError) and error.status == 0x41
    assert "FocusOnePush" in str(error)


def test_zoom_tele_wide_stop(make_sim, make_link) -> None:
    sim = make_sim(zoom_speed=0x7AC0 / 0.2)
    port = make_link(sim).port
    assert wire(sim, lambda: port.write(A["ZoomTele"], b"\x01")) == H("81 01 04 07 02 FF")
    assert wait_until(lambda: port.read(A["ZoomPosition"], 2) == H("7A C0"))
    assert wire(sim, lambda: port.write(A["ZoomWide"], b"\x01")) == H("81 01 04 07 03 FF")
    assert wait_until(lambda: int.from_bytes(port.read(A["ZoomPosition"], 2), "big") < 0x7AC0)
    assert wire(sim, lambda: port.write(A["ZoomStop"], b"\x01")) == H("81 01 04 07 00 FF")
    stopped = port.read(A["ZoomPosition"], 2)
    assert port.read(A["ZoomPosition"], 2) == stopped


def test_memory_set_recall_reset(make_sim, make_link) -> None:
    sim = make_sim()
    port = make_link(sim).port
    port.write(A["ZoomPosition"], H("30 00"))
    set3 = A["MemorySet"] + 3 * 256  # what pIndex MemoryPreset = 3 makes of the address
    assert wire(sim, lambda: port.write(set3, b"\x01")) == H("81 01 04 3F 01 03 FF")
    assert wait_until(lambda: not port.busy(set3))
    port.write(A["ZoomPosition"], H("00 10"))
    recall3 = A["MemoryRecall"] + 3 * 256
    assert wire(sim, lambda: port.write(recall3, b"\x01")) == H("81 01 04 3F 02 03 FF")
    assert wait_until(lambda: port.read(recall3, 1) == b"\x00")
    assert port.read(A["ZoomPosition"], 2) == H("30 00")
    reset3 = A["MemoryReset"] + 3 * 256
    assert wire(sim, lambda: port.write(reset3, b"\x01")) == H("81 01 04 3F 00 03 FF")
    assert wait_until(lambda: not port.busy(reset3))
    port.write(recall3, b"\x01")  # an empty memory cannot be recalled
    assert wait_until(lambda: port.last_error(recall3) is not None)
    assert port.last_error(recall3).status == 0x41


def test_third_command_waits_for_a_free_socket(make_sim, make_link) -> None:
    sim = make_sim(one_push_time=60.0, zoom_speed=1.0)  # both sockets stay busy
    port = make_link(sim).port
    port.write(A["FocusMode"], MANUAL)
    port.write(A["FocusOnePush"], b"\x01")  # socket 1, busy
    outcome: dict[str, object] = {}

    def zoom() -> None:  # socket 2, waits for its completion (never: the lens is slow)
        try:
            port.write(A["ZoomPosition"], H("40 00"))
        except Exception as exc:  # noqa: BLE001 - recorded for the assertion
            outcome["zoom"] = exc

    def third() -> None:
        try:
            port.write(A["ZoomStop"], b"\x01")
            outcome["third"] = "sent"
        except Exception as exc:  # noqa: BLE001
            outcome["third"] = exc

    t_zoom = threading.Thread(target=zoom)
    t_zoom.start()
    assert wait_until(lambda: len(port.jobs()) == 2)
    # Sequenced, not timed: an event tells when the third caller blocks waiting for a
    # free socket (the session's condition variable, waited on from _reserve_socket).
    t_third = threading.Thread(target=third)
    waiting_for_socket = threading.Event()
    cond = port.session._cond
    plain_wait = cond.wait

    def observed_wait(timeout=None):
        if threading.current_thread() is t_third and \
                sys._getframe(1).f_code.co_name == "_reserve_socket":
            waiting_for_socket.set()
        return plain_wait(timeout)

    cond.wait = observed_wait
    t_third.start()
    assert waiting_for_socket.wait(20), "the third command never waited for a free socket"
    assert "third" not in outcome, "a third command must wait, not be sent into a full buffer"
    assert len(port.jobs()) == 2
    busy = {job.label.split()[0]: s for s, job in port.jobs().items()}
    assert port.cancel(busy["FocusOnePush"])
    t_third.join(20)   # upper bounds against hangs, not timing assertions
    assert not t_third.is_alive() and outcome["third"] == "sent"
    # ZoomStop superseded the zoom motion: its waiter got the completion
    t_zoom.join(20)
    assert not t_zoom.is_alive() and "zoom" not in outcome
    assert H("90 60 03 FF") not in bytes(sim.line.rx)


def test_cancel_a_waiting_write(make_sim, make_link) -> None:
    sim = make_sim(zoom_speed=1.0)
    port = make_link(sim).port
    errors: list[Exception] = []

    def zoom() -> None:
        try:
            port.write(A["ZoomPosition"], H("40 00"))
        except DeviceError as exc:
            errors.append(exc)

    thread = threading.Thread(target=zoom)
    thread.start()
    assert wait_until(lambda: len(port.jobs()) == 1)
    (socket,) = port.jobs()
    assert wire(sim, lambda: port.cancel(socket)) == bytes((0x81, 0x20 | socket, 0xFF))
    thread.join(5)
    assert errors and errors[0].status == p.ErrorCode.CANCELLED
    assert "ZoomPosition" in str(errors[0]) and "cancelled" in str(errors[0])


def test_buffer_full_from_the_camera_is_retried(make_sim, make_link) -> None:
    """A socket the port does not know of (its ACK was lost) makes the camera answer
    'buffer full'; the port retries once a socket frees instead of failing."""
    sim = make_sim()
    link = make_link(sim, timeout=0.2)
    port, camera = link.port, sim.line.camera(1)
    port.write(A["FocusMode"], MANUAL)
    sim.line.faults.hold = True  # commands stay in their sockets
    port.write(A["FocusOnePush"], b"\x01")  # socket 1, known to the port
    sim.line.faults.drop_next("ack")
    link.bus.send(H("81 01 04 07 02 FF"))  # socket 2, its ACK lost: unknown to the port
    assert wait_until(lambda: all(job is not None for job in camera.sockets.values()))
    assert list(port.jobs()) == [1]
    outcome: list[object] = []

    def zoom() -> None:
        try:
            port.write(A["ZoomPosition"], H("01 00"))
            outcome.append("done")
        except Exception as exc:  # noqa: BLE001
            outcome.append(exc)

    thread = threading.Thread(target=zoom)
    thread.start()
    zoom_commands = lambda: sum(1 for r in camera.received  # noqa: E731
                                if isinstance(r, p.CommandRequest) and r.command == 0x47)
    assert wait_until(lambda: zoom_commands() >= 2)  # refused with 'buffer full', then retried
    sim.line.release()
    thread.join(10)
    assert outcome == ["done"]
    assert port.read(A["ZoomPosition"], 2) == H("01 00")


def test_late_ack_of_a_resent_command_is_tracked(make_sim, make_link) -> None:
    """Replies delayed beyond the timeout: the command is re-sent, both sends execute;
    the duplicate's ACK and completion must not be taken for the next command's."""
    sim = make_sim(zoom_speed=0x7AC0 / 0.3)
    port = make_link(sim, timeout=0.15).port
    sim.line.config.reply_delay = 0.2
    port.write(A["ZoomPosition"], H("20 00"))
    sim.line.config.reply_delay = 0.0
    port.write(A["ZoomPosition"], H("00 40"))
    assert port.read(A["ZoomPosition"], 2) == H("00 40")
    assert wait_until(lambda: not port.jobs())


# ---------------------------------------------------------------- error replies
def test_error_replies_name_the_feature(make_sim, make_link) -> None:
    sim = make_sim()
    port = make_link(sim).port
    with pytest.raises(DeviceError, match=r"Gain .*41 command not executable.*ExposureMode=Manual") as info:
        port.write(A["Gain"], H("00 05"))  # FullAuto: gain is automatic
    assert info.value.status == 0x41
    # The same facts as fields: the register's name and address, the VISCA error code.
    assert (info.value.feature, info.value.address) == ("Gain", A["Gain"])
    with pytest.raises(DeviceError, match="ZoomPosition") as info:
        port.write(A["ZoomPosition"], H("7A C1"))  # beyond the tele end
    assert info.value.status == 0x41
    with pytest.raises(DeviceError, match="syntax") as info:
        port.read(0x00140477000000, 2)  # an inquiry this camera does not know
    assert info.value.status == 0x02
    assert info.value.address == 0x00140477000000 and info.value.feature is None  # unnamed
    with pytest.raises(DeviceError, match="syntax"):
        port.write(0x00140477000000, H("00 01"))
    port.write(A["ZoomPosition"], H("00 20"))  # the camera is still fine
    assert port.read(A["ZoomPosition"], 2) == H("00 20")


def test_power_off_refuses_commands(make_sim, make_link) -> None:
    sim = make_sim()
    port = make_link(sim).port
    port.write(A["Power"], b"\x03")
    assert port.read(A["Power"], 1) == b"\x03"
    with pytest.raises(DeviceError, match="Power on"):
        port.write(A["ZoomPosition"], H("00 10"))
    port.write(A["Power"], b"\x02")
    port.write(A["ZoomPosition"], H("00 10"))


def test_wrong_reply_size_is_a_protocol_error(make_sim, make_link) -> None:
    port = make_link(make_sim()).port
    with pytest.raises(ProtocolError, match="Length"):
        port.read(0x00120447000000, 2)  # XML claims 2 nibbles, the camera sends 4


# ---------------------------------------------------------------- faults of the line
def test_noise_between_packets(make_sim, make_link, transport) -> None:
    sim = make_sim(transport=transport, noise=0.6, noise_max=5, seed=7)
    link = make_link(sim)
    port = link.port
    port.write(A["ExposureMode"], MANUAL)
    for i in range(40):
        port.write(A["Gain"], (i % 16).to_bytes(2, "big"))
        assert port.read(A["Gain"], 2) == (i % 16).to_bytes(2, "big")
    assert link.bus.garbage_bytes > 0


def test_dropped_inquiry_reply_is_retried(make_sim, make_link) -> None:
    sim = make_sim()
    port = make_link(sim, timeout=0.2).port
    port.write(A["ZoomPosition"], H("02 00"))
    sim.line.faults.drop_next("inquiry")
    assert wire(sim, lambda: port.read(A["ZoomPosition"], 2)) == H("81 09 04 47 FF") * 2
    assert port.read(A["ZoomPosition"], 2) == H("02 00")


def test_dropped_ack_is_retried(make_sim, make_link) -> None:
    sim = make_sim()
    port = make_link(sim, timeout=0.2).port
    sim.line.faults.drop_next("ack")
    port.write(A["ZoomPosition"], H("03 00"))
    assert port.read(A["ZoomPosition"], 2) == H("03 00")


def test_dropped_completion_times_out_then_bus_works(make_sim, make_link) -> None:
    sim = make_sim()
    port = make_link(sim, completion_timeout=0.3).port
    sim.line.faults.drop_next("completion")
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="ZoomPosition.*no completion"):
        port.write(A["ZoomPosition"], H("04 00"))
    assert time.monotonic() - started < 5  # bounded (upper bound only)
    assert not port.jobs()
    port.write(A["ZoomPosition"], H("05 00"))
    assert port.read(A["ZoomPosition"], 2) == H("05 00")


def test_error_reply_then_bus_works(make_sim, make_link) -> None:
    sim = make_sim()
    port = make_link(sim).port
    with pytest.raises(DeviceError):
        port.write(A["Iris"], H("00 03"))
    port.write(A["ExposureMode"], MANUAL)
    port.write(A["Iris"], H("00 03"))
    assert port.read(A["Iris"], 2) == H("00 03")


def test_silent_camera_times_out_then_recovers(make_sim, make_link, transport) -> None:
    sim = make_sim(transport=transport)
    # generous: the recovery below must not depend on a quick machine
    port = make_link(sim, timeout=0.5, retries=1).port
    sim.line.faults.silent = True
    with pytest.raises(TimeoutError, match="did not answer.*81 09 04 47 FF"):
        port.read(A["ZoomPosition"], 2)
    with pytest.raises(TimeoutError, match="ZoomPosition"):
        port.write(A["ZoomPosition"], H("00 01"))
    sim.line.faults.silent = False
    assert port.read(A["Power"], 1) == b"\x02"
    port.write(A["ZoomPosition"], H("00 02"))
    assert port.read(A["ZoomPosition"], 2) == H("00 02")


def test_reply_delay(make_sim, make_link) -> None:
    sim = make_sim(reply_delay=0.02)
    port = make_link(sim).port
    port.write(A["ZoomPosition"], H("00 30"))
    assert port.read(A["ZoomPosition"], 2) == H("00 30")


def test_network_change_is_counted(make_sim, make_link) -> None:
    link = make_link(make_sim())
    link.bus.feed(H("90 38 FF"))
    assert link.port.session.network_changes == 1
    assert link.port.read(A["Power"], 1) == b"\x02"


# ---------------------------------------------------------------- several cameras on one line
def test_two_cameras_concurrently(make_sim, make_link, transport) -> None:
    sim = make_sim(cameras=2, transport=transport, reply_delay=0.001)
    cam1, cam2 = make_link(sim, 1).port, make_link(sim, 2).port
    assert cam1.session.bus is cam2.session.bus
    failures: list[str] = []

    def drive(port, base: int) -> None:
        try:
            port.write(A["ExposureMode"], MANUAL)
            for i in range(25):
                zoom = (base + i * 7).to_bytes(2, "big")
                gain = ((base + i) % 16).to_bytes(2, "big")
                port.write(A["ZoomPosition"], zoom)
                port.write(A["Gain"], gain)
                got = port.read(A["ZoomPosition"], 2), port.read(A["Gain"], 2)
                if got != (zoom, gain):
                    failures.append(f"camera {port.address}: wrote {zoom.hex()}/{gain.hex()}, "
                                    f"read {got[0].hex()}/{got[1].hex()}")
        except Exception as exc:  # noqa: BLE001
            failures.append(f"camera {port.address}: {exc!r}")

    threads = [threading.Thread(target=drive, args=(cam1, 0x1000)),
               threading.Thread(target=drive, args=(cam2, 0x2003))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)
    assert failures == []
    assert sim.line.camera(1).zoom.target == 0x1000 + 24 * 7
    assert sim.line.camera(2).zoom.target == 0x2003 + 24 * 7


def test_broadcast_reaches_every_camera(make_sim, make_link) -> None:
    sim = make_sim(cameras=2)
    cam1, cam2 = make_link(sim, 1), make_link(sim, 2)
    sim.line.rx.clear()
    cam1.bus.broadcast_command(0x04, 0x00, b"\x03")  # no reply: poll what the line carried
    assert wait_until(lambda: bytes(sim.line.rx) == H("88 01 04 00 03 FF"))
    assert wait_until(lambda: cam1.port.read(A["Power"], 1) == b"\x03")
    assert cam2.port.read(A["Power"], 1) == b"\x03"


def test_closing_the_line_interrupts_a_waiting_write(make_sim) -> None:
    from nodemap.transports.fcb.link import open_link

    # A zoom of 0x4000 steps at 1 step/s never completes during the test, and a generous
    # timeout means only close() can end the write: no race with a loaded machine.
    sim = make_sim(zoom_speed=1.0)
    link = open_link(f"fcb:{sim.url}?address=1&timeout=30")
    errors: list[Exception] = []

    def zoom() -> None:
        try:
            link.port.write(A["ZoomPosition"], H("40 00"))
        except PortError as exc:
            errors.append(exc)

    thread = threading.Thread(target=zoom)
    thread.start()
    assert wait_until(lambda: len(link.port.jobs()) == 1)
    link.close()
    thread.join(20)   # an upper bound against a hang; close() ends the write at once
    assert not thread.is_alive(), "close() did not interrupt the waiting write"
    assert errors and "interrupted" in str(errors[0]) and "ZoomPosition" in str(errors[0])
    with pytest.raises(PortError):
        link.port.read(A["ZoomPosition"], 2)


def test_if_clear_interrupts_running_commands(make_sim, make_link) -> None:
    sim = make_sim(one_push_time=60.0)
    port = make_link(sim).port
    port.write(A["FocusMode"], MANUAL)
    port.write(A["FocusOnePush"], b"\x01")
    assert port.read(A["FocusOnePush"], 1) == b"\x01"
    assert wire(sim, port.if_clear) == H("81 01 00 01 FF")
    assert port.read(A["FocusOnePush"], 1) == b"\x00"
    assert all(job is None for job in sim.line.camera(1).sockets.values())
