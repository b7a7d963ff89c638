"""What the API does on a user's behalf, over the job database, storage and job control.

Routes parse and map errors; these functions decide: who a caller is, what a user owns, which
limits apply, how a review changes the exports. None of them imports FastAPI.
"""

from pixcrawler.backend.services.accounts import (
    SCOPES,
    Principal,
    ensure_local_admin,
    issue_key,
    parse_scopes,
    principal_for_key,
    user_for_subject,
)
from pixcrawler.backend.services.activity import list_activity, record_activity
from pixcrawler.backend.services.exports import (
    METADATA_FORMATS,
    MetadataFormat,
    archive_key,
    metadata_key,
    report_key,
    request_archive,
    webdataset_keys,
)
from pixcrawler.backend.services.jobs import (
    ClassCount,
    class_counts,
    list_user_jobs,
    start_job,
    uploads_prefix,
)
from pixcrawler.backend.services.limits import LimitExceeded, check_job_limits
from pixcrawler.backend.services.owned import (
    owned_dataset,
    owned_image,
    owned_job,
    owned_project,
)
from pixcrawler.backend.services.reviews import current_key, drop_derived, set_rejected

__all__ = [
    "METADATA_FORMATS",
    "SCOPES",
    "ClassCount",
    "LimitExceeded",
    "MetadataFormat",
    "Principal",
    "archive_key",
    "check_job_limits",
    "class_counts",
    "current_key",
    "drop_derived",
    "ensure_local_admin",
    "issue_key",
    "list_activity",
    "list_user_jobs",
    "metadata_key",
    "owned_dataset",
    "owned_image",
    "owned_job",
    "owned_project",
    "parse_scopes",
    "principal_for_key",
    "record_activity",
    "report_key",
    "request_archive",
    "set_rejected",
    "start_job",
    "uploads_prefix",
    "user_for_subject",
    "webdataset_keys",
]
