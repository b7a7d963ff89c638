"""The task ids every job's tasks are sent under.

Each task of a job has an id known in advance, so any of them can be revoked, looked up on the
live workers, or sent again (``jobs resume``, the watchdog) without having been seen running.
"""


def chunk_task_id(job_id: str, chunk_id: int) -> str:
    """The id of a chunk's task. Every dispatch of the chunk (plan, retry, resume, watchdog)
    reuses it, which is what lets ``claim_chunk`` hand a running chunk to a redelivered copy."""
    return f"{job_id}-chunk-{chunk_id}"


def plan_task_id(job_id: str) -> str:
    """The id of the job's ``plan_job``."""
    return f"{job_id}-plan"


def finalize_task_id(job_id: str) -> str:
    """The id of the job's ``finalize_job``, whoever sends it."""
    return f"{job_id}-finalize"
