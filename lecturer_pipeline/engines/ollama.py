"""Drafting a lecture's spoken words with Llama-3-8B served by Ollama.

The client makes exactly one ``/api/chat`` call per draft; ``engines/retry.py`` retries it when its
``ServiceError`` is transient, and the pipeline stores the finished draft so a re-run never re-bills the model.

The answer streams (``stream=True``): a 20-minute lecture on a modest GPU takes longer than any sensible overall
timeout, so the only limit is a stall timeout — ``timeout`` seconds without a new token (httpx's read timeout,
which also covers loading the model before the first one) — and progress goes to the log as tokens arrive. A 500
saying the model "requires more system memory" fails at once with Ollama's message: no retry frees memory.

Models add headings, bullet lists, stage directions and chatty preambles however firmly the prompt forbids them, and
a TTS engine would read all of it aloud; ``text.draft_cleanup.spoken_text`` removes them before the draft is kept.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Unpack

import httpx
import ollama

from lecturer_pipeline.engines.base import DEFAULT_DRAFT_MINUTES, DraftOptions
from lecturer_pipeline.engines.service_messages import shorten
from lecturer_pipeline.errors import InputError, ServiceError
from lecturer_pipeline.security.transport import public_url
from lecturer_pipeline.text.draft_cleanup import spoken_text, trim_unfinished
from lecturer_pipeline.text.languages import DEFAULT_LANGUAGE, find

WORDS_PER_MINUTE = 150
DEFAULT_TEMPERATURE = 0.7

# Each language's name in the prompt and Llama 3's tokens per word are fields of the registry (text/languages.py).
# Llama 3 spends ~1.3 tokens on an English word and more on other scripts; a "word" in Japanese, Korean or Chinese is
# an approximation whose token cost is higher still. The margin covers a model that runs long, so it ends on its own.
_UNKNOWN_TOKENS_PER_WORD = 2.0
_LENGTH_MARGIN = 1.5
_MIN_PREDICT = 256
_MAX_CONTEXT = 8192  # Llama-3-8B's context window: nothing longer can be asked for
_PROMPT_TOKENS = 1024  # room kept in the context for the system and user prompts
_PROGRESS_SECONDS = 15.0  # a progress line at most this often while a draft streams
_OUT_OF_MEMORY = "requires more system memory"


@dataclass(frozen=True)
class Draft:
    """A drafted script (spoken words only, cleaned) and the model's accounting, recorded as the script's provenance."""

    text: str
    model: str
    prompt: str
    system: str
    eval_count: int | None
    prompt_eval_count: int | None
    eval_duration_s: float | None
    total_duration_s: float | None


class OllamaScriptWriter:
    """Drafts lecture scripts through an Ollama server (``OLLAMA_HOST``) running a Llama 3 model."""

    name = "ollama"
    licence = "Meta Llama 3 Community License"

    def __init__(
        self,
        host: str,
        model: str = "llama3:8b",
        *,
        timeout: float = 300.0,
        temperature: float = DEFAULT_TEMPERATURE,
        log: Callable[[str], None] | None = None,
    ) -> None:
        if not host or not host.strip():
            raise ValueError("an Ollama host is required (OLLAMA_HOST)")
        if not model or not model.strip():
            raise ValueError("an Ollama model name is required (LECTURER_OLLAMA_MODEL)")
        self.host = host.strip()
        self.model = model.strip()
        self.timeout = timeout  # the stall timeout: the longest wait for the next token
        self.temperature = temperature
        self._log = log
        stall = httpx.Timeout(connect=min(30.0, timeout), read=timeout, write=60.0, pool=min(30.0, timeout))
        self._client = ollama.Client(host=self.host, timeout=stall)

    def params(self) -> dict[str, Any]:
        """Everything besides the prompt and its options that changes the draft."""
        return {"model": self.model, "temperature": self.temperature}

    def draft(self, prompt: str, **options: Unpack[DraftOptions]) -> Draft:
        """Ask the model for a lecture on ``prompt`` and return its spoken words, cleaned of markup and asides."""
        if unknown := options.keys() - DraftOptions.__annotations__.keys():  # a typo must not pass as "left out"
            raise TypeError(f"draft() got unexpected options: {', '.join(sorted(unknown))}")
        if not prompt or not prompt.strip():
            raise InputError("the prompt is empty: say what the lecture should be about")
        target = options.get("target_minutes")
        minutes = DEFAULT_DRAFT_MINUTES if target is None else target
        if minutes <= 0:
            raise InputError(f"target_minutes must be more than 0, not {minutes:g}")
        words = target_words(minutes)
        language = options.get("language", DEFAULT_LANGUAGE)
        system = system_prompt(language, words, minutes)
        user = user_prompt(prompt.strip(), words, minutes, audience=options.get("audience"), style=options.get("style"))
        answer, final = self._chat(system, user, generation_options(words, language, self.temperature))
        return self._to_draft(answer, final, system, user)

    def _chat(self, system: str, user: str, options: dict[str, Any]) -> tuple[str, ollama.ChatResponse]:
        """One streamed chat call: the answer and its final chunk (with the accounting); every failure is turned
        into a ServiceError saying what to do."""
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        try:
            stream = self._client.chat(model=self.model, messages=messages, options=options, stream=True)
            return self._collect(stream)
        except ollama.ResponseError as exc:
            raise response_error(exc, model=self.model, host=public_url(self.host)) from exc
        except httpx.TimeoutException as exc:
            raise ServiceError(
                f"Ollama at {public_url(self.host)} (OLLAMA_HOST) sent no token for {self.timeout:g} s (a stalled "
                "or busy server, or a model still loading: LECTURER_OLLAMA_TIMEOUT is the longest wait for the next "
                "token)",
                transient=True,
            ) from exc
        except (ConnectionError, httpx.TransportError) as exc:
            raise ServiceError(
                f"cannot reach Ollama at {public_url(self.host)} (OLLAMA_HOST): {exc or type(exc).__name__}",
                transient=True,
            ) from exc
        except ValueError as exc:  # a 200 that is not Ollama's JSON: a proxy's page, a truncated body
            raise ServiceError(
                f"Ollama at {public_url(self.host)} (OLLAMA_HOST) sent a reply that is not a chat response: "
                f"{_detail(str(exc))}",
                transient=True,
            ) from exc

    def _collect(self, stream: Any) -> tuple[str, ollama.ChatResponse]:
        """Join the streamed pieces, logging progress; the last chunk (``done``) carries the accounting."""
        pieces: list[str] = []
        started = last_note = time.monotonic()
        final = None
        for chunk in stream:
            pieces.append(chunk.message.content or "")
            final = chunk
            now = time.monotonic()
            if self._log is not None and now - last_note >= _PROGRESS_SECONDS and not chunk.done:
                words = len("".join(pieces).split())
                self._log(f"Ollama ({self.model}) drafting: {words} words after {now - started:.0f} s")
                last_note = now
        if final is None or not final.done:
            raise ServiceError(
                f"Ollama at {public_url(self.host)} (OLLAMA_HOST) ended its answer before it was done; retry later",
                transient=True,
            )
        return "".join(pieces), final

    def _to_draft(self, answer: str, response: ollama.ChatResponse, system: str, user: str) -> Draft:
        """Clean the answer and keep the model's accounting; an answer with no spoken words left is a failure."""
        if response.done_reason == "length":
            answer = trim_unfinished(answer)
        text = spoken_text(answer)
        if not text:
            raise ServiceError(
                f"Ollama returned an empty script (model {self.model}); the answer was {_detail(answer)!r}",
                transient=True,
            )
        return Draft(
            text=text,
            model=response.model or self.model,
            prompt=user,
            system=system,
            eval_count=response.eval_count,
            prompt_eval_count=response.prompt_eval_count,
            eval_duration_s=_seconds(response.eval_duration),
            total_duration_s=_seconds(response.total_duration),
        )


# --- prompts -------------------------------------------------------------------------------------------------------


def target_words(minutes: float) -> int:
    """How many words a lecture of ``minutes`` holds at the speaking pace the TTS engines use."""
    return max(1, round(minutes * WORDS_PER_MINUTE))


def system_prompt(language: str, words: int, minutes: float) -> str:
    """The rules of the answer: only what the lecturer says, because the TTS engine reads every character aloud."""
    known = find(language)
    name = known.name if known else language
    return (
        f"You write the SPOKEN WORDS ONLY of a lecture, in {name}, exactly as the lecturer will say them aloud. "
        "Your answer is read aloud word for word by a text-to-speech engine, so:\n"
        "- no title and no headings;\n"
        "- no markdown of any kind (no #, no ** or * or _ emphasis, no code blocks, no tables);\n"
        "- no bullet lists and no numbered lists: say enumerations as sentences;\n"
        "- no stage directions such as [pause], [slide 2], (laughs) or (applause);\n"
        "- no speaker labels such as 'Lecturer:' or 'Speaker:';\n"
        "- no introduction or comment about the answer itself (never 'Here is your lecture'), no notes, "
        "no word counts;\n"
        "- plain paragraphs of complete sentences, separated by blank lines.\n"
        f"Length: about {words} words, which is about {minutes:g} minutes spoken at {WORDS_PER_MINUTE} words a minute."
    )


def user_prompt(prompt: str, words: int, minutes: float, *, audience: str | None, style: str | None) -> str:
    """The request itself; audience and style go here because they shape what is said, not how it is formatted."""
    lines = [f"Write a lecture of about {words} words (about {minutes:g} minutes spoken).", f"Topic: {prompt}"]
    if audience and audience.strip():
        lines.append(f"Audience: {audience.strip()} — choose examples and vocabulary they will follow.")
    if style and style.strip():
        lines.append(f"Style: {style.strip()}")
    lines.append("Answer with the spoken words only.")
    return "\n".join(lines)


def generation_options(words: int, language: str, temperature: float) -> dict[str, Any]:
    """Sampling options: enough tokens for the words asked (so the model ends on its own) and a context to hold them.

    The context is rounded up to a power of two so lectures of similar length share one loaded model instead of
    making Ollama reload it for every size.
    """
    known = find(language)
    per_word = known.tokens_per_word if known else _UNKNOWN_TOKENS_PER_WORD
    num_predict = min(_MAX_CONTEXT - _PROMPT_TOKENS, max(_MIN_PREDICT, math.ceil(words * per_word * _LENGTH_MARGIN)))
    num_ctx = min(_MAX_CONTEXT, max(2048, 2 ** math.ceil(math.log2(num_predict + _PROMPT_TOKENS))))
    return {"temperature": temperature, "num_predict": num_predict, "num_ctx": num_ctx}


# --- errors --------------------------------------------------------------------------------------------------------


def response_error(exc: ollama.ResponseError, *, model: str, host: str) -> ServiceError:
    """Classify an HTTP error from Ollama: 404 is a model not pulled, 408/429/5xx may pass, other 4xx will not."""
    status = exc.status_code
    detail = _detail(str(exc.error))
    if status == 404:
        return ServiceError(
            f'the model "{model}" is not available on Ollama at {host}: run "ollama pull {model}" on the Ollama host '
            f"or set LECTURER_OLLAMA_MODEL to a pulled model (Ollama said: {detail})",
            transient=False,
        )
    if _OUT_OF_MEMORY in str(exc.error):
        return ServiceError(
            f"Ollama at {host} cannot load {model}: {detail} — free memory on the Ollama host or set "
            "LECTURER_OLLAMA_MODEL to a smaller model (a retry cannot help)",
            transient=False,
        )
    if 400 <= status < 500 and status not in (408, 429):
        return ServiceError(f"Ollama at {host} refused the request (HTTP {status}): {detail}", transient=False)
    return ServiceError(f"Ollama at {host} failed (HTTP {status}): {detail}", transient=True)


def _detail(text: str) -> str:
    """A service's message made short enough for a log line; an HTML error page is named, not dumped."""
    text = text.strip()
    if re.match(r"(?is)\s*(<!doctype|<html)", text):
        title = re.search(r"(?is)<title>(.*?)</title>", text)
        return f"an HTML error page ({title.group(1).strip()})" if title else "an HTML error page"
    return shorten(text)


def _seconds(nanoseconds: int | None) -> float | None:
    return None if nanoseconds is None else nanoseconds / 1e9
