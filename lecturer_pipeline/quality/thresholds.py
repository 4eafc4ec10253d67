"""The quality thresholds, each with the data it was calibrated on (``python -m bench.quality_calibration``; the
figures are in the README's "Quality checks" section). Change them here, and re-run the calibration."""

from __future__ import annotations

# Round-trip ASR (pocketsphinx, a language model biased to the chunk's own text): the embedded engine's own
# espeak-ng output scores 0.00–0.64 on the calibration sentences (most <= 0.29), other words 0.71–0.93. A chunk
# passes at or below this word error rate (a thin margin on synthetic speech: see the README). Half the text
# scores 0.50–0.64 — the recogniser cannot separate that from good audio, so an answer that stops half way is caught
# by its length per character instead (below).
MAX_WER = 0.7

# Speaker similarity (resemblyzer cosine of utterance embeddings) between a chunk and the reference clip: the
# reference's own espeak-ng voice saying other sentences scores 0.93–0.96; other espeak-ng voices (f1–f4, m7, klatt,
# Andy) score 0.66–0.82. A chunk of a cloning engine passes at or above this similarity.
MIN_SIMILARITY = 0.78  # the Zyphra stand-in speaks the reference voice at 0.80–0.85 in the fault course
# Under this much audio the voice encoder's embedding is noise (the fault tests' 1 s chunks of the reference voice
# scored 0.64–0.85): such a chunk's similarity is reported as not judged, never passed silently.
MIN_SIMILARITY_SECONDS = 2.0

# "Sounds like speech": seconds of audio per character of text, per engine (espeak-ng at 160 wpm speaks 0.058–0.070 s
# a character on the calibration sentences, the first half of a sentence 0.03–0.04; Zonos at rate 15 about 30 s per 400
# characters, ~0.075). Only a truncated answer, a model trailing off or reading markup aloud falls outside.
SECONDS_PER_CHAR = {"espeak-ng": (0.045, 0.12), "zyphra": (0.045, 0.16)}
DEFAULT_SECONDS_PER_CHAR = (0.045, 0.16)
# Allowed on top of the upper bound for the silence an engine puts around any answer (espeak-ng: ~0.3 s in all), so
# that a one-word chunk is not judged too slow ("Hello." is 0.83 s: 0.139 s a character).
EDGE_SILENCE_SECONDS = 0.5
MAX_INNER_SILENCE_SECONDS = 1.5  # a pause longer than this inside one chunk (a sentence or two) is a dropout
SILENCE_DBFS = -45.0  # a 20 ms frame quieter than this counts as silence
MAX_CLIPPED_FRACTION = 0.001  # samples at full scale, as a fraction of all samples

# Video segments: a face in at least this fraction of the sampled frames (dlib frontal face detector, upsample 1 as
# KDTalker's own crop uses it); no stretch longer than these seconds where frames do not change or are black.
MIN_FACE_FRACTION = 0.8
MAX_FROZEN_SECONDS = 2.0
FROZEN_DIFFERENCE = 0.15  # mean absolute difference between sampled frames (0–255 grey) below which nothing moves
BLACK_LUMA = 16.0  # mean luma of a black frame (limited-range video black is 16)
SAMPLE_FPS = 5  # frames a second the video checks look at
# Sync proxy: the lag (seconds) at which mouth-region motion best correlates with the speech envelope; a renderer
# that lip-syncs keeps it within this bound. NOT SyncNet's LSE-C: a cheap proxy, labelled so in the report.
MAX_SYNC_LAG_SECONDS = 0.2
MIN_SYNC_CORRELATION = 0.2
