"""``forum api docs``: regenerate the API reference in docs/integrations-api.md."""

from __future__ import annotations

import click
from flask import current_app

from forum.api import api_cli, reference


@api_cli.cli.command("docs")
@click.option("--check", is_flag=True, help="Fail (exit 1) when the committed reference is out of date.")
def docs(check: bool) -> None:
    """Write the API reference generated from the OpenAPI document."""
    text = reference.DOC.read_text() if reference.DOC.exists() else "# Integrations: the JSON API\n"
    new = reference.updated(text, reference.render(reference.spec_dict(current_app)))
    if check:
        if new != text:
            raise click.ClickException("docs/integrations-api.md is out of date: run `forum api docs`.")
        click.echo("docs/integrations-api.md is up to date.")
        return
    reference.DOC.write_text(new)
    click.echo(f"wrote {reference.DOC}")
