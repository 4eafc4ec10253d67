"""Face preflight: is there a face KDTalker can animate in the portrait? Checked before anything is paid for.

KDTalker's cropper (``chaolongy/KDTalker`` ``dataset_process/croper.py``, commit f78bf4c9, called from
``inference.py`` ``generate_with_audio_img`` on ``np.array(Image.open(path).convert('RGB'))``) finds the face with
``dlib.get_frontal_face_detector()`` at upsample 1 and animates ``dets[0]``. With no face it executes
``raise 'can not detect the landmark from source image'`` — a TypeError in Python 3 — so its Gradio app answers a
generic error with no message, and a render is lost for nothing. The pipeline therefore runs the very same detector,
the same way, on the very 512×512 PNG it will send, in the portrait stage.

Rules (documented in the README):

- no face → refused, saying what a usable portrait looks like;
- several faces → the largest is the lecturer's (a badge, a poster or a second person behind is smaller); the count
  and the choice are recorded in the portrait's metadata. KDTalker itself animates its detector's first face, so
  the metadata also says whether that is the same one;
- a face narrower than ``MIN_FACE_SIDE`` px of the 512 px portrait → refused: KDTalker crops about twice the face's
  width and scales the crop to 256 px, so a smaller face is upscaled and renders blurred.

dlib comes from the ``dlib-bin`` wheel: a prebuilt binary with the HOG detector compiled in (no model file).
"""

from __future__ import annotations

import os
import threading
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from lecturer_pipeline.errors import InputError
from lecturer_pipeline.media._atomic import atomic_path

UPSAMPLE = 1  # as KDTalker's croper calls the detector: finds faces down to about 40 px
MIN_FACE_SIDE = 80  # px of the 512 px portrait (see the module docstring)
DETECTOR = "dlib frontal face detector (HOG), upsample 1"
# Bump when the rules above change, so stored portraits are checked again.
PREFLIGHT_VERSION = 1

USABLE_PORTRAIT = (
    "a usable portrait is a photo of the lecturer alone, head and shoulders, looking at the camera, the face "
    "unobstructed (no sunglasses or mask), evenly lit, and at least a sixth of the picture's width"
)

_lock = threading.Lock()  # one detector object, used by one thread at a time


@lru_cache(maxsize=1)
def _detector() -> Any:
    import dlib  # imported on first use: the wheel is large to load and only the portrait stage needs it

    return dlib.get_frontal_face_detector()


@dataclass(frozen=True)
class FaceBox:
    """A face the detector found, in pixels of the image it looked at, with the detector's score."""

    left: int
    top: int
    right: int
    bottom: int
    score: float

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def area(self) -> int:
        return max(0, self.width) * max(0, self.height)

    def as_list(self) -> list[int]:
        return [self.left, self.top, self.right, self.bottom]


@dataclass(frozen=True)
class FaceCheck:
    """What the preflight found: every face (in the detector's order) and the one taken as the lecturer's."""

    faces: tuple[FaceBox, ...]
    chosen: FaceBox
    image_size: tuple[int, int]

    @property
    def renderer_face_is_chosen(self) -> bool:
        """Whether KDTalker's own pick (``dets[0]``) is the face the pipeline took."""
        return self.faces[0] == self.chosen

    @classmethod
    def from_details(cls, details: dict[str, Any]) -> FaceCheck | None:
        """The check as recorded in a portrait's metadata (None for portraits made before the preflight)."""
        faces = tuple(FaceBox(**face) for face in details.get("faces") or ())
        if not faces:
            return None
        return cls(faces, _largest(faces), (0, 0))

    def details(self) -> dict[str, Any]:
        """Flat values for the portrait's metadata."""
        box = self.chosen
        return {
            "face_detector": DETECTOR,
            "faces_found": len(self.faces),
            "face_box": f"{box.left},{box.top},{box.right},{box.bottom}",
            "face_size": f"{box.width}×{box.height}",
            "face_choice": "the only face" if len(self.faces) == 1 else f"the largest of {len(self.faces)} faces",
            "renderer_animates_same_face": self.renderer_face_is_chosen,
            "faces": [asdict(face) for face in self.faces],
        }


def detect_faces(image: str | os.PathLike[str] | Image.Image) -> list[FaceBox]:
    """Faces in the image, as KDTalker's croper finds them: the RGB pixels, dlib's detector, upsample 1."""
    if isinstance(image, Image.Image):
        pixels = np.asarray(image.convert("RGB"))
    else:
        with Image.open(image) as opened:
            pixels = np.asarray(opened.convert("RGB"))
    with _lock:
        rects, scores, _ = _detector().run(pixels, UPSAMPLE, 0.0)
    pairs = zip(rects, scores, strict=True)
    return [FaceBox(r.left(), r.top(), r.right(), r.bottom(), round(float(s), 3)) for r, s in pairs]


def check_face(png: str | os.PathLike[str], *, where: str, min_side: int = MIN_FACE_SIDE) -> FaceCheck:
    """The preflight: the face KDTalker will animate, or InputError (``where`` names the upload) saying why not."""
    with Image.open(png) as image:
        size = image.size
        faces = detect_faces(image)
    if not faces:
        raise InputError(
            f"no face found in the portrait by the face detector KDTalker uses ({DETECTOR}), so it could not be "
            f"animated; {USABLE_PORTRAIT}",
            file=where,
        )
    chosen = _largest(faces)
    if min(chosen.width, chosen.height) < min_side:
        raise InputError(
            f"the face in the portrait is {chosen.width}×{chosen.height} px of the {size[0]}×{size[1]} px picture, "
            f"smaller than the {min_side} px the renderer needs (it would be blurred); crop the photo closer to the "
            f"face or upload a larger one: {USABLE_PORTRAIT}",
            file=where,
        )
    return FaceCheck(tuple(faces), chosen, size)


def _largest(faces: tuple[FaceBox, ...] | list[FaceBox]) -> FaceBox:
    """The lecturer's face among several: the largest (the first of equals, as the detector ordered them)."""
    return max(faces, key=lambda face: face.area)


def draw_face_boxes(png: str | os.PathLike[str], check: FaceCheck, dst: str | os.PathLike[str]) -> Path:
    """The portrait with the chosen face framed in green (other faces in grey), for previews; written atomically."""
    with Image.open(png) as opened:
        image = opened.convert("RGB")
    draw = ImageDraw.Draw(image)
    width = max(2, image.width // 170)
    for face in check.faces:
        if face != check.chosen:
            draw.rectangle(face.as_list(), outline=(160, 160, 160), width=width)
    draw.rectangle(check.chosen.as_list(), outline=(40, 220, 90), width=width)
    with atomic_path(dst) as tmp:
        image.save(tmp, format="PNG")
    return Path(dst)
