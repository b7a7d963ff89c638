"""Package a dataset for shipping: archives with checksums (zip, 7z, tar.zst) and WebDataset."""

from pixcrawler.utility.compress._errors import PackagingError
from pixcrawler.utility.compress._package import PackageResult, package_dataset
from pixcrawler.utility.compress._recompress import RECOMPRESS_FORMATS, RecompressFormat
from pixcrawler.utility.compress._verify import VerifyResult, verify_archive
from pixcrawler.utility.compress._webdataset import write_webdataset
from pixcrawler.utility.compress._writers import ARCHIVE_FORMATS, ArchiveFormat

__all__ = [
    "ARCHIVE_FORMATS",
    "RECOMPRESS_FORMATS",
    "ArchiveFormat",
    "PackageResult",
    "PackagingError",
    "RecompressFormat",
    "VerifyResult",
    "package_dataset",
    "verify_archive",
    "write_webdataset",
]
