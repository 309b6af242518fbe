"""The invalidation scenarios of tests/core/test_invalidation_graph.py against the
reference: after each selector write, both sides re-read the same registers (a counting
port on each side over the same memory) and read the same values."""

from __future__ import annotations

from typing import Any

import pytest

from tests.core.test_invalidation_graph import (FAILING_CONDITION, INVALIDATOR_CHAIN, SELECTED,
                                                SHARED_REGISTER)
from tests.core.xmlkit import description
from tests.peers import require_genicam

from . import oracle
from .memory import SparseMemory

SCENARIOS = {
    "selected": (SELECTED, "S", [1, 2, 3, 1], ["S", "F1", "I1", "R1", "R2", "R3", "R5", "R6"]),
    "invalidator-chain": (INVALIDATOR_CHAIN, "S", [1, 2, 3, 1], ["R1", "R2", "R3", "Far"]),
    "shared-register": (SHARED_REGISTER, "A", [1, 2, 3, 1],
                        ["A", "B", "FA", "FB", "FAX", "G"]),
}


def _run(side: str, body: str, selector: str, values: list[int], names: list[str]
         ) -> list[tuple[list[int], list[Any]]]:
    memory = SparseMemory("zero")
    log = memory.log_reads()
    xml = description(body)
    if side == "reference":
        nm = oracle.load_reference(xml, memory, "Device")
        get = nm.get_node
    else:
        ours = oracle.load_ours(xml, memory, "Device")
        get = ours.features.__getitem__

    def values_now() -> list[Any]:
        out = []
        for name in names:
            try:
                out.append(get(name).value)
            except Exception as exc:  # both sides' errors compare by kind only
                out.append("error" if "Access" in type(exc).__name__ else repr(exc))
        return out

    values_now()
    steps = []
    for value in values:
        log.clear()
        get(selector).value = value
        steps.append((sorted(set(log)), values_now()))
    return steps


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_selector_writes_re_read_what_the_reference_re_reads(scenario: str) -> None:
    require_genicam()
    body, selector, values, names = SCENARIOS[scenario]
    ours = _run("ours", body, selector, values, names)
    reference = _run("reference", body, selector, values, names)
    assert ours == reference


def test_a_failed_condition_comes_back_as_in_the_reference() -> None:
    """A condition whose reading fails raises from the first access read, then the
    node answers the access it started from until invalidated (here through the
    selector that selects it): both sides, step by step."""
    require_genicam()
    runs = {}
    for side in ("ours", "reference"):
        xml = description(FAILING_CONDITION)
        if side == "reference":
            nm = oracle.load_reference(xml, SparseMemory("zero"), "Device")
            get = nm.get_node
            access = lambda: oracle._access_name(get("F").node.get_access_mode())  # noqa: E731
        else:
            ours = oracle.load_ours(xml, SparseMemory("zero"), "Device")
            get = ours.features.__getitem__
            access = lambda: get("F").access  # noqa: E731
        steps: list[Any] = []
        for write in (None, 1, 2):
            if write is not None:
                get("S").value = write
            for read in (access, access, lambda: get("F").value):
                try:
                    steps.append(read())
                except Exception:  # the kinds differ by side; that it fails is the point
                    steps.append("error")
        runs[side] = steps
    assert runs["ours"] == runs["reference"]
