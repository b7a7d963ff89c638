"""Per-class quotas a job's chunks share: slots taken before a download, kept or given back.

``class_quotas`` counts a class's slots job-wide (``taken``: kept or in flight; ``kept``);
``chunk_quotas`` the share each chunk holds, so a chunk run again from scratch (its worker
died) first gives back what its earlier run held. Taking a slot is one conditional ``UPDATE``
(``taken < limit``), so two chunks can never both take the last one.
"""

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pixcrawler.backend.db._statements import conflict_insert, execute_update
from pixcrawler.backend.db.models import ChunkQuota, ClassQuota


def take_slot(
    session: Session, *, job_id: str, chunk_id: int, label: str, limit: int
) -> bool | None:
    """Take one of ``label``'s ``limit`` slots for ``chunk_id``.

    Returns:
        True: taken. False: the class has ``limit`` kept images. None: every free slot is held
        by a download in flight (one may come back).
    """
    key = {"job_id": job_id, "label": label}
    session.execute(conflict_insert(session, ClassQuota.__table__).on_conflict_do_nothing(), key)
    row = (ClassQuota.job_id == job_id) & (ClassQuota.label == label)
    taken = update(ClassQuota).where(row, ClassQuota.taken < limit)
    if execute_update(session, taken.values(taken=ClassQuota.taken + 1)):
        _add_to_chunk(session, chunk_id, label, taken=1, kept=0)
        return True
    kept = session.scalar(select(ClassQuota.kept).where(row)) or 0
    return False if kept >= limit else None


def give_back_slot(session: Session, *, job_id: str, chunk_id: int, label: str, kept: bool) -> None:
    """Settle a slot: its image was kept (the slot stays taken) or not (the slot is free)."""
    delta = {"kept": 1, "taken": 0} if kept else {"kept": 0, "taken": -1}
    _add_to_class(session, job_id, label, **delta)
    _add_to_chunk(session, chunk_id, label, **delta)


def release_chunk_slots(session: Session, *, job_id: str, chunk_id: int) -> int:
    """Give back every slot ``chunk_id`` holds (it is about to run again from scratch).

    Returns:
        The number of slots given back.
    """
    held = session.execute(
        select(ChunkQuota.label, ChunkQuota.taken, ChunkQuota.kept).where(
            ChunkQuota.chunk_id == chunk_id
        )
    ).all()
    for label, taken, kept in held:
        _add_to_class(session, job_id, label, taken=-taken, kept=-kept)
    execute_update(
        session,
        update(ChunkQuota).where(ChunkQuota.chunk_id == chunk_id).values(taken=0, kept=0),
    )
    return sum(taken for _, taken, _ in held)


def _add_to_class(session: Session, job_id: str, label: str, *, taken: int, kept: int) -> None:
    row = (ClassQuota.job_id == job_id) & (ClassQuota.label == label)
    values = {"taken": ClassQuota.taken + taken, "kept": ClassQuota.kept + kept}
    execute_update(session, update(ClassQuota).where(row).values(values))


def _add_to_chunk(session: Session, chunk_id: int, label: str, *, taken: int, kept: int) -> None:
    insert = conflict_insert(session, ChunkQuota.__table__)
    upsert = insert.on_conflict_do_update(
        index_elements=["chunk_id", "label"],
        set_={"taken": ChunkQuota.taken + taken, "kept": ChunkQuota.kept + kept},
    )
    session.execute(upsert, {"chunk_id": chunk_id, "label": label, "taken": taken, "kept": kept})
