"""Portrait checks and conversions, on images drawn with Pillow at run time."""

from __future__ import annotations

import io
import struct
import time
import zlib
from pathlib import Path

import pytest
from PIL import Image

from lecturer_pipeline.errors import InputError
from lecturer_pipeline.media import image
from lecturer_pipeline.media.image import PORTRAIT_SIZE, normalise_portrait

RED, BLUE, WHITE = (255, 0, 0), (0, 0, 255), (255, 255, 255)


def refused(src: Path, tmp_path: Path) -> str:
    dst = tmp_path / "out.png"
    with pytest.raises(InputError) as caught:
        normalise_portrait(src, dst)
    assert caught.value.file == str(src)
    assert not dst.exists()
    return caught.value.message


def converted(src: Path, tmp_path: Path) -> tuple[image.PortraitInfo, Image.Image]:
    """Normalise ``src`` and return the info and the decoded result, checking the invariant output format."""
    dst = tmp_path / "portrait.png"
    info = normalise_portrait(src, dst)
    with Image.open(dst) as out:
        out.load()
    assert out.format == "PNG"
    assert out.mode == "RGB"
    assert out.size == (PORTRAIT_SIZE, PORTRAIT_SIZE)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left beside dst
    return info, out


def png_with_header_size(dst: Path, width: int, height: int) -> Path:
    """A tiny PNG whose IHDR claims ``width``×``height``: costless to make, a bomb if anyone decodes it."""
    buf = io.BytesIO()
    Image.new("L", (8, 8), 128).save(buf, format="PNG")
    data = bytearray(buf.getvalue())
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    dst.write_bytes(bytes(data))
    return dst


def test_plain_rgb_square_is_resized_only(tmp_path: Path) -> None:
    src = tmp_path / "face.jpg"
    Image.new("RGB", (300, 300), (10, 200, 30)).save(src, quality=95)
    info, out = converted(src, tmp_path)
    assert (info.source_format, info.source_width, info.source_height, info.source_mode) == ("JPEG", 300, 300, "RGB")
    assert info.converted == ("resized to 512",)
    assert out.getpixel((256, 256)) == pytest.approx((10, 200, 30), abs=6)


def test_cmyk_becomes_rgb(tmp_path: Path) -> None:
    src = tmp_path / "print.jpg"
    Image.new("CMYK", (600, 600), (0, 255, 255, 0)).save(src)  # pure red ink
    info, out = converted(src, tmp_path)
    assert info.source_mode == "CMYK"
    assert "CMYK to RGB" in info.converted
    r, g, b = out.getpixel((256, 256))
    assert r > 200 and g < 60 and b < 60


def test_transparent_background_flattened_on_white(tmp_path: Path) -> None:
    src = tmp_path / "cutout.png"
    im = Image.new("RGBA", (512, 512), (0, 0, 0, 0))
    im.paste((0, 0, 255, 255), (128, 128, 384, 384))
    im.save(src)
    info, out = converted(src, tmp_path)
    assert info.converted == ("alpha flattened on white",)
    assert out.getpixel((5, 5)) == WHITE  # transparent corner is white, not black
    assert out.getpixel((256, 256)) == BLUE


def test_animated_gif_gives_first_frame(tmp_path: Path) -> None:
    src = tmp_path / "wave.gif"
    frames = [Image.new("RGB", (200, 200), c) for c in (RED, BLUE, BLUE)]
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=100, loop=0)
    info, out = converted(src, tmp_path)
    assert "first frame of animated GIF" in info.converted
    assert out.getpixel((256, 256)) == RED


def test_palette_and_16_bit_grey_become_rgb(tmp_path: Path) -> None:
    src = tmp_path / "palette.png"
    Image.new("RGB", (128, 128), (200, 50, 50)).convert("P").save(src)
    info, out = converted(src, tmp_path)
    assert info.source_mode == "P" and "palette to RGB" in info.converted
    assert out.getpixel((100, 100))[0] > 150

    src = tmp_path / "scan.png"
    grey = Image.new("I;16", (128, 128), 1000)
    grey.paste(60000, (0, 0, 64, 128))  # left half bright, right half dark: must not clip to all-white
    grey.save(src)
    info, out = converted(src, tmp_path)
    assert info.source_mode.startswith("I;16")
    assert out.getpixel((50, 256))[0] > 240
    assert out.getpixel((460, 256))[0] < 15


def test_exif_orientation_applied(tmp_path: Path) -> None:
    src = tmp_path / "phone.jpg"
    im = Image.new("RGB", (400, 200), RED)
    im.paste(BLUE, (200, 0, 400, 200))  # stored: red left, blue right
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    im.save(src, exif=exif.tobytes(), quality=95)
    info, out = converted(src, tmp_path)
    assert "EXIF orientation applied" in info.converted
    top, bottom = out.getpixel((256, 5)), out.getpixel((256, 506))
    assert top[0] > 200 and top[2] < 60  # displayed upright: red on top
    assert bottom[2] > 200 and bottom[0] < 60


def test_tall_image_cropped_with_upward_bias(tmp_path: Path) -> None:
    src = tmp_path / "tall.png"
    im = Image.new("RGB", (200, 400), BLUE)
    im.paste(RED, (0, 0, 200, 90))  # a 90 px red band at the top: a centred crop (top=100) would lose it
    im.save(src)
    info, out = converted(src, tmp_path)
    assert info.converted == ("cropped to square", "resized to 512")
    assert out.getpixel((256, 2)) == RED
    assert out.getpixel((256, 509)) == BLUE


def test_empty_file_refused(tmp_path: Path) -> None:
    src = tmp_path / "face.png"
    src.touch()
    assert "empty (0 bytes)" in refused(src, tmp_path)


def test_too_many_bytes_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "face.png"
    Image.new("RGB", (100, 100)).save(src)
    monkeypatch.setattr(image, "MAX_PORTRAIT_BYTES", 100)
    assert "larger than" in refused(src, tmp_path)


def test_not_an_image_refused(tmp_path: Path) -> None:
    src = tmp_path / "face.jpg"
    src.write_text("this is a text file, not a photo\n" * 20)
    assert "not an image" in refused(src, tmp_path)


def test_truncated_image_refused(tmp_path: Path) -> None:
    buf = io.BytesIO()
    Image.effect_noise((256, 256), 60).convert("RGB").save(buf, format="JPEG")
    src = tmp_path / "cut.jpg"
    src.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    assert "corrupt or truncated" in refused(src, tmp_path)


def test_too_small_refused(tmp_path: Path) -> None:
    src = tmp_path / "icon.png"
    Image.new("RGB", (50, 80)).save(src)
    assert "50×80 px, too small" in refused(src, tmp_path)


@pytest.mark.parametrize("side", [7000, 30000], ids=["over-our-limit", "over-pillows-limit"])
def test_decompression_bomb_refused_without_decoding(tmp_path: Path, side: int) -> None:
    """Only 8×8 pixels of data exist: decoding would fail as 'truncated', so 'too large' proves it never started."""
    src = png_with_header_size(tmp_path / "bomb.png", side, side)
    started = time.monotonic()
    message = refused(src, tmp_path)
    assert time.monotonic() - started < 1.0
    assert "too large to decode safely" in message
    assert "truncated" not in message
