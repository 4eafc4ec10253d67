"""AI disclosure: the wording per language, what the cards can draw, and C2PA signing with a configured pair."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from cryptography import x509

from lecturer_pipeline.errors import ConfigurationError
from lecturer_pipeline.media.cards import drawable
from lecturer_pipeline.security.c2pa_sign import (
    lecture_manifest,
    load_signing_pair,
    make_default_pair,
    sign_mp4,
    verify_mp4,
)
from lecturer_pipeline.text.disclosure import disclosure_text


def test_wording_per_language_and_what_the_cards_draw() -> None:
    assert disclosure_text("ada", "en-us") == "AI-generated voice and video of ada"
    assert disclosure_text("ada", "de") == "KI-generierte Stimme und KI-generiertes Video von ada"
    assert disclosure_text("ada", "xx") == "AI-generated voice and video of ada"
    assert disclosure_text("ada", "fr-fr", "Synthetic lecture by {speaker}") == "Synthetic lecture by ada"
    french = disclosure_text("ada", "fr-fr")
    assert drawable(french, "fallback") == french  # accents are in the font
    assert drawable(disclosure_text("ada", "ja"), "fallback") == "fallback"  # no CJK glyphs: English on screen


def test_the_default_signer_is_an_end_entity_certificate_issued_by_a_local_root(tmp_path: Path) -> None:
    pair = load_signing_pair(None, None, tmp_path)
    assert pair.origin == "self-signed embedded default"
    assert (tmp_path / "c2pa/signer-key.pem").stat().st_mode & 0o777 == 0o600
    leaf, root = x509.load_pem_x509_certificates(pair.cert_chain_pem)
    assert leaf.issuer == root.subject and leaf.subject != leaf.issuer, "C2PA refuses self-signed signing certs"
    assert leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    usages = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36") in usages  # documentSigning
    assert load_signing_pair(None, None, tmp_path).cert_chain_pem == pair.cert_chain_pem, "made once, then reused"
    with pytest.raises(ConfigurationError, match="both"):
        load_signing_pair(str(tmp_path / "c2pa/signer-chain.pem"), None, tmp_path)


def test_a_configured_pair_signs_and_the_manifest_verifies(tmp_path: Path) -> None:
    chain, key = make_default_pair()
    (tmp_path / "chain.pem").write_bytes(chain)
    pair = load_signing_pair(str(tmp_path / "chain.pem"), key.decode(), tmp_path / "home")  # a path, and PEM text
    assert pair.origin == "LECTURER_C2PA_CERT" and not (tmp_path / "home/c2pa").exists()
    with pytest.raises(ConfigurationError, match="LECTURER_C2PA_CERT names no readable file"):
        load_signing_pair(str(tmp_path / "missing.pem"), key.decode(), tmp_path)
    src = tmp_path / "clip.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x180:rate=25:duration=1",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(src)],
        check=True,
    )  # fmt: skip
    engines = [{"role": "voice", "name": "zyphra", "licence": "Apache-2.0"}]
    manifest = lecture_manifest(title="Sets", speaker="ada", disclosure="AI-generated voice and video of ada",
                                engines=engines, signer_origin=pair.origin, version="0.1.0")  # fmt: skip
    signed = tmp_path / "signed.mp4"
    sign_mp4(src, signed, manifest, pair)
    check = verify_mp4(signed)
    assert check.valid, check.codes
    assert '"zyphra"' in json.dumps(check.manifest) and "LECTURER_C2PA_CERT" in json.dumps(check.manifest)
    tampered = tmp_path / "tampered.mp4"
    data = bytearray(signed.read_bytes())
    data[-100] ^= 0xFF  # a byte of the picture (mdat is last: +faststart)
    tampered.write_bytes(bytes(data))
    assert not verify_mp4(tampered).valid, "a changed picture no longer matches the signed hash"
