"""Perceptual-hash benchmark: PixCrawler's pHash against ``imagehash.phash``, same photos, one core.

Run from the repository root:  .venv/bin/python benchmarks/hashing.py
The photos are the real ones that ship inside the scikit-image, scikit-learn and matplotlib
wheels (the same 16 as ``dedup.py``, from its virtualenv under benchmarks/.work), fully decoded
to RGB (or L) before any clock starts; two sets: at their own size (300-1000 px a side) and
scaled to 256 px on the long side (a web thumbnail, the size of ``ingest.py``'s images).

Each tool hashes every decoded photo of a set, in interleaved rounds; the fastest round of each
counts, in CPU seconds of this one thread (BLAS limited to one thread). PixCrawler's figure is
what the ingest path does from a decoded image: ``hash_source`` (box reduction, grayscale) then
``phash``; the fingerprint column adds the eight orientations and the 256-bit hashes
(``picture_hashes``). ``imagehash.phash`` takes the decoded image as it is.
"""

import os

# Before numpy loads: one core means one BLAS thread too.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import imagehash  # noqa: E402
from PIL import Image  # noqa: E402

from _dedup_set import PHOTOS, STEREO  # noqa: E402
from dedup import ensure_venv  # noqa: E402
from pixcrawler.validator.hashing import hash_source, phash, picture_hashes  # noqa: E402

THUMBNAIL_SIDE = 256
Hasher = Callable[[Image.Image], object]


def photo_paths(python: Path) -> list[Path]:
    """The photos inside the benchmark virtualenv's site-packages."""
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    names = [f"{folder}/{name}" for folder, names in PHOTOS.items() for name in names]
    return [Path(site) / name for name in [*names, STEREO[1]]]


def decoded(path: Path) -> Image.Image:
    """The photo fully decoded, in RGB (or L when it is grayscale)."""
    with Image.open(path) as image:
        return image.convert("L" if image.mode in ("L", "I;16", "I") else "RGB")


def thumbnail(image: Image.Image) -> Image.Image:
    """``image`` scaled to :data:`THUMBNAIL_SIDE` on its long side."""
    scale = THUMBNAIL_SIDE / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def ours(image: Image.Image) -> int:
    return phash(hash_source(image))


def ours_fingerprint(image: Image.Image) -> object:
    return picture_hashes(hash_source(image))


def theirs(image: Image.Image) -> object:
    return imagehash.phash(image)


def cpu_per_image(hasher: Hasher, images: list[Image.Image]) -> float:
    """CPU seconds per image of one pass of ``hasher`` over ``images``."""
    start = time.process_time()
    for image in images:
        hasher(image)
    return (time.process_time() - start) / len(images)


def best_of(hashers: dict[str, Hasher], images: list[Image.Image], rounds: int) -> dict[str, float]:
    """The fastest of ``rounds`` interleaved passes of each hasher, per image."""
    best = dict.fromkeys(hashers, float("inf"))
    for _ in range(rounds):
        for name, hasher in hashers.items():
            best[name] = min(best[name], cpu_per_image(hasher, images))
    return best


def agreement(images: list[Image.Image]) -> tuple[float, int]:
    """Mean bits between our pHash and imagehash's per photo; photos where the source differs.

    The second figure counts photos whose pHash differs from ``imagehash.phash`` of the very
    picture we hash (the hash source): it must be 0, the two compute the same function.
    """
    distances, mismatches = [], 0
    for image in images:
        ours_hash = ours(image)
        distances.append((ours_hash ^ int(str(imagehash.phash(image)), 16)).bit_count())
        mismatches += ours_hash != int(str(imagehash.phash(hash_source(image))), 16)
    return sum(distances) / len(distances), mismatches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="passes per tool; the best counts")
    args = parser.parse_args()
    photos = [decoded(path) for path in photo_paths(ensure_venv())]
    sets = {"own size": photos, f"{THUMBNAIL_SIDE} px": [thumbnail(photo) for photo in photos]}
    hashers: dict[str, Hasher] = {
        "imagehash": theirs,
        "pixcrawler": ours,
        "fingerprint": ours_fingerprint,
    }
    print(
        f"{'set':10} {'images':>6} {'mean px':>9} {'imagehash us':>13} {'pixcrawler us':>14} "
        f"{'ratio':>6} {'fingerprint us':>15} ratio"
    )
    ratios = []
    for name, images in sets.items():
        best = best_of(hashers, images, args.rounds)
        pixels = sum(image.width * image.height for image in images) / len(images)
        ratio = best["imagehash"] / best["pixcrawler"]
        ratios.append(ratio)
        print(
            f"{name:10} {len(images):6} {pixels:9.0f} {best['imagehash'] * 1e6:13.0f} "
            f"{best['pixcrawler'] * 1e6:14.0f} {ratio:6.2f} {best['fingerprint'] * 1e6:15.0f} "
            f"{best['imagehash'] / best['fingerprint']:5.2f}"
        )
        bits, mismatches = agreement(images)
        print(
            f"  pHash vs imagehash on the same photo: {bits:.1f} bits apart on average; "
            f"on the same hash source: {mismatches} of {len(images)} differ"
        )
    print(f"ratio: {min(ratios):.2f}")


if __name__ == "__main__":
    main()
