"""Portrait normalisation: whatever image a user uploads becomes one square RGB PNG the video engines accept.

Conversions are made, not refused, when the intent is clear (a transparent PNG, a phone photo on its side, an
animated GIF); refusals are for files that cannot make a portrait at all, and each says what to upload instead.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from lecturer_pipeline.errors import InputError
from lecturer_pipeline.media._atomic import atomic_path
from lecturer_pipeline.media._uploads import checked_size

PORTRAIT_SIZE = 512
MAX_PORTRAIT_PIXELS = 40_000_000
MAX_PORTRAIT_BYTES = 20 * 1024 * 1024
_MIN_SIDE = 64
_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")  # JPEG covers MPO; no EPS/PDF: they run Ghostscript
_UPWARD_BIAS = 0.4  # where a tall crop starts, as a fraction of the spare height (0.5 = centre): faces sit high
_EXIF_ORIENTATION = 0x0112


@dataclass(frozen=True)
class PortraitInfo:
    """What the upload was and what was done to it, so the user can be told why the portrait looks different."""

    source_format: str
    source_width: int
    source_height: int
    source_mode: str
    converted: tuple[str, ...]


def normalise_portrait(
    src: str | os.PathLike[str], dst: str | os.PathLike[str], *, size: int = PORTRAIT_SIZE
) -> PortraitInfo:
    """Check and convert ``src`` into a ``size``×``size`` RGB PNG at ``dst`` (written atomically)."""
    src = Path(src)
    where = str(src)
    checked_size(
        src,
        MAX_PORTRAIT_BYTES,
        empty_hint="upload a JPEG or PNG photo of the lecturer",
        large_hint="upload a smaller JPEG or PNG",
        limit_decimals=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(src, formats=_FORMATS) as im:
                info, frame, converted = _decode(im, src)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _bomb(src, None) from exc
        except UnidentifiedImageError as exc:
            raise InputError(
                f"{src.name} is not an image Pillow can read as {', '.join(_FORMATS)}; upload a JPEG or PNG photo",
                file=where,
            ) from exc
    rgb = _to_rgb(frame, converted)
    square = _crop_square(rgb, converted)
    if square.width != size:
        square = square.resize((size, size), Image.Resampling.LANCZOS)
        converted.append(f"resized to {size}")
    with atomic_path(dst) as tmp:
        square.save(tmp, format="PNG")
    return replace(info, converted=tuple(converted))


def _bomb(src: Path, dims: tuple[int, int] | None) -> InputError:
    shown = f" ({dims[0]}×{dims[1]} px)" if dims else ""
    return InputError(
        f"{src.name} is too large to decode safely{shown}, over {MAX_PORTRAIT_PIXELS:,} pixels; "
        "upload a photo of at most about 6000×6000 px",
        file=str(src),
    )


def _decode(im: Image.Image, src: Path) -> tuple[PortraitInfo, Image.Image, list[str]]:
    """Check the header, then fully decode the first frame (``load()``) so truncated files fail here."""
    width, height = im.size
    if width * height > MAX_PORTRAIT_PIXELS:  # header only so far: no pixel has been decoded
        raise _bomb(src, (width, height))
    if min(width, height) < _MIN_SIDE:
        raise InputError(
            f"{src.name} is {width}×{height} px, too small for a portrait; upload one at least "
            f"{_MIN_SIDE} px on each side (512 px or more looks best)",
            file=str(src),
        )
    info = PortraitInfo(im.format or "unknown", width, height, im.mode, converted=())
    notes: list[str] = []
    if getattr(im, "is_animated", False):
        im.seek(0)
        notes.append(f"first frame of animated {im.format}")
    try:
        im.load()
        frame = ImageOps.exif_transpose(im)
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InputError(
            f"{src.name} is corrupt or truncated ({exc}); export the photo again as JPEG or PNG", file=str(src)
        ) from exc
    if im.getexif().get(_EXIF_ORIENTATION, 1) not in (1, None):
        notes.append("EXIF orientation applied")
    return info, frame, notes


def _to_rgb(im: Image.Image, notes: list[str]) -> Image.Image:
    """Bring any Pillow mode to RGB; transparency is composited on white (a neutral backdrop for a face)."""
    mode = im.mode
    if mode == "RGB":
        return im
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or (mode == "P" and "transparency" in im.info)
    if has_alpha:
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        out = Image.alpha_composite(white, rgba).convert("RGB")
        notes.append("alpha flattened on white")
        return out
    if mode.startswith("I") or mode == "F":
        # 16/32-bit greyscale: stretch the used range to 8 bits (a plain convert would clip everything to white)
        wide = im.convert("F") if mode == "F" else im.convert("I")
        low, high = wide.getextrema()
        scale = 255.0 / (high - low) if high > low else 0.0
        out = wide.point(lambda v: v * scale - low * scale).convert("L").convert("RGB")
        notes.append(f"{mode} greyscale to RGB")
        return out
    names = {"CMYK": "CMYK to RGB", "P": "palette to RGB", "L": "greyscale to RGB", "1": "black-and-white to RGB"}
    notes.append(names.get(mode, f"{mode} to RGB"))
    return im.convert("RGB")


def _crop_square(im: Image.Image, notes: list[str]) -> Image.Image:
    """Centre-crop to a square; a tall picture keeps a little more of its top, where the face usually is."""
    width, height = im.size
    side = min(width, height)
    if width == height:
        return im
    left = (width - side) // 2
    top = round((height - side) * _UPWARD_BIAS)
    notes.append("cropped to square")
    return im.crop((left, top, left + side, top + side))
