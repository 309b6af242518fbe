"""GvcpSession without I/O: every outcome, id wrap, PENDING_ACK cap, RTO and backoff.

Time is a number the test passes in; no socket, clock or thread is involved.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nodemap.transports.gvcp import protocol as p
from nodemap.transports.gvcp.protocol import Status
from nodemap.transports.gvcp.session import (MATCHED, DEFAULT_DEADLINE, GiveUp, GvcpSession,
                                             Malformed, Matched, Mismatched, Pending, Policy,
                                             RetransmitTimer, Retry, Stale, next_request_id)


def readreg_ack(rid: int, value: int = 7, status: int = Status.SUCCESS) -> bytes:
    return p.ReadRegAck(rid, (value,) if status == Status.SUCCESS else (), status).encode()


# ----------------------------------------------------------------------------- ids

@given(st.integers(0, 0xFFFF))
def test_request_ids_are_never_zero_and_wrap_to_one(rid: int) -> None:
    nxt = next_request_id(rid)
    assert 1 <= nxt <= 0xFFFF
    assert nxt == (1 if rid == 0xFFFF else rid + 1)


def test_every_way_of_starting_takes_the_next_id_and_wraps() -> None:
    s = GvcpSession()
    s.req_id = 0xFFFE
    raws = [s.read_register(0xA000, 0.0),
            s.write_register(0xA000, 1, 0.0),
            s.request(lambda rid: p.ReadMemCmd(rid, 0, 16), 0.0, expect_length=20),
            ]
    assert [p.decode_command(r).req_id for r in raws] == [0xFFFF, 1, 2]
    assert s.next_id() == 3


# ----------------------------------------------------------------------------- outcomes

def test_fast_match_is_the_constant_and_ends_the_operation() -> None:
    s = GvcpSession()
    s.read_register(0xA000, 10.0)
    assert s.active
    assert s.on_datagram(readreg_ack(1, 640), 10.001) is MATCHED
    assert not s.active and p.u32_at(readreg_ack(1, 640), 8) == 640


def test_without_the_fast_path_the_ack_is_decoded() -> None:
    s = GvcpSession()
    s.read_register(0xA000, 0.0, fast=False)
    out = s.on_datagram(readreg_ack(1, 640), 0.001)
    assert isinstance(out, Matched) and out is not MATCHED
    assert out.ack == p.ReadRegAck(1, (640,))


def test_error_status_and_padding_are_matched_decoded() -> None:
    s = GvcpSession()
    s.read_register(0xA000, 0.0)
    out = s.on_datagram(readreg_ack(1, status=Status.INVALID_ADDRESS), 0.0)
    assert isinstance(out, Matched) and out.ack.status == Status.INVALID_ADDRESS  # type: ignore[union-attr]
    s.read_register(0xA000, 0.0)
    out = s.on_datagram(readreg_ack(2, 5) + b"\0" * 6, 0.0)       # Ethernet padding
    assert isinstance(out, Matched) and out.ack.values == (5,)  # type: ignore[union-attr]


def test_stale_mismatched_and_malformed_are_dropped_and_counted() -> None:
    s = GvcpSession()
    s.req_id = 41
    s.read_register(0xA000, 0.0)                                   # id 42
    assert s.on_datagram(readreg_ack(41), 0.0) == Stale(41)
    out = s.on_datagram(p.WriteRegAck(42, 1).encode(), 0.0)       # wrong ack code
    assert isinstance(out, Mismatched) and "0x0083" in out.reason and "0x0081" in out.reason
    out = s.on_datagram(p.ReadRegAck(42, (1, 2)).encode(), 0.0)   # wrong length
    assert isinstance(out, Mismatched) and "length 8 (expected 4)" in out.reason
    out = s.on_datagram(b"\x00\x00\x00\x81\x00\x08", 0.0)          # truncated
    assert isinstance(out, Malformed) and "shorter than" in out.reason
    out = s.on_datagram(b"\x00\x00\x00\x81\x00\x04\x00\x2a", 0.0)  # header, no payload
    assert isinstance(out, Malformed) and "truncated" in out.reason
    assert s.active                                                # still waiting
    assert s.stats == {"sent": 1, "retries": 0, "stale": 1, "mismatched": 2, "malformed": 2,
                       "pending": 0}
    assert s.on_datagram(readreg_ack(42), 0.0) is MATCHED
    assert s.on_datagram(readreg_ack(42), 0.0) == Stale(42)        # a duplicate, afterwards
    assert s.stats["stale"] == 2


def test_retry_resends_identical_bytes_then_gives_up_after_the_attempts() -> None:
    s = GvcpSession(Policy.from_options(timeout=0.1, retries=3))
    raw = s.write_register(0xA004, 0x1_0000_0005, 0.0)
    assert p.decode_command(raw).pairs == ((0xA004, 5),)
    assert s.window == 0.1
    first = s.on_timeout(0.1)
    second = s.on_timeout(0.2)
    assert first == Retry(raw, 1, 0.1) and second == Retry(raw, 2, 0.1)
    out = s.on_timeout(0.3)
    assert isinstance(out, GiveUp) and not out.pending and out.attempts == 3
    assert out.reason == "after 3 attempt(s) over 300 ms"
    assert out.command == "WRITEREG_CMD id=1 [0x0000A004=0x00000005]"
    assert s.stats["sent"] == 3 and s.stats["retries"] == 2 and not s.active


def test_late_ack_of_an_earlier_send_is_still_the_answer() -> None:
    s = GvcpSession(Policy.from_options(timeout=0.1, retries=3))
    s.read_register(0xA000, 0.0)
    assert isinstance(s.on_timeout(0.1), Retry)
    assert s.on_datagram(readreg_ack(1), 0.15) is MATCHED         # same id: accepted


def test_give_up_names_dropped_datagrams() -> None:
    s = GvcpSession(Policy.from_options(timeout=0.1, retries=1))
    s.read_register(0xA000, 0.0)
    s.on_datagram(readreg_ack(9), 0.05)
    out = s.on_timeout(0.1)
    assert isinstance(out, GiveUp) and "1 unusable datagram(s) dropped" in out.reason


def test_pending_ack_extends_the_wait() -> None:
    s = GvcpSession(Policy.from_options(timeout=0.1, retries=1))
    s.read_register(0xA000, 0.0)
    out = s.on_datagram(p.PendingAck(1, 300).encode(), 0.05)
    assert isinstance(out, Pending) and out.ack.time_ms == 300
    assert out.until == pytest.approx(0.05 + 0.3 + 0.1) and s.expires_at == out.until
    assert s.stats["pending"] == 1
    assert s.on_datagram(readreg_ack(1), 0.4) is MATCHED


def test_a_device_answering_only_pending_ack_is_capped_by_the_overall_deadline() -> None:
    policy = Policy(deadline=2.0)
    s = GvcpSession(policy)
    s.read_register(0xA000, 0.0)
    now, steps = 0.0, 0
    while steps < 1000:
        steps += 1
        out = s.on_datagram(p.PendingAck(1, 500).encode(), now)
        assert isinstance(out, Pending) and out.until <= 2.0
        now = out.until
        step = s.on_timeout(now)
        if isinstance(step, GiveUp):
            break
        assert isinstance(step, Retry)
        now += step.wait / 2
    assert isinstance(step, GiveUp) and step.pending
    assert now <= 2.0 and steps < 10
    assert "only PENDING_ACK" in step.reason and "500 ms more" in step.reason
    assert "overall deadline of 2 s" in step.reason and "READREG_CMD id=1" in step.command


def test_pending_ack_cannot_outlast_the_deadline_even_when_it_asks_to() -> None:
    s = GvcpSession(Policy(deadline=1.5))
    s.read_register(0xA000, 0.0)
    out = s.on_datagram(p.PendingAck(1, 60_000).encode(), 0.1)
    assert isinstance(out, Pending) and out.until == 1.5
    step = s.on_timeout(1.5)
    assert isinstance(step, GiveUp) and step.pending


# ----------------------------------------------------------------------------- timer

def silence(s: GvcpSession, start: float) -> tuple[float, int, GiveUp]:
    """Run one operation against a device that never answers: (end, sends, give-up)."""
    s.read_register(0xA000, start)
    now, sends = start, 1
    for _ in range(1000):
        now = s.expires_at
        step = s.on_timeout(now)
        if isinstance(step, GiveUp):
            return now, sends, step
        sends += 1
    raise AssertionError("never gave up")


def test_defaults_fail_a_silent_device_within_about_a_second() -> None:
    s = GvcpSession()
    end, sends, step = silence(s, 0.0)          # before any round trip was measured
    assert end == pytest.approx(1.0) and step.attempts == sends
    assert f"after {sends} attempt(s) over 1000 ms" == step.reason
    # Enough attempts that 20 % loss each way (36 % per attempt) rarely fails an operation.
    assert sends >= 10 and 0.36 ** sends < 5e-5
    s.read_register(0xA000, 5.0)
    s.on_datagram(readreg_ack(s.req_id), 5.0002)        # a loopback round trip
    end, sends, step = silence(s, 6.0)
    assert end == pytest.approx(7.0) and sends >= 13 and 0.36 ** sends < 2e-6


def test_rto_learns_from_round_trips_within_its_clamps() -> None:
    policy = Policy()
    timer = RetransmitTimer(policy)
    assert timer.rto == policy.initial_rto
    for _ in range(20):
        timer.observe(0.0002)                  # loopback: clamped to the minimum
    assert timer.rto == policy.min_rto
    for _ in range(50):
        timer.observe(0.3)                     # a slow link: follows the round trip
    assert 0.3 < timer.rto <= 0.32
    for _ in range(50):
        timer.observe(30.0)
    assert timer.rto == policy.max_rto


def test_only_first_sends_are_sampled() -> None:
    s = GvcpSession()
    s.read_register(0xA000, 0.0)
    assert isinstance(s.on_timeout(s.expires_at), Retry)
    s.on_datagram(readreg_ack(1), 0.9)         # which send does it answer? (Karn: unknown)
    assert s.timer.samples == 0 and s.timer.rto == Policy().initial_rto
    s.read_register(0xA000, 1.0)
    s.on_datagram(readreg_ack(2), 1.0005)
    assert s.timer.samples == 1 and s.timer.rto == Policy().min_rto


@given(st.lists(st.floats(0, 5), min_size=1, max_size=50))
def test_rto_stays_inside_its_clamps(samples: list[float]) -> None:
    policy = Policy()
    timer = RetransmitTimer(policy)
    for rtt in samples:
        timer.observe(rtt)
        assert policy.min_rto <= timer.rto <= policy.max_rto
    waits = [timer.wait(k) for k in range(30)]
    assert waits == sorted(waits)                               # backoff never shrinks
    assert waits[0] == timer.rto and waits[-1] == pytest.approx(timer.rto * policy.max_backoff)


def test_fixed_policy_does_not_adapt() -> None:
    timer = RetransmitTimer(Policy.from_options(timeout=0.25))
    for _ in range(10):
        timer.observe(0.001)
    assert timer.rto == 0.25 and timer.wait(5) == 0.25


def test_policy_from_options() -> None:
    assert Policy.from_options() == Policy()
    fixed = Policy.from_options(timeout=0.5)
    assert (fixed.adaptive, fixed.attempts, fixed.initial_rto, fixed.answer_within) == \
        (False, 3, 0.5, None)
    assert Policy.from_options(retries=5).initial_rto == 0.2
    assert Policy.from_options(timeout=2, retries=4).deadline == 8
    assert Policy.from_options(timeout=0.1, retries=2).deadline == DEFAULT_DEADLINE
    capped = Policy.from_options(deadline=0.5)
    assert capped.adaptive and capped.deadline == 0.5 and capped.answer_within == 0.5
    with pytest.raises(ValueError, match="retries must be at least 1"):
        Policy.from_options(retries=0)
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        Policy.from_options(timeout=math.nan)
    with pytest.raises(ValueError, match="deadlines must be positive"):
        Policy(deadline=0)


# ----------------------------------------------------------------------------- fuzzing

events = st.lists(st.tuples(
    st.sampled_from(["ack", "stale", "pending", "junk", "wrong", "timeout"]),
    st.floats(0.0, 0.3), st.integers(0, 2000)), max_size=60)


@settings(max_examples=300, deadline=None)
@given(events, st.sampled_from([Policy(), Policy(deadline=1.5),
                                Policy.from_options(timeout=0.05, retries=4)]))
def test_any_sequence_of_answers_ends_within_the_deadline(script, policy: Policy) -> None:
    """Whatever a hostile device sends, an operation ends by matching or giving up, no
    later than its overall deadline and after at most ``attempts`` sends."""
    s = GvcpSession(policy)
    raw = s.read_register(0xA000, 100.0)
    now, done = 100.0, None
    arrivals = script + [("timeout", 0.0, 0)] * (policy.attempts + 200)
    for kind, dt, ms in arrivals:
        arrival = now + dt if kind != "timeout" else max(now, s.expires_at)
        while done is None and arrival >= s.expires_at:    # the wait ran out first
            now = s.expires_at
            step = s.on_timeout(now)
            if isinstance(step, GiveUp):
                done = step
            else:
                assert step.data == raw and step.wait > 0
        if done is not None:
            break
        if kind == "timeout":
            continue
        now = arrival
        data = {"ack": readreg_ack(1), "stale": readreg_ack(0xFFFF),
                "pending": p.PendingAck(1, ms).encode(), "junk": b"\x42" * (ms % 12),
                "wrong": p.WriteMemAck(1, 4).encode()}[kind]
        if s.on_datagram(data, now) is MATCHED:
            done = MATCHED
            break
    assert done is not None and not s.active
    assert s.stats["sent"] <= policy.attempts
    if isinstance(done, GiveUp):
        assert now <= 100.0 + policy.deadline + 1e-9
