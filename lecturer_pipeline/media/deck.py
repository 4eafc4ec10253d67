"""A lecture's slide deck: PPTX converted to PDF by LibreOffice, PDF checked and rendered page by page (pypdfium2).

A deck is user input, so it is checked before any work is spent on it: at most :data:`MAX_DECK_BYTES` and
:data:`MAX_DECK_PAGES`, a real PDF (or a PPTX LibreOffice can convert), not password-protected. Errors are
``InputError``s; the caller adds the lecture and the file. Each page is rendered to fit a 1920×1080 frame
(letterboxed on a dark background, never stretched) as a PNG.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

from lecturer_pipeline.errors import ConfigurationError, InputError
from lecturer_pipeline.media._atomic import atomic_path

MAX_DECK_BYTES = 100 * 1024 * 1024  # a 200-page deck of full-bleed photos stays below this
MAX_DECK_PAGES = 200  # far beyond an hour's lecture at one slide a minute
FRAME = (1920, 1080)
LETTERBOX = (17, 17, 17)
CONVERT_TIMEOUT_SECONDS = 300.0
DECK_EXTENSIONS = ("pdf", "pptx")
# PDFium's document-loading error codes (fpdfview.h): FPDF_ERR_FORMAT 3, FPDF_ERR_PASSWORD 4, FPDF_ERR_SECURITY 5.
_ERR_PASSWORD = (4, 5)


def check_size(path: Path) -> None:
    size = path.stat().st_size
    if size > MAX_DECK_BYTES:
        raise InputError(f"the deck is {size} bytes; at most {MAX_DECK_BYTES} ({MAX_DECK_BYTES >> 20} MB) are allowed")
    if size == 0:
        raise InputError("the deck is an empty file")


def pptx_to_pdf(pptx: Path, out_dir: Path, *, timeout: float = CONVERT_TIMEOUT_SECONDS) -> Path:
    """Convert a PPTX with LibreOffice headless; returns the PDF. Each conversion uses its own LibreOffice profile
    directory, so conversions of several lectures at once do not fight over one profile's lock."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise ConfigurationError(
            "a PPTX deck needs LibreOffice to convert it: install Debian's libreoffice-impress (make install does), "
            "or upload the deck as a PDF"
        )
    check_size(pptx)
    with (
        tempfile.TemporaryDirectory(prefix="lo-profile-") as profile,
        tempfile.TemporaryDirectory(dir=out_dir, prefix=".convert-") as work,
    ):
        source = Path(work) / "deck.pptx"
        shutil.copyfile(pptx, source)
        try:
            done = subprocess.run(
                [
                    soffice,
                    f"-env:UserInstallation=file://{profile}",
                    "--headless",
                    "--norestore",
                    "--nolockcheck",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    work,
                    str(source),
                ],
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise InputError(f"LibreOffice did not convert the deck within {timeout:.0f} s") from error
        converted = Path(work) / "deck.pdf"
        if done.returncode != 0 or not converted.is_file() or converted.stat().st_size == 0:
            detail = (done.stderr or done.stdout or "no output").strip().splitlines()[-1:]
            raise InputError(f"LibreOffice could not convert the deck to PDF ({' '.join(detail)}): is it a PPTX file?")
        dst = out_dir / "deck.pdf"
        shutil.move(converted, dst)
    return dst


def _open(pdf: Path) -> pdfium.PdfDocument:
    check_size(pdf)
    if not pdf.read_bytes()[:1024].lstrip().startswith(b"%PDF-"):
        raise InputError("the deck is not a PDF (it does not start with %PDF-)")
    try:
        return pdfium.PdfDocument(str(pdf))
    except pdfium.PdfiumError as error:
        if getattr(error, "err_code", None) in _ERR_PASSWORD:
            raise InputError("the deck is password-protected: upload it without a password") from error
        raise InputError(f"the deck is a broken PDF that cannot be read ({error})") from error


def count_pages(pdf: Path) -> int:
    """The number of pages, after the checks above; a deck without pages or with too many is refused."""
    document = _open(pdf)
    try:
        pages = len(document)
    finally:
        document.close()
    if pages < 1:
        raise InputError("the deck has no pages")
    if pages > MAX_DECK_PAGES:
        raise InputError(f"the deck has {pages} pages; at most {MAX_DECK_PAGES} are allowed")
    return pages


def render_pages(pdf: Path, out_dir: Path, *, frame: tuple[int, int] = FRAME) -> list[Path]:
    """Every page as a ``frame``-sized RGB PNG, scaled to fit and centred (``page-0001.png``, …)."""
    count_pages(pdf)
    width, height = frame
    document = _open(pdf)
    out: list[Path] = []
    try:
        for index in range(len(document)):
            page = document[index]
            try:
                page_w, page_h = page.get_size()
                if page_w <= 0 or page_h <= 0:
                    raise InputError(f"page {index + 1} of the deck has no size")
                scale = min(width / page_w, height / page_h)
                picture = page.render(scale=scale, may_draw_forms=True).to_pil().convert("RGB")
            except pdfium.PdfiumError as error:
                raise InputError(f"page {index + 1} of the deck cannot be rendered ({error})") from error
            finally:
                page.close()
            picture.thumbnail(frame, Image.Resampling.LANCZOS)  # rounding may overshoot by a pixel
            canvas = Image.new("RGB", frame, LETTERBOX)
            canvas.paste(picture, ((width - picture.width) // 2, (height - picture.height) // 2))
            dst = out_dir / f"page-{index + 1:04d}.png"
            with atomic_path(dst) as tmp:
                canvas.save(tmp, format="PNG", optimize=False, compress_level=3)
            out.append(dst)
    finally:
        document.close()
    return out
