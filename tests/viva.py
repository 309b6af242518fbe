"""viva-genicam's FakeGigeCamera, the independent GigE Vision peer (streams, resends, chunks,
events): started on a loopback address of this run and stopped after; skip (fail in CI)
when the wheel is missing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.addresses import loopback
from tests.peers import missing


def fake_camera_class() -> Any:
    """``viva_genicam.testing.FakeGigeCamera``, or skip/fail."""
    try:
        from viva_genicam.testing import FakeGigeCamera
    except ImportError as exc:
        missing(f"viva-genicam is not installed (pip install viva-genicam): {exc}")
    return FakeGigeCamera


@contextmanager
def viva_camera(width: int = 64, height: int = 48, fps: int = 30,
                **options: Any) -> Iterator[str]:
    """A running FakeGigeCamera (``options``: packet_resend, drop_packets …); yields its
    address (open it as ``gvcp://ADDRESS``)."""
    fake_class = fake_camera_class()
    address = loopback()
    fake = fake_class(width=width, height=height, fps=fps, bind_ip=address, **options)
    fake.start()
    try:
        yield address
    finally:
        fake.stop()
