"""A SCORM 1.2 content package of one lecture: one SCO, an offline HTML5 player page and the lecture's media.

The package holds ``imsmanifest.xml`` (schema ``ADL SCORM`` 1.2, one organization whose one item launches the one
``sco`` resource ``index.html``, listing every file), the player (``index.html`` made from the template shipped in
``player/``, ``player.js``, ``scorm12.js``, ``player.css``), ``video.mp4``, ``captions.vtt``, ``chapters.vtt`` when
the script has sections, ``transcript.txt`` and ``poster.jpg`` when there is one. Nothing refers to the network.

The zip is written as it is read: the video streams from its file (stored, not deflated: it is compressed already);
the text files are deflated. Entries carry a fixed date, so the same inputs make the same bytes.
"""

from __future__ import annotations

import hashlib
import html
import shutil
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from string import Template

from lecturer_pipeline.text.captions import Block
from lecturer_pipeline.text.languages import find

IMSCP_NS = "http://www.imsproject.org/xsd/imscp_rootv1p1p2"
ADLCP_NS = "http://www.adlnet.org/xsd/adlcp_rootv1p2"
PLAYER_STATIC = ("player.js", "scorm12.js", "player.css")
PLAYER_TEMPLATE = "index.html"
MANIFEST = "imsmanifest.xml"
_ZIP_DATE = (2000, 1, 1, 0, 0, 0)
_COPY_BLOCK = 1024 * 1024


@dataclass(frozen=True)
class PackageFile:
    """One file of the package: from a local ``path`` (streamed) or small in-memory ``data``."""

    name: str
    path: Path | None = None
    data: bytes | None = None
    compress: bool = True


@dataclass(frozen=True)
class PackageSummary:
    entries: tuple[str, ...]
    bytes: int


def _player_file(name: str) -> bytes:
    return files("lecturer_pipeline.lms").joinpath("player", name).read_bytes()


def player_version() -> str:
    """A hash of the player's files: a new player rebuilds packages made with the old one."""
    digest = hashlib.sha256()
    for name in (PLAYER_TEMPLATE, *PLAYER_STATIC):
        digest.update(name.encode() + b"\0" + _player_file(name))
    return digest.hexdigest()


def language_tag(language: str) -> tuple[str, str]:
    """(BCP 47 tag, name) of a lecture language, for ``<html lang>`` and the captions track."""
    known = find(language)
    return (known.bcp47, known.native_name) if known else (language, language)


def transcript_html(blocks: list[Block]) -> str:
    """The transcript as HTML (escaped): headings and paragraphs."""
    parts = []
    for block in blocks:
        tag = "h3" if block.kind == "heading" else "p"
        parts.append(f"      <{tag}>{html.escape(block.text)}</{tag}>")
    return "\n".join(parts)


def render_player_page(*, title: str, language: str, blocks: list[Block], has_chapters: bool, has_poster: bool) -> str:
    """``index.html`` for one lecture, from the shipped template."""
    tag, label = language_tag(language)
    chapters = '\n      <track kind="chapters" src="chapters.vtt" srclang="{}" label="Chapters">'
    return Template(_player_file(PLAYER_TEMPLATE).decode("utf-8")).substitute(
        title=html.escape(title),
        lang=html.escape(tag),
        srclang=html.escape(tag),
        label=html.escape(label),
        poster=' poster="poster.jpg"' if has_poster else "",
        chapters_track=chapters.format(html.escape(tag)) if has_chapters else "",
        transcript=transcript_html(blocks),
    )


def build_manifest(identifier: str, title: str, file_names: list[str]) -> bytes:
    """``imsmanifest.xml``: one organization, one item, one SCO resource launched by ``index.html``."""
    manifest = ET.Element(
        "manifest",
        {"identifier": identifier, "version": "1.0", "xmlns": IMSCP_NS, "xmlns:adlcp": ADLCP_NS},
    )
    metadata = ET.SubElement(manifest, "metadata")
    ET.SubElement(metadata, "schema").text = "ADL SCORM"
    ET.SubElement(metadata, "schemaversion").text = "1.2"
    organizations = ET.SubElement(manifest, "organizations", {"default": f"{identifier}-org"})
    organization = ET.SubElement(organizations, "organization", {"identifier": f"{identifier}-org"})
    ET.SubElement(organization, "title").text = title
    item = ET.SubElement(
        organization,
        "item",
        {"identifier": f"{identifier}-item", "identifierref": f"{identifier}-sco", "isvisible": "true"},
    )
    ET.SubElement(item, "title").text = title
    resources = ET.SubElement(manifest, "resources")
    resource = ET.SubElement(
        resources,
        "resource",
        {"identifier": f"{identifier}-sco", "type": "webcontent", "adlcp:scormtype": "sco", "href": "index.html"},
    )
    for name in file_names:
        ET.SubElement(resource, "file", {"href": name})
    ET.indent(manifest)
    return ET.tostring(manifest, encoding="utf-8", xml_declaration=True) + b"\n"


def _entry(name: str, compress: bool) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


def write_package(out: Path, identifier: str, title: str, content: list[PackageFile]) -> PackageSummary:
    """Write the zip: the manifest first, then ``content`` (files streamed from disk, never read whole)."""
    names = [item.name for item in content]
    if len(set(names)) != len(names) or MANIFEST in names:
        raise ValueError(f"package file names must be unique and not {MANIFEST}: {names}")
    with zipfile.ZipFile(out, "w", allowZip64=True) as archive:
        archive.writestr(_entry(MANIFEST, True), build_manifest(identifier, title, names))
        for item in content:
            info = _entry(item.name, item.compress)
            if item.path is not None:
                with open(item.path, "rb") as source, archive.open(info, "w", force_zip64=True) as target:
                    shutil.copyfileobj(source, target, _COPY_BLOCK)
            else:
                archive.writestr(info, item.data or b"")
    return PackageSummary(entries=(MANIFEST, *names), bytes=out.stat().st_size)


def lecture_package(
    out: Path,
    *,
    lecture_id: str,
    title: str,
    language: str,
    blocks: list[Block],
    video: Path,
    captions: Path,
    transcript: Path,
    chapters: Path | None = None,
    poster: Path | None = None,
) -> PackageSummary:
    """The SCORM 1.2 package of one lecture (see the module docstring)."""
    page = render_player_page(
        title=title, language=language, blocks=blocks, has_chapters=chapters is not None, has_poster=poster is not None
    )
    content = [
        PackageFile("index.html", data=page.encode("utf-8")),
        *(PackageFile(name, data=_player_file(name)) for name in PLAYER_STATIC),
        PackageFile("video.mp4", path=video, compress=False),
        PackageFile("captions.vtt", path=captions),
    ]
    if chapters is not None:
        content.append(PackageFile("chapters.vtt", path=chapters))
    content.append(PackageFile("transcript.txt", path=transcript))
    if poster is not None:
        content.append(PackageFile("poster.jpg", path=poster, compress=False))
    return write_package(out, f"lecture-{lecture_id}", title, content)
