"""Still pictures of the composed lecture video, drawn with Pillow: the slide (or a plain 16:9 background) with the
AI-disclosure mark and the frame for the talking head, and the title and end cards.

Pillow draws the text (not ffmpeg's drawtext, which needs fontconfig fonts an offline image may lack). DejaVu Sans
is used when installed (Debian's fonts-dejavu-core, pulled in by LibreOffice), else Pillow's embedded font; both
cover Latin, Greek and Cyrillic, not Chinese, Japanese or Korean — text those fonts cannot draw is shown in English
(the manifest and tags keep the language's own wording).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFont

FRAME = (1920, 1080)
_FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
)
BACKGROUND = (24, 32, 48)  # the 16:9 background when a lecture has no deck
CARD = (16, 22, 34)
CORNERS = ("lower-right", "lower-left", "upper-right", "upper-left")
SHAPES = ("circle", "rounded", "square")


@dataclass(frozen=True)
class PipLayout:
    """Where the talking head sits on a slide: corner, height as a fraction of the frame's, shape, margin (px)."""

    corner: str = "lower-right"
    size: float = 0.30
    shape: str = "circle"
    margin: int = 36

    def __post_init__(self) -> None:
        if self.corner not in CORNERS:
            raise ValueError(f"picture-in-picture corner must be one of {', '.join(CORNERS)}, not {self.corner!r}")
        if self.shape not in SHAPES:
            raise ValueError(f"picture-in-picture shape must be one of {', '.join(SHAPES)}, not {self.shape!r}")
        if not 0.1 <= self.size <= 0.6:
            raise ValueError(f"picture-in-picture size must be 0.1–0.6 of the frame height, not {self.size}")

    def box(self, frame: tuple[int, int] = FRAME) -> tuple[int, int, int]:
        """(x, y, side) of the head's square on the frame; the side is even (yuv420p)."""
        side = round(frame[1] * self.size / 2) * 2
        x = frame[0] - self.margin - side if self.corner.endswith("right") else self.margin
        y = frame[1] - self.margin - side if self.corner.startswith("lower") else self.margin
        return x, y, side

    def mark_corner(self) -> str:
        """The disclosure mark goes in the corner beside the head's, on the same edge."""
        vertical, horizontal = self.corner.split("-")
        return f"{vertical}-{'left' if horizontal == 'right' else 'right'}"


@lru_cache(maxsize=16)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = Path(_FONT_FILES[1 if bold else 0])
    if path.is_file():
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def _glyph(face: ImageFont.FreeTypeFont, char: str) -> tuple:
    mask = face.getmask(char)
    return mask.size, bytes(Image.frombytes("L", mask.size, bytes(mask)).tobytes()) if mask.size[0] else b""


def drawable(text: str, fallback: str) -> str:
    """``text`` if the font has a glyph for each character, else ``fallback``. A character the font lacks is drawn
    as its "missing glyph" box, so each is compared with the box a private-use code point gets."""
    face = font(20)
    if not isinstance(face, ImageFont.FreeTypeFont):
        return text if text.isascii() else fallback
    missing = _glyph(face, "\U0010fffd")
    return fallback if any(not c.isspace() and _glyph(face, c) == missing for c in text) else text


def _label(draw: ImageDraw.ImageDraw, xy: tuple[int, int], text: str, size: int, anchor: str) -> None:
    """Text on a translucent dark pill, readable on any slide."""
    face = font(size)
    left, top, right, bottom = draw.textbbox(xy, text, font=face, anchor=anchor)
    pad = size // 2
    draw.rounded_rectangle((left - pad, top - pad, right + pad, bottom + pad), radius=pad, fill=(0, 0, 0, 165))
    draw.text(xy, text, font=face, fill=(255, 255, 255, 255), anchor=anchor)


def shape_mask(side: int, shape: str) -> Image.Image:
    """An L-mode mask, 255 where the head shows."""
    mask = Image.new("L", (side * 4, side * 4), 0)  # drawn large and scaled down: smooth edges
    draw = ImageDraw.Draw(mask)
    if shape == "circle":
        draw.ellipse((0, 0, side * 4 - 1, side * 4 - 1), fill=255)
    elif shape == "rounded":
        draw.rounded_rectangle((0, 0, side * 4 - 1, side * 4 - 1), radius=side // 2, fill=255)
    else:
        draw.rectangle((0, 0, side * 4, side * 4), fill=255)
    return mask.resize((side, side), Image.Resampling.LANCZOS)


def slide_frame(slide_png: Path | None, mark: str, layout: PipLayout | None, dst: Path, *, title: str = "") -> None:
    """The still under the head: the slide (or the 16:9 background) with the disclosure mark in its corner.

    ``layout`` None means no deck: the head is shown large in the middle, on the background with the title.
    """
    frame = Image.open(slide_png).convert("RGB") if slide_png else Image.new("RGB", FRAME, BACKGROUND)
    if frame.size != FRAME:
        frame = frame.resize(FRAME, Image.Resampling.LANCZOS)
    draw = ImageDraw.Draw(frame, "RGBA")
    if slide_png is None and title:
        draw.text((FRAME[0] // 2, 70), title, font=font(44, bold=True), fill=(235, 240, 250), anchor="mt")
    corner = layout.mark_corner() if layout else "lower-left"
    margin = 28
    x = margin if corner.endswith("left") else FRAME[0] - margin
    y = margin if corner.startswith("upper") else FRAME[1] - margin
    anchor = ("l" if corner.endswith("left") else "r") + ("t" if corner.startswith("upper") else "s")
    _label(draw, (x + (12 if anchor[0] == "l" else -12), y - (12 if anchor[1] == "s" else -12)), mark, 24, anchor)
    frame.save(dst, format="PNG", compress_level=3)


def head_cover(background_png: Path, box: tuple[int, int, int], shape: str, dst: Path) -> None:
    """The background's square where the head goes, opaque outside the shape and clear inside, with a thin ring:
    laid over the head it cuts the head to its shape (cheaper in ffmpeg than an alpha merge every frame)."""
    x, y, side = box
    with Image.open(background_png) as im:
        piece = im.convert("RGBA").crop((x, y, x + side, y + side))
    mask = shape_mask(side, shape)
    inner = Image.new("L", (side, side), 0)
    inner.paste(shape_mask(side - 8, shape), (4, 4))
    ring = ImageChops.subtract(mask, inner)  # 4 px inside the shape's edge
    piece.putalpha(ImageChops.invert(mask))
    white = Image.new("RGBA", (side, side), (255, 255, 255, 255))
    white.putalpha(ring.point(lambda v: v * 9 // 10))
    piece.alpha_composite(white)
    piece.save(dst, format="PNG")


def title_card(dst: Path, *, title: str, speaker: str, course: str, disclosure: str) -> None:
    """The first seconds of the lecture: title, speaker and course, and the AI disclosure as a visible label."""
    card = Image.new("RGB", FRAME, CARD)
    draw = ImageDraw.Draw(card, "RGBA")
    centre = FRAME[0] // 2
    draw.text((centre, 380), title, font=font(72, bold=True), fill=(245, 248, 255), anchor="mm")
    draw.text((centre, 490), speaker, font=font(44), fill=(200, 210, 230), anchor="mm")
    draw.text((centre, 560), course, font=font(36), fill=(160, 175, 200), anchor="mm")
    _label(draw, (centre, 800), disclosure, 34, "mm")
    card.save(dst, format="PNG", compress_level=3)


def end_card(dst: Path, *, title: str, speaker: str, disclosure: str, credits: list[str]) -> None:
    """The last seconds: the title again, the disclosure, and which engines made the voice and the picture."""
    card = Image.new("RGB", FRAME, CARD)
    draw = ImageDraw.Draw(card, "RGBA")
    centre = FRAME[0] // 2
    draw.text((centre, 330), title, font=font(60, bold=True), fill=(245, 248, 255), anchor="mm")
    draw.text((centre, 420), speaker, font=font(40), fill=(200, 210, 230), anchor="mm")
    for number, line in enumerate(credits):
        draw.text((centre, 560 + 52 * number), line, font=font(30), fill=(170, 185, 210), anchor="mm")
    _label(draw, (centre, 900), disclosure, 30, "mm")
    card.save(dst, format="PNG", compress_level=3)
