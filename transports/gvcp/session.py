"""GVCP session: request ids, ack matching and the retransmission timer — no I/O.

The h11 pattern: this object decides everything about one device's command/ack
exchange and touches no socket, clock or thread; time is passed in as ``now``
(seconds, any monotonic origin).  :class:`~nodemap.transports.gvcp.client.GvcpClient`
is the shell around it: a socket, the kernel's receive timeout and a lock.

One operation at a time::

    raw = session.request(lambda rid: p.ReadMemCmd(rid, 0x100, 536), now, expect_length=540)
    # or the fast path: session.read_register(address, now) / write_register(...)
    send(raw)                    # then receive for session.window seconds at most
    session.on_datagram(data, now)  -> Matched | Stale | Pending | Malformed | Mismatched
    session.on_timeout(now)         -> Retry(data) | GiveUp(reason)

* **Request ids** are non-zero and wrap 0xFFFF → 1 (:func:`next_request_id`, the one
  place that wraps them).  A retry resends the identical bytes, same id.
* **Ack matching**: an ack is accepted only if its id, code and (for a success with a
  known size) length match.  A datagram of an older id is :class:`Stale` and dropped; a
  wrong code or length is :class:`Mismatched`; bytes that do not decode are
  :class:`Malformed`; PENDING_ACK is :class:`Pending`: the wait extends by the time the
  device announces, but never beyond the operation's overall deadline.
* **Retransmission timer** (:class:`RetransmitTimer`): the retransmission timeout (RTO)
  comes from measured round trips in the manner of RFC 6298 (SRTT/RTTVAR, clamped to
  ``[min_rto, max_rto]``), sampled only from operations answered on their first send
  (Karn's rule: a retried request's ack cannot tell which send it answers): every one
  of the first eight, then one in eight (as TCP times one segment per window), which
  keeps the estimator off the hot path.  Each retry
  of one operation waits ``backoff`` times longer, up to ``max_backoff`` times the RTO.
  An operation gives up when the device has not answered for ``answer_within`` seconds
  or after ``attempts`` sends; PENDING_ACK pushes that out to at most ``deadline``
  seconds after the operation began.

:meth:`Policy.from_options` maps the URL's ``?timeout=`` / ``?retries=`` onto a fixed
timer (``retries`` sends of ``timeout`` seconds each: the behaviour before the adaptive
timer), and ``?deadline=`` onto the overall cap.
"""

from __future__ import annotations

import math
import struct
from typing import Callable, Union

import attrs

from . import protocol as p

__all__ = [
    "DEFAULT_DEADLINE", "GiveUp", "GvcpSession", "Malformed", "Matched", "MATCHED", "Mismatched",
    "Outcome", "Pending", "Policy", "RetransmitTimer", "Retry", "Stale", "Step",
    "next_request_id",
]

DEFAULT_DEADLINE = 5.0            # seconds: nothing (not even PENDING_ACK) extends an operation beyond
_ACK_HEADER = struct.Struct(">HHHH")
_PENDING = int(p.Cmd.PENDING_ACK)
_SUCCESS = int(p.Status.SUCCESS)
_READREG_ACK = int(p.Cmd.READREG_ACK)
_WRITEREG_ACK = int(p.Cmd.WRITEREG_ACK)
_GRANULARITY = 0.001              # RFC 6298's G: the timer's resolution, seconds
SAMPLE_EVERY = 8                  # once learnt, one round trip in this many is measured
LEARNING_SAMPLES = 8              # the first round trips all are


def next_request_id(req_id: int) -> int:
    """The request id after ``req_id``: 1, 2, … 0xFFFF, then 1 again (never 0)."""
    return req_id % 0xFFFF + 1


# --------------------------------------------------------------------------- policy

@attrs.frozen(slots=True)
class Policy:
    """How long to wait for an ack and when to resend (all times in seconds).

    ``adaptive``: learn the RTO from round trips (else it stays ``initial_rto``).
    ``answer_within``: give up when the device has not answered this long after the
    operation began (None: only ``attempts`` bounds it).  ``deadline``: the overall
    per-operation cap that PENDING_ACK cannot extend past.
    """

    adaptive: bool = True
    initial_rto: float = 0.03
    min_rto: float = 0.02
    max_rto: float = 1.0
    backoff: float = 1.25
    max_backoff: float = 5.0
    attempts: int = 64
    answer_within: float | None = 1.0
    deadline: float = DEFAULT_DEADLINE

    def __attrs_post_init__(self) -> None:
        if not 0 < self.min_rto <= self.initial_rto <= self.max_rto:
            raise ValueError(f"retransmission timeouts need 0 < min_rto ({self.min_rto}) <= "
                             f"initial_rto ({self.initial_rto}) <= max_rto ({self.max_rto})")
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1 (the first send counts)")
        if self.backoff < 1 or self.max_backoff < 1:
            raise ValueError("backoff factors must be at least 1")
        if self.deadline <= 0 or (self.answer_within is not None and self.answer_within <= 0):
            raise ValueError("deadlines must be positive")

    @classmethod
    def from_options(cls, timeout: float | None = None, retries: int | None = None,
                     deadline: float | None = None) -> "Policy":
        """The policy for the URL options ``timeout`` (seconds per attempt), ``retries``
        (attempts) and ``deadline`` (overall seconds per operation).

        Neither ``timeout`` nor ``retries``: the adaptive timer, giving up after one
        second of silence (or ``deadline``, if shorter).  Either of them: a fixed timer
        of ``retries`` (default 3) attempts of ``timeout`` (default 0.2 s) each.
        """
        if deadline is not None and not 0 < float(deadline) <= 86_400:   # nan, inf too
            raise ValueError(f"deadline must be a positive number of seconds (at most a "
                             f"day), not {deadline!r}")
        if timeout is None and retries is None:
            if deadline is None:
                return cls()
            return cls(answer_within=min(1.0, deadline), deadline=deadline)
        t = 0.2 if timeout is None else float(timeout)
        n = 3 if retries is None else int(retries)
        if not t > 0 or not math.isfinite(t):
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        if n < 1:
            raise ValueError("retries must be at least 1 (the number of attempts)")
        cap = max(DEFAULT_DEADLINE, t * n) if deadline is None else float(deadline)
        return cls(adaptive=False, initial_rto=t, min_rto=t, max_rto=t, backoff=1.0,
                   max_backoff=1.0, attempts=n, answer_within=None, deadline=cap)


@attrs.define(slots=True)
class RetransmitTimer:
    """The RTO learnt from round-trip samples (RFC 6298 §2, clamped)."""

    policy: Policy
    srtt: float | None = None
    rttvar: float = 0.0
    rto: float = attrs.field(default=0.0)
    samples: int = 0

    def __attrs_post_init__(self) -> None:
        self.rto = self.policy.initial_rto

    def observe(self, rtt: float) -> None:
        """One measured round trip (seconds) of a request answered on its first send."""
        policy = self.policy
        if not policy.adaptive:
            return
        if rtt < 0:
            rtt = 0.0
        srtt = self.srtt
        if srtt is None:
            srtt = rtt
            self.rttvar = rtt / 2
        else:
            self.rttvar = 0.75 * self.rttvar + 0.25 * abs(srtt - rtt)
            srtt = 0.875 * srtt + 0.125 * rtt
        self.srtt = srtt
        self.samples += 1
        rto = srtt + max(_GRANULARITY, 4 * self.rttvar)
        if rto <= policy.min_rto:
            self.rto = policy.min_rto
        else:
            # Whole milliseconds, so that a wobbling estimate does not change the socket's
            # receive timeout on every operation.
            self.rto = min(policy.max_rto, math.ceil(rto * 1000) / 1000)

    def wait(self, attempt: int) -> float:
        """How long attempt ``attempt`` (0 = the first send) of an operation waits."""
        policy = self.policy
        if not attempt:
            return self.rto
        return self.rto * min(policy.backoff ** attempt, policy.max_backoff)


# --------------------------------------------------------------------------- outcomes

@attrs.frozen(slots=True)
class Matched:
    """The ack of the operation: it is over.  ``ack`` is None when the datagram was the
    exact success ack the fast path expects (not decoded: see :func:`protocol.u32_at`)."""

    ack: p.Ack | None = None


MATCHED = Matched()


@attrs.frozen(slots=True)
class Stale:
    """An ack of an earlier request id (a late or duplicated answer): dropped."""

    req_id: int


@attrs.frozen(slots=True)
class Pending:
    """PENDING_ACK: the device needs more time; keep waiting until ``until``."""

    ack: p.PendingAck
    until: float


@attrs.frozen(slots=True)
class Malformed:
    """Bytes that are no GVCP ack: dropped."""

    reason: str


@attrs.frozen(slots=True)
class Mismatched:
    """An ack with this operation's id but the wrong code or length: dropped."""

    reason: str


@attrs.frozen(slots=True)
class Retry:
    """Resend ``data`` (the identical request) and wait ``wait`` seconds for its ack."""

    data: bytes
    attempt: int
    wait: float


@attrs.frozen(slots=True)
class GiveUp:
    """The operation failed: ``reason`` says why, ``command`` what was asked;
    ``pending`` is true when the device kept answering PENDING_ACK."""

    reason: str
    command: str
    attempts: int
    pending: bool = False


Outcome = Union[Matched, Stale, Pending, Malformed, Mismatched]
Step = Union[Retry, GiveUp]


# --------------------------------------------------------------------------- session

class GvcpSession:
    """The command/ack state of one GVCP device (see the module docstring)."""

    __slots__ = ("policy", "timer", "req_id", "stats", "active", "raw", "_rid", "_want",
                 "_expect", "_exact", "_exact_size", "_started", "_attempt", "expires_at", "window",
                 "_within", "_extended_to", "_pendings", "_last_pending_ms", "_dropped",
                 "_until_sample")

    def __init__(self, policy: Policy | None = None) -> None:
        self.policy = policy or Policy()
        self.timer = RetransmitTimer(self.policy)
        self.req_id = 0                 # the last id used
        self.stats = {"sent": 0, "retries": 0, "stale": 0, "mismatched": 0, "malformed": 0,
                      "pending": 0}
        self.active = False
        self.raw = b""
        self._rid = 0
        self._want: int | None = None
        self._expect: int | None = None
        self._exact = b""
        self._exact_size = -1
        self._started = 0.0
        self._attempt = 0
        self.expires_at = 0.0           # when the current attempt's wait ends
        self.window = self.timer.rto    # the current attempt's whole wait, from its send
        within = self.policy.answer_within
        self._within = math.inf if within is None else within
        self._extended_to = 0.0         # how far PENDING_ACKs pushed the give-up time
        self._until_sample = 1 if self.policy.adaptive else -1   # -1: never
        self._pendings = 0
        self._last_pending_ms = 0
        self._dropped = 0

    # ------------------------------------------------------------------ starting

    def next_id(self) -> int:
        """Take the next request id (for commands sent outside an operation)."""
        self.req_id = rid = next_request_id(self.req_id)
        return rid

    def request(self, build: Callable[[int], p.Command], now: float, *,
                expect_length: int | None = None, fast: bool = True) -> bytes:
        """Start an operation: the command ``build(req_id)`` for a fresh id; returns its
        bytes.  ``expect_length``: the payload length a success ack must have; ``fast``:
        accept that exact success ack by its header bytes without decoding it."""
        self.req_id = rid = next_request_id(self.req_id)
        cmd = build(rid)
        raw = cmd.encode()
        self._begin(rid, raw, p.expected_ack(cmd.code), expect_length, now, fast)
        return raw

    def read_register(self, address: int, now: float, fast: bool = True) -> bytes:
        """Start a one-register READREG (the hot path: one precompiled pack)."""
        self.req_id = rid = next_request_id(self.req_id)
        raw = p.encode_readreg1(rid, address)
        self._begin(rid, raw, _READREG_ACK, 4, now, fast)
        return raw

    def write_register(self, address: int, value: int, now: float, fast: bool = True) -> bytes:
        """Start a one-register WRITEREG of ``value`` (masked to 32 bits)."""
        self.req_id = rid = next_request_id(self.req_id)
        raw = p.encode_writereg1(rid, address, value & 0xFFFFFFFF)
        self._begin(rid, raw, _WRITEREG_ACK, 4, now, fast)
        return raw

    def _begin(self, rid: int, raw: bytes, want: int | None, expect: int | None, now: float,
               fast: bool) -> None:
        self.active = True
        self.raw = raw
        self._rid = rid
        self._want = want
        self._expect = expect
        if fast and want is not None and expect is not None:
            self._exact = _ACK_HEADER.pack(_SUCCESS, want, expect, rid)
            self._exact_size = 8 + expect
        else:
            self._exact, self._exact_size = b"", -1   # no datagram has length -1
        self._started = now
        self._attempt = 0
        self._extended_to = 0.0
        self._pendings = self._dropped = 0
        wait = self.timer.rto
        if wait > self._within:
            wait = self._within
        self.window = wait
        self.expires_at = now + wait
        self.stats["sent"] += 1

    # ------------------------------------------------------------------ waiting

    def wait_for(self, now: float) -> float:
        """Seconds the current attempt may still wait for its ack (≤ 0: time out now)."""
        return self.expires_at - now

    def on_datagram(self, data: bytes, now: float) -> Outcome:
        """Classify one received datagram; :class:`Matched` ends the operation."""
        if len(data) == self._exact_size and data.startswith(self._exact):
            self.active = False
            self._exact_size = -1                          # a duplicate is stale
            if not self._attempt:                          # Karn: first sends only
                n = self._until_sample - 1
                if n:
                    self._until_sample = n
                else:
                    self._sample(now)
            return MATCHED
        return self._classify(data, now)

    def _classify(self, data: bytes, now: float) -> Outcome:
        stats = self.stats
        if not self.active:
            stats["stale"] += 1
            rid = _ACK_HEADER.unpack_from(data)[3] if len(data) >= 8 else 0
            return Stale(rid)
        want = self._want
        if len(data) >= 8:
            status, code, length, rid = _ACK_HEADER.unpack_from(data)
            if rid != self._rid:
                stats["stale"] += 1
                self._dropped += 1
                return Stale(rid)
            if code != want and code != _PENDING:
                stats["mismatched"] += 1
                self._dropped += 1
                return Mismatched(f"ack 0x{code:04X} for id {rid} (expected 0x{want or 0:04X})")
            expect = self._expect
            if code == want and status == _SUCCESS and expect is not None and length != expect:
                stats["mismatched"] += 1
                self._dropped += 1
                return Mismatched(f"ack id {rid} with length {length} (expected {expect})")
        try:
            ack = p.decode_ack(data)
        except p.GvcpCodecError as exc:
            stats["malformed"] += 1
            self._dropped += 1
            return Malformed(str(exc))
        if isinstance(ack, p.PendingAck):
            stats["pending"] += 1
            self._pendings += 1
            self._last_pending_ms = ack.time_ms
            until = now + ack.time_ms / 1000 + self.timer.wait(self._attempt)
            cap = self._started + self.policy.deadline
            if until > cap:
                until = cap
            if until > self._extended_to:
                self._extended_to = until
            self.expires_at = until
            return Pending(ack, until)
        self.active = False
        self._exact_size = -1
        if not self._attempt:
            n = self._until_sample - 1
            if n:
                self._until_sample = n
            else:
                self._sample(now)
        return Matched(ack)

    def _sample(self, now: float) -> None:
        timer = self.timer
        timer.observe(now - self._started)
        self._until_sample = 1 if timer.samples < LEARNING_SAMPLES else SAMPLE_EVERY

    def on_timeout(self, now: float) -> Step:
        """The current attempt's wait ended without the ack: resend or give up."""
        sends = self._attempt + 1
        policy = self.policy
        give_up_at = max(self._started + self._within, self._extended_to)
        cap = self._started + policy.deadline
        if give_up_at > cap:
            give_up_at = cap
        wait = 0.0
        if self.active and sends < policy.attempts and now < give_up_at:
            wait = self.timer.wait(sends)
            if now + wait > give_up_at:
                wait = give_up_at - now
        if wait <= 0:
            self.active = False
            return self._give_up(now, sends)
        self._attempt = sends
        self.window = wait
        self.expires_at = now + wait
        self.stats["retries"] += 1
        self.stats["sent"] += 1
        return Retry(self.raw, sends, wait)

    def _give_up(self, now: float, sends: int) -> GiveUp:
        elapsed = (now - self._started) * 1000
        command = self.describe()
        if self._pendings:
            return GiveUp(
                f"the device answered only PENDING_ACK ({self._pendings}×, the last announcing "
                f"{self._last_pending_ms} ms more) for {elapsed:.0f} ms and reached the overall "
                f"deadline of {self.policy.deadline:g} s", command, sends, True)
        dropped = (f"; {self._dropped} unusable datagram(s) dropped (stale, mismatched or "
                   "malformed)") if self._dropped else ""
        return GiveUp(f"after {sends} attempt(s) over {elapsed:.0f} ms{dropped}", command, sends)

    def describe(self) -> str:
        """The current (or last) request in the annotated log form."""
        try:
            return str(p.decode_command(self.raw))
        except p.GvcpCodecError:
            return self.raw[:16].hex(" ")
