"""`nswp-survey deploy`, `forms diff` and `simulate`: the form on the server, and test data."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import click

from nswp_survey.cli.app import (
    AppContext,
    cli,
    forms_on_server,
    open_store,
    pass_app,
    require_token,
)
from nswp_survey.cli.forms import DEFAULT_SURVEY_FORM, forms
from nswp_survey.console import progress_bar, progress_enabled
from nswp_survey.errors import NswpError

_FORM = click.argument(
    "form", type=click.Path(exists=True, dir_okay=False), default=DEFAULT_SURVEY_FORM
)
_ASSET = click.option("--asset", help="Asset uid (default: where this form was deployed before).")


@cli.command()
@_FORM
@_ASSET
@click.option("--dry-run", is_flag=True, help="Say what would happen; send nothing.")
@click.option("--no-odk", is_flag=True, help="Skip ODK Validate (Java) in the check.")
@pass_app
def deploy(app: AppContext, form: str, asset: str | None, dry_run: bool, no_odk: bool) -> None:
    """Check the XLSForm, then create and deploy it on Kobo, or replace and redeploy it.

    The same form (settings form_id) always goes to the same asset, so submissions made
    with earlier versions stay with it; an unchanged form is not sent again. Each deployed
    version is recorded in the database. Exit code 4 when the form fails the check (nothing
    is sent), 3 when the server refuses it.

    \b
    Example:
      nswp-survey deploy forms/annual_member_survey.xlsx --dry-run
    """
    from nswp_survey.deploy import deploy_form
    from nswp_survey.kobo import KoboClient

    settings = app.settings()
    require_token(settings)
    engine = open_store(settings)
    with KoboClient(settings.kobo) as client:
        result = deploy_form(
            client, engine, Path(form), asset_uid=asset, dry_run=dry_run, odk_validate=not no_odk
        )
    where = result.asset_uid or "a new asset"
    version = f", Kobo version {result.version_uid}" if result.version_uid else ""
    click.echo(
        f"{result.action}: {form} (form {result.form_id}, version {result.form_version}) "
        f"-> {where} on {settings.kobo.url}{version}"
    )


@forms.command("diff")
@_FORM
@_ASSET
@pass_app
def forms_diff(app: AppContext, form: str, asset: str | None) -> None:
    """Show what changed between the form deployed on Kobo and the local XLSForm.

    Questions, choices and translations added, removed, renamed, relabelled or retyped,
    one line each.

    \b
    Example:
      nswp-survey forms diff forms/annual_member_survey.xlsx
    """
    from nswp_survey.deploy import diff_deployed
    from nswp_survey.kobo import KoboClient

    settings = app.settings()
    require_token(settings)
    engine = open_store(settings)
    with KoboClient(settings.kobo) as client:
        uid, diff = diff_deployed(client, engine, Path(form), asset_uid=asset)
    if diff.empty:
        click.echo(f"{form}: no changes from the version deployed on {uid}")
        return
    click.echo(f"{form}: {len(diff.changes)} change(s) from the version deployed on {uid}")
    for line in diff.lines():
        click.echo(f"  {line}")


@cli.command()
@click.argument("count", type=click.IntRange(min=1))
@_ASSET
@click.option("--seed", default=2026, show_default=True, help="Same seed, same submissions.")
@click.option("--allow-remote", is_flag=True, help="Post to a server that is not on this machine.")
@pass_app
def simulate(app: AppContext, count: int, asset: str | None, seed: int, allow_remote: bool) -> None:
    """Post COUNT made-up member submissions to the deployed form, as KoboCollect would.

    Answers follow the form's choices, constraints and skip logic, across the five regions
    and their countries, with free text in each member's language. Meant for a sandbox or a
    test project: a server not on this machine needs --allow-remote.

    \b
    Example:
      nswp-survey simulate 300 --asset aB5tPkhiBVMKmqPP8TRsGi --seed 7
    """
    from nswp_survey.deploy import asset_for_form
    from nswp_survey.kobo import KoboClient
    from nswp_survey.simulate import is_local_server
    from nswp_survey.simulate import simulate as run_simulation

    settings = app.settings()
    require_token(settings)
    if not (allow_remote or is_local_server(settings.kobo.url)):
        raise click.UsageError(
            f"{settings.kobo.url} is not on this machine: made-up submissions would mix with "
            "real ones; pass --allow-remote if this is a test project"
        )
    if asset is None and Path(DEFAULT_SURVEY_FORM).exists():
        asset = asset_for_form(open_store(settings), settings.kobo.url, Path(DEFAULT_SURVEY_FORM))
    asset = asset or next(iter(forms_on_server(settings, open_store(settings))), None)
    if asset is None:
        raise NswpError("no deployed survey is known: pass --asset, or run nswp-survey deploy")
    bar = partial(progress_bar, enabled=progress_enabled(app.quiet))
    with KoboClient(settings.kobo) as client:
        result = run_simulation(client, asset, count, seed=seed, progress=bar)
    regions = ", ".join(f"{name} {n}" for name, n in result.by_region.items())
    click.echo(
        f"posted {result.posted} to {asset} ({result.duplicates} already there), "
        f"{result.law_changes} law changes, {result.rate:.0f}/s; by region: {regions}"
    )
