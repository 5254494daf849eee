"""``forum topics flush-views``."""

import click

from forum.topics import topics_cli, viewcounts


@topics_cli.cli.command("flush-views")
def flush_views() -> None:
    """Add the buffered topic views to the stored counts (cron, or before a restart)."""
    n = viewcounts.flush_views()
    click.echo(f"Views added to {n} topic{'' if n == 1 else 's'}.")
