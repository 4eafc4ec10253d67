"""The plain-http warning for secrets (``security/transport.py``)."""

from __future__ import annotations

import logging

import pytest

from lecturer_pipeline.engines.zyphra import ZyphraSpeechEngine
from lecturer_pipeline.security import transport


@pytest.fixture(autouse=True)
def fresh() -> None:
    transport._warned.clear()


def test_a_key_over_plain_http_to_a_remote_host_is_warned_once(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="lecturer_pipeline.security"):
        ZyphraSpeechEngine("secret-key", "http://api.zyphra.com")
        ZyphraSpeechEngine("secret-key", "http://api.zyphra.com")
    warnings = [r.getMessage() for r in caplog.records if r.name == "lecturer_pipeline.security"]
    assert len(warnings) == 1
    assert "unencrypted" in warnings[0] and "ZYPHRA_BASE_URL" in warnings[0]
    assert "https://api.zyphra.com" in warnings[0] and "secret-key" not in warnings[0]


@pytest.mark.parametrize(
    "url",
    [
        "https://api.zyphra.com",
        "http://127.0.0.1:8000",
        "http://localhost:8000",
        "http://[::1]:8000",
        "http://127.8.0.1",
    ],
)
def test_https_and_loopback_are_not_warned(url: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="lecturer_pipeline.security"):
        ZyphraSpeechEngine("secret-key", url)
    assert not [r for r in caplog.records if r.name == "lecturer_pipeline.security"]


def test_a_hugging_face_token_over_http_is_warned() -> None:
    from lecturer_pipeline.engines.kdtalker import KDTalkerVideoEngine

    KDTalkerVideoEngine("http://kdtalker.campus.example:7860/")
    assert not transport._warned, "no token, nothing to warn about"
    KDTalkerVideoEngine("http://kdtalker.campus.example:7860/", hf_token="hf_x")
    assert ("the Hugging Face token (HF_TOKEN)", "kdtalker.campus.example:7860") in transport._warned
