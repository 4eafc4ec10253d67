"""Output truth (DESIGN.md §8): every speech chunk and video segment is checked before it is kept as good.

Plain functions over files, no Dagster: ``speech`` checks a chunk (round-trip ASR word error rate, speaker
similarity for cloning engines, duration / silence / clipping), ``video`` checks a rendered segment (face, frozen or
black stretches, an audio/mouth sync proxy), ``report`` gathers the verdicts into the lecture's quality report.
Thresholds live in ``thresholds`` with the calibration they come from (``python -m bench.quality_calibration``).
Every model here ships inside a PyPI package: pocketsphinx (en-us acoustic model and dictionary), resemblyzer (its
17 MB voice encoder, on the CPU build of torch), dlib (its frontal face detector needs no model file).
"""
