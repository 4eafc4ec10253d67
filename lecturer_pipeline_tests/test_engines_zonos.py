"""The self-hosted Zonos engine against a real Gradio app with Zonos's endpoint, inputs and outputs, and the one rule
that picks the TTS path (``LECTURER_TTS_ENGINE``)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from gradio_client import Client

from lecturer_pipeline.defs.resources import EnginesResource, tts_choice
from lecturer_pipeline.engines.base import SpeakerProfile
from lecturer_pipeline.engines.retry import Retrying
from lecturer_pipeline.engines.zonos import API_NAME, ZonosSpeechEngine
from lecturer_pipeline.errors import ConfigurationError, ServiceError
from lecturer_pipeline.media.probe import probe
from lecturer_pipeline.standins.zonos import INPUT_NAMES, MAX_SECONDS, ZonosStandIn
from lecturer_pipeline.text.pacing import answer_problem

pytestmark = pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning")


@pytest.fixture(scope="module")
def zonos() -> Iterator[ZonosStandIn]:
    with ZonosStandIn() as server:
        yield server


@pytest.fixture(scope="module")
def profile(sample_media) -> SpeakerProfile:
    clip = Path(sample_media["voice"]).read_bytes()
    return SpeakerProfile("ada", "fingerprint-ada", speaker_audio_b64=base64.b64encode(clip).decode())


def test_speech_in_the_pipelines_format_with_the_real_inputs(zonos, profile, tmp_path) -> None:
    engine = ZonosSpeechEngine(zonos.url, speaking_rate=12)
    zonos.reset()
    seconds = engine.synthesize("Sets are collections of distinct objects.", profile, tmp_path / "a.wav", language="de")
    info = probe(tmp_path / "a.wav")
    assert info.audio is not None and (info.audio.sample_rate, info.audio.channels) == (16000, 1)
    assert 1.0 < seconds < 10.0
    request = zonos.requests[-1]
    assert (request["model_choice"], request["language"], request["speaking_rate"]) == (
        "Zyphra/Zonos-v0.1-transformer",
        "de",
        12,
    )
    assert request["prefix_audio"] is None and request["randomize_seed"] is False and request["seed"] == 420
    assert request["unconditional_keys"] == ["emotion"] and request["speaker_audio"].endswith(".wav")
    assert (engine.name, engine.licence, engine.max_seconds) == ("zonos", "Apache-2.0", 30.0)
    engine.close()


def test_the_endpoint_takes_29_inputs_in_the_apps_order(zonos, profile, tmp_path) -> None:
    api = Client(zonos.url, verbose=False).view_api(return_format="dict", print_info=False)
    endpoint = api["named_endpoints"][API_NAME]
    assert len(endpoint["parameters"]) == len(INPUT_NAMES) == 29
    assert len(endpoint["returns"]) == 2  # (audio, seed)
    speaker = tmp_path / "speaker.wav"
    speaker.write_bytes(base64.b64decode(profile.speaker_audio_b64))
    inputs = ZonosSpeechEngine(zonos.url).inputs("Hello.", speaker, "en-us")
    assert len(inputs) == 29 and inputs[1] == "Hello." and inputs[16] == 15.0  # speaking_rate is the 17th


def test_the_app_stops_at_30_s_and_the_pipeline_notices(zonos, profile, tmp_path) -> None:
    text = " ".join(["Every set has a cardinality, the number of its distinct elements."] * 6)[:480]
    engine = ZonosSpeechEngine(zonos.url, speaking_rate=5)
    seconds = engine.synthesize(text, profile, tmp_path / "long.wav", language="en-us")
    assert seconds == pytest.approx(MAX_SECONDS, abs=0.05)
    assert "cap" in (answer_problem(text, seconds, language="en-us", speaking_rate=5) or "")
    engine.close()


def test_an_undisclosed_crash_is_worth_one_retry_and_bad_input_none(zonos, profile, tmp_path) -> None:
    engine = ZonosSpeechEngine(zonos.url)
    zonos.fail_next(("crash",))
    with pytest.raises(ServiceError) as caught:
        engine.synthesize("Hello there.", profile, tmp_path / "a.wav", language="en-us")
    assert caught.value.transient and caught.value.retry_limit == 1 and "ZONOS_URL" in str(caught.value)
    zonos.fail_next(("error", "Language code xx not supported"))
    with pytest.raises(ServiceError) as caught:
        engine.synthesize("Hello there.", profile, tmp_path / "a.wav", language="en-us")
    assert not caught.value.transient and "Language code xx" in str(caught.value)
    with pytest.raises(ValueError, match="not set up for language"):
        engine.synthesize("Hello there.", profile, tmp_path / "a.wav", language="xx")
    with pytest.raises(ValueError, match="Zonos clones only from audio"):
        engine.synthesize("Hi.", SpeakerProfile("bob", "fp"), tmp_path / "a.wav", language="en-us")
    engine.close()


def test_one_rule_picks_the_tts_path() -> None:
    assert tts_choice("auto", zyphra=False, zonos=False) == "espeak"
    assert tts_choice("auto", zyphra=True, zonos=False) == "zyphra"
    assert tts_choice("auto", zyphra=False, zonos=True) == "zonos"
    assert tts_choice("zonos", zyphra=True, zonos=True) == "zonos"
    assert tts_choice("espeak", zyphra=True, zonos=True) == "espeak"
    with pytest.raises(ConfigurationError, match="LECTURER_TTS_ENGINE=zyphra or LECTURER_TTS_ENGINE=zonos"):
        tts_choice("auto", zyphra=True, zonos=True)
    with pytest.raises(ConfigurationError, match="ZONOS_URL is not set"):
        tts_choice("zonos", zyphra=True, zonos=False)
    engine = EnginesResource(zonos_url="http://127.0.0.1:9/").speech_engine()
    assert isinstance(engine, Retrying) and engine.name == "zonos" and engine.licence == "Apache-2.0"
