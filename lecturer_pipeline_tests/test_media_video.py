"""The offline preview renderer and MP4 joining, on a portrait and speech made at run time."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageStat

from lecturer_pipeline.media.audio import wav_duration
from lecturer_pipeline.media.probe import MediaInfo, probe
from lecturer_pipeline.media.video import (
    AudioTrackEncode,
    join_video_with_track,
    render_preview,
)


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def portrait(dst: Path, size: tuple[int, int] = (512, 512)) -> Path:
    """A smooth mid-tone gradient with a face-like oval: no pure black or white anywhere in the label corner."""
    width, height = size
    im = Image.linear_gradient("L").resize(size).convert("RGB")
    im = Image.blend(im, Image.new("RGB", size, (90, 120, 160)), 0.6)
    ImageDraw.Draw(im).ellipse((width * 0.3, height * 0.2, width * 0.7, height * 0.75), fill=(220, 180, 150))
    im.save(dst)
    return dst


def speech(dst: Path, seconds: float) -> Path:
    """A tone whose loudness swells and fades, so the waveform strip changes from frame to frame."""
    ffmpeg(
        "-f", "lavfi", "-i", f"sine=frequency=220:duration={seconds}:sample_rate=16000",
        "-af", "volume='0.1+0.9*abs(sin(2*t))':eval=frame", "-ac", "1", str(dst),
    )  # fmt: skip
    return dst


def frame_at(video: Path, seconds: float, dst: Path) -> Image.Image:
    ffmpeg("-ss", str(seconds), "-i", str(video), "-frames:v", "1", str(dst))
    with Image.open(dst) as im:
        return im.convert("RGB")


def top_level_boxes(path: Path) -> list[str]:
    """The order of an MP4's top-level boxes (ISO BMFF), read from their size/type headers."""
    boxes = []
    with path.open("rb") as f:
        while header := f.read(8):
            size, kind = struct.unpack(">I4s", header)
            boxes.append(kind.decode("latin-1"))
            if size == 1:
                size = struct.unpack(">Q", f.read(8))[0] - 8
            elif size == 0:
                break
            f.seek(size - 8, 1)
    return boxes


def assert_deliverable(info: MediaInfo, path: Path) -> None:
    assert info.video is not None and info.audio is not None
    assert info.video.codec_name == "h264"
    assert info.video.pix_fmt == "yuv420p"
    assert info.audio.codec_name == "aac"
    assert info.video.width % 2 == 0 and info.video.height % 2 == 0
    boxes = top_level_boxes(path)
    assert boxes.index("moov") < boxes.index("mdat"), boxes  # faststart: playable before fully downloaded


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two rendered segments shared by the tests below: rendering is the slow part."""
    work = tmp_path_factory.mktemp("render")
    face = portrait(work / "face.png")
    out = {"face": face}
    for name, seconds in (("a", 2.3), ("b", 1.3)):
        out[f"{name}.wav"] = speech(work / f"{name}.wav", seconds)
        out[f"{name}.mp4"] = work / f"{name}.mp4"
        render_preview(face, out[f"{name}.wav"], out[f"{name}.mp4"])
    return out


def test_preview_matches_speech_and_is_deliverable(rendered: dict[str, Path]) -> None:
    info = probe(rendered["a.mp4"])
    assert abs(info.duration - wav_duration(rendered["a.wav"])) <= 0.1
    assert_deliverable(info, rendered["a.mp4"])
    assert (info.video.width, info.video.height) == (512, 512)
    assert not [p for p in rendered["a.mp4"].parent.iterdir() if p.name.startswith(".")]  # no temp left


def test_preview_moves_over_time(rendered: dict[str, Path], tmp_path: Path) -> None:
    early = frame_at(rendered["a.mp4"], 0.2, tmp_path / "early.png")
    late = frame_at(rendered["a.mp4"], 1.6, tmp_path / "late.png")
    diff = ImageChops.difference(early, late)
    assert diff.getbbox() is not None
    assert sum(ImageStat.Stat(diff).mean) > 1.0  # clearly different, not codec noise
    strip = (0, 440, 512, 512)  # the waveform follows the loudness of the speech
    assert sum(ImageStat.Stat(ImageChops.difference(early.crop(strip), late.crop(strip))).mean) > 1.0


def test_preview_has_label_baked_in(rendered: dict[str, Path], tmp_path: Path) -> None:
    corner = frame_at(rendered["a.mp4"], 1.0, tmp_path / "f.png").crop((0, 0, 256, 80)).convert("L")
    low, high = corner.getextrema()
    with Image.open(rendered["face"]) as face:
        plain_low, plain_high = face.crop((0, 0, 256, 80)).convert("L").getextrema()
    assert high > 220 and high > plain_high + 40  # white text…
    assert low < 40 and low < plain_low - 40  # …on a dark box, neither of which is in the portrait there


def test_odd_sized_portrait_gives_even_dimensions(tmp_path: Path) -> None:
    face = portrait(tmp_path / "odd.png", (201, 151))
    wav = speech(tmp_path / "s.wav", 0.6)
    info = render_preview(face, wav, tmp_path / "odd.mp4", fps=10)
    assert (info.video.width, info.video.height) == (200, 150)
    assert abs(info.duration - 0.6) <= 0.1


def test_joining_needs_segments(tmp_path: Path) -> None:
    track = tmp_path / "speech.m4a"
    with pytest.raises(ValueError, match="at least one segment"):
        join_video_with_track([], track, 1.0, tmp_path / "x.mp4")


def _audio_md5(video: Path) -> str:
    """The MD5 of a file's audio packets as stored (no decoding): equal only for the very same encoded sound."""
    out = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(video), "-map", "0:a", "-c", "copy", "-f", "md5", "-"],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def test_join_lays_a_track_encoded_beforehand_unchanged(rendered: dict[str, Path], tmp_path: Path) -> None:
    """The sound track encoded beside the renders is copied in as it is: the segments' own sound is dropped, the
    pictures are joined without re-encoding, and the result lasts as long as the speech."""
    master = speech(tmp_path / "lecture.wav", 3.6)
    parts = [rendered["a.mp4"], rendered["b.mp4"]]
    with AudioTrackEncode(master, tmp_path / "speech.m4a") as sound:
        track = sound.wait()
    copied_in = join_video_with_track(parts, track, wav_duration(master), tmp_path / "copied.mp4")

    assert_deliverable(copied_in, tmp_path / "copied.mp4")
    assert copied_in.duration == pytest.approx(wav_duration(master), abs=0.1)
    assert copied_in.audio.sample_rate == 48000
    assert copied_in.video.codec_name == probe(parts[0]).video.codec_name
    assert _audio_md5(tmp_path / "copied.mp4") == _audio_md5(track)
    assert track.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary file is left"


def test_a_failed_track_encode_says_why_and_leaves_nothing(tmp_path: Path) -> None:
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF not really a wave file")
    with AudioTrackEncode(broken, tmp_path / "speech.m4a") as sound, pytest.raises(RuntimeError, match=r"broken\.wav"):
        sound.wait()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.wav"]


def test_a_cancelled_track_encode_stops_and_leaves_nothing(tmp_path: Path) -> None:
    master = speech(tmp_path / "long.wav", 120)
    sound = AudioTrackEncode(master, tmp_path / "speech.m4a")
    sound.cancel()
    assert sound._process.returncode is not None, "the encoder process has ended"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.wav"]
