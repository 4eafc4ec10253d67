"""The AI-disclosure wording shown on screen, written into the captions, the MP4 tags and the C2PA manifest.

Article 50 of the EU AI Act asks that AI-generated video of a real person be disclosed as such. The sentence names
the speaker; a deployment may give its own wording with ``LECTURER_DISCLOSURE`` (``{speaker}`` is replaced).
"""

from __future__ import annotations

DISCLOSURE = {
    "en-us": "AI-generated voice and video of {speaker}",
    "fr-fr": "Voix et vidéo de {speaker} générées par IA",
    "de": "KI-generierte Stimme und KI-generiertes Video von {speaker}",
    "ja": "{speaker}のAI生成の音声と映像",
    "ko": "AI로 생성된 {speaker}의 음성과 영상",
    "cmn": "由AI生成的{speaker}的语音和视频",
}


def disclosure_text(speaker: str, language: str, template: str | None = None) -> str:
    """The disclosure sentence in the lecture's language (English for a language without its own wording)."""
    wording = template or DISCLOSURE.get(language, DISCLOSURE["en-us"])
    return wording.replace("{speaker}", speaker)


def english_disclosure(speaker: str) -> str:
    return DISCLOSURE["en-us"].replace("{speaker}", speaker)
