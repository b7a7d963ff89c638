"""``pixcrawler validate`` and ``pixcrawler dedup``: checks on existing image folders."""

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from pixcrawler.cli._common import app, fail, out
from pixcrawler.config import get_settings
from pixcrawler.validator.folder import (
    MANIFEST_NAME,
    dedup_folder,
    files_in_keep_order,
    validate_folder,
)
from pixcrawler.validator.levels import ValidationLevel, ValidationProfile


@app.command()
def validate(
    folder: Annotated[Path, typer.Argument(help="A folder of images (any layout).")],
    level: Annotated[
        ValidationLevel | None,
        typer.Option(help="fast: integrity; medium: + quality gates; slow: + EXIF checks."),
    ] = None,
) -> None:
    """Fully decode every image in FOLDER and report the ones that fail, with reasons."""
    if not folder.is_dir():
        fail(f"{folder} is not a directory")
    rules = ValidationProfile.from_settings(get_settings(), level)
    bad = total = 0
    for result in validate_folder(folder, rules):
        total += 1
        if not result.ok:
            bad += 1
            out.print(f"invalid\t{result.path}\t{result.reason}", highlight=False)
    out.print(f"{total} files checked, {bad} invalid", highlight=False)
    raise typer.Exit(1 if bad else 0)


@app.command()
def dedup(
    folder: Annotated[Path, typer.Argument(help="A folder of images (any layout).")],
    threshold: Annotated[int | None, typer.Option(help="pHash Hamming distance.")] = None,
) -> None:
    """List exact and near duplicates in FOLDER (and cross-class leakage); changes nothing.

    The original of each group is the earliest kept image: in a PixCrawler dataset, the first
    in manifest.jsonl; otherwise the first in sorted path order. "exact" means byte-identical.
    """
    if not folder.is_dir():
        fail(f"{folder} is not a directory")
    radius = get_settings().phash_threshold if threshold is None else threshold
    if not 0 <= radius <= 64:
        fail("--threshold must be between 0 and 64")
    try:
        files, from_manifest = files_in_keep_order(folder)
    except ValueError as exc:
        fail(str(exc))
    order = f"earliest kept in {MANIFEST_NAME}" if from_manifest else "first in sorted path order"
    # typer.echo, not rich: the rows are tab-separated for scripts, and rich expands tabs.
    typer.echo(f"{len(files)} images in {folder}; originals: {order}")
    typer.echo("kind\tfile\toriginal\tdistance\tnote")
    kinds = Counter[str]()
    for dup in dedup_folder(folder, radius, files=files):
        kinds[dup.kind] += 1
        leak = "cross-class" if dup.cross_class else ""
        typer.echo(f"{dup.kind}\t{dup.path}\t{dup.duplicate_of}\t{dup.distance}\t{leak}")
    typer.echo(f"{kinds.total()} duplicates ({kinds['exact']} exact, {kinds['near']} near)")
