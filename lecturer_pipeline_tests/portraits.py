"""Portraits made at run time for the face preflight: the sample photo placed small, twice, or not at all.

The photo is the demo's sample (``make_sample_portrait``: scikit-image's public-domain astronaut, head and
shoulders), the one face every test may rely on dlib finding. The faceless picture is the drawn cartoon face the demo
used before: dlib's detector finds no face in it, so a real KDTalker could not animate it either.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from PIL import Image, ImageDraw

from lecturer_pipeline.sample import make_sample_portrait

BACKDROP = (200, 200, 210)


def photo(size: int = 300) -> Image.Image:
    """The sample photo as an RGB image of ``size``×``size``."""
    with tempfile.TemporaryDirectory(prefix="portrait-") as folder:
        path = make_sample_portrait(Path(folder) / "photo.png", size=size)
        with Image.open(path) as image:
            return image.convert("RGB")


def drawn_face(dst: Path, size: int = 640) -> Path:
    """A friendly drawn face (ovals and lines): a person sees a face, dlib's detector does not."""
    image = Image.new("RGB", (size, size), (58, 96, 140))
    draw = ImageDraw.Draw(image)
    s = size / 640
    draw.rectangle([0, int(520 * s), size, size], fill=(40, 40, 60))
    draw.ellipse([int(190 * s), int(110 * s), int(450 * s), int(430 * s)], fill=(236, 200, 170))
    draw.chord([int(180 * s), int(80 * s), int(460 * s), int(300 * s)], 180, 360, fill=(90, 60, 40))
    for x in (265, 375):
        draw.ellipse([int((x - 22) * s), int(225 * s), int((x + 22) * s), int(255 * s)], fill="white")
        draw.ellipse([int((x - 10) * s), int(230 * s), int((x + 10) * s), int(250 * s)], fill=(40, 60, 90))
    draw.arc([int(270 * s), int(320 * s), int(370 * s), int(380 * s)], 20, 160, fill=(150, 60, 60), width=6)
    image.save(dst, format="PNG")
    return dst


def small_face(dst: Path) -> Path:
    """The photo at 110 px on a 600 px backdrop: a face of about 36 px once the portrait is 512 px."""
    canvas = Image.new("RGB", (600, 600), BACKDROP)
    canvas.paste(photo(110), (245, 200))
    canvas.save(dst, format="PNG")
    return dst


def two_faces(dst: Path) -> Path:
    """The photo twice, small on the left and large on the right; dlib lists the small one first."""
    canvas = Image.new("RGB", (600, 600), BACKDROP)
    canvas.paste(photo(200), (20, 150))
    canvas.paste(photo(330), (250, 120))
    canvas.save(dst, format="PNG")
    return dst
