"""Bad input, one table: each case is refused with a clear error naming the lecture and the file, a FAILED catalog row
with the reason, and no half-written artefact — or, for images the pipeline can fix, converted into a finished lecture.

Voice, portrait, script and manifest cases run the real asset graph on the embedded default; ID cases run the
command line, where an invalid name is refused before anything is written. Limits under test: a reference voice of
at most 25 MB (``validate_reference_voice(max_bytes=...)``), a script of at most 60 000 characters
(``MAX_SCRIPT_CHARS``), names of at most 64 characters (``MAX_NAME_LENGTH``). All media is generated here, cheaply.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest
from PIL import Image

from lecturer_pipeline.ids import MAX_NAME_LENGTH
from lecturer_pipeline.media.image import MAX_PORTRAIT_PIXELS
from lecturer_pipeline.storage.catalog import Catalog
from lecturer_pipeline.storage.layout import portrait_key
from lecturer_pipeline.text.script import MAX_SCRIPT_CHARS
from lecturer_pipeline.uploads import submit_speaker_files
from lecturer_pipeline_tests.pipeline_helpers import (
    CONSENT,
    definitions,
    local_settings,
    run,
    run_cli,
    submit_sample,
)
from lecturer_pipeline_tests.portraits import drawn_face, photo, small_face
from lecturer_pipeline_tests.test_media_image import png_with_header_size

VOICE_LIMIT_BYTES = 25 * 1024 * 1024  # the documented upload limit (validate_reference_voice's max_bytes)
COURSE, LECTURE, SPEAKER = "cs101", "sets", "bob"
LECTURE_ID = f"{COURSE}--{LECTURE}"
MANIFEST_KEY = f"uploads/lectures/{COURSE}/{LECTURE}.json"
SCRIPT_KEY = f"uploads/lectures/{COURSE}/{LECTURE}.txt"
_TEMP_NAME = re.compile(r"^\.tmp-|\.part$|\.tmp(\.|$)")


@dataclass(frozen=True)
class Bad:
    """What a case makes: a voice or portrait file, the raw bytes of a lecture upload, or a name for the CLI."""

    file: Path | None = None
    upload: bytes | None = None
    name: str | None = None


Maker = Callable[[Path], Bad]


# --- makers: each builds one bad (or convertible) input in a temp folder, in well under a second ----------------------


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def _tone(seconds: float) -> Maker:
    def make(folder: Path) -> Bad:
        dst = folder / "voice.wav"
        _ffmpeg("-f", "lavfi", "-i", f"sine=frequency=330:duration={seconds}:sample_rate=16000", str(dst))
        return Bad(file=dst)

    return make


def _silence(folder: Path) -> Bad:
    dst = folder / "voice.wav"
    _ffmpeg("-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "12", str(dst))
    return Bad(file=dst)


def _corrupt_voice(folder: Path) -> Bad:
    """A 12 s WAV whose header is damaged: its format tag says MP3, but the data is PCM."""
    good = _tone(12)(folder).file
    assert good is not None
    data = bytearray(good.read_bytes())
    data[20:22] = b"\x55\x00"
    dst = folder / "damaged.wav"
    dst.write_bytes(bytes(data))
    return Bad(file=dst)


def _bytes_as(name: str, data: bytes) -> Maker:
    def make(folder: Path) -> Bad:
        dst = folder / name
        dst.write_bytes(data)
        return Bad(file=dst)

    return make


def _video_as_voice(folder: Path) -> Bad:
    """A real mp4 (H.264 + AAC) uploaded under an audio name."""
    clip = folder / "clip.mp4"
    _ffmpeg(
        "-f", "lavfi", "-i", "testsrc=size=64x64:rate=10:duration=12", "-f", "lavfi", "-i", "sine=duration=12",
        "-c:v", "libx264", "-c:a", "aac", "-shortest", str(clip),
    )  # fmt: skip
    dst = folder / "voice.m4a"
    shutil.move(clip, dst)
    return Bad(file=dst)


def _oversized_voice(folder: Path) -> Bad:
    """26 MB of zeros named .wav: sparse on disk, over the 25 MB limit, so the size check must come first."""
    dst = folder / "voice.wav"
    with dst.open("wb") as handle:
        handle.truncate(26 * 1024 * 1024)
    return Bad(file=dst)


def _truncated_jpeg(folder: Path) -> Bad:
    buf = io.BytesIO()
    Image.effect_noise((256, 256), 60).convert("RGB").save(buf, format="JPEG")
    dst = folder / "face.jpg"
    dst.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    return Bad(file=dst)


def _bomb(folder: Path) -> Bad:
    return Bad(file=png_with_header_size(folder / "face.png", 30000, 30000))


def _animated_gif(folder: Path) -> Bad:
    dst = folder / "face.gif"
    face = photo()
    frames = [face, face.rotate(5), face.rotate(-5)]
    frames[0].save(dst, save_all=True, append_images=frames[1:], duration=100, loop=0)
    return Bad(file=dst)


def _cmyk(folder: Path) -> Bad:
    dst = folder / "face.jpg"
    photo().convert("CMYK").save(dst)
    return Bad(file=dst)


def _rgba(folder: Path) -> Bad:
    dst = folder / "face.png"
    im = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    im.paste(photo().convert("RGBA"), (50, 50))
    im.save(dst)
    return Bad(file=dst)


def _faceless(folder: Path) -> Bad:
    return Bad(file=drawn_face(folder / "face.png"))


def _small_face(folder: Path) -> Bad:
    return Bad(file=small_face(folder / "face.png"))


def _upload(data: bytes) -> Maker:
    return lambda folder: Bad(upload=data)


def _manifest(**fields: object) -> Maker:
    return _upload(json.dumps(fields).encode())


def _name(value: str) -> Maker:
    return lambda folder: Bad(name=value)


# --- the table ------------------------------------------------------------------------------------------------------

CONVERTED = "converted"  # marks an expectation of success; the fragment after it is the conversion recorded
_LONG_SCRIPT = "word " * (MAX_SCRIPT_CHARS // 5 + 1)
_LONG_NAME = "a" * (MAX_NAME_LENGTH + 1)
_CHARSET = "use letters a-z, digits"

# fmt: off
CASES = [
    # voice: the reference recording of the speaker (uploads/voice/<speaker>.<ext>)
    pytest.param("voice", _tone(4), ("4.0 s long", "10–30 s"), id="voice-too-short"),
    pytest.param("voice", _tone(31.5), ("31.5 s long", "10–30 s"), id="voice-too-long"),
    pytest.param("voice", _silence, ("silent",), id="voice-silent"),
    pytest.param("voice", _corrupt_voice, ("could not be decoded as audio",), id="voice-corrupt"),
    pytest.param("voice", _bytes_as("voice.wav", b"not audio\n" * 64), ("not a media file",), id="voice-not-audio"),
    pytest.param("voice", _video_as_voice, ("video file, upload audio only",), id="voice-video-file"),
    pytest.param("voice", _bytes_as("voice.wav", b""), ("empty (0 bytes)",), id="voice-empty"),
    pytest.param("voice", _oversized_voice, ("26.0 MB", "25.0 MB limit"), id="voice-over-25MB"),
    # portrait: the speaker's photo (uploads/portrait/<speaker>.<ext>)
    pytest.param("portrait", _bytes_as("face.png", b"a text file, not a photo\n" * 20), ("not an image",),
                 id="portrait-not-image"),
    pytest.param("portrait", _truncated_jpeg, ("corrupt or truncated",), id="portrait-corrupt"),
    pytest.param("portrait", _bytes_as("face.png", b""), ("empty (0 bytes)",), id="portrait-empty"),
    pytest.param("portrait", _bomb, ("too large to decode safely", f"{MAX_PORTRAIT_PIXELS:,} pixels"),
                 id="portrait-bomb-30000x30000"),
    pytest.param("portrait", _animated_gif, (CONVERTED, "first frame of animated GIF"), id="portrait-animated-gif"),
    pytest.param("portrait", _cmyk, (CONVERTED, "CMYK to RGB"), id="portrait-cmyk"),
    pytest.param("portrait", _rgba, (CONVERTED, "alpha flattened on white"), id="portrait-rgba"),
    pytest.param("portrait", _faceless, ("no face found", "dlib frontal face detector", "head and shoulders"),
                 id="portrait-no-face"),
    pytest.param("portrait", _small_face, ("smaller than the 80 px", "crop the photo closer"),
                 id="portrait-face-too-small"),
    # script: a plain-text lecture upload (uploads/lectures/<course>/<lecture>.txt)
    pytest.param("script", _upload(b""), ("the script is empty",), id="script-empty"),
    pytest.param("script", _upload(b"  \n\t \r\n   "), ("the script is empty",), id="script-whitespace"),
    pytest.param("script", _upload(_LONG_SCRIPT.encode()), (f"at most {MAX_SCRIPT_CHARS}",), id="script-too-long"),
    pytest.param("script", _upload(b"Hello\x07 there.\x1b[0m"), ("control characters", "U+0007"),
                 id="script-control-chars"),
    pytest.param("script", _upload(b"Hello <break time='1s'/> there."), ("contains markup",), id="script-markup"),
    pytest.param("cli-script", _bytes_as("script.txt", b" \n\t\n"), ("script is empty",), id="script-whitespace-cli"),
    # manifest: a JSON lecture upload (uploads/lectures/<course>/<lecture>.json), checked by pydantic
    pytest.param("manifest", _upload(b'{"speaker": "bob", "script": "Hello."'), ("not valid UTF-8 JSON",),
                 id="manifest-malformed-json"),
    pytest.param("manifest", _manifest(speaker=SPEAKER, script="Hello.", voice_speed=2),
                 ("voice_speed", "Extra inputs are not permitted"), id="manifest-unknown-field"),
    pytest.param("manifest", _manifest(title="Sets", script="Hello."), ("no speaker", 'add "speaker"'),
                 id="manifest-missing-speaker"),
    pytest.param("manifest", _manifest(speaker=SPEAKER, script="Hello.", target_minutes="ten", title=["Sets"]),
                 ("target_minutes: Input should be a valid number", "title: Input should be a valid string"),
                 id="manifest-wrong-types"),
    pytest.param("manifest", _manifest(speaker=SPEAKER, script=" \n\t "), ("script is empty",),
                 id="manifest-whitespace-script"),
    # IDs: course names given to the command line (lecture IDs are <course>--<lecture>)
    pytest.param("id", _name("../x"), (_CHARSET,), id="id-dot-dot"),
    pytest.param("id", _name("/etc/cs101"), (_CHARSET,), id="id-absolute-path"),
    pytest.param("id", _name("\u0441s101"), (_CHARSET,), id="id-cyrillic-lookalike"),
    pytest.param("id", _name(_LONG_NAME), (f"at most {MAX_NAME_LENGTH}",), id="id-over-long"),
    pytest.param("id", _name(""), ("is empty", _CHARSET), id="id-empty"),
]
# fmt: on


# --- what every refusal must leave behind ---------------------------------------------------------------------------


def _temp_files(root: Path) -> list[str]:
    return [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and _TEMP_NAME.search(p.name)]


def _keys(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize(("target", "make", "expected"), CASES)
def test_bad_input(target: str, make: Maker, expected: tuple[str, ...], tmp_path: Path, sample_media) -> None:
    folder = tmp_path / "inputs"
    folder.mkdir()
    bad = make(folder)
    home = tmp_path / "home"
    if target == "id":
        problems = _refused_name(home, bad.name or "", expected, sample_media)
    elif target == "cli-script":
        problems = _refused_cli_script(home, bad.file, expected)
    else:
        problems = _refused_or_converted_in_pipeline(home, target, bad, expected, sample_media)
    assert not problems, "\n".join(problems)


def _refused_or_converted_in_pipeline(
    home: Path, target: str, bad: Bad, expected: tuple[str, ...], media: dict[str, Path]
) -> list[str]:
    """Run the real graph; return every broken promise (an empty list when all hold)."""
    defs = definitions(local_settings(home))
    store = defs.resources["objects"].get_store()
    catalog = defs.resources["catalog"].get_catalog()
    if target in ("voice", "portrait"):
        assert bad.file is not None
        lecture_id = submit_sample(defs, media, speaker=SPEAKER, **{target: bad.file})
        bad_key = f"uploads/{target}/{SPEAKER}{bad.file.suffix}"
    else:  # a lecture upload as it lands in the bucket; its speaker's files already in place (for a plain script,
        # the course's default speaker), so the upload is the only thing wrong
        assert bad.upload is not None
        speaker = SPEAKER if target == "manifest" else COURSE
        submit_speaker_files(store, speaker, voice=media["voice"], portrait=media["portrait"], consent=CONSENT)
        bad_key = MANIFEST_KEY if target == "manifest" else SCRIPT_KEY
        store.put_bytes(bad_key, bad.upload)
        lecture_id = LECTURE_ID
    assert store.exists(bad_key)

    with dg.instance_for_test() as instance:
        outcome = run(defs, instance, lecture_id)

    problems = [f"temp file left in the store: {name}" for name in _temp_files(store.root)]
    row = catalog.get_lecture(lecture_id) or {}
    if expected[0] == CONVERTED:
        artefact = catalog.get_artefact(lecture_id, "portrait")
        converted = artefact.details.get("converted", []) if artefact else []
        return problems + [
            problem
            for ok, problem in (
                (outcome.success, f"the lecture failed: {outcome.error}"),
                (outcome.video and Path(outcome.video).is_file(), "no video file"),
                (row.get("status") == "COMPLETED", f"catalog status {row.get('status')}, not COMPLETED"),
                (expected[1] in converted, f"{expected[1]!r} not among the conversions {converted}"),
            )
            if not ok
        ]

    error, recorded = outcome.error or "", row.get("error") or ""
    if outcome.success:
        problems.append("the lecture succeeded")
    problems += [f"{f!r} missing from the error: {error}" for f in (lecture_id, bad_key, *expected) if f not in error]
    if row.get("status") != "FAILED":
        problems.append(f"catalog status {row.get('status')} at stage {row.get('stage')}, not FAILED")
    problems += [
        f"{f!r} missing from the catalog's error: {recorded}" for f in (bad_key, *expected) if f not in recorded
    ]
    keys = _keys(store.root)
    allowed = _made_from_the_script_alone(defs, catalog, lecture_id)
    problems += [
        f"artefact written: {k}" for k in keys if k.startswith("generated/") and lecture_id in k and k not in allowed
    ]
    if target == "voice":
        problems += [f"refused voice stored: {k}" for k in keys if k.startswith(f"voices/{SPEAKER}/")]
    if target == "portrait" and store.exists(portrait_key(SPEAKER)):
        problems.append(f"refused portrait stored: {portrait_key(SPEAKER)}")
    return problems


def _made_from_the_script_alone(defs: dg.Definitions, catalog: Catalog, lecture_id: str) -> set[str]:
    """Keys of the lecture's artefacts whose assets need nothing but the (valid) script, e.g. the transcript: a refused
    voice or portrait has no part in them, so they are whole artefacts, not half-written ones."""
    parents = {spec.key: {dep.asset_key for dep in spec.deps} for spec in defs.resolve_all_asset_specs()}

    def ancestors(key: dg.AssetKey) -> set[dg.AssetKey]:
        found = set(parents.get(key, ()))
        for parent in parents.get(key, ()):
            found |= ancestors(parent)
        return found

    script = dg.AssetKey("lecture_script")
    kinds = [key.path[-1] for key in parents if key != script and ancestors(key) <= {script}]
    rows = [catalog.get_artefact(lecture_id, kind) for kind in kinds]
    return {row.key for row in rows if row is not None}


def _cli_problems(result: subprocess.CompletedProcess[str], fragments: tuple[str, ...], what: str) -> list[str]:
    """An input error on the command line: exit 2, each fragment on stderr, no traceback, no ``lecture:`` line."""
    problems = []
    if result.returncode != 2:
        problems.append(f"{what}: exit code {result.returncode}, not 2")
    if "Traceback" in result.stderr:
        problems.append(f"{what}: traceback on stderr: {result.stderr[-300:]}")
    if "lecture:" in result.stdout:
        problems.append(f"{what}: printed {result.stdout.strip()!r}")
    stderr = result.stderr
    problems += [f"{what}: {f!r} missing from stderr: {stderr[-300:]}" for f in fragments if f not in stderr]
    return problems


def _nothing_recorded(home: Path) -> list[str]:
    problems = [f"written to the store: {key}" for key in _keys(home / "objects")]
    if not (home / "catalog.sqlite").exists():
        return problems
    catalog = Catalog(local_settings(home).database_url)
    try:
        problems += [f"catalog row created: {row['id']}" for row in catalog.list_lectures()]
    finally:
        catalog.dispose()
    return problems


def _refused_name(home: Path, bad: str, expected: tuple[str, ...], media: dict[str, Path]) -> list[str]:
    """The CLI refuses the name before writing anything (not even the speaker's files given with it)."""
    script = home.parent / "inputs" / "script.txt"
    script.write_text("Sets are collections of distinct objects.", encoding="utf-8")
    submit = run_cli(
        home, "submit", "--course", bad, "--lecture", LECTURE, "--script", str(script), "--speaker", SPEAKER,
        "--voice", str(media["voice"]), "--portrait", str(media["portrait"]), "--consent", CONSENT.statement,
    )  # fmt: skip
    named = repr(bad) if bad else "course name is empty"
    whole_id = f"{bad}--{LECTURE}"
    return [
        *_cli_problems(submit, (named, *expected), f"submit --course {bad!r}"),
        *_cli_problems(
            run_cli(home, "materialize", "--", bad),
            (repr(bad), "is not a lecture ID", "expected <course>--<lecture>"),
            f"materialize {bad!r}",
        ),
        *_cli_problems(run_cli(home, "materialize", "--", whole_id), (named, *expected), f"materialize {whole_id!r}"),
        *_nothing_recorded(home),
    ]


def _refused_cli_script(home: Path, script: Path | None, expected: tuple[str, ...]) -> list[str]:
    """``submit --script FILE`` with an unusable script: refused on the spot, naming the lecture and the file."""
    assert script is not None
    submit = run_cli(home, "submit", "--course", COURSE, "--lecture", LECTURE, "--script", str(script))
    return [
        *_cli_problems(submit, (LECTURE_ID, str(script), *expected), f"submit --script {script.name}"),
        *_nothing_recorded(home),
    ]
