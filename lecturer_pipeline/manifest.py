"""What a lecture upload says: a plain ``.txt`` script, or a ``.json`` manifest validated by pydantic."""

from __future__ import annotations

import json

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from lecturer_pipeline.errors import InputError
from lecturer_pipeline.security.consent import ConsentRecord
from lecturer_pipeline.text.languages import DEFAULT_LANGUAGE, LANGUAGE_CODES


class LectureManifest(BaseModel):
    """A lecture's manifest; unknown fields are refused so a typo never silently drops an option."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str | None = Field(default=None, max_length=200)
    speaker: str | None = Field(default=None, max_length=64)
    script: str | None = None
    prompt: str | None = Field(default=None, max_length=4000)
    language: str = DEFAULT_LANGUAGE  # a code of the registry (text/languages.py)
    target_minutes: float | None = Field(default=None, gt=0, le=60)
    audience: str | None = Field(default=None, max_length=200)
    style: str | None = Field(default=None, max_length=200)
    consent: ConsentRecord | None = None

    @field_validator("language")
    @classmethod
    def _known_language(cls, code: str) -> str:
        if code not in LANGUAGE_CODES:
            raise ValueError(f"unknown language {code!r}; use one of: {', '.join(LANGUAGE_CODES)}")
        return code

    @model_validator(mode="after")
    def _script_or_prompt(self) -> LectureManifest:
        if self.script is not None and not self.script:
            raise ValueError("the script is empty: give the words the lecturer should speak")
        if bool(self.script) == bool(self.prompt):
            raise ValueError("give exactly one of 'script' (the finished text) or 'prompt' (to draft one)")
        return self


def parse_manifest(raw: bytes) -> LectureManifest:
    """Parse a JSON manifest, turning every problem into one InputError that names the field."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"the manifest is not valid UTF-8 JSON: {error}") from error
    if not isinstance(data, dict):
        raise InputError("the manifest must be a JSON object with 'script' or 'prompt'")
    try:
        return LectureManifest.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'manifest'}: {e['msg']}" for e in error.errors())
        raise InputError(f"the manifest is invalid — {problems}") from error


def parse_plain_script(raw: bytes) -> LectureManifest:
    """A ``.txt`` upload is the script itself."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError("the script is not UTF-8 text") from error
    if not text.strip():
        raise InputError("the script is empty: give the words the lecturer should speak")
    return LectureManifest(script=text)
