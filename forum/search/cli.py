"""``forum search work | reindex | check``."""

from __future__ import annotations

import sys

import click

from forum.search import indexer, search_cli
from forum.search.index import SearchUnavailable


@search_cli.cli.command("work")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between looks at the outbox.")
@click.option("--once", is_flag=True, help="Apply what is pending, then stop.")
def work_command(interval: float, once: bool) -> None:
    """Run the indexer: apply the search outbox to the index (production)."""
    indexer.work(interval=interval, once=once, echo=click.echo)


@search_cli.cli.command("reindex")
def reindex_command() -> None:
    """Rebuild the index from the database in a new folder, then swap it in."""
    from sqlalchemy.orm import Session

    from forum.extensions import db
    from forum.search import documents

    with Session(db.engine) as session:
        total = documents.count_sources(session)
    with click.progressbar(length=total, label="Indexing", file=sys.stderr) as bar:
        try:
            summary = indexer.reindex(on_doc=lambda: bar.update(1))
        except SearchUnavailable as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Indexed {summary['documents']} documents in {summary['seconds']:.1f} s; "
        f"cleared {summary['cleared']} outbox rows, then applied {summary['applied_after']} made during the rebuild."
    )


@search_cli.cli.command("check")
@click.option("--show", default=20, show_default=True, help="How many ids to list per problem.")
def check_command(show: int) -> None:
    """Compare the index with the database; exits 1 on missing, stale, extra or duplicate documents."""
    try:
        report = indexer.check()
    except SearchUnavailable as exc:
        raise click.ClickException(f"search index unavailable: {exc}") from exc
    click.echo(f"{report['expected']} documents expected, {report['indexed']} in the index, "
               f"{report['pending']} outbox rows pending.")
    problems = 0
    for name in ("missing", "stale", "extra", "duplicate"):
        ids = report[name]
        problems += len(ids)
        if ids:
            more = f" (and {len(ids) - show} more)" if len(ids) > show else ""
            click.echo(f"{name}: {len(ids)}: {' '.join(ids[:show])}{more}")
    if problems:
        click.echo("The index is out of step: run `forum search reindex`.")
        sys.exit(1)
    click.echo("The index matches the database.")
