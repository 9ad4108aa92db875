"""`nswp-survey assets`: the forms on the Kobo server."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from nswp_survey.cli.app import (
    AppContext,
    cli,
    pass_app,
    require_token,
)
from nswp_survey.console import out_console


@cli.group()
def assets() -> None:
    """Look at the forms (assets) on the Kobo server."""


@assets.command("list")
@pass_app
def assets_list(app: AppContext) -> None:
    """List the survey assets the token can see, with deployment and submission counts."""
    from nswp_survey.kobo import KoboClient

    settings = app.settings()
    require_token(settings)
    with KoboClient(settings.kobo) as client:
        rows = list(client.assets.list())
    table = Table(title=f"survey assets on {settings.kobo.url}")
    for column in ("uid", "name", "status", "submissions", "modified"):
        table.add_column(column)
    for asset in rows:
        table.add_row(
            asset.uid,
            escape(asset.name),
            asset.deployment_status or "-",
            str(asset.submission_count or 0),
            asset.date_modified.isoformat() if asset.date_modified else "-",
        )
    out_console.print(table)
