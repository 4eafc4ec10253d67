"""Master-key rotation: every sealed voice object re-wrapped under the newest master key.

Only the wrapped data key changes (the voice's ciphertext is untouched), so rotation is cheap and safe to repeat;
once it has run, the old master key can be removed from LECTURER_MASTER_KEYS.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lecturer_pipeline.security.envelope import Envelope, key_id
from lecturer_pipeline.storage.layout import VOICES_PREFIX
from lecturer_pipeline.storage.objects import ObjectStore


@dataclass
class RotationReport:
    newest_key: str
    rewrapped: list[str] = field(default_factory=list)
    already_current: list[str] = field(default_factory=list)


def rotate_keys(store: ObjectStore, envelope: Envelope) -> RotationReport:
    """Re-wrap every object under ``voices/`` that is not sealed with the newest key."""
    report = RotationReport(newest_key=key_id(envelope.master_keys[0]))
    for info in list(store.list(VOICES_PREFIX)):
        blob = store.get_bytes(info.key)
        if envelope.sealed_with(blob, name=info.key) == report.newest_key:
            report.already_current.append(info.key)
            continue
        store.put_bytes(info.key, envelope.rewrap(blob, name=info.key))
        report.rewrapped.append(info.key)
    return report
