"""Checks an uploaded document before anything is stored: its size, its type read from its content, its name.

The type is decided by the bytes, never by the name or the browser's Content-Type: a file named report.pdf is
a PDF only if it starts like one. What is accepted is a short allow-list of the formats that requests and answers
travel in. Anything else is refused with a ValidationError that says why; the caller stores nothing then.
"""

import hashlib
import io
import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cooperation_portal.multipart import UNSAFE_NAME_ATTRIBUTE

from . import pdf_streams

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
TEXT = "text/plain"

# The extension a stored file gets, and the extensions a file of that type may carry in its name.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    PDF: (".pdf",),
    PNG: (".png",),
    JPEG: (".jpg", ".jpeg", ".jpe"),
    DOCX: (".docx",),
    XLSX: (".xlsx",),
    ODT: (".odt",),
    TEXT: (".txt", ".text", ".csv", ".md", ".log"),
}
TYPE_NAMES = {PDF: "PDF", PNG: "PNG", JPEG: "JPEG", DOCX: "Word (DOCX)", XLSX: "Excel (XLSX)",
              ODT: "OpenDocument text (ODT)", TEXT: gettext_lazy("plain text")}

DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# A document that unpacks to more than this, or packs its content more than this tightly, is treated as a zip bomb.
DEFAULT_MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
MAX_ZIP_MEMBERS = 5_000

# PDF features that run code, act by themselves, send data out or carry other files; a document sent to the Court
# has no need of them. /AA: actions run on opening a page or touching a field; /OpenAction itself is common and
# harmless (it opens at a page) and is refused only when it runs one of these.
PDF_ACTIVE_NAMES = (
    "JavaScript", "JS", "Launch", "EmbeddedFile", "EmbeddedFiles", "AA", "RichMedia", "SubmitForm", "ImportData",
    "GoToE", "XFA",
)
_PDF_ACTIVE = re.compile(rb"/(" + "|".join(PDF_ACTIVE_NAMES).encode() + rb")(?![A-Za-z0-9])")
# Decoding every stream of a large PDF is bounded, so a compressed bomb inside a PDF cannot exhaust memory.
_PDF_INFLATE_LIMIT = 50 * 1024 * 1024

OOXML_MAIN_TYPES = {
    b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
}


@dataclass(frozen=True)
class CheckedUpload:
    """What the checks learned about an accepted file; the storage name is generated from `extension`."""

    original_name: str
    content_type: str
    size: int
    sha256: str

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type][0]


def max_upload_bytes() -> int:
    return int(getattr(settings, "PORTAL_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES))


def safe_name(name: str) -> str:
    """The base name only, without directories, control characters or leading dots: kept as data, never a path."""
    base = re.split(r"[/\\]", name or "")[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip().lstrip(".").strip()
    return base[:255] or "attachment"


def _visible(name: str) -> str:
    """A name as sent, with its control characters spelled out, so that a refusal can show them."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in name)


def check_file_name(upload: UploadedFile) -> None:
    """Refuse a file whose name, as sent, named folders, a parent folder or held control characters.

    The multipart parser already cut such a name down (cooperation_portal/multipart.py says why it is refused
    rather than kept cut down); it left the name as sent on the file.
    """
    sent = getattr(upload, UNSAFE_NAME_ATTRIBUTE, None)
    if sent is not None:
        raise ValidationError(
            _("“%(name)s” is refused: a file name may not name folders (/ or \\), a parent folder (..) or hold "
              "control characters. Rename the file and send it again.") % {"name": _visible(sent)[:300]},
            code="unsafe_name",
        )


def check_upload(upload: UploadedFile) -> CheckedUpload:
    """Accept `upload` or raise ValidationError; reads the file but writes nothing."""
    check_file_name(upload)
    name = safe_name(upload.name or "")
    limit = max_upload_bytes()
    if upload.size is None or upload.size > limit:
        raise ValidationError(
            _("“%(name)s” is too large (%(size)s); the limit is %(limit)s.")
            % {"name": name, "size": filesizeformat(upload.size or 0), "limit": filesizeformat(limit)},
            code="too_large",
        )
    upload.seek(0)
    content = upload.read(limit + 1)
    upload.seek(0)
    if len(content) > limit:
        raise ValidationError(
            _("“%(name)s” is larger than the limit of %(limit)s.") % {"name": name, "limit": filesizeformat(limit)},
            code="too_large",
        )
    if not content:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name}, code="empty")
    content_type = _sniff(content, name)
    suffix = PurePath(name).suffix.lower()
    if suffix and suffix not in EXTENSIONS[content_type]:
        raise ValidationError(
            _("“%(name)s” is named as a %(suffix)s file but its content is %(kind)s. Rename it or send the right file.")
            % {"name": name, "suffix": suffix, "kind": TYPE_NAMES[content_type]},
            code="name_mismatch",
        )
    return CheckedUpload(
        original_name=name, content_type=content_type, size=len(content), sha256=hashlib.sha256(content).hexdigest()
    )


def _refuse_type(name: str) -> ValidationError:
    return ValidationError(
        _("“%(name)s” is not an accepted type of document. Accepted: PDF, PNG, JPEG, Word (DOCX), Excel (XLSX), "
          "OpenDocument text (ODT) and plain text (UTF-8).") % {"name": name},
        code="type_not_allowed",
    )


def _sniff(content: bytes, name: str) -> str:
    if content.startswith(b"%PDF-"):
        _check_pdf(content, name)
        return PDF
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith(b"PK\x03\x04"):
        return _check_zip_document(content, name)
    if b"\x00" not in content:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return TEXT
    raise _refuse_type(name)


def _has_active_content(data: bytes) -> bool:
    return bool(_PDF_ACTIVE.search(pdf_streams.unescape_names(data)))


def _check_pdf(content: bytes, name: str) -> None:
    refusal = ValidationError(
        _("“%(name)s” is a PDF with active content (JavaScript, automatic or launch actions, forms that send data, "
          "or embedded files), which is not accepted. Print it to a plain PDF and send that.") % {"name": name},
        code="pdf_active_content",
    )
    if _has_active_content(content):
        raise refusal
    # Streams are encoded, which hides the dictionaries of object streams from a plain scan: decode them too, as a
    # reader does (requests_app/pdf_streams.py).
    try:
        for decoded in pdf_streams.decoded_streams(content, _PDF_INFLATE_LIMIT):
            if _has_active_content(decoded):
                raise refusal
    except pdf_streams.TooLarge:
        raise ValidationError(
            _("“%(name)s” unpacks to an unreasonable size and is refused.") % {"name": name}, code="zip_bomb"
        ) from None
    except pdf_streams.Uncheckable:
        raise ValidationError(
            _("“%(name)s” is a PDF whose content cannot be checked (it is encrypted or password-protected, or uses "
              "an unusual encoding), which is not accepted. Print it to a plain PDF and send that.") % {"name": name},
            code="pdf_uncheckable",
        ) from None


def _check_zip_document(content: bytes, name: str) -> str:
    """DOCX, XLSX and ODT are zip files; tell them apart by their manifest and refuse bombs and macros."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise _refuse_type(name) from error
    bomb = ValidationError(
        _("“%(name)s” unpacks to an unreasonable size (a “zip bomb”) and is refused.") % {"name": name},
        code="zip_bomb",
    )
    max_unzipped = int(getattr(settings, "PORTAL_MAX_UNZIPPED_BYTES", DEFAULT_MAX_UNZIPPED_BYTES))
    if len(members) > MAX_ZIP_MEMBERS or sum(member.file_size for member in members) > max_unzipped:
        raise bomb
    for member in members:
        if member.file_size > 1024 * 1024 and member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1):
            raise bomb
    _inflate_every_member(archive, members, max_unzipped, name, bomb)
    names = {member.filename for member in members}
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise ValidationError(
            _("“%(name)s” contains macros, which are not accepted.") % {"name": name}, code="macros"
        )
    try:
        if "mimetype" in names and _read_member(archive, "mimetype", 100).strip() == ODT.encode():
            return ODT
        if "[Content_Types].xml" in names:
            manifest = _read_member(archive, "[Content_Types].xml", 1024 * 1024)
            for main_type, content_type in OOXML_MAIN_TYPES.items():
                if main_type in manifest:
                    return content_type
    except (zipfile.BadZipFile, zlib.error, OSError, RuntimeError, NotImplementedError) as error:
        raise _refuse_type(name) from error
    raise _refuse_type(name)


def _inflate_every_member(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], budget: int, name: str,
                          bomb: ValidationError) -> None:
    """Inflate every member, counting what comes out, and check its CRC.

    The sizes checked above are what the archive claims; a member that claims a small size but inflates to more
    fails its CRC when reading stops at the claimed size, so a lying bomb is refused without being inflated whole.
    """
    try:
        for member in members:
            with archive.open(member) as handle:
                while chunk := handle.read(1024 * 1024):
                    budget -= len(chunk)
                    if budget < 0:
                        raise bomb
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError, NotImplementedError) as error:
        # RuntimeError: an encrypted member; NotImplementedError: a compression method zipfile cannot read.
        raise ValidationError(
            _("“%(name)s” is damaged, encrypted, or its content does not match its declared sizes, and is refused.")
            % {"name": name},
            code="damaged_archive",
        ) from error


def _read_member(archive: zipfile.ZipFile, member: str, limit: int) -> bytes:
    """Read at most `limit` bytes of a member, whatever size its header claims."""
    with archive.open(member) as handle:
        return handle.read(limit)
