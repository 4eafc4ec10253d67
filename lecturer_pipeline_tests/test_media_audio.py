"""Reference-voice checks, conversion to the pipeline's WAV format, and WAV joining, on media made at run time."""

from __future__ import annotations

import subprocess
import wave
from array import array
from pathlib import Path

import pytest

from lecturer_pipeline.errors import InputError
from lecturer_pipeline.media.audio import (
    SAMPLE_RATE,
    concat_wavs,
    normalise_voice,
    to_wav_16k_mono,
    validate_reference_voice,
    wav_duration,
)
from lecturer_pipeline.media.probe import probe


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def sine(dst: Path, seconds: float, *, rate: int = 44100, channels: int = 2, volume_db: float = 0.0) -> Path:
    ffmpeg(
        "-f", "lavfi", "-i", f"sine=frequency=330:duration={seconds}:sample_rate={rate}",
        "-af", f"volume={volume_db}dB", "-ac", str(channels), str(dst),
    )  # fmt: skip
    return dst


def speech(dst: Path) -> Path:
    """About 12 s of real (synthetic) speech, encoded as Ogg/Opus like a browser upload."""
    raw = dst.with_suffix(".raw.wav")
    text = " ".join(["The lecture today covers the basics of signal processing and sampling."] * 3)
    subprocess.run(
        ["espeak-ng", "-v", "en-us", "-s", "140", "-w", str(raw), "--stdin"], input=text.encode(), check=True
    )
    ffmpeg("-i", str(raw), "-c:a", "libopus", str(dst))
    return dst


def reason(path: Path, **kwargs: float) -> str:
    with pytest.raises(InputError) as caught:
        validate_reference_voice(path, **kwargs)
    assert caught.value.file == str(path)
    return caught.value.message


def samples(path: Path) -> array:
    with wave.open(str(path), "rb") as w:
        data = array("h")
        data.frombytes(w.readframes(w.getnframes()))
    return data


def wav_params(path: Path) -> tuple[int, int, int]:
    with wave.open(str(path), "rb") as w:
        return w.getframerate(), w.getnchannels(), w.getsampwidth()


def test_valid_voice_passes(tmp_path: Path) -> None:
    check = validate_reference_voice(speech(tmp_path / "voice.ogg"))
    assert 10.0 <= check.duration <= 30.0
    assert check.codec == "opus"
    assert check.max_volume_db > -20.0
    assert check.mean_volume_db > -60.0


def test_voice_without_duration_in_header_is_measured(tmp_path: Path) -> None:
    """A webm written to a pipe (like MediaRecorder output) has no duration header: it must be decoded."""
    dst = tmp_path / "recording.webm"
    with dst.open("wb") as out:
        subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=300:duration=12",
             "-c:a", "libopus", "-f", "webm", "pipe:1"],
            stdout=out, check=True,
        )  # fmt: skip
    assert probe(dst).duration == 0.0
    assert validate_reference_voice(dst).duration == pytest.approx(12.0, abs=0.05)
    with dst.open("wb") as out:
        subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=300:duration=5",
             "-c:a", "libopus", "-f", "webm", "pipe:1"],
            stdout=out, check=True,
        )  # fmt: skip
    assert "5.0 s long" in reason(dst)


def test_short_voice_refused_with_its_length(tmp_path: Path) -> None:
    message = reason(sine(tmp_path / "short.wav", 8.2))
    assert "8.2 s long" in message
    assert "10–30 s" in message


def test_long_voice_refused_with_its_length(tmp_path: Path) -> None:
    message = reason(sine(tmp_path / "long.flac", 31.5, rate=16000, channels=1))
    assert "31.5 s long" in message
    assert "trim" in message


def test_silent_voice_refused(tmp_path: Path) -> None:
    path = tmp_path / "silent.wav"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "12", str(path))
    assert "silent" in reason(path)


def test_whisper_quiet_voice_refused(tmp_path: Path) -> None:
    assert "silent" in reason(sine(tmp_path / "quiet.wav", 12, volume_db=-60))


def test_video_file_refused(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc=size=64x64:rate=10:duration=1", "-f", "lavfi", "-i", "sine=duration=1",
        "-c:v", "libx264", "-c:a", "aac", "-shortest", str(path),
    )  # fmt: skip
    assert "video file, upload audio only" in reason(path)


def test_image_refused_as_not_audio(tmp_path: Path) -> None:
    path = tmp_path / "face.png"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x64:duration=1", "-frames:v", "1", str(path))
    assert "is an image, not audio" in reason(path)


def test_no_audio_stream_refused(tmp_path: Path) -> None:
    path = tmp_path / "captions.srt"
    path.write_text("1\n00:00:00,000 --> 00:00:02,000\nHello\n\n", encoding="utf-8")
    assert "no audio stream" in reason(path)


def test_empty_file_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.ogg"
    path.touch()
    assert "empty (0 bytes)" in reason(path)


def test_not_audio_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.ogg"
    path.write_bytes(b"\x00\x01 these are not the bytes of any audio format \xff" * 50)
    assert "not a media file ffmpeg can read" in reason(path)


def test_too_big_refused(tmp_path: Path) -> None:
    path = sine(tmp_path / "voice.wav", 12)
    message = reason(path, max_bytes=1000)
    assert "larger than" in message
    assert "limit" in message


def test_to_wav_16k_mono_converts_any_input(tmp_path: Path) -> None:
    src = sine(tmp_path / "stereo.mp3", 1.5)
    dst = tmp_path / "out.wav"
    to_wav_16k_mono(src, dst)
    assert wav_params(dst) == (SAMPLE_RATE, 1, 2)
    assert wav_duration(dst) == pytest.approx(1.5, abs=0.06)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.wav", "stereo.mp3"]  # no temp file left


def test_failed_conversion_leaves_no_output(tmp_path: Path) -> None:
    src = tmp_path / "junk.mp3"
    src.write_bytes(b"junk" * 100)
    with pytest.raises(InputError):
        to_wav_16k_mono(src, tmp_path / "out.wav")
    assert [p.name for p in tmp_path.iterdir()] == ["junk.mp3"]


def test_normalise_voice_raises_quiet_speech(tmp_path: Path) -> None:
    src = sine(tmp_path / "quiet.wav", 3, volume_db=-35)
    dst = tmp_path / "norm.wav"
    normalise_voice(src, dst)
    assert wav_params(dst) == (SAMPLE_RATE, 1, 2)
    assert wav_duration(dst) == pytest.approx(3.0, abs=0.05)
    before = max(abs(s) for s in samples(src))
    after = max(abs(s) for s in samples(dst))
    assert after > 5 * before


def write_tone(path: Path, seconds: float, *, rate: int = SAMPLE_RATE, value: int = 12000) -> Path:
    """A constant (DC) tone: any fade shows up as a ramp, and its edges must not jump to full level."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(array("h", [value] * round(seconds * rate)).tobytes())
    return path


def test_concat_wavs_adds_gaps_between_parts_only(tmp_path: Path) -> None:
    parts = [write_tone(tmp_path / f"{i}.wav", s) for i, s in enumerate((0.5, 1.25, 0.75))]
    dst = tmp_path / "all.wav"
    total = concat_wavs(parts, dst, gap_seconds=0.25, fade_ms=5.0)
    assert total == pytest.approx(0.5 + 1.25 + 0.75 + 2 * 0.25, abs=0.01)
    assert wav_duration(dst) == pytest.approx(total, abs=0.001)
    assert wav_params(dst) == (SAMPLE_RATE, 1, 2)
    data = samples(dst)
    fade = 80  # 5 ms at 16 kHz
    assert data[0] == 0 and data[-1] == 0  # faded in and out: no click at the ends
    assert data[fade // 2] == pytest.approx(6000, abs=200)  # half-way up a linear ramp
    assert data[fade + 10] == 12000  # untouched after the fade
    first_end = 8000
    assert data[first_end - 1] == 0 and data[first_end + 2000] == 0  # gap after part 1 is silence
    assert data[first_end + 4000] == 0  # first sample of part 2, faded in
    assert data[first_end + 4000 + 1000] == 12000  # no silence at the start: part 2 starts right after the gap


def test_concat_wavs_streams_long_parts(tmp_path: Path) -> None:
    """Parts longer than the read block still get exactly one fade in and one fade out."""
    part = write_tone(tmp_path / "long.wav", 9.0)
    total = concat_wavs([part, part], tmp_path / "out.wav", gap_seconds=0.1)
    assert total == pytest.approx(18.1, abs=0.01)
    data = samples(tmp_path / "out.wav")
    assert data[65536] == 12000 and data[65535] == 12000  # block boundaries are not faded
    assert data[144000 - 1] == 0 and data[144000 - 40] == pytest.approx(6000, abs=200)


def test_concat_wavs_refuses_a_format_mix(tmp_path: Path) -> None:
    good = write_tone(tmp_path / "good.wav", 0.5)
    odd = write_tone(tmp_path / "odd.wav", 0.5, rate=22050)
    with pytest.raises(ValueError, match=r"odd\.wav") as caught:
        concat_wavs([good, odd], tmp_path / "out.wav")
    assert "22050 Hz" in str(caught.value)
    assert not (tmp_path / "out.wav").exists()
