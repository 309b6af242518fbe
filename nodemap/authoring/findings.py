"""A lint finding: what every lint rule returns (kept apart so rules need not import the
linter that runs them)."""

from __future__ import annotations

import attrs

__all__ = ["Finding", "SEVERITIES"]

SEVERITIES = ("error", "warning", "info")


@attrs.frozen(slots=True)
class Finding:
    """One lint finding: ``rule`` id, ``severity`` (error/warning/info), message, node, line."""

    rule: str
    severity: str = attrs.field(validator=attrs.validators.in_(SEVERITIES))
    message: str
    node: str = ""
    line: int | None = None

    def to_dict(self) -> dict[str, object]:
        return attrs.asdict(self)

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "-"
        node = f" [{self.node}]" if self.node else ""
        return f"{where}: {self.severity}: {self.rule}:{node} {self.message}"
