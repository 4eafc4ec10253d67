"""The face preflight (``media/faces.py``): dlib's detector as KDTalker's cropper runs it, on generated portraits."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from lecturer_pipeline.errors import InputError
from lecturer_pipeline.media.faces import MIN_FACE_SIDE, FaceCheck, check_face, detect_faces, draw_face_boxes
from lecturer_pipeline.media.image import normalise_portrait
from lecturer_pipeline.sample import make_sample_portrait
from lecturer_pipeline_tests.portraits import drawn_face, small_face, two_faces


def normalised(src: Path, tmp_path: Path) -> Path:
    """The 512×512 PNG the pipeline would send to KDTalker."""
    dst = tmp_path / f"{src.stem}-512.png"
    normalise_portrait(src, dst)
    return dst


def test_the_demo_portrait_has_exactly_one_face_big_enough(tmp_path: Path) -> None:
    png = normalised(make_sample_portrait(tmp_path / "sample.png"), tmp_path)
    check = check_face(png, where="uploads/portrait/demo-lecturer.png")
    assert len(check.faces) == 1 and check.renderer_face_is_chosen
    box = check.chosen
    assert min(box.width, box.height) >= MIN_FACE_SIDE
    assert 0 <= box.left < box.right <= 512 and 0 <= box.top < box.bottom <= 512
    details = check.details()
    assert details["faces_found"] == 1 and details["face_choice"] == "the only face"
    assert details["face_box"] == f"{box.left},{box.top},{box.right},{box.bottom}"


def test_the_uncropped_astronaut_has_two_faces_for_dlib() -> None:
    """Why the sample is cropped: at upsample 1 dlib also takes her mission patch for a face."""
    from skimage import data

    assert len(detect_faces(Image.fromarray(data.astronaut()))) == 2


def test_a_drawn_face_is_refused_saying_what_a_usable_portrait_is(tmp_path: Path) -> None:
    png = normalised(drawn_face(tmp_path / "cartoon.png"), tmp_path)
    with pytest.raises(InputError) as refused:
        check_face(png, where="uploads/portrait/eve.png")
    message = str(refused.value)
    assert "uploads/portrait/eve.png" in message and "no face found" in message
    assert "dlib frontal face detector" in message and "head and shoulders, looking at the camera" in message


def test_a_face_too_small_is_refused_with_its_size(tmp_path: Path) -> None:
    png = normalised(small_face(tmp_path / "far.png"), tmp_path)
    assert detect_faces(png), "dlib does find the small face: it is refused for its size, not for want of a face"
    with pytest.raises(InputError) as refused:
        check_face(png, where="uploads/portrait/far.png")
    message = str(refused.value)
    assert f"smaller than the {MIN_FACE_SIDE} px" in message and "crop the photo closer" in message


def test_of_several_faces_the_largest_is_taken_and_said_so(tmp_path: Path) -> None:
    png = normalised(two_faces(tmp_path / "two.png"), tmp_path)
    check = check_face(png, where="uploads/portrait/two.png")
    assert len(check.faces) == 2
    assert check.chosen.area == max(face.area for face in check.faces)
    details = check.details()
    assert details["face_choice"] == "the largest of 2 faces"
    assert FaceCheck.from_details(details) == FaceCheck(check.faces, check.chosen, (0, 0))


def test_the_preview_frames_the_chosen_face_in_green(tmp_path: Path) -> None:
    png = normalised(two_faces(tmp_path / "two.png"), tmp_path)
    check = check_face(png, where="two.png")
    framed = draw_face_boxes(png, check, tmp_path / "framed.png")
    with Image.open(framed) as image:
        assert image.size == (512, 512)
        box = check.chosen
        assert image.getpixel((box.left + 1, (box.top + box.bottom) // 2)) == (40, 220, 90)
        other = next(face for face in check.faces if face != box)
        assert image.getpixel((other.left + 1, (other.top + other.bottom) // 2)) == (160, 160, 160)


def test_the_studio_preview_frames_the_face_and_refuses_a_faceless_one(tmp_path: Path) -> None:
    from lecturer_pipeline.studio.files import preview_portrait

    good = preview_portrait(make_sample_portrait(tmp_path / "me.png"), tmp_path / "work")
    assert good.path is not None and "Face found (the only face, framed in green)" in good.message
    with Image.open(good.path) as image:
        assert image.size == (512, 512) and (40, 220, 90) in {c for _, c in image.getcolors(1 << 20)}
    bad = preview_portrait(drawn_face(tmp_path / "cartoon.png"), tmp_path / "work")
    assert bad.path is None and bad.message.startswith("✗ no face found")
