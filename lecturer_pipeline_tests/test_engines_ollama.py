"""The Ollama script writer against a real HTTP stand-in: sizing, provenance, prompt rules, cleanup and every failure
mode classified as the Dagster RetryPolicy needs it (transient or not, with a message saying what to fix)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import ollama
import pytest

from lecturer_pipeline.engines.ollama import WORDS_PER_MINUTE, OllamaScriptWriter
from lecturer_pipeline.errors import InputError, ServiceError
from lecturer_pipeline.standins.ollama import OllamaStandIn
from lecturer_pipeline.text.draft_cleanup import spoken_text, trim_unfinished
from lecturer_pipeline.text.script import clean_script

MESSY = """Sure! Here's a five-minute lecture on photosynthesis:

# Photosynthesis: How Plants Eat Light

**Lecturer:** Good morning, everyone! [pause] Today we talk about *photosynthesis*.

(laughs)

## Part 1

**The Basics**

Plants need three things:
- **Light**, from the sun;
* water, from the soil;
1. carbon dioxide, from the air.

*smiles* Isn't that neat? (pause for effect) Leaves are green for a reason.
Speaker 2: The word snake_case stays, and so does 5 * 3 (five times three).

---
> A quote from a botanist.

[Slide 3: diagram]



Thank you for listening.

Word count: 742

Let me know if you'd like any changes!
"""

CLEANED = """Good morning, everyone! Today we talk about photosynthesis.

Plants need three things:
Light, from the sun;
water, from the soil;
carbon dioxide, from the air.

Isn't that neat? Leaves are green for a reason.
The word snake_case stays, and so does 5 * 3 (five times three).

A quote from a botanist.

Thank you for listening."""


@pytest.fixture(scope="module")
def server() -> Iterator[OllamaStandIn]:
    with OllamaStandIn() as standin:
        yield standin


@pytest.fixture
def standin(server: OllamaStandIn) -> Iterator[OllamaStandIn]:
    """The shared server, with counters, overrides and failures cleared around each test."""
    server.reset()
    yield server
    assert server.errors == []  # nothing broke inside the stand-in itself
    server.reset()


@pytest.fixture
def writer(standin: OllamaStandIn) -> OllamaScriptWriter:
    return OllamaScriptWriter(standin.host)


def _words(text: str) -> int:
    return len(text.split())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- drafting ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("minutes", "expected"), [(0.5, 75), (2, 300), (None, 5 * WORDS_PER_MINUTE)])
def test_draft_is_sized_to_the_target_minutes(writer, standin, minutes, expected) -> None:
    draft = writer.draft("the water cycle", target_minutes=minutes)
    assert 0.8 * expected <= _words(draft.text) <= 1.3 * expected
    assert f"about {expected} words" in draft.system
    assert "water cycle" in draft.text
    assert clean_script(draft.text) == draft.text  # what the pipeline's validation accepts as it is
    assert standin.calls == standin.generations == 1


def test_draft_records_the_models_accounting(writer, standin) -> None:
    draft = writer.draft("the birth of set theory", target_minutes=1, audience="first-years", style="playful")
    assert draft.model == "llama3:8b"
    assert draft.eval_count and draft.eval_count > 0
    assert draft.prompt_eval_count and draft.prompt_eval_count > 0
    assert draft.eval_duration_s and draft.total_duration_s and draft.total_duration_s >= draft.eval_duration_s > 0
    assert "the birth of set theory" in draft.prompt
    assert "first-years" in draft.prompt and "playful" in draft.prompt
    sent = standin.last_bodies["/api/chat"]["messages"]
    assert [m["role"] for m in sent] == ["system", "user"]
    assert sent[0]["content"] == draft.system and sent[1]["content"] == draft.prompt


def test_request_forbids_markup_and_asks_for_enough_tokens(writer, standin) -> None:
    writer.draft("volcanoes", target_minutes=3, language="fr-fr")
    body = standin.last_bodies["/api/chat"]
    system = body["messages"][0]["content"]
    for rule in ("SPOKEN WORDS ONLY", "French", "headings", "markdown", "bullet", "stage directions", "[pause]"):
        assert rule in system
    assert "Speaker:" in system and "Here is your lecture" in system
    assert body["stream"] is True and body["model"] == "llama3:8b"
    options = body["options"]
    assert options["num_predict"] >= 3 * WORDS_PER_MINUTE * 1.3  # room for every word asked
    assert options["num_ctx"] >= options["num_predict"] and 0 < options["temperature"] <= 1


def test_an_empty_prompt_is_refused_before_any_call(writer, standin) -> None:
    with pytest.raises(InputError, match="prompt is empty"):
        writer.draft("   ")
    with pytest.raises(InputError, match="target_minutes"):
        writer.draft("rivers", target_minutes=0)
    assert standin.calls == 0


# --- cleanup -------------------------------------------------------------------------------------------------------


def test_spoken_text_keeps_only_the_spoken_words() -> None:
    assert spoken_text(MESSY) == CLEANED


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("```\nHello there.\n```", "Hello there."),
        ("```text\nHello there.\n```", "Hello there."),
        ("Run this.\n\n```python\nprint('hi')\n```\n\nDone.", "Run this.\n\nDone."),
        ("Certainly.\n\nHello.", "Hello."),
        ("Here is your lecture:\nHello.", "Hello."),
        ("Professor Ada Lovelace: Numbers can weave patterns.", "Numbers can weave patterns."),
        ("Hello <break time='1s'/> world.", "Hello world."),
        ("Today's lecture has three parts:\n\nOne.", "Today's lecture has three parts:\n\nOne."),
        ("Mitochondria (the powerhouse of the cell) matter.", "Mitochondria (the powerhouse of the cell) matter."),
        ("a) first\nb) second", "first\nsecond"),
        ("Title: Rivers\n\nRivers flow.", "Rivers flow."),
        ("First.\n\n\n\n\nSecond.", "First.\n\nSecond."),
        ("# Only a heading\n[pause]\n(applause)", ""),
    ],
)
def test_spoken_text_cases(answer: str, expected: str) -> None:
    assert spoken_text(answer) == expected


def test_a_messy_answer_is_cleaned_on_the_way_in(writer, standin) -> None:
    standin.answer = MESSY
    assert writer.draft("photosynthesis", target_minutes=2).text == CLEANED


def test_an_answer_cut_by_the_token_limit_ends_on_a_full_sentence(writer, standin) -> None:
    standin.answer = " ".join(f"Sentence number {i} is here." for i in range(400))  # far past num_predict
    draft = writer.draft("counting", target_minutes=0.5)
    assert draft.text.endswith("is here.")
    assert _words(draft.text) < 400 * 5
    assert trim_unfinished("One. Two! Three is cut") == "One. Two!"
    assert trim_unfinished("no end at all") == "no end at all"


# --- failures ------------------------------------------------------------------------------------------------------


def test_a_model_not_pulled_is_permanent_and_says_how_to_pull_it(standin) -> None:
    with pytest.raises(ServiceError) as caught:
        OllamaScriptWriter(standin.host, "llama3:70b").draft("tides")
    assert caught.value.transient is False
    assert "ollama pull llama3:70b" in str(caught.value) and "LECTURER_OLLAMA_MODEL" in str(caught.value)
    assert standin.calls == 1 and standin.generations == 0


def _assert_unreachable(writer: OllamaScriptWriter, host: str) -> None:
    with pytest.raises(ServiceError) as caught:
        writer.draft("tides")
    assert caught.value.transient is True
    assert (
        "cannot reach Ollama" in str(caught.value) and host in str(caught.value) and "OLLAMA_HOST" in str(caught.value)
    )


def test_a_stopped_server_is_transient_and_names_ollama_host() -> None:
    gone = OllamaStandIn().start()
    host = gone.host
    writer = OllamaScriptWriter(host)
    writer.draft("warm-up", target_minutes=0.1)  # leaves a kept-alive connection in the client's pool
    gone.stop()
    _assert_unreachable(writer, host)


def test_a_closed_port_is_transient_and_names_ollama_host() -> None:
    host = f"http://127.0.0.1:{_free_port()}"
    _assert_unreachable(OllamaScriptWriter(host), host)


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [
        (("status", 500), "HTTP 500"),
        (("status", 503), "server busy"),
        (("status", 429), "HTTP 429"),
        (("html", 502), "HTML error page (502 Bad Gateway)"),
        (("reset",), "cannot reach Ollama"),
        (("empty",), "empty script"),
    ],
)
def test_passing_failures_are_transient(writer, standin, behaviour, message) -> None:
    standin.fail_next(behaviour)
    with pytest.raises(ServiceError) as caught:
        writer.draft("tides", target_minutes=0.5)
    assert caught.value.transient is True and message in str(caught.value)
    assert _words(writer.draft("tides", target_minutes=0.5).text) > 0  # the next call, as a retry would make, works
    assert standin.calls == 2


def test_other_client_errors_are_permanent_with_the_services_message(writer, standin) -> None:
    standin.fail_next(("status", 400))
    with pytest.raises(ServiceError) as caught:
        writer.draft("tides")
    assert (
        caught.value.transient is False and "HTTP 400" in str(caught.value) and "stand-in failure" in str(caught.value)
    )


def test_a_timeout_is_transient_and_quick(standin) -> None:
    standin.fail_next(("delay", 1.0))
    started = time.monotonic()
    with pytest.raises(ServiceError) as caught:
        OllamaScriptWriter(standin.host, timeout=0.3).draft("tides")
    assert time.monotonic() - started < 0.9
    assert (
        caught.value.transient is True
        and "OLLAMA_HOST" in str(caught.value)
        and "no token for 0.3 s" in str(caught.value)
    )
    assert standin.wait_idle(timeout=5)


def test_a_stalled_stream_is_transient_but_a_slow_one_finishes(standin, monkeypatch) -> None:
    """The timeout is a stall timeout: no token for that long fails; tokens trickling in for longer do not."""
    standin.fail_next(("stall", 2, 1.0))
    started = time.monotonic()
    with pytest.raises(ServiceError) as caught:
        OllamaScriptWriter(standin.host, timeout=0.4).draft("tides", target_minutes=0.5)
    assert time.monotonic() - started < 0.95
    assert caught.value.transient is True and "sent no token for 0.4 s" in str(caught.value)
    assert standin.wait_idle(timeout=5)

    monkeypatch.setattr("lecturer_pipeline.engines.ollama._PROGRESS_SECONDS", 0.0)
    lines: list[str] = []
    standin.fail_next(("slow", 0.05))
    started = time.monotonic()
    draft = OllamaScriptWriter(standin.host, timeout=0.4, log=lines.append).draft("tides", target_minutes=0.5)
    assert time.monotonic() - started > 0.4, "the whole draft took longer than the stall timeout, and that is fine"
    assert "tides" in draft.text and lines and "drafting:" in lines[0] and "words after" in lines[-1]


def test_out_of_memory_fails_at_once_with_ollamas_message(standin) -> None:
    from lecturer_pipeline.engines.retry import CallRetry, Retrying
    from lecturer_pipeline.standins.ollama import OUT_OF_MEMORY

    calls = standin.calls
    standin.fail_next(("status", 500, OUT_OF_MEMORY))
    writer = Retrying(OllamaScriptWriter(standin.host), CallRetry(base_delay=0.01), log=lambda line: None)
    with pytest.raises(ServiceError) as caught:
        writer.draft("tides")
    assert standin.calls - calls == 1, "not retried"
    assert caught.value.transient is False and OUT_OF_MEMORY in str(caught.value)
    assert "LECTURER_OLLAMA_MODEL" in str(caught.value)


def test_an_empty_answer_after_cleanup_is_transient(writer, standin) -> None:
    standin.answer = "## Lecture\n\n[pause]\n\n(applause)"
    with pytest.raises(ServiceError, match="empty script") as caught:
        writer.draft("tides")
    assert caught.value.transient is True


# --- the stand-in speaks Ollama's protocol ---------------------------------------------------------------------------


def test_standin_protocol_through_the_official_client(standin) -> None:
    client = ollama.Client(host=standin.host)
    assert [m.model for m in client.list().models] == ["llama3:8b"]
    generated = client.generate(model="llama3:8b", prompt="Topic: comets\nAbout 40 words.", system="", stream=False)
    assert generated.done and "comets" in generated.response and 30 <= _words(generated.response) <= 60
    chunks = list(client.chat(model="llama3:8b", messages=[{"role": "user", "content": "Topic: comets"}], stream=True))
    assert len(chunks) > 2 and chunks[-1].done and not any(c.done for c in chunks[:-1])
    assert chunks[-1].eval_count and "comets" in "".join(c.message.content for c in chunks)
    assert httpx.post(f"{standin.host}/api/chat", content=b"{not json").status_code == 400
    assert standin.calls == 3 and standin.generations == 2 and standin.errors == []


def test_standin_random_failures_are_reproducible(standin) -> None:
    def outcomes() -> list[bool]:
        standin.fail_rate(0.5, seed=7, behaviours=[("status", 500)])
        results = []
        for _ in range(12):
            response = httpx.post(f"{standin.host}/api/generate", json={"model": "llama3:8b", "stream": False})
            results.append(response.status_code == 200)
        return results

    first = outcomes()
    assert first == outcomes() and 0 < sum(first) < 12
    with pytest.raises(ValueError, match="unknown failure behaviour"):
        standin.fail_next(("explode",))
