"""The Ollama stand-in's "model": a deterministic lecture on the prompt's topic, of the length the prompt asks for.

A real model writes about what it is asked, about as long as asked, and stops at ``num_predict`` tokens with
``done_reason: "length"``; it reports token counts and durations. The stand-in does all of that reproducibly, so a
test can tell a draft that was made again from one that was reused.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["DEFAULT_WORDS", "accounting", "canonical_model", "lecture_text", "limit_tokens", "topic_of", "words_asked"]

DEFAULT_WORDS = 120
TOKENS_PER_WORD = 1.3  # what the stand-in reports as token counts, close to Llama 3 on English
_MAX_WORDS = 20_000

_OPENING = "Today we are going to talk about {topic}."
_MIDDLE = (
    "To understand {topic}, it helps to start with a simple question.",
    "Many people meet {topic} long before they learn its name.",
    "The central idea behind {topic} is easier to grasp than it first appears.",
    "Let us look at an example that shows {topic} at work.",
    "Notice how each step follows naturally from the one before it.",
    "People have argued about {topic} for a long time, and the arguments taught us a great deal.",
    "When you think about {topic}, try to picture where it shows up in your own life.",
    "This is the point where {topic} becomes genuinely interesting.",
    "Keep that picture in mind as we move on to the next idea.",
    "A good way to check your understanding is to explain {topic} to a friend in a few sentences.",
)
_CLOSING = "Thank you for listening, and I hope {topic} now feels a little more familiar."
_SENTENCES_PER_PARAGRAPH = 4


def lecture_text(topic: str, words: int) -> str:
    """A lecture of about ``words`` words on ``topic``: plain paragraphs, always the same for the same inputs."""
    sentences = [_OPENING.format(topic=topic)]
    closing = _CLOSING.format(topic=topic)
    count = _word_count(sentences[0]) + _word_count(closing)
    index = 0
    while count < words:
        sentence = _MIDDLE[index % len(_MIDDLE)].format(topic=topic)
        sentences.append(sentence)
        count += _word_count(sentence)
        index += 1
    sentences.append(closing)
    size = _SENTENCES_PER_PARAGRAPH
    return "\n\n".join(" ".join(sentences[i : i + size]) for i in range(0, len(sentences), size))


def topic_of(prompt: str) -> str:
    """The lecture's topic: a ``Topic:`` line if the prompt has one, else its first line; short and speakable."""
    match = re.search(r"(?im)^\s*topic\s*:\s*(.+)$", prompt)
    line = match.group(1) if match else next((s for s in prompt.splitlines() if s.strip()), "")
    words = re.sub(r"[<>&\x00-\x1f\x7f]", " ", line).split()[:12]
    return " ".join(words).rstrip(".!?:;,") or "this subject"


def words_asked(*texts: str) -> int:
    """The first "<number> words" in the prompts (system first), or DEFAULT_WORDS when none asks for a length."""
    for text in texts:
        match = re.search(r"(\d[\d,]*)\s*(?:-\s*)?words?\b", text or "", re.IGNORECASE)
        if match:
            return max(1, min(_MAX_WORDS, int(match.group(1).replace(",", ""))))
    return DEFAULT_WORDS


def _word_count(text: str) -> int:
    return len(text.split())


def _tokens(text: str) -> int:
    return round(_word_count(text) * TOKENS_PER_WORD)


def limit_tokens(text: str, num_predict: Any) -> tuple[str, str]:
    """Cut ``text`` at ``num_predict`` tokens as a model does; returns (text, done_reason)."""
    if not isinstance(num_predict, int) or isinstance(num_predict, bool) or num_predict < 0:
        return text, "stop"
    if _tokens(text) <= num_predict:
        return text, "stop"
    words = text.split(" ")
    return " ".join(words[: int(num_predict / TOKENS_PER_WORD)]), "length"


def canonical_model(model: str) -> str:
    """Ollama's model names: a name without a tag means ``:latest``."""
    return model if ":" in model else f"{model}:latest"


def accounting(system: str, prompt: str, content: str) -> dict[str, Any]:
    """Token counts and durations (ns) as Ollama reports them, derived from the texts so they are reproducible."""
    prompt_eval = _tokens(system) + _tokens(prompt) + 10  # the chat template's own tokens
    evals = _tokens(content) + 1  # the end-of-sequence token
    load, prompt_ns, eval_ns = 5_000_000, prompt_eval * 1_000_000, evals * 25_000_000
    return {
        "total_duration": load + prompt_ns + eval_ns + 1_000_000,
        "load_duration": load,
        "prompt_eval_count": prompt_eval,
        "prompt_eval_duration": prompt_ns,
        "eval_count": evals,
        "eval_duration": eval_ns,
    }
