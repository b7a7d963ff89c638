"""What every CLI command shares: the Typer app, consoles, and the one-line failure."""

from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

app = typer.Typer(
    help="Turn keywords or URL lists into clean, labelled image datasets.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
#: Progress bars, logs and errors go to stderr; results (tables, paths) to stdout.
console = Console(stderr=True)
out = Console()


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one clear line and exit non-zero; never a traceback for bad input."""
    # One line however narrow the terminal; brackets in the message are text, not markup.
    console.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def split_list(value: str) -> tuple[str, ...]:
    """``"a, b,,c"`` → ``("a", "b", "c")``, lower-cased."""
    return tuple(part.strip().lower() for part in value.split(",") if part.strip())
