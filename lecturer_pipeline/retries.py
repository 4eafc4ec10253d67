"""Who retries what: one retrier for each kind of failure, so that no fault is retried at two levels at once.

- **one S3 request** (a 5xx, a refused or reset connection, a throttle): botocore's ``standard`` retry mode in the
  client ``storage/s3.py`` builds, ``S3_MAX_ATTEMPTS`` (10) tries in all. botocore waits ``rand(0, 1) · 0.05 s ·
  2ⁱ`` before retry *i* (1 s · 2ⁱ for a throttle, each wait capped at 20 s): a dropped connection is retried within
  50 ms, and the ten tries span up to ~25 s (~13 s on average), long enough to ride out a gateway restart;
- **one model-service call** (429, 5xx, a timeout, a busy GPU): ``engines/retry.py``, inside the step,
  ``LECTURER_CALL_RETRIES`` (3) retries with back-off from ``LECTURER_CALL_RETRY_DELAY_SECONDS``, or the wait the
  service stated;
- **a failed step**: Dagster's ``RetryPolicy`` on the lecture assets (``defs/assets``), ``STEP_RETRIES`` (3) retries
  with exponential back-off and jitter from ``LECTURER_RETRY_DELAY_SECONDS``.

The rules that keep the levels apart:

- **S3**: an ``S3RequestError`` (what the store raises once botocore has used up its tries) fails the step at once
  (``dg.Failure(allow_retries=False)``), in the stage and in the IO managers: the step's RetryPolicy would run the
  same requests again, each with its own botocore tries — 4 × 10 requests for one outage. A store that is away for
  longer than botocore's tries fails the run; a re-run (``backfill --from-failure``) resumes from the work already
  stored. (s3transfer's own re-reads of a download whose body broke off mid-stream are a different fault: botocore
  retries only requests that failed before their response.)
- **Services**: a call that used up its own retries reaches the step as transient only on the step's first attempt,
  or when another call of the attempt succeeded; otherwise the service looks down and the step fails for good (the
  rule is in ``engines/retry.py``): a fault that never heals costs at most 2 × 4 tries of one call, not 4 × 4.
- **The step's RetryPolicy** is left for what no inner level retries: the catalog (SQLAlchemy has no retry of its
  own), the local disk, a service that asked to be called back later (Retry-After), a step that crashed.
"""

from __future__ import annotations

#: Tries of one S3 request, the first included (botocore's ``total_max_attempts``; dagster-aws ``max_attempts``).
S3_MAX_ATTEMPTS = 10
#: botocore's retry mode: ``standard`` retries throttling, 5xx, connection and read errors with capped back-off.
S3_RETRY_MODE = "standard"
#: Retries of a failed lecture step (Dagster ``RetryPolicy.max_retries``); also the cap of a Retry-After retry.
STEP_RETRIES = 3
#: Retries of one model-service call (the default of ``LECTURER_CALL_RETRIES``).
CALL_RETRIES = 3
