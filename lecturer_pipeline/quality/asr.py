"""Does the chunk say its text? Round-trip speech recognition with pocketsphinx and word error rate with jiwer.

pocketsphinx's general en-us language model recognises synthetic voices poorly (WER ~0.9 on espeak-ng's own clear
output, so it could not tell good audio from bad). The recogniser is therefore given a language model biased to the
chunk's own text — its bigrams, backing off to its vocabulary — the technique Kaldi's transcript clean-up uses
(``steps/cleanup``): audio that says the text decodes to it; audio that says other words, or stops half way,
cannot, because the acoustics are not there, and its error rate stays high. Words missing from the bundled
dictionary are left out of both sides and counted in the result.

Only a language whose registry entry says ``recogniser`` (en-us) has a bundled model: any other gets ``wer=None``
and the note "WER not available for …", which the report shows — never a silent pass.
"""

from __future__ import annotations

import itertools
import math
import re
import tempfile
import threading
import wave
from dataclasses import dataclass
from pathlib import Path

from lecturer_pipeline.text.languages import find

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_lock = threading.Lock()
_decoder = None
_pronunciations: dict[str, list[str]] | None = None


@dataclass(frozen=True)
class Recognition:
    wer: float | None  # None: no recogniser for this language
    hypothesis: str
    words: int  # reference words scored
    unknown_words: int  # reference words the dictionary lacks (left out of the score)
    note: str = ""


_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()  # noqa: E501, SIM905
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()  # noqa: SIM905
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _spoken(number: str) -> str:
    """A numeral as a TTS engine reads it: whole numbers under 100 as words, digit by digit beyond, "3.4" as
    "three point four" — so the text a recogniser is biased to is what the audio says."""
    whole, _, fraction = number.partition(".")
    value = int(whole)
    if value < 20:
        said = _ONES[value]
    elif value < 100:
        said = _TENS[value // 10] + ("" if value % 10 == 0 else " " + _ONES[value % 10])
    else:
        said = " ".join(_ONES[int(d)] for d in whole)
    return said + (" point " + " ".join(_ONES[int(d)] for d in fraction) if fraction else "")


def words_of(text: str) -> list[str]:
    spoken = _NUMBER.sub(lambda m: f" {_spoken(m.group())} ", text)
    return _WORD.findall(spoken.lower().replace("’", "'"))


def _get_decoder():
    """One decoder per process (loading the acoustic model takes ~0.5 s); a lock keeps its searches apart."""
    global _decoder
    if _decoder is None:
        from pocketsphinx import Decoder

        # dither: synthetic speech has digital silence, on which the feature extraction otherwise degenerates.
        _decoder = Decoder(samprate=16000, logfn="/dev/null", dither=True)
    return _decoder


def _dictionary() -> dict[str, list[str]]:
    """The bundled CMU dictionary, word -> its dictionary lines (alternative pronunciations included), read once."""
    global _pronunciations
    if _pronunciations is None:
        from pocketsphinx import get_model_path

        found: dict[str, list[str]] = {}
        path = Path(get_model_path()) / "en-us" / "cmudict-en-us.dict"
        for line in path.read_text(encoding="utf-8").splitlines():
            word = line.split(" ", 1)[0]
            found.setdefault(word.split("(", 1)[0], []).append(line)
        _pronunciations = found
    return _pronunciations


def biased_arpa(words: list[str]) -> str:
    """An ARPA bigram model of ``words``: each bigram of the text likely, any vocabulary word possible after a
    back-off (so a recogniser can also say the words out of order, or fewer or more of them)."""
    vocab = sorted(set(words))
    sequence = ["<s>", *words, "</s>"]
    bigrams = sorted(set(itertools.pairwise(sequence)))
    unigram = math.log10(1 / (len(vocab) + 1))
    lines = ["\\data\\", f"ngram 1={len(vocab) + 2}", f"ngram 2={len(bigrams)}", "", "\\1-grams:"]
    lines += [f"{unigram:.4f} </s> 0.0", "-99 <s> -0.3", *(f"{unigram:.4f} {w} -0.3" for w in vocab)]
    lines += ["", "\\2-grams:", *(f"-0.1 {a} {b}" for a, b in bigrams), "", "\\end\\", ""]
    return "\n".join(lines)


def recognise(wav: Path, text: str, *, language: str) -> Recognition:
    """The word error rate of what pocketsphinx hears in ``wav`` (16 kHz mono 16-bit) against ``text``."""
    known = find(language)
    if known is None or not known.recogniser:
        return Recognition(None, "", len(text.split()), 0, f"WER not available for {language}")
    import jiwer
    from pocketsphinx import NGramModel

    with wave.open(str(wav), "rb") as audio:
        if (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) != (16000, 1, 2):
            raise ValueError(f"{wav} is not 16 kHz mono 16-bit PCM")
        raw = audio.readframes(audio.getnframes())
    with _lock:
        decoder = _get_decoder()
        pronunciations = _dictionary()
        reference = words_of(text)
        known = [w for w in reference if w in pronunciations]
        if not known:
            note = "WER not available: no word of the text is in the dictionary"
            return Recognition(None, "", 0, len(reference), note)
        with tempfile.TemporaryDirectory(prefix="lecturer-asr-") as work:
            # A dictionary of the chunk's words only: building the search over the whole CMU dictionary costs
            # seconds per chunk, over a few dozen words nothing.
            words = Path(work) / "chunk.dict"
            words.write_text("\n".join(line for w in sorted(set(known)) for line in pronunciations[w]) + "\n")
            decoder.load_dict(str(words))
            model = Path(work) / "biased.arpa"
            model.write_text(biased_arpa(known), encoding="utf-8")
            decoder.add_lm("chunk", NGramModel(decoder.config, decoder.logmath, str(model)))
        decoder.activate_search("chunk")
        decoder.start_utt()
        decoder.process_raw(raw, full_utt=True)
        decoder.end_utt()
        hypothesis = decoder.hyp().hypstr if decoder.hyp() else ""
    wer = jiwer.wer(" ".join(known), hypothesis) if hypothesis.strip() else 1.0
    return Recognition(round(float(wer), 3), hypothesis, len(known), len(reference) - len(known))
