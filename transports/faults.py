"""Seeded fault injection for every simulator (gvcp, fcb, sxh485).

One :class:`Faults` object describes what a simulated device does wrong:

* per-packet probabilities, drawn from an RNG seeded by ``seed`` so that a failing
  test replays: ``drop`` (the packet is lost), ``duplicate`` (delivered twice),
  ``corrupt`` (damaged in a way the protocol detects), ``noise`` (random bytes before
  it, on serial lines) and ``delay`` (``delay_s`` seconds late); ``incoming`` /
  ``outgoing`` say which directions a datagram simulator applies them to;
* scripted one-shot drops: :meth:`drop_next` ("drop the next ACK"), consumed by
  :meth:`take_drop` as replies of that kind go out;
* switches a test flips while the simulator runs: ``silent`` (nothing is sent) and
  ``hold`` (commands never finish).

:meth:`packet` rolls the per-packet faults for one packet and returns its
:class:`Fate`; :meth:`apply` does the same for a byte stream and returns the bytes to
put on the line.  How a packet is corrupted is protocol business: the simulator may
pass its own corrupter (the default flips one byte).  Pure: no I/O, no clock; the
scripted drops are safe to add from another thread (single list operations).
"""

from __future__ import annotations

import random
from typing import Callable

import attrs

__all__ = ["Corrupter", "Fate", "Faults", "REPLY_KINDS", "flip_one_byte"]

#: The kinds of reply :meth:`Faults.drop_next` can target ("any" matches every kind).
REPLY_KINDS = ("any", "ack", "completion", "inquiry", "error")

Corrupter = Callable[[bytes, random.Random], bytes]


def flip_one_byte(data: bytes, rng: random.Random) -> bytes:
    """Damage one byte (a serial frame's CRC then fails)."""
    if not data:
        return data
    damaged = bytearray(data)
    damaged[rng.randrange(len(damaged))] ^= rng.randrange(1, 256)
    return bytes(damaged)


@attrs.frozen(slots=True)
class Fate:
    """What happens to one packet: ``copies`` (0 = lost) of ``data`` (maybe damaged),
    ``noise`` bytes sent before it, ``delay`` seconds late."""

    copies: int
    data: bytes
    corrupted: bool = False
    noise: bytes = b""
    delay: float = 0.0

    @property
    def dropped(self) -> bool:
        return self.copies == 0

    @property
    def duplicated(self) -> bool:
        return self.copies > 1


@attrs.define(slots=True)
class Faults:
    """Fault injection settings and their seeded RNG (see the module docstring)."""

    drop: float = 0.0
    duplicate: float = 0.0
    delay: float = 0.0
    corrupt: float = 0.0
    noise: float = 0.0
    delay_s: float = 0.005
    noise_max: int = 8
    seed: int = 0
    incoming: bool = True
    outgoing: bool = True
    silent: bool = False
    hold: bool = False
    drops: list[str] = attrs.Factory(list)
    rng: random.Random = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        for name in ("drop", "duplicate", "delay", "corrupt", "noise"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"fault probability {name}={value} is not between 0 and 1")
        self.rng = random.Random(self.seed)

    @property
    def active(self) -> bool:
        """Any per-packet fault configured."""
        return bool(self.drop or self.duplicate or self.delay or self.corrupt or self.noise)

    def roll(self, probability: float) -> bool:
        """True with ``probability`` (no draw at all when it is 0)."""
        return probability > 0 and self.rng.random() < probability

    # ------------------------------------------------------------------ per packet

    def packet(self, data: bytes, corrupter: Corrupter = flip_one_byte) -> Fate:
        """Roll drop, duplicate, corrupt, noise and delay for one packet."""
        if not self.active:
            return Fate(1, data)
        if self.roll(self.drop):
            return Fate(0, data)
        copies = 2 if self.roll(self.duplicate) else 1
        corrupted = self.roll(self.corrupt)
        if corrupted:
            data = corrupter(data, self.rng)
        noise = b""
        if self.roll(self.noise):
            rng = self.rng
            noise = bytes(rng.randrange(256) for _ in range(rng.randrange(1, self.noise_max + 1)))
        delay = self.delay_s if self.roll(self.delay) else 0.0
        return Fate(copies, data, corrupted, noise, delay)

    def apply(self, raw: bytes, corrupter: Corrupter = flip_one_byte) -> bytes:
        """The bytes a serial line carries for packet ``raw``: nothing when it is lost,
        noise and damage as rolled, twice when duplicated."""
        fate = self.packet(raw, corrupter)
        return (fate.noise + fate.data) * fate.copies

    # ------------------------------------------------------------------ scripted

    def drop_next(self, kind: str = "any", count: int = 1) -> None:
        """Drop the next ``count`` replies of ``kind`` (one of :data:`REPLY_KINDS`)."""
        if kind not in REPLY_KINDS:
            raise ValueError(f"unknown reply kind {kind!r}; use one of {', '.join(REPLY_KINDS)}")
        self.drops.extend([kind] * count)

    def take_drop(self, kind: str) -> bool:
        """Whether a reply of ``kind`` going out now is one scripted to be dropped."""
        for wanted in tuple(self.drops):
            if wanted in ("any", kind):
                try:
                    self.drops.remove(wanted)
                except ValueError:      # taken meanwhile by another thread
                    continue
                return True
        return False
