"""Shared pytest configuration: make the repository importable without install."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.aravis import _fake_camera_home, fake_camera  # noqa: E402,F401 - shared fixtures
