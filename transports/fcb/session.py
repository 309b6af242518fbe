"""VISCA session of one camera: sockets, reply matching, re-sends — no I/O.

The h11 pattern for VISCA.  VISCA has no request ids, so this object keeps a camera's
line unambiguous, and touches no serial port, clock or thread (time is passed in as
``now``).  :class:`~nodemap.transports.fcb.bus.CameraSession` is the shell around it: the
bus's reader thread feeds replies in, callers wait on a condition variable.

* One :class:`Request` at a time awaits its *first* reply (ACK, inquiry answer or
  error): :meth:`ViscaSession.start` → send → :meth:`~ViscaSession.on_reply` until
  ``request.answered`` or :meth:`~ViscaSession.on_timeout` says :class:`Resend` (the same
  packet, up to ``retries`` times) or :class:`GiveUp`; then :meth:`~ViscaSession.finish`.
* At most two commands hold sockets (the camera's two command buffers):
  :meth:`~ViscaSession.can_reserve` / :meth:`~ViscaSession.reserve` keep a third one
  waiting instead of provoking "buffer full"; a "buffer full" that happens anyway (after
  a lost reply) is retried once a socket frees (:meth:`~ViscaSession.after_command`).
* Completions and errors are matched to :class:`Job` s by socket number, so two
  commands can run at once.
* A request that was re-sent owes late first replies (duplicates of its answer): the
  next request waits up to two ``timeout`` until they drained
  (:meth:`~ViscaSession.quiet_wait`), so none is taken for its own answer.  A late ACK
  of a re-sent command is tracked as a job on its socket, so its completion cannot be
  taken for another command's.
"""

from __future__ import annotations

import enum
from typing import Any, Union

import attrs

from . import protocol as p

__all__ = ["BUFFER_FULL_RETRIES", "Failed", "GiveUp", "Job", "Kind", "Request", "Resend",
           "RetryLater", "Routed", "Started", "ViscaSession"]

BUFFER_FULL_RETRIES = 20       # "buffer full" answers retried per command, at most
BUFFER_FULL_WAIT = 0.2         # seconds to wait for a completion before retrying, at most
SOCKETS = 2                    # command buffers of a camera


class Kind(enum.Enum):
    """What a request is, which decides which first reply answers it."""

    COMMAND = "command"        # 8X 01 ..: ACK (a socket), or a completion without ACK
    INQUIRY = "inquiry"        # 8X 09 ..: Y0 50 data FF
    CANCEL = "cancel"          # 8X 2z: error 04 (cancelled) or 05 (no socket) on z
    PLAIN = "plain"            # IF_Clear: a completion, no ACK


@attrs.define(slots=True, eq=False)
class Job:
    """A command that holds (or held) a camera socket."""

    socket: int
    label: str
    key: Any = None
    value: int = 0
    sent_at: float = 0.0
    error: p.ErrorReply | None = None
    lost: bool = False
    lost_reason: str = ""
    done: bool = False

    def finish(self, error: p.ErrorReply | None = None) -> None:
        self.error = error
        self.done = True

    def abandon(self, reason: str) -> None:
        """End the job without a reply from the camera."""
        self.lost = True
        self.lost_reason = reason
        self.done = True

    def __repr__(self) -> str:
        state = ("lost" if self.lost else "failed" if self.error else
                 "done" if self.done else "busy")
        return f"<Job {self.label} socket {self.socket} {state}>"


Answer = Union[Job, p.Completion, p.ErrorReply]


@attrs.define(slots=True, eq=False)
class Request:
    """One packet awaiting its first reply; ``result`` is that reply (an ACK becomes the
    :class:`Job` on its socket)."""

    kind: Kind
    label: str
    packet: bytes
    key: Any = None
    value: int = 0
    socket: int = 0            # CANCEL: the socket being cancelled
    sends: int = 0
    expires_at: float = 0.0
    result: Answer | None = None

    @property
    def answered(self) -> bool:
        return self.result is not None


class Routed(enum.Enum):
    """Where :meth:`ViscaSession.on_reply` put a reply."""

    ANSWERED = "answered the pending request"
    JOB_DONE = "completed a job"
    JOB_FAILED = "ended a job with an error"
    LATE_ACK = "late ACK of a re-sent command (tracked as a job)"
    STRAY = "stray reply (dropped)"
    NETWORK_CHANGE = "network change"


@attrs.frozen(slots=True)
class Resend:
    """No reply in time: send ``packet`` again (attempt number ``attempt``)."""

    packet: bytes
    attempt: int


@attrs.frozen(slots=True)
class GiveUp:
    """No reply after ``attempts`` sends of ``timeout`` seconds each."""

    attempts: int
    timeout: float


@attrs.frozen(slots=True)
class Started:
    """The command runs on ``job.socket`` (0: it completed without an ACK)."""

    job: Job


@attrs.frozen(slots=True)
class RetryLater:
    """"Buffer full" although we knew of no busy socket: wait ``wait`` s (or for a
    completion), then send the command again."""

    wait: float


@attrs.frozen(slots=True)
class Failed:
    """The camera refused the command."""

    error: p.ErrorReply


class ViscaSession:
    """The state of one camera address (see the module docstring)."""

    def __init__(self, address: int, *, timeout: float = 1.0, retries: int = 2,
                 completion_timeout: float = 15.0) -> None:
        self.address = address
        self.timeout = timeout
        self.retries = retries
        self.completion_timeout = completion_timeout
        self.pending: Request | None = None
        self.jobs: dict[int, Job] = {}
        self.reserved = 0
        self.late_replies = 0          # first replies still owed to re-sent packets
        self.quiet_until = 0.0
        self.network_changes = 0

    # ------------------------------------------------------------ requests

    def quiet_wait(self, now: float) -> float:
        """Seconds to wait before the next request may start (late replies draining)."""
        if self.late_replies <= 0:
            return 0.0
        left = self.quiet_until - now
        if left <= 0:
            self.late_replies = 0
            return 0.0
        return left

    def start(self, request: Request, now: float) -> bytes:
        """Make ``request`` the pending one; returns the packet to send."""
        if self.pending is not None:
            raise RuntimeError(f"camera {self.address}: {self.pending.label} still awaits its "
                               f"reply; one request at a time")
        request.result = None
        request.sends = 1
        request.expires_at = now + self.timeout
        self.pending = request
        return request.packet

    def wait_for(self, now: float) -> float:
        """Seconds the pending request's current send may still wait."""
        return self.pending.expires_at - now if self.pending is not None else 0.0

    def on_timeout(self, now: float) -> Resend | GiveUp:
        """The current send got no reply in time."""
        request = self.pending
        if request is None:
            raise RuntimeError(f"camera {self.address}: no request is pending")
        if request.sends < self.retries + 1:
            request.sends += 1
            request.expires_at = now + self.timeout
            return Resend(request.packet, request.sends)
        return GiveUp(request.sends, self.timeout)

    def finish(self, now: float) -> Answer | None:
        """End the pending request; returns its answer (None: none came).  Every send
        beyond the answered one owes a late reply, drained before the next request."""
        request = self.pending
        if request is None:
            return None
        self.pending = None
        late = request.sends - (1 if request.result is not None else 0)
        if late > 0:
            self.late_replies = late
            self.quiet_until = now + 2 * self.timeout
        return request.result

    # ------------------------------------------------------------ sockets

    def can_reserve(self) -> bool:
        """Whether a command may be sent now without overfilling the two sockets."""
        return len(self.jobs) + self.reserved < SOCKETS

    def reserve(self) -> None:
        self.reserved += 1

    def unreserve(self) -> None:
        self.reserved = max(0, self.reserved - 1)

    def expire_stale(self, now: float, age: float) -> list[Job]:
        """Free the sockets of jobs older than ``age`` s (their completion was lost)."""
        expired = []
        for socket, job in list(self.jobs.items()):
            if now - job.sent_at > age:
                job.abandon("no completion")
                del self.jobs[socket]
                expired.append(job)
        return expired

    def forget(self, job: Job, reason: str) -> None:
        """Stop waiting for ``job``'s completion (it is abandoned with ``reason``)."""
        if self.jobs.get(job.socket) is job:
            del self.jobs[job.socket]
        job.abandon(reason)

    def clear_jobs(self, reason: str) -> list[Job]:
        """Every job ends without a reply (IF_Clear, a broken line)."""
        jobs = list(self.jobs.values())
        for job in jobs:
            job.abandon(reason)
        self.jobs.clear()
        return jobs

    def job_for(self, key: Any) -> Job | None:
        """The busy job started for ``key`` (a register address), if any."""
        for job in self.jobs.values():
            if job.key == key:
                return job
        return None

    def after_command(self, request: Request, answer: Answer, attempt: int, now: float,
                      deadline: float) -> Started | RetryLater | Failed:
        """What the first reply to a command means.  ``attempt``: how many "buffer full"
        retries this command had; ``deadline``: when to stop retrying."""
        if isinstance(answer, Job):
            return Started(answer)
        if isinstance(answer, p.ErrorReply):
            if (answer.code == p.ErrorCode.BUFFER_FULL and attempt < BUFFER_FULL_RETRIES
                    and now < deadline):
                return RetryLater(min(self.timeout, BUFFER_FULL_WAIT))
            return Failed(answer)
        job = Job(0, request.label, request.key, request.value, now)   # no ACK: done at once
        job.finish()
        return Started(job)

    # ------------------------------------------------------------ replies

    def on_reply(self, reply: p.Reply, now: float) -> Routed:
        """Route one reply from this camera."""
        pending = self.pending
        # The request still awaiting its answer (None: nothing is waiting).
        waiting = pending if pending is not None and pending.result is None else None
        if isinstance(reply, p.Ack):
            if waiting is not None and waiting.kind is Kind.COMMAND:
                started = Job(reply.socket, waiting.label, waiting.key, waiting.value, now)
                old = self.jobs.get(reply.socket)
                if old is not None:
                    old.abandon("its socket was reused: the completion was lost")
                self.jobs[reply.socket] = started
                self.unreserve()
                waiting.result = started
                return Routed.ANSWERED
            # A late ACK of a re-sent command: the camera holds that socket, so track it;
            # its completion must not be taken for another command's.
            self._late_reply()
            if reply.socket not in self.jobs:
                self.jobs[reply.socket] = Job(reply.socket, "a re-sent command", sent_at=now)
            return Routed.LATE_ACK
        if isinstance(reply, p.Completion):
            job: Job | None = self.jobs.get(reply.socket) if reply.socket else None
            if job is not None:
                del self.jobs[reply.socket]
                job.finish()
                return Routed.JOB_DONE
            if waiting is not None and (
                    (waiting.kind is Kind.INQUIRY and reply.socket == 0 and reply.data)
                    or (waiting.kind in (Kind.COMMAND, Kind.PLAIN) and not reply.data)):
                waiting.result = reply
                return Routed.ANSWERED
            if reply.socket == 0 and pending is None:
                self._late_reply()
            return Routed.STRAY
        if isinstance(reply, p.ErrorReply):
            cancelling = pending is not None and pending.kind is Kind.CANCEL
            routed = Routed.STRAY
            if waiting is not None and cancelling and reply.socket == waiting.socket:
                waiting.result = reply
                routed = Routed.ANSWERED
            job = self.jobs.get(reply.socket) if reply.socket else None
            if job is not None:
                del self.jobs[reply.socket]
                job.finish(reply)
                return Routed.JOB_FAILED
            if waiting is not None and not cancelling:
                waiting.result = reply
                return Routed.ANSWERED
            if pending is None:
                self._late_reply()
            return routed
        if isinstance(reply, p.NetworkChange):
            self.network_changes += 1
            return Routed.NETWORK_CHANGE
        return Routed.STRAY

    def _late_reply(self) -> None:
        """A first reply arrived for a packet that was already answered."""
        if self.late_replies > 0:
            self.late_replies -= 1
