"""What a dataset build asks for, as one validated value: the job spec.

The CLI, the job database, the Celery tasks and the API all speak :class:`JobSpec`; nothing else
reads a job's settings. It turns itself into the pipeline's :class:`BuildOptions` and, for a
keyword job, its :class:`KeywordPlan`, so a local build and a distributed chunk of the same
spec run the same pipeline with the same options.
"""

from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pixcrawler.validator.levels import ValidationLevel

if TYPE_CHECKING:
    from pixcrawler.builder._pipeline import BuildOptions
    from pixcrawler.builder.discovery import KeywordPlan

#: Label file formats a job may ask for (``builder.dataset.LABEL_FORMATS``, without the import).
LabelFormat = Annotated[str, Field(pattern="^(json|csv|yaml|txt)$")]


class JobKind(StrEnum):
    """What a job starts from."""

    KEYWORDS = "keywords"
    URL_LIST = "url_list"


class ChunkKind(StrEnum):
    """What one chunk of a job does: fill one keyword class, or fetch some URL-list rows."""

    DISCOVER = "discover"
    DOWNLOAD = "download"


class JobSpec(BaseModel):
    """One build request: its source (keywords or URL lists) and how to build from it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: JobKind
    #: Keyword jobs: one class per keyword.
    keywords: tuple[str, ...] = ()
    engines: tuple[str, ...] = ()
    #: Licence families to keep (``cc0``, ``by``, ``by-sa``…); empty keeps any licence.
    licenses: tuple[str, ...] = ()
    seed: int = 0
    variations: int | None = Field(default=None, ge=1)
    #: URL-list jobs: the uploaded lists (storage keys) and how to read them.
    source_keys: tuple[str, ...] = ()
    label: str | None = None
    url_column: str = "url"
    label_column: str = "label"
    #: Kept images per class; ``None``: no cap (keyword jobs always have one).
    per_class: int | None = Field(default=None, ge=1)
    validation_level: ValidationLevel | None = None
    label_formats: tuple[LabelFormat, ...] = ("json", "csv", "yaml", "txt")

    @model_validator(mode="after")
    def _source_matches_kind(self) -> Self:
        if self.kind is JobKind.KEYWORDS and not self.keywords:
            raise ValueError("a keywords job needs at least one keyword")
        if self.kind is JobKind.KEYWORDS and not self.engines:
            raise ValueError("a keywords job needs at least one engine")
        if self.kind is JobKind.URL_LIST and self.keywords:
            raise ValueError("a url_list job takes URL lists, not keywords")
        return self

    @property
    def chunk_kind(self) -> ChunkKind:
        """The kind of every chunk this job is cut into."""
        return ChunkKind.DISCOVER if self.kind is JobKind.KEYWORDS else ChunkKind.DOWNLOAD

    def with_sources(self, keys: tuple[str, ...]) -> "JobSpec":
        """This spec with its URL lists uploaded to ``keys``."""
        return self.model_copy(update={"source_keys": keys})

    def build_options(self, **overrides: Any) -> "BuildOptions":
        """The pipeline options this spec asks for; ``overrides`` sets per-run knobs (processes)."""
        from pixcrawler.builder._pipeline import BuildOptions

        values: dict[str, Any] = {
            "per_class": self.per_class,
            "label_formats": self.label_formats,
            "validation_level": self.validation_level,
        }
        return BuildOptions(**(values | overrides))

    def keyword_plan(
        self,
        labels: tuple[str, ...] | None = None,
        queries: Mapping[str, tuple[str, ...]] | None = None,
    ) -> "KeywordPlan":
        """The keyword plan of this job, or of the classes ``labels`` (one chunk's share);
        ``queries``: classes' queries fixed by the job's plan step (``generate_keywords``)."""
        from pixcrawler.builder.discovery import KeywordPlan

        if self.kind is not JobKind.KEYWORDS:
            raise ValueError("only a keywords job has a keyword plan")
        return KeywordPlan(
            labels if labels is not None else self.keywords,
            self.engines,
            self.licenses,
            seed=self.seed,
            max_variations=self.variations,
            queries=queries,
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON form stored in the job database (``JobSpec.model_validate`` reads it back)."""
        return self.model_dump(mode="json")
