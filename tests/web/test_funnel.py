"""The job page's funnel, reasons and retries, counted from image rows as the API lists them."""

from pixcrawler.backend.web.funnel import summarize_rows

ROWS = [
    {"label": "fox", "source": "openverse", "status": "kept", "sha256": "a", "attempts": 1},
    {"label": "fox", "source": "openverse", "status": "kept", "sha256": "b", "attempts": 3},
    {"label": "fox", "source": "bing", "status": "duplicate", "sha256": "a", "reason": "exact"},
    {"label": "fox", "source": "bing", "status": "invalid", "sha256": "c",
     "reason": "too small 48x48"},
    {"label": "fox", "source": "bing", "status": "download_failed", "reason": "http 503",
     "attempts": 3},
    {"label": "wolf", "status": "filtered", "sha256": "d", "reason": "rejected by reviewer",
     "rejected": True},
]  # fmt: skip


def test_stages_count_the_rows_that_passed_them() -> None:
    summary = summarize_rows(ROWS)
    assert summary.rows == 6
    assert summary.by_class["fox"].stages() == [
        ("candidates", 5), ("downloaded", 4), ("valid", 3), ("unique", 2), ("kept", 2),
    ]  # fmt: skip
    # A reviewer's rejection passed every stage but the last: it was kept, then taken out.
    assert summary.by_class["wolf"].counts == [1, 1, 1, 1, 0]
    assert summary.by_engine["bing"].counts == [3, 2, 1, 0, 0]
    assert summary.by_engine["url list"].counts == [1, 1, 1, 1, 0]  # rows without an engine


def test_reasons_and_retries() -> None:
    summary = summarize_rows(ROWS)
    assert summary.top_reasons(3) == [
        ("duplicate", "exact", 1), ("invalid", "too small 48x48", 1),
        ("download_failed", "http 503", 1),
    ]  # fmt: skip
    assert summary.retries_by_reason() == [("succeeded on a later attempt", 2), ("http 503", 2)]
    assert summary.attempts_known
    assert not summarize_rows([{"label": "fox", "status": "kept"}]).attempts_known
