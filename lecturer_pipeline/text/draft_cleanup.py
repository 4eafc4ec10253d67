"""Turning a model's answer into a lecture's spoken words: what a TTS engine must not read aloud is taken out.

Models add headings, bullet lists, stage directions, speaker labels and chatty preambles however firmly the prompt
forbids them, and a TTS engine would read '#', 'asterisk' or '[pause]' aloud. This is text work with no knowledge of
which model wrote the answer, so it lives here rather than beside the Ollama client (``engines/ollama.py``).
"""

from __future__ import annotations

import re

_FENCED_BLOCK = re.compile(r"^[ \t]*(```|~~~)([^\n]*)\n(.*?)^[ \t]*\1[ \t]*$\n?", re.M | re.S)
_PROSE_FENCE_TAGS = {"", "text", "txt", "plaintext", "plain", "markdown", "md"}
_FENCE_LINE = re.compile(r"^[ \t]*(```|~~~).*$", re.M)
_TAG = re.compile(r"</?[A-Za-z][\w:-]*(\s[^<>]*)?/?>")
_HEADING = re.compile(r"^\s{0,3}#{1,6}(\s|$)")
_RULE = re.compile(r"^\s*([-*_=])(\s*\1){2,}\s*$")
_TITLE_LINE = re.compile(r"^\s*(?i:title|subtitle)\s*:")
_BOLD_HEADING = re.compile(r"^\s*(\*\*|__)[^*_\n]{0,80}[^*_\n.!?]\1\s*:?\s*$")  # "**Part 1: Cells**" alone on a line
_WHOLE_ASIDE = re.compile(r"^\s*[*_]*\s*(\([^()]*\)|\[[^\[\]]*\])\s*[*_]*\s*$")
_LIST_MARKER = re.compile(r"^\s*(?:[-*+•·‣▪]|\d{1,3}[.)]|[a-z][.)](?=\s))\s+")
_QUOTE_MARKER = re.compile(r"^\s*>+\s?")
_SPEAKER_LABEL = re.compile(
    r"^\s*(?i:speaker|lecturer|narrator|professor|prof\.|presenter|host|instructor|teacher|dr\.)"
    r"(?:\s*\d+|(?:\s+[A-Z][\w.-]*){1,3}|\s*\([^)\n]*\))?\s*:\s*"
)
_STAGE_WORDS = (
    r"(?:pause[sd]?|pausing|beat|laugh(?:s|ter|ing)?|chuckl(?:e|es|ing)|smil(?:e|es|ing)|grin(?:s|ning)?|sigh(?:s|ing)?"
    r"|applause|applau\w*|clears? (?:his |her |their |my )?throat|cough(?:s|ing)?|nod(?:s|ding)?|gestur(?:e|es|ing)"
    r"|point(?:s|ing)|look(?:s|ing)|turn(?:s|ing)|walk(?:s|ing)|hold(?:s|ing)|writ(?:es|ing)|draw(?:s|ing)"
    r"|click(?:s|ing)|show(?:s|ing)|slide|music|sound|silence|sfx|cue|transition|stage direction)"
)
_STAGE_PARENS = re.compile(rf"\(\s*(?i:{_STAGE_WORDS})\b[^()\n]{{0,80}}\)")
_STAGE_STARS = re.compile(rf"(?<![*\w])\*\s*(?i:{_STAGE_WORDS})\b[^*\n]{{0,80}}\*(?![*\w])")
_BRACKETS = re.compile(r"\[[^\[\]\n]*\]")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EMPHASIS = re.compile(r"(?<![\w*])([*_])(?=\S)(.+?)(?<=\S)\1(?![\w*])")
# A chatty first line: "Sure!", "Certainly, here is a lecture on tides:", "Here's your script:".
_AGREEING = r"(?:sure|certainly|of course|absolutely|okay|ok|great|alright|all right)"
_PRESENTING = r"(?:here['’]s|here is|here are|below is|the following is|what follows is)"
_PREAMBLE = re.compile(rf"^(?i:{_AGREEING}\b.*:|{_AGREEING}[!.,]?|{_PRESENTING}\b.*:)$")
_POSTAMBLE = re.compile(
    r"^(?i:let me know\b|feel free to\b|i hope (?:this|that) (?:helps|works|meets|is what)|would you like (?:me|any)"
    r"|is there anything\b|do you want me\b|if you(?:['’]d| would) like me\b|note:|word count\b"
    r"|(?:the )?end of (?:the )?(?:lecture|script|transcript)\b)"
)


def spoken_text(answer: str) -> str:
    """Keep only what a lecturer would say: strip markdown, list markers, stage directions, labels and chatter.

    Models add these despite the system prompt, and a TTS engine would read '#', 'asterisk' or '[pause]' aloud. The
    words of list items and emphasised phrases are kept; headings, titles and asides are dropped.
    """
    text = answer.replace("\r\n", "\n").replace("\r", "\n")
    text = _unfence(text)
    text = _TAG.sub(" ", text)
    lines = [_clean_line(line) for line in text.split("\n") if _is_spoken_line(line)]
    paragraphs = _paragraphs(lines)
    while paragraphs and _PREAMBLE.match(paragraphs[0][0]):
        paragraphs[0].pop(0)
        paragraphs = [p for p in paragraphs if p]
    while paragraphs and _POSTAMBLE.match(paragraphs[-1][0]):
        paragraphs.pop()
    return "\n\n".join("\n".join(p) for p in paragraphs)


def _unfence(text: str) -> str:
    """Unwrap fenced blocks of prose (models wrap whole lectures in them); drop blocks tagged as program code."""

    def keep_prose(block: re.Match[str]) -> str:
        tag = block.group(2).strip().lower()
        return block.group(3) if tag in _PROSE_FENCE_TAGS else "\n"

    return _FENCE_LINE.sub("", _FENCED_BLOCK.sub(keep_prose, text))


def _is_spoken_line(line: str) -> bool:
    """Headings, rules, title lines and lines that are one whole aside are never spoken."""
    stripped = line.strip().strip("*_").strip()
    if _HEADING.match(line) or _RULE.match(line) or _BOLD_HEADING.match(line) or _TITLE_LINE.match(stripped):
        return False
    return not _WHOLE_ASIDE.match(line)


def _clean_line(line: str) -> str:
    """Remove markers from one line, keeping its words."""
    line = _QUOTE_MARKER.sub("", line)
    line = _LIST_MARKER.sub("", line)
    line = _STAGE_STARS.sub(" ", line)
    line = _BRACKETS.sub(" ", line)
    line = _STAGE_PARENS.sub(" ", line)
    line = _STRONG.sub(r"\2", line)
    line = _EMPHASIS.sub(r"\2", line)
    line = line.replace("**", "").replace("`", "")
    line = _SPEAKER_LABEL.sub("", line)
    line = re.sub(r"[ \t]+", " ", line)
    line = re.sub(r" ([,.;:!?])", r"\1", line)
    return line.strip()


def _paragraphs(lines: list[str]) -> list[list[str]]:
    """Group lines into paragraphs at blank lines, so any number of blank lines becomes one."""
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if line:
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    return [p for p in paragraphs if p]


def trim_unfinished(text: str) -> str:
    """Cut an answer stopped by the token limit back to its last complete sentence (none found: keep it all)."""
    ends = list(re.finditer(r"[.!?][\"'”’»)]*(?=\s|$)|[。！？][」』”’)]*", text))
    return text[: ends[-1].end()] if ends else text
