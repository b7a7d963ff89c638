"""Build the near-duplicate ground truth from photos that ship inside PyPI packages.

Run by ``dedup.py`` with the benchmark virtualenv's interpreter (it has scikit-image,
scikit-learn and matplotlib, whose wheels carry the photos); it needs only Pillow and numpy:

    python _dedup_set.py SITE_PACKAGES OUT_DIR

Originals are non-overlapping 128-pixel tiles of 16 real photos (fewer photos than the 150
originals the benchmark needs, so each photo gives several tiles; tiles with little detail are
skipped). Each original gets 14 variants. Distinct-but-similar images, which must stay
distinct: "pans" (a window of the same photo shifted by 40-50 % of a tile, as a camera pan
would) and the two frames of scikit-image's stereo pair (same scene, two cameras).
``truth.json`` lists every file with its group (an original and its variants share one).
"""

import io
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFont

TILE = 128
MIN_TILE_STD = 22.0  # flat tiles (sky, a retina's black surround) are not photos of anything
MAX_TILES_PER_PHOTO = 16
SEED = 14
PHOTOS = {
    "skimage/data": (
        "astronaut.png", "camera.png", "cell.png", "chelsea.png", "coffee.png", "coins.png",
        "hubble_deep_field.jpg", "ihc.png", "moon.png", "retina.jpg", "rocket.jpg",
        "motorcycle_left.png", "clock_motion.png",
    ),
    "sklearn/datasets/images": ("china.jpg", "flower.jpg"),
    "matplotlib/mpl-data/sample_data": ("grace_hopper.jpg",),
}  # fmt: skip
STEREO = ("skimage/data/motorcycle_left.png", "skimage/data/motorcycle_right.png")
LOGO = "skimage/data/logo.png"

Variant = Callable[[Image.Image, random.Random], tuple[Image.Image, str]]


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _resize(image: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    scale = rng.uniform(0.5, 0.8) if rng.random() < 0.7 else rng.uniform(1.2, 1.6)
    size = (round(image.width * scale), round(image.height * scale))
    return image.resize(size, Image.Resampling.LANCZOS), "jpg"


def _recompress(image: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    return Image.open(io.BytesIO(_encode(image, "JPEG", quality=rng.randint(25, 45)))), "jpg"


def _png(image: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    return image, "png"


def _webp(image: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    return Image.open(io.BytesIO(_encode(image, "WEBP", quality=rng.randint(50, 80)))), "webp"


def _crop(image: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    """Remove 3-15 % of the width and of the height, split at random between the two sides."""
    width, height = image.size
    cut_x, cut_y = round(width * rng.uniform(0.03, 0.15)), round(height * rng.uniform(0.03, 0.15))
    left, top = rng.randint(0, cut_x), rng.randint(0, cut_y)
    return image.crop((left, top, left + width - cut_x, top + height - cut_y)), "jpg"


def _turn(transpose: Image.Transpose) -> Variant:
    return lambda image, rng: (image.transpose(transpose), "jpg")


def _tilt(image: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    """Rotate by 1-5 degrees either way, then crop to the largest upright inner rectangle."""
    angle = rng.uniform(1.0, 5.0) * rng.choice((-1, 1))
    turned = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False)
    radians = abs(np.deg2rad(angle))
    width, height = image.size
    inner_w = (width * np.cos(radians) - height * np.sin(radians)) / np.cos(2 * radians)
    inner_h = (height * np.cos(radians) - width * np.sin(radians)) / np.cos(2 * radians)
    left, top = (width - inner_w) / 2, (height - inner_h) / 2
    box = (int(np.ceil(left)), int(np.ceil(top)), int(left + inner_w), int(top + inner_h))
    return turned.crop(box), "jpg"


def _tone(image: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    brighter = ImageEnhance.Brightness(image).enhance(rng.uniform(0.75, 1.3))
    return ImageEnhance.Contrast(brighter).enhance(rng.uniform(0.7, 1.3)), "jpg"


def _squeeze(image: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    width, height = image.size
    factor = rng.uniform(0.7, 0.88)
    size = (
        (round(width * factor), height) if rng.random() < 0.5 else (width, round(height * factor))
    )
    return image.resize(size, Image.Resampling.BICUBIC), "jpg"


def _text_mark(image: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    """A semi-transparent caption across the lower part, as stock sites stamp them."""
    marked = image.convert("RGBA")
    layer = Image.new("RGBA", marked.size, (0, 0, 0, 0))
    font = ImageFont.load_default(size=max(10, image.height // 9))
    draw = ImageDraw.Draw(layer)
    text = rng.choice(("© stockphoto", "SAMPLE", "© PixCrawler 2024", "www.photos.example"))
    top = rng.randint(image.height // 2, image.height - image.height // 6)
    draw.text((rng.randint(2, image.width // 6), top), text, font=font, fill=(255, 255, 255, 150))
    return Image.alpha_composite(marked, layer).convert("RGB"), "jpg"


def _logo_mark(logo: Image.Image) -> Variant:
    def mark(image: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
        side = round(min(image.size) * rng.uniform(0.18, 0.28))
        badge = logo.resize((side, side), Image.Resampling.LANCZOS)
        corner_x = rng.choice((4, image.width - side - 4))
        corner_y = rng.choice((4, image.height - side - 4))
        marked = image.convert("RGBA")
        marked.alpha_composite(badge, (corner_x, corner_y))
        return marked.convert("RGB"), "jpg"

    return mark


def variants(logo: Image.Image) -> dict[str, Variant]:
    """Every variant kind, by name."""
    return {
        "resize": _resize,
        "jpeg": _recompress,
        "png": _png,
        "webp": _webp,
        "crop": _crop,
        "rot90": _turn(Image.Transpose.ROTATE_90),
        "rot180": _turn(Image.Transpose.ROTATE_180),
        "rot270": _turn(Image.Transpose.ROTATE_270),
        "mirror": _turn(Image.Transpose.FLIP_LEFT_RIGHT),
        "tilt": _tilt,
        "tone": _tone,
        "squeeze": _squeeze,
        "text": _text_mark,
        "logo": _logo_mark(logo),
    }


def _tiles(photo: Image.Image) -> list[tuple[int, int]]:
    """Top-left corners of the detailed, non-overlapping tiles of a photo."""
    gray = np.asarray(photo.convert("L"), dtype=np.float32)
    corners = [
        (x, y)
        for y in range(0, photo.height - TILE + 1, TILE)
        for x in range(0, photo.width - TILE + 1, TILE)
        if gray[y : y + TILE, x : x + TILE].std() >= MIN_TILE_STD
    ]
    return corners[:MAX_TILES_PER_PHOTO]


def _pan(photo: Image.Image, x: int, y: int, rng: random.Random) -> Image.Image | None:
    """A window shifted from tile (x, y) by 40-50 % of a tile, inside the photo, or None."""
    for _ in range(8):
        dx, dy = (round(TILE * rng.uniform(0.4, 0.5)) * rng.choice((-1, 1)) for _ in range(2))
        left, top = x + dx, y + dy
        if 0 <= left <= photo.width - TILE and 0 <= top <= photo.height - TILE:
            return photo.crop((left, top, left + TILE, top + TILE))
    return None


def build(site: Path, out: Path) -> dict[str, object]:
    """Write the set under ``out`` and return the truth record."""
    rng = random.Random(SEED)
    out.mkdir(parents=True, exist_ok=True)
    kinds = variants(Image.open(site / LOGO).convert("RGBA"))
    files: list[dict[str, object]] = []

    def save(image: Image.Image, name: str, fmt: str, group: int, kind: str) -> None:
        options = {"quality": 90} if fmt in ("jpg", "webp") else {}
        image.convert("RGB").save(out / f"{name}.{fmt}", **options)  # type: ignore[arg-type]
        files.append({"file": f"{name}.{fmt}", "group": group, "kind": kind})

    group = 0
    for folder, names in PHOTOS.items():
        for photo_name in names:
            photo = Image.open(site / folder / photo_name).convert("RGB")
            for x, y in _tiles(photo):
                original = photo.crop((x, y, x + TILE, y + TILE))
                stem = f"{Path(photo_name).stem}-{x}-{y}"
                save(original, stem, "jpg", group, "original")
                for kind, make in kinds.items():
                    image, fmt = make(original, rng)
                    save(image, f"{stem}-{kind}", fmt, group, kind)
                pan = _pan(photo, x, y, rng) if rng.random() < 0.35 else None
                if pan is not None:
                    save(pan, f"{stem}-pan", "jpg", -1 - len(files), "pan")
                group += 1
    for path in STEREO:
        frame = Image.open(site / path).convert("RGB")
        save(frame, Path(path).stem, "jpg", -1 - len(files), "stereo")
    return {"originals": group, "files": files}


def main() -> None:
    site, out = Path(sys.argv[1]), Path(sys.argv[2])
    truth = build(site, out)
    (out / "truth.json").write_text(json.dumps(truth, indent=1), encoding="utf-8")
    print(f"{truth['originals']} originals, {len(truth['files'])} files in {out}")


if __name__ == "__main__":
    main()
