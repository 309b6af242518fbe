"""Vendor XML authoring tools: build, lint, visualise and prove a GenApi description.

* :mod:`.builder` - a Python API that emits schema-ordered GenApi 1.1 XML;
* :mod:`.lint`    - ``lint(source) -> list[Finding]`` with line numbers and severities;
* :mod:`.schema`  - the schema's element order per node type (verified against the reference);
* :mod:`.inverse` - Converter inverse derivation with sympy;
* :mod:`.graph`   - dependency graph export (DOT, SVG/PNG through Graphviz);
* :mod:`.cli`     - the ``lint`` and ``graph`` click commands.

This package is the only place sympy is imported, and only inside the functions that
need it: importing ``nodemap`` never imports this package, and importing the linter
does not import sympy.
"""

from __future__ import annotations

__all__ = ["builder", "lint", "schema", "inverse", "graph", "cli"]
