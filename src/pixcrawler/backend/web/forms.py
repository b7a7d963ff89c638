"""The new-dataset form: its choices, and the posted fields checked and turned into a job spec.

The browser checks the same rules first (``required``, ``min``/``max``, the script's checks);
these are the ones that count, and each failure is one line shown next to its field.
"""

from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from pydantic import ValidationError

from pixcrawler.builder.discovery.engines import DEFAULT_ENGINES, ENGINES
from pixcrawler.builder.jobspec import JobKind, JobSpec
from pixcrawler.licenses import FAMILIES
from pixcrawler.validator.levels import ValidationLevel

LABEL_FORMATS = ("json", "csv", "yaml", "txt")
URL_LIST_SUFFIXES = (".txt", ".csv", ".jsonl", ".parquet")
MAX_CLASSES = 100
MAX_KEYWORD_LENGTH = 200
MAX_PER_CLASS = 10_000


@dataclass(frozen=True, slots=True)
class FormChoices:
    """What the form offers, and what it has ticked before the user changes anything."""

    engines: tuple[str, ...] = tuple(ENGINES)
    default_engines: tuple[str, ...] = DEFAULT_ENGINES
    licences: tuple[str, ...] = FAMILIES
    levels: tuple[str, ...] = tuple(level.value for level in ValidationLevel)
    label_formats: tuple[str, ...] = LABEL_FORMATS
    url_list_suffixes: tuple[str, ...] = URL_LIST_SUFFIXES
    max_per_class: int = MAX_PER_CLASS


@dataclass(slots=True)
class DatasetForm:
    """The posted form: the values as typed (to show again) and the errors by field."""

    source: str = "keywords"
    keywords: str = ""
    per_class: str = "20"
    engines: list[str] = field(default_factory=lambda: list(DEFAULT_ENGINES))
    licences: list[str] = field(default_factory=list)
    validation_level: str = ValidationLevel.FAST.value
    label_formats: list[str] = field(default_factory=lambda: list(LABEL_FORMATS))
    url_list_name: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def keyword_lines(self) -> list[str]:
        """The keywords, one per non-empty line, trimmed, first spelling of each kept."""
        lines = (line.strip() for line in self.keywords.splitlines())
        return list(dict.fromkeys(line for line in lines if line))


def check(form: DatasetForm, *, url_list_size: int, upload_limit: int) -> None:
    """Fill ``form.errors`` with one line per field that is wrong (empty when all is well)."""
    errors = form.errors
    if form.source not in ("keywords", "url_list"):
        errors["source"] = "choose keywords or a URL list"
    elif form.source == "keywords":
        _check_keywords(form, errors)
    else:
        _check_url_list(form, url_list_size, upload_limit, errors)
    if not form.per_class.strip().isdigit() or not 1 <= int(form.per_class) <= MAX_PER_CLASS:
        errors["per_class"] = f"images per class must be a whole number from 1 to {MAX_PER_CLASS}"
    _check_choices(form, errors)


def _check_keywords(form: DatasetForm, errors: dict[str, str]) -> None:
    keywords = form.keyword_lines()
    if not keywords:
        errors["keywords"] = "enter at least one keyword, one per line"
    elif len(keywords) > MAX_CLASSES:
        errors["keywords"] = f"at most {MAX_CLASSES} keywords (one class each); got {len(keywords)}"
    elif too_long := [k for k in keywords if len(k) > MAX_KEYWORD_LENGTH]:
        errors["keywords"] = f"a keyword may have at most {MAX_KEYWORD_LENGTH} characters: "
        errors["keywords"] += repr(too_long[0][:40] + "…")
    if not form.engines:
        errors["engines"] = "choose at least one search engine"


def _check_url_list(
    form: DatasetForm, size: int, upload_limit: int, errors: dict[str, str]
) -> None:
    suffix = PurePath(form.url_list_name).suffix.lower()
    if not form.url_list_name:
        errors["url_list"] = "choose a URL list file to upload"
    elif suffix not in URL_LIST_SUFFIXES:
        errors["url_list"] = f"a URL list is one of {', '.join(URL_LIST_SUFFIXES)}; got {suffix!r}"
    elif size == 0:
        errors["url_list"] = "the URL list file is empty"
    elif size > upload_limit:
        errors["url_list"] = f"the URL list is larger than {upload_limit:,} bytes"


def _check_choices(form: DatasetForm, errors: dict[str, str]) -> None:
    if unknown := sorted(set(form.engines) - set(ENGINES)):
        errors["engines"] = f"unknown engine {', '.join(unknown)}"
    if unknown := sorted(set(form.licences) - set(FAMILIES)):
        errors["licences"] = f"unknown licence family {', '.join(unknown)}"
    if form.validation_level not in {level.value for level in ValidationLevel}:
        errors["validation_level"] = "choose fast, medium or slow"
    if not form.label_formats:
        errors["label_formats"] = "choose at least one label format"
    elif unknown := sorted(set(form.label_formats) - set(LABEL_FORMATS)):
        errors["label_formats"] = f"unknown label format {', '.join(unknown)}"


def job_spec(form: DatasetForm, *, source_keys: tuple[str, ...] = ()) -> dict[str, Any]:
    """The JSON job spec of a checked form (URL-list jobs name their uploaded ``source_keys``).

    Raises:
        ValueError: the spec itself refuses the values; the message is one line.
    """
    values: dict[str, Any] = {
        "kind": JobKind.KEYWORDS if form.source == "keywords" else JobKind.URL_LIST,
        "per_class": int(form.per_class),
        "licenses": tuple(form.licences),
        "validation_level": form.validation_level,
        "label_formats": tuple(form.label_formats),
    }
    if form.source == "keywords":
        values |= {"keywords": tuple(form.keyword_lines()), "engines": tuple(form.engines)}
    else:
        values["source_keys"] = source_keys
    try:
        return JobSpec.model_validate(values).to_json()
    except ValidationError as error:
        first = error.errors()[0]
        raise ValueError(str(first.get("msg", "invalid job"))) from None
