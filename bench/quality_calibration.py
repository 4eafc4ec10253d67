"""``python -m bench.quality_calibration``: the data the quality thresholds are calibrated on, made here.

WER: the embedded engine's own espeak-ng output of each calibration sentence (should pass), the first half of it
(caught by length per character), and other words (should fail). Speaker similarity: the reference clip (the demo's
espeak-ng voice) against the same voice saying each sentence (same-speaker pairs) and against other espeak-ng voice
variants (other-speaker pairs). Prints a Markdown summary and writes ``bench/quality_calibration.json``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from lecturer_pipeline.engines import espeak
from lecturer_pipeline.quality import asr, sound, voice
from lecturer_pipeline.sample import make_sample_voice

SENTENCES = (
    "Sets are collections of distinct objects. We write them with curly braces.",
    "Two sets are equal when they have the same members. Order does not matter.",
    "A function maps every element of its domain to exactly one element of its codomain.",
    "The derivative measures how quickly a quantity changes when its input changes a little.",
    "Photosynthesis turns light, water and carbon dioxide into sugar and oxygen inside the leaves of plants.",
    "Before the exam, review the examples from each week and try the exercises again without looking at the answers.",
)
OTHER_WORDS = "The quick brown fox jumps over the lazy dog while seven bakers sing about purple mountains."
OTHER_VOICES = ("f1", "f2", "f3", "f4", "m7", "klatt", "Andy")
SAME_TIMBRE_ACCENTS = ("en-gb", "en-029")  # the same synthetic timbre with another accent: reported, not used


def _speak(text: str, dst: Path, voice_name: str = "en-us") -> Path:
    import subprocess

    from lecturer_pipeline.media.audio import to_wav_16k_mono

    raw = dst.with_suffix(".raw.wav")
    subprocess.run(
        ["espeak-ng", "-v", voice_name, "-s", "160", "-w", str(raw), "--stdin"],
        input=text.encode(),
        check=True,
        capture_output=True,
    )
    to_wav_16k_mono(raw, dst)
    raw.unlink()
    return dst


def run(sentences: int) -> dict:
    chosen = SENTENCES[:sentences]
    out: dict = {"wer": [], "similarity": {"same": [], "other": {}, "accent": {}}}
    with tempfile.TemporaryDirectory(prefix="qa-calibration-") as tmp:
        work = Path(tmp)
        other = work / "other.wav"
        espeak.synthesize(OTHER_WORDS, other)
        for i, text in enumerate(chosen):
            good = work / f"good-{i}.wav"
            espeak.synthesize(text, good)
            words = text.split()
            half = work / f"half-{i}.wav"
            espeak.synthesize(" ".join(words[: len(words) // 2]), half)
            out["wer"].append(
                {
                    "text": text,
                    "good": asr.recognise(good, text, language="en-us").wer,
                    "half": asr.recognise(half, text, language="en-us").wer,
                    "other": asr.recognise(other, text, language="en-us").wer,
                    "good_s_per_char": sound.measure(good, text).seconds_per_char,
                    "half_s_per_char": sound.measure(half, text).seconds_per_char,
                }
            )
        reference = voice.embed(make_sample_voice(work / "reference.wav"))
        for i, text in enumerate(chosen):
            out["similarity"]["same"].append(voice.similarity(_speak(text, work / f"same-{i}.wav"), reference))
            for name in OTHER_VOICES:
                wav = _speak(text, work / f"o-{name}-{i}.wav", f"en-us+{name}")
                out["similarity"]["other"].setdefault(name, []).append(voice.similarity(wav, reference))
            for name in SAME_TIMBRE_ACCENTS:
                wav = _speak(text, work / f"a-{name}-{i}.wav", name)
                out["similarity"]["accent"].setdefault(name, []).append(voice.similarity(wav, reference))
    return out


def summary(out: dict) -> str:
    def span(values: list[float]) -> str:
        return f"{min(values):.2f}–{max(values):.2f}"

    wer = out["wer"]
    lines = ["| data | figure | range |", "|---|---|---|"]
    lines.append(f"| espeak-ng's own speech ({len(wer)} sentences) | WER | {span([w['good'] for w in wer])} |")
    lines.append(f"| first half of each sentence | WER | {span([w['half'] for w in wer])} |")
    lines.append(f"| other words | WER | {span([w['other'] for w in wer])} |")
    lines.append(f"| espeak-ng's own speech | s per character | {span([w['good_s_per_char'] for w in wer])} |")
    lines.append(f"| first half | s per character | {span([w['half_s_per_char'] for w in wer])} |")
    sim = out["similarity"]
    lines.append(f"| same voice as the reference | similarity | {span(sim['same'])} |")
    for name, values in sim["other"].items():
        lines.append(f"| other voice en-us+{name} | similarity | {span(values)} |")
    for name, values in sim["accent"].items():
        lines.append(f"| same timbre, accent {name} (not used) | similarity | {span(values)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.quality_calibration", description=__doc__)
    parser.add_argument("--sentences", type=int, default=len(SENTENCES))
    parser.add_argument("--output", type=Path, default=Path(__file__).with_name("quality_calibration.json"))
    args = parser.parse_args(argv)
    out = run(args.sentences)
    args.output.write_text(json.dumps(out, indent=1), encoding="utf-8")
    print(summary(out))


if __name__ == "__main__":
    main()
