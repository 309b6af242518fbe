"""Click commands of the authoring tools: ``lint`` and ``graph``.

They are plain click command objects (``lint_command``, ``graph_command``) that the
``nodemap`` command group adds; they also run on their own
(``python -m nodemap.authoring.cli lint FILE``).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import click

from nodemap.errors import NodeMapError

__all__ = ["lint_command", "graph_command", "main"]


@click.command("lint")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print findings as JSON.")
@click.option("--fix", is_flag=True,
              help="Write each file's nodes with their elements in schema order "
                   "(FILE.fixed.xml unless --in-place).")
@click.option("--in-place", is_flag=True, help="With --fix: overwrite FILE.")
@click.option("--rule", "rules", multiple=True, help="Only report these rule ids.")
@click.option("--min-severity", type=click.Choice(["error", "warning", "info"]),
              default="info", show_default=True, help="Hide findings below this severity.")
def lint_command(files: tuple[str, ...], as_json: bool, fix: bool, in_place: bool,
                 rules: tuple[str, ...], min_severity: str) -> None:
    """Lint GenApi XML descriptions; exit status 1 when an error is found."""
    from .lint import SEVERITIES, fix_order, lint

    limit = SEVERITIES.index(min_severity)
    report: dict[str, list[dict[str, object]]] = {}
    errors = 0
    for name in files:
        path = Path(name)
        if fix:
            fixed, moved = fix_order(path)
            target = path if in_place else path.with_suffix(".fixed.xml")
            target.write_bytes(fixed)
            click.echo(f"{path}: reordered {moved} node(s) -> {target}", err=as_json)
            path = target
        findings = [f for f in lint(path, only=rules or None)
                    if SEVERITIES.index(f.severity) <= limit]
        errors += sum(f.severity == "error" for f in findings)
        if as_json:
            report[name] = [f.to_dict() for f in findings]
            continue
        for finding in findings:
            click.echo(f"{path}:{finding}")
        counts = Counter(f.severity for f in findings)
        click.echo(f"{path}: {counts['error']} error(s), {counts['warning']} warning(s), "
                   f"{counts['info']} info")
    if as_json:
        click.echo(json.dumps(report, indent=2))
    if errors:
        sys.exit(1)


@click.command("graph")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.argument("feature", required=False)
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Output file: .dot, .svg, .png or .pdf (default: DOT on stdout).")
@click.option("--format", "fmt", type=click.Choice(["dot", "svg", "png", "pdf"]),
              help="Output format (default: from the output suffix).")
def graph_command(file: str, feature: str | None, output: str | None, fmt: str | None) -> None:
    """Write the dependency graph of FILE (or of one FEATURE) as DOT, SVG or PNG."""
    from .graph import GraphvizMissing, build_graph, render, to_dot

    try:
        graph = build_graph(Path(file), feature)
    except KeyError as exc:
        raise click.BadParameter(str(exc.args[0]), param_hint="FEATURE") from exc
    except NodeMapError as exc:
        raise click.ClickException(f"{file}: {exc} (check it with: nodemap lint {file})") \
            from exc
    except OSError as exc:
        raise click.ClickException(f"cannot read {file}: {exc.strerror or exc}") from exc
    dot_text = to_dot(graph, title=feature or Path(file).stem)
    if output is None and fmt in (None, "dot"):
        click.echo(dot_text, nl=False)
        return
    if output is None:
        raise click.UsageError("--format svg/png/pdf needs --output FILE")
    try:
        target = render(dot_text, output, fmt)
    except GraphvizMissing as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from exc
    click.echo(f"wrote {target} ({len(graph.nodes)} nodes, {len(graph.edges)} edges)")


@click.group()
def main() -> None:
    """nodemap authoring tools (standalone entry; normally part of ``nodemap``)."""


main.add_command(lint_command)
main.add_command(graph_command)

if __name__ == "__main__":  # pragma: no cover
    main()
