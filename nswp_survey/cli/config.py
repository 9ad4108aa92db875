"""`nswp-survey config`: the resolved configuration."""

from __future__ import annotations

import json

import click
from rich.markup import escape
from rich.table import Table

from nswp_survey.cli.app import (
    AppContext,
    cli,
    pass_app,
)
from nswp_survey.console import out_console


@cli.group()
def config() -> None:
    """Inspect the configuration."""


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_app
def config_show(app: AppContext, as_json: bool) -> None:
    """Print the resolved configuration, the token masked.

    \b
    Example:
      nswp-survey --config config/nswp-survey.toml config show
    """
    settings = app.settings()
    data = settings.as_dict()
    if as_json:
        click.echo(json.dumps({"source": settings.source, **data}, indent=2, default=str))
        return
    table = Table(title=f"configuration ({settings.source or 'built-in defaults'})")
    table.add_column("key")
    table.add_column("value")
    for section, values in data.items():
        for key, value in values.items():
            table.add_row(f"{section}.{key}", escape(str(value)))
    out_console.print(table)
