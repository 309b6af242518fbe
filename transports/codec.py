"""The one exception the transports' sans-IO codecs raise: :class:`CodecError`.

The codecs and sessions (``gvcp.protocol``, ``gvcp.session``, ``fcb.protocol``,
``fcb.session``, ``sxh485.protocol``, ``vs1.protocol``) import nothing of the GenApi
engine: bytes that do not decode, values that do not encode and addresses that map to
nothing raise a subclass of :class:`CodecError` (a ``ValueError``), one per codec.  The
shells around them (clients, buses, ports, links, simulators) translate these into the
engine's :mod:`nodemap.errors` types that users see, adding what the codec cannot know
(which feature, which device, what to do).

Anyone decoding captured bytes without a shell (``nodemap decode``) catches
:class:`CodecError`.
"""

from __future__ import annotations

__all__ = ["CodecError"]


class CodecError(ValueError):
    """Bytes or values a transport codec cannot decode or encode.

    The message says what is wrong with the bytes (truncated, inconsistent, unknown
    code); a shell adds the context (device, feature, remedy).
    """
