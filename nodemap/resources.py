"""The XML descriptions this project ships (``xml/`` in the repository).

They are installed as the package data ``nodemap.descriptions`` and read with
:mod:`importlib.resources`, so a wheel, an editable install and a ``--user`` install
all find them the same way.  (An editable install is the one exception: setuptools'
editable finder cannot map a nested namespace package, so a source checkout reads the
repository's ``xml/`` folder beside the ``nodemap`` package.)
"""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

__all__ = ["description_path", "read_description", "shipped_descriptions"]

_PACKAGE = "nodemap.descriptions"


def _folder() -> Traversable:
    try:
        return resources.files(_PACKAGE)
    except ModuleNotFoundError:
        checkout = Path(__file__).resolve().parent.parent / "xml"
        if checkout.is_dir():
            return checkout
        raise FileNotFoundError(
            f"the package data {_PACKAGE} is missing: reinstall nodemap") from None


def description_path(name: str) -> Traversable:
    """The shipped description ``name`` (e.g. ``"sony-fcb.xml"``) as a Traversable
    (a ``pathlib.Path`` in every ordinary install)."""
    candidate = _folder() / name
    if "/" in name or "\\" in name or not candidate.is_file():
        raise FileNotFoundError(
            f"shipped description {name!r} not found; the package data {_PACKAGE} has "
            f"{', '.join(shipped_descriptions())}")
    return candidate


def read_description(name: str) -> bytes:
    """The bytes of a shipped description."""
    return description_path(name).read_bytes()


def shipped_descriptions() -> list[str]:
    """The names of every shipped description."""
    return sorted(entry.name for entry in _folder().iterdir() if entry.name.endswith(".xml"))
