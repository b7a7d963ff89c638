"""``pixcrawler engines check``: one live query per engine, to see which still work."""

import asyncio
from typing import Annotated

import typer

from pixcrawler.builder.discovery import check_engines
from pixcrawler.builder.discovery.engines import ENGINES, parse_engine_list
from pixcrawler.cli._common import app, fail, out
from pixcrawler.config import get_settings

engines_app = typer.Typer(help="The search engines: check them live.", no_args_is_help=True)
app.add_typer(engines_app, name="engines")


@engines_app.command("check")
def check(
    query: Annotated[str, typer.Option(help="The query sent to every engine.")] = "cat",
    engines: Annotated[str, typer.Option(help="Engines, comma-separated.")] = ",".join(ENGINES),
) -> None:
    """Send one query to each engine and report, per engine, results found or why none.

    Exits 1 when an engine is unreachable or finds nothing, so a scheduled run can alert.
    """
    try:
        names = parse_engine_list(engines)
    except ValueError as exc:
        fail(str(exc))
    if not query.strip():
        fail("--query is empty")
    checks = asyncio.run(check_engines(names, query.strip(), get_settings()))
    for result in checks:
        out.print(result.line, highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(0 if all(result.status == "ok" for result in checks) else 1)
