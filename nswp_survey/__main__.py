from nswp_survey.cli import cli

cli()
