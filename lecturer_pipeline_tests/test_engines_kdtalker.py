"""The KDTalker client against a real Gradio app standing in for KDTalker: what it renders and how it fails.

Every failure must come out as a ServiceError whose ``transient`` flag tells Dagster whether a retry can help, and
whose message names the server and the variable that configures it.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lecturer_pipeline.engines.kdtalker import KDTalkerVideoEngine
from lecturer_pipeline.engines.retry import CallRetry, Retrying
from lecturer_pipeline.errors import ServiceError
from lecturer_pipeline.media.audio import wav_duration
from lecturer_pipeline.media.probe import probe
from lecturer_pipeline.sample import make_sample_portrait
from lecturer_pipeline.standins.kdtalker import KDTalkerStandIn
from lecturer_pipeline.standins.ports import free_port
from lecturer_pipeline_tests.portraits import drawn_face

# Gradio 6.31's queue summarises its events with pandas in the server thread and trips pandas 3's deprecations.
pytestmark = pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sample photo and 1.64 s of 16 kHz mono tone whose loudness wobbles like speech."""
    folder = tmp_path_factory.mktemp("kdtalker-media")
    wav = folder / "speech.wav"
    subprocess.run(
        [
            *("ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=220:duration=1.64"),
            *("-af", "tremolo=f=4:d=0.8", "-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le", str(wav)),
        ],
        check=True,
    )
    return {"portrait": make_sample_portrait(folder / "portrait.png"), "wav": wav}


@pytest.fixture(scope="module")
def standin() -> Iterator[KDTalkerStandIn]:
    with KDTalkerStandIn() as server:
        yield server


@pytest.fixture
def engine(standin: KDTalkerStandIn) -> Iterator[KDTalkerVideoEngine]:
    engine = KDTalkerVideoEngine(standin.url, timeout=60)
    yield engine
    engine.close()


def _render_error(engine: KDTalkerVideoEngine, media: dict[str, Path], dst: Path) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        engine.render(media["portrait"], media["wav"], dst)
    assert "KDTALKER_URL" in str(caught.value)
    assert not dst.exists() and not list(dst.parent.glob(".*.tmp*")), "nothing half-written is left behind"
    return caught.value


def _assert_kdtalker_video(mp4: Path, wav: Path) -> None:
    info = probe(mp4)
    assert info.video is not None and info.audio is not None
    assert (info.video.codec_name, info.video.width, info.video.height) == ("h264", 512, 512)
    assert info.video.pix_fmt == "yuv420p" and info.audio.codec_name == "aac"
    assert abs(info.duration - wav_duration(wav)) <= 0.1


def test_render_makes_a_512px_h264_mp4_as_long_as_the_speech(standin, engine, media, tmp_path) -> None:
    calls, renders, seconds = standin.calls, standin.renders, standin.seconds_rendered
    dst = tmp_path / "segment.mp4"
    engine.render(media["portrait"], media["wav"], dst)
    _assert_kdtalker_video(dst, media["wav"])
    assert (standin.calls - calls, standin.renders - renders) == (1, 1)
    assert standin.seconds_rendered - seconds == pytest.approx(wav_duration(media["wav"]), abs=1e-3)
    assert [p.name for p in tmp_path.iterdir()] == ["segment.mp4"]


def test_render_time_follows_the_speech_length(standin, engine, media, tmp_path) -> None:
    """The stand-in models KDTalker's GPU cost (about 1.2 s per second of speech) when asked to."""
    standin.latency_per_second = 0.3
    try:
        started = time.monotonic()
        engine.render(media["portrait"], media["wav"], tmp_path / "segment.mp4")
        assert time.monotonic() - started >= 0.3 * wav_duration(media["wav"])
    finally:
        standin.latency_per_second = 0.0


def test_the_gradio_4_and_5_result_shape_is_accepted(media, tmp_path) -> None:
    """Older Gradio servers answer ``{"video": path, "subtitles": None}``; the stand-in sends that very wire shape."""
    with KDTalkerStandIn(dict_result=True) as server:
        engine = KDTalkerVideoEngine(server.url, timeout=60)
        engine.render(media["portrait"], media["wav"], tmp_path / "segment.mp4")
        engine.close()
    _assert_kdtalker_video(tmp_path / "segment.mp4", media["wav"])


def test_an_app_error_is_permanent_and_carries_the_apps_message(standin, engine, media, tmp_path) -> None:
    renders = standin.renders
    standin.fail_next(("error", "no face detected in the portrait"))
    error = _render_error(engine, media, tmp_path / "segment.mp4")
    assert not error.transient
    assert "no face detected in the portrait" in str(error)
    assert standin.renders == renders


def test_audio_that_is_not_a_wav_is_refused_permanently(standin, engine, media, tmp_path) -> None:
    with pytest.raises(ServiceError) as caught:
        engine.render(media["portrait"], media["portrait"], tmp_path / "segment.mp4")
    assert not caught.value.transient and "WAV" in str(caught.value)


def test_a_crash_is_retried_once_and_then_says_kdtalker_gave_no_reason(standin, engine, media, tmp_path) -> None:
    """A plain exception in the app reaches the client without its message (show_error=False, Gradio's default). The
    portrait passed the face preflight, so it is a fault of the server (GPU memory, a lost worker): worth one retry,
    no more, and the message says where the real reason is."""
    calls = standin.calls
    standin.fail_next(("crash",))
    error = _render_error(engine, media, tmp_path / "segment.mp4")
    assert error.transient and error.retry_limit == 1
    assert "KDTalker gave no reason" in str(error) and "Logs tab" in str(error)
    assert standin.calls - calls == 1
    engine.render(media["portrait"], media["wav"], tmp_path / "segment.mp4")  # and the retry does succeed

    waits: list[float] = []
    retrying = Retrying(engine, CallRetry(base_delay=0.01, sleep=waits.append), log=lambda line: None)
    standin.fail_next(("crash",), ("crash",), ("crash",))
    calls = standin.calls
    with pytest.raises(ServiceError) as caught:
        retrying.render(media["portrait"], media["wav"], tmp_path / "again.mp4")
    assert standin.calls - calls == 2, "one retry at most"
    assert not caught.value.transient and "gave up after 2 tries" in str(caught.value)
    standin.reset()


def test_a_faceless_portrait_fails_as_the_real_app_fails_without_a_word(standin, engine, media, tmp_path) -> None:
    """KDTalker's cropper ``raise``s a str when dlib finds no face: a TypeError, which Gradio hides. The stand-in does
    the same, so the client sees what it would see in deployment (hence the preflight in the portrait stage)."""
    faceless = drawn_face(tmp_path / "cartoon.png")
    renders = standin.renders
    with pytest.raises(ServiceError) as caught:
        engine.render(faceless, media["wav"], tmp_path / "segment.mp4")
    assert "KDTalker gave no reason" in str(caught.value) and "face" not in str(caught.value).split(":")[0]
    assert standin.renders == renders and not (tmp_path / "segment.mp4").exists()


def test_a_spent_zerogpu_quota_waits_what_it_says(standin, engine, media, tmp_path) -> None:
    standin.fail_next(("quota",))
    error = _render_error(engine, media, tmp_path / "segment.mp4")
    assert error.transient and error.retry_after == 9 * 60 + 48
    assert "exceeded your GPU quota" in str(error) and "HF_TOKEN" in str(error)

    waits: list[float] = []
    lines: list[str] = []
    retrying = Retrying(engine, CallRetry(max_wait=120.0, sleep=waits.append), log=lines.append)
    standin.fail_next(("quota", "You have exceeded your GPU quota (46s left vs. 60s requested). retry in 0:00:07."))
    retrying.render(media["portrait"], media["wav"], tmp_path / "segment.mp4")
    assert waits == [7.0] and "retry 1 of 3 in 7.0 s" in lines[0]
    standin.fail_next(("quota",))
    retrying.render(media["portrait"], media["wav"], tmp_path / "segment.mp4")
    assert waits[-1] == 120.0, "a stated wait is capped"


def test_the_hugging_face_token_is_sent_when_set(standin, media, tmp_path) -> None:
    with_token = KDTalkerVideoEngine(standin.url, timeout=60, hf_token="hf_test_token")
    without = KDTalkerVideoEngine(standin.url, timeout=60)
    try:
        with_token.render(media["portrait"], media["wav"], tmp_path / "a.mp4")
        assert standin.tokens[-1] == "Bearer hf_test_token"
        without.render(media["portrait"], media["wav"], tmp_path / "b.mp4")
        assert standin.tokens[-1] is None
        assert "hf_test_token" not in repr(with_token.params()) + repr(with_token.__dict__.get("_where"))
    finally:
        with_token.close()
        without.close()


def test_a_full_queue_is_transient_and_runs_nothing(standin, engine, media, tmp_path) -> None:
    calls = standin.calls
    with standin.queue_full():
        error = _render_error(engine, media, tmp_path / "segment.mp4")
    assert error.transient and "busy" in str(error)
    assert standin.calls == calls


def test_a_timeout_is_transient_and_returns_on_time(standin, media, tmp_path) -> None:
    engine = KDTalkerVideoEngine(standin.url, timeout=0.5)
    standin.fail_next(("delay", 1.5))
    started = time.monotonic()
    error = _render_error(engine, media, tmp_path / "segment.mp4")
    assert time.monotonic() - started < 1.4
    assert error.transient and "within 0.5 s" in str(error)
    engine.close()


def test_an_unreachable_server_is_transient_and_names_the_variable(media, tmp_path) -> None:
    engine = KDTalkerVideoEngine(f"http://127.0.0.1:{free_port()}/")
    error = _render_error(engine, media, tmp_path / "segment.mp4")
    assert error.transient and "could not be reached" in str(error)


def test_a_password_in_the_url_never_reaches_a_message(media, tmp_path) -> None:
    engine = KDTalkerVideoEngine(f"http://ops:hunter2@127.0.0.1:{free_port()}/")
    error = _render_error(engine, media, tmp_path / "segment.mp4")
    assert "hunter2" not in str(error) and "hunter2" not in repr(engine.params())


def test_a_server_that_stops_is_transient_and_is_reconnected_when_back(media, tmp_path) -> None:
    server = KDTalkerStandIn(port=free_port())
    engine = KDTalkerVideoEngine(server.url, timeout=60)
    with server:
        engine.render(media["portrait"], media["wav"], tmp_path / "first.mp4")
    error = _render_error(engine, media, tmp_path / "second.mp4")
    assert error.transient
    with server:  # the same address, a fresh app: the engine connects anew
        engine.render(media["portrait"], media["wav"], tmp_path / "second.mp4")
    engine.close()
    _assert_kdtalker_video(tmp_path / "second.mp4", media["wav"])


def test_a_result_that_is_not_a_video_is_permanent(standin, tmp_path) -> None:
    engine = KDTalkerVideoEngine(standin.url)
    text = tmp_path / "result.mp4"
    text.write_text("not a video")
    for result in ({"video": None, "subtitles": None}, 42, str(tmp_path / "missing.mp4")):
        with pytest.raises(ServiceError) as caught:
            engine._result_path(result)
        assert not caught.value.transient
    with pytest.raises(ServiceError) as caught:
        engine._store(engine._result_path(str(text)), tmp_path / "segment.mp4")
    assert not caught.value.transient and "not a video" in str(caught.value)
    assert not (tmp_path / "segment.mp4").exists()


def test_params_and_configuration() -> None:
    engine = KDTalkerVideoEngine("http://kdtalker.internal:7860/")
    assert (engine.name, engine.licence, engine.lip_sync) == ("kdtalker", "CC BY-NC 4.0", True)
    assert engine.params()["api"] == "/gradio_infer"
    assert "kdtalker.internal" not in repr(engine.params()), "moving the server must not re-render every video"
    with pytest.raises(ServiceError) as caught:
        KDTalkerVideoEngine("someone/KDTalker")  # gradio_client would look this up on the Hugging Face Hub
    assert not caught.value.transient and "KDTALKER_URL" in str(caught.value)
