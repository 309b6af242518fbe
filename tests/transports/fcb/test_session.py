"""ViscaSession without I/O: sockets, reply matching, re-sends, late replies, buffer full.

No serial line, thread or clock: replies are parsed from the wire bytes the FCB manuals
give, time is a number the test passes in.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nodemap.transports.fcb import protocol as p
from nodemap.transports.fcb.session import (BUFFER_FULL_RETRIES, Failed, GiveUp, Job, Kind,
                                            Request, Resend, RetryLater, Routed, Started,
                                            ViscaSession)

ZOOM = bytes.fromhex("81 01 04 47 01 02 03 04 FF")
POWER_INQ = bytes.fromhex("81 09 04 00 FF")


def reply(text: str) -> p.Reply:
    return p.parse_reply(bytes.fromhex(text))


def command(label: str = "ZoomPosition", key: int = 0x47, value: int = 0) -> Request:
    return Request(Kind.COMMAND, label, ZOOM, key=key, value=value)


def run_command(s: ViscaSession, socket: int, now: float = 0.0, **kw) -> Job:
    assert s.can_reserve()
    s.reserve()
    request = command(**kw)
    s.start(request, now)
    assert s.on_reply(reply(f"90 4{socket} FF"), now) is Routed.ANSWERED
    answer = s.finish(now)
    step = s.after_command(request, answer, 0, now, now + 10)  # type: ignore[arg-type]
    assert isinstance(step, Started)
    return step.job


def test_ack_opens_a_job_that_its_completion_ends() -> None:
    s = ViscaSession(1)
    job = run_command(s, 1, key=0x47, value=5)
    assert (job.socket, job.key, job.value, job.done) == (1, 0x47, 5, False)
    assert s.jobs == {1: job} and s.reserved == 0 and s.job_for(0x47) is job
    assert s.on_reply(reply("90 51 FF"), 0.1) is Routed.JOB_DONE
    assert job.done and job.error is None and not s.jobs


def test_two_sockets_at_most() -> None:
    s = ViscaSession(1)
    first = run_command(s, 1)
    second = run_command(s, 2, label="Focus", key=0x48)
    assert not s.can_reserve()
    assert s.on_reply(reply("90 62 41 FF"), 0.2) is Routed.JOB_FAILED   # socket 2 fails
    assert second.done and second.error.code == p.ErrorCode.NOT_EXECUTABLE  # type: ignore[union-attr]
    assert not first.done and s.can_reserve()


def test_inquiry_takes_only_a_data_completion() -> None:
    s = ViscaSession(1)
    request = Request(Kind.INQUIRY, "Power", POWER_INQ)
    s.start(request, 0.0)
    assert s.on_reply(reply("90 50 FF"), 0.0) is Routed.STRAY              # no data: not it
    assert s.on_reply(reply("90 50 02 FF"), 0.0) is Routed.ANSWERED
    assert s.finish(0.0) == p.Completion(1, 0, b"\x02") and s.late_replies == 0


def test_error_answers_the_pending_request() -> None:
    s = ViscaSession(1)
    request = Request(Kind.INQUIRY, "Power", POWER_INQ)
    s.start(request, 0.0)
    assert s.on_reply(reply("90 60 02 FF"), 0.0) is Routed.ANSWERED
    assert isinstance(s.finish(0.0), p.ErrorReply)


def test_cancel_is_answered_by_the_error_on_its_socket_and_ends_the_job() -> None:
    s = ViscaSession(1)
    job = run_command(s, 2)
    cancel = Request(Kind.CANCEL, "cancel socket 2", p.encode_cancel(1, 2), socket=2)
    s.start(cancel, 1.0)
    assert s.on_reply(reply("90 61 04 FF"), 1.0) is Routed.STRAY          # another socket
    assert not cancel.answered
    assert s.on_reply(reply("90 62 04 FF"), 1.0) is Routed.JOB_FAILED
    assert cancel.answered and job.done and job.error.code == p.ErrorCode.CANCELLED  # type: ignore[union-attr]


def test_resend_then_give_up() -> None:
    s = ViscaSession(1, timeout=0.5, retries=2)
    request = command()
    assert s.start(request, 0.0) == ZOOM and s.wait_for(0.1) == pytest.approx(0.4)
    assert s.on_timeout(0.5) == Resend(ZOOM, 2)
    assert s.on_timeout(1.0) == Resend(ZOOM, 3)
    assert s.on_timeout(1.5) == GiveUp(3, 0.5)
    assert s.finish(1.5) is None
    # Three sends went out unanswered: three late replies may still come.
    assert s.late_replies == 3 and s.quiet_wait(1.6) == pytest.approx(0.9)
    assert s.quiet_wait(2.5) == 0 and s.late_replies == 0


def test_duplicate_replies_of_a_resent_packet_are_drained_before_the_next_request() -> None:
    s = ViscaSession(1, timeout=0.5)
    request = Request(Kind.INQUIRY, "Power", POWER_INQ)
    s.start(request, 0.0)
    s.on_timeout(0.5)                                          # re-sent once
    s.on_reply(reply("90 50 02 FF"), 0.6)
    assert s.finish(0.6) == p.Completion(1, 0, b"\x02")
    assert s.late_replies == 1 and s.quiet_wait(0.7) > 0        # one duplicate owed
    assert s.on_reply(reply("90 50 02 FF"), 0.8) is Routed.STRAY   # ... and it came
    assert s.late_replies == 0 and s.quiet_wait(0.8) == 0


def test_late_ack_of_a_resent_command_is_tracked_as_a_job() -> None:
    s = ViscaSession(1)
    job = run_command(s, 1)
    assert s.on_reply(reply("90 52 FF"), 0.1) is Routed.STRAY        # no job on socket 2
    assert s.on_reply(reply("90 42 FF"), 0.1) is Routed.LATE_ACK     # nobody waits for it
    ghost = s.jobs[2]
    assert ghost.label == "a re-sent command" and not s.can_reserve()
    assert s.on_reply(reply("90 52 FF"), 0.2) is Routed.JOB_DONE and ghost.done
    assert not job.done


def test_reused_socket_abandons_the_old_job() -> None:
    s = ViscaSession(1)
    old = run_command(s, 1)
    new = run_command(s, 1)
    assert old.lost and "reused" in old.lost_reason and s.jobs[1] is new


def test_buffer_full_is_retried_a_bounded_number_of_times() -> None:
    s = ViscaSession(1, timeout=1.0)
    request = command()
    full = p.ErrorReply(1, 0, p.ErrorCode.BUFFER_FULL)
    assert s.after_command(request, full, 0, 0.0, 10.0) == RetryLater(0.2)
    assert s.after_command(request, full, BUFFER_FULL_RETRIES, 0.0, 10.0) == Failed(full)
    assert s.after_command(request, full, 0, 10.0, 10.0) == Failed(full)   # past the deadline
    other = p.ErrorReply(1, 0, p.ErrorCode.NOT_EXECUTABLE)
    assert s.after_command(request, other, 0, 0.0, 10.0) == Failed(other)
    done = s.after_command(request, p.Completion(1, 0), 0, 3.0, 10.0)      # no ACK at all
    assert isinstance(done, Started) and done.job.socket == 0 and done.job.done


def test_stale_jobs_expire_and_clear_jobs_abandons_all() -> None:
    s = ViscaSession(1)
    old = run_command(s, 1, now=0.0)
    young = run_command(s, 2, now=9.0)
    assert s.expire_stale(10.0, 5.0) == [old] and old.lost and s.jobs == {2: young}
    s.forget(young, "no completion")
    assert young.lost and not s.jobs
    again = run_command(s, 1)
    assert s.clear_jobs("IF_Clear") == [again] and again.lost_reason == "IF_Clear"


def test_network_change_is_counted() -> None:
    s = ViscaSession(1)
    assert s.on_reply(reply("90 38 FF"), 0.0) is Routed.NETWORK_CHANGE
    assert s.network_changes == 1


def test_one_request_at_a_time() -> None:
    s = ViscaSession(1)
    s.start(command(), 0.0)
    with pytest.raises(RuntimeError, match="one request at a time"):
        s.start(command(), 0.0)


replies = st.sampled_from(["90 41 FF", "90 42 FF", "90 51 FF", "90 52 FF", "90 50 FF",
                           "90 50 02 FF", "90 61 41 FF", "90 62 04 FF", "90 60 03 FF",
                           "90 38 FF"]).map(reply)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(list(Kind)), st.lists(replies, max_size=6),
                          st.integers(0, 3)), max_size=12))
def test_any_reply_stream_keeps_the_bookkeeping_sound(script) -> None:
    """Whatever the camera sends, a socket holds one job, the reservations never go
    negative and every finished request has at most one answer."""
    s = ViscaSession(1, timeout=0.5, retries=2)
    now = 0.0
    for kind, answers, silences in script:
        now += 1.0
        assert s.quiet_wait(now + 10) == 0
        request = Request(kind, kind.value, ZOOM, socket=1)
        if kind is Kind.COMMAND and s.can_reserve():
            s.reserve()
        s.start(request, now)
        for _ in range(silences):
            if isinstance(s.on_timeout(now), GiveUp):
                break
        for r in answers:
            s.on_reply(r, now)
        answer = s.finish(now)
        if kind is Kind.COMMAND and not isinstance(answer, Job):
            s.unreserve()
        assert s.reserved >= 0 and len(s.jobs) <= 2
        assert all(job.socket == socket and not job.done for socket, job in s.jobs.items())
        assert answer is None or isinstance(answer, (Job, p.Completion, p.ErrorReply))
