"""Errors the pipeline raises on purpose, each carrying what an operator needs to fix it.

Every message names the lecture and the file it concerns (when known), because operators read these in the
Dagster UI and on the command line, far from the code that raised them.
"""

from __future__ import annotations


class LecturerError(Exception):
    """Base of the pipeline's own errors; ``str(err)`` is a complete, user-facing sentence."""

    def __init__(self, message: str, *, lecture_id: str | None = None, file: str | None = None) -> None:
        self.message = message
        self.lecture_id = lecture_id
        self.file = file
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.lecture_id:
            where.append(f"lecture {self.lecture_id}")
        if self.file:
            where.append(f"file {self.file}")
        return f"{', '.join(where)}: {self.message}" if where else self.message

    def with_context(self, *, lecture_id: str | None = None, file: str | None = None) -> LecturerError:
        """Return a copy naming the lecture and/or file, keeping what is already known."""
        clone = type(self).__new__(type(self))
        clone.__dict__.update(self.__dict__)
        LecturerError.__init__(
            clone,
            self.message,
            lecture_id=lecture_id or self.lecture_id,
            file=file or self.file,
        )
        return clone

    def __reduce__(self):  # keep lecture/file across pickling (Dagster ships errors between processes)
        return (_rebuild, (type(self), self.message, self.lecture_id, self.file, self.__dict__))


def _rebuild(cls, message, lecture_id, file, state):
    err = cls.__new__(cls)
    err.__dict__.update(state)
    LecturerError.__init__(err, message, lecture_id=lecture_id, file=file)
    return err


class InputError(LecturerError):
    """Bad input from a user (voice, portrait, script, manifest, ID): never retried, fixed by re-uploading."""


class ConfigurationError(LecturerError):
    """The deployment is configured wrongly (a missing or wrong key, a refused licence): fixed by an operator, never by
    retrying."""


class AwaitingApproval(LecturerError):
    """A drafted script has not been reviewed yet: nothing is spoken or rendered until a person approves it."""


class NeedsReview(LecturerError):
    """Generated media failed its quality checks twice (DESIGN.md §8): nothing after it is made until an operator
    approves it as it is (``lecturer-pipeline accept-quality``) or edits the script."""


class StorageError(LecturerError):
    """The object store or catalog failed; the run may be retried once the store is back."""


class ServiceError(LecturerError):
    """A remote model service failed. ``transient`` says whether a retry can help, ``retry_after`` when (as the
    service stated it), and ``retry_limit`` caps the retries this kind of failure is worth (None: the usual 3)."""

    def __init__(
        self,
        message: str,
        *,
        transient: bool,
        retry_after: float | None = None,
        retry_limit: int | None = None,
        lecture_id: str | None = None,
        file: str | None = None,
    ) -> None:
        self.transient = transient
        self.retry_after = retry_after
        self.retry_limit = retry_limit
        super().__init__(message, lecture_id=lecture_id, file=file)
