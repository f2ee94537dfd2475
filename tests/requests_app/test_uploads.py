"""Uploads: size limit, an allow-list checked by content, active PDFs and zip bombs refused, names kept as data only.

Each refusal is checked through the browser form (a 4xx) and by what is left behind: no event, no Attachment row
and no file under MEDIA_ROOT.
"""

import hashlib
import io
import zipfile
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.urls import reverse
from openpyxl import Workbook

from cooperation_portal.multipart import OversizeUpload
from requests_app import importing, services, uploads
from requests_app.choices import EventKind, Organ, RequestType, Status
from requests_app.models import Attachment, RequestEvent
from tests import factories

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 100
DOCX_TYPES = (
    b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Override PartName="/word/document.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def coop_request(registry_user, state_a):
    draft = services.request_create(
        actor=registry_user, partner=state_a, organ=Organ.REGISTRY, request_type=RequestType.EVIDENCE,
        subject="Records of a fictional company",
    )
    return services.request_transition(coop_request=draft, actor=registry_user, to_status=Status.TRANSMITTED)


def stored_files(media_root) -> list:
    return [path for path in media_root.rglob("*") if path.is_file()] if media_root.exists() else []


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def post_files(user, coop_request, *files: tuple[str, bytes], body: str = "See attached."):
    client = Client()
    client.force_login(user)
    handles = []
    for name, data in files:
        handle = io.BytesIO(data)
        handle.name = name
        handles.append(handle)
    return client.post(
        reverse("requests:message", kwargs={"pk": coop_request.pk}), {"body": body, "files": handles}
    )


def assert_nothing_stored(coop_request, media_root) -> None:
    assert not Attachment.objects.exists()
    assert not RequestEvent.objects.filter(coop_request=coop_request, kind=EventKind.MESSAGE).exists()
    assert stored_files(media_root) == []


# --- Refusals ---


def test_oversize_file_is_refused_and_nothing_is_stored(settings, focal_point_a, coop_request, media_root):
    """A file over PORTAL_MAX_UPLOAD_BYTES is a 400 naming the limit, and nothing is kept."""
    settings.PORTAL_MAX_UPLOAD_BYTES = 1000
    response = post_files(focal_point_a, coop_request, ("big.txt", b"a" * 1001))
    assert response.status_code == 400
    assert "too large" in response.text
    assert 'id="id_files_error"' in response.text
    assert_nothing_stored(coop_request, media_root)


def parsed_files(**files: bytes):
    handles = {}
    for name, data in files.items():
        handles[name] = io.BytesIO(data)
        handles[name].name = f"{name}.txt"
    return RequestFactory().post("/", handles).FILES


@pytest.fixture
def spool_dir(settings, tmp_path):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10  # every file goes to a temporary file
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    return tmp_path


def test_an_oversize_file_is_never_kept_whole_while_the_body_is_read(settings, monkeypatch, spool_dir):
    """Past the largest limit (documents, request logs), no more of the file reaches the handler that spools it to
    disk: the file is an OversizeUpload with the size sent and no content, refused as too large, and the
    temporary file holds at most the limit; a file at the limit is kept whole."""
    settings.PORTAL_MAX_UPLOAD_BYTES = 1000
    monkeypatch.setattr(importing, "MAX_FILE_BYTES", 400)
    files = parsed_files(big=b"a" * 5000, exact=b"b" * 1000)
    assert isinstance(files["big"], OversizeUpload)
    assert (files["big"].name, files["big"].size, files["big"].read()) == ("big.txt", 5000, b"")
    with pytest.raises(ValidationError, match="too large"):
        uploads.check_upload(files["big"])
    assert (files["exact"].size, files["exact"].read()) == (1000, b"b" * 1000)
    spooled = {path.stat().st_size for path in spool_dir.iterdir()}
    assert spooled and max(spooled) <= 1000


def test_a_request_log_under_its_own_larger_limit_is_kept_whole(settings, monkeypatch, spool_dir):
    """The cut-off is the larger of the two limits: a file between them is kept whole, and each form judges it by
    its own limit (a document of that size is still refused)."""
    settings.PORTAL_MAX_UPLOAD_BYTES = 1000
    monkeypatch.setattr(importing, "MAX_FILE_BYTES", 3000)
    files = parsed_files(log=b"c" * 2000, huge=b"d" * 3001)
    assert (files["log"].size, files["log"].read()) == (2000, b"c" * 2000)
    with pytest.raises(ValidationError, match="too large"):
        uploads.check_upload(files["log"])
    assert isinstance(files["huge"], OversizeUpload)
    assert files["huge"].size == 3001


def test_default_limit_is_20_mb(settings):
    """Without the setting the limit is 20 MB."""
    del settings.PORTAL_MAX_UPLOAD_BYTES
    assert uploads.max_upload_bytes() == 20 * 1024 * 1024


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("report.pdf", EXECUTABLE, "not an accepted type"),
        ("photo.pdf", PNG, "its content is PNG"),
        ("minutes.txt", PDF, "its content is PDF"),
        ("notes.txt", "Déclaration".encode("latin-1"), "not an accepted type"),
        ("page.html", b"<html><script>alert(1)</script></html>", "its content is plain text"),
        ("archive.docx", zip_bytes({"readme.txt": b"hello"}), "not an accepted type"),
        ("macro.docx", zip_bytes({"[Content_Types].xml": DOCX_TYPES, "word/vbaProject.bin": b"x" * 10}), "macros"),
    ],
    ids=["executable-as-pdf", "png-as-pdf", "pdf-as-txt", "latin1-text", "html", "plain-zip-as-docx", "macros"],
)
def test_wrong_content_for_its_name_is_refused(name, content, reason, focal_point_a, coop_request, media_root):
    """The type is read from the content: an executable named .pdf, a PNG named .pdf, Latin-1 text, a zip that is
    no office document, a document with macros are all refused with a message saying why."""
    response = post_files(focal_point_a, coop_request, (name, content))
    assert response.status_code == 400
    assert reason in response.text
    assert_nothing_stored(coop_request, media_root)


@pytest.mark.parametrize(
    "pdf",
    [
        PDF.replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>"),
        PDF.replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /Launch /F (cmd.exe) >>"),
        PDF.replace(b"/Type /Catalog", b"/Type /Catalog /Names << /EmbeddedFiles 3 0 R >>"),
        PDF.replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /J#61vaScript /J#53 (x) >>"),
        PDF.replace(
            b"trailer",
            b"4 0 obj << /Type /ObjStm /Filter /FlateDecode >>\nstream\n"
            + zlib.compress(b"<< /S /JavaScript /JS (app.alert(1)) >>")
            + b"\nendstream\nendobj\ntrailer",
        ),
    ],
    ids=["javascript", "launch", "embedded-file", "hex-escaped-name", "inside-compressed-object-stream"],
)
def test_pdf_with_active_content_is_refused(pdf, focal_point_a, coop_request, media_root):
    """JavaScript, launch actions and embedded files are refused, however the PDF spells or packs them."""
    response = post_files(focal_point_a, coop_request, ("answer.pdf", pdf))
    assert response.status_code == 400
    assert "active content" in response.text
    assert_nothing_stored(coop_request, media_root)


def test_zip_bomb_is_refused(focal_point_a, coop_request, media_root):
    """A DOCX whose content unpacks a thousand times larger than it is packed is refused before it is unpacked."""
    bomb = zip_bytes({"[Content_Types].xml": DOCX_TYPES, "word/document.xml": b"\x00" * (30 * 1024 * 1024)})
    assert len(bomb) < 100 * 1024
    response = post_files(focal_point_a, coop_request, ("report.docx", bomb))
    assert response.status_code == 400
    assert "zip bomb" in response.text
    assert_nothing_stored(coop_request, media_root)


def test_too_much_unpacked_content_is_refused_whatever_the_ratio(settings, focal_point_a, coop_request, media_root):
    """The total unpacked size is capped too (PORTAL_MAX_UNZIPPED_BYTES), not only the ratio."""
    settings.PORTAL_MAX_UNZIPPED_BYTES = 1000
    document = zip_bytes({"[Content_Types].xml": DOCX_TYPES, "word/document.xml": b"<w:document/>" * 200})
    response = post_files(focal_point_a, coop_request, ("report.docx", document))
    assert response.status_code == 400
    assert_nothing_stored(coop_request, media_root)


def test_one_bad_file_among_several_stores_none_of_them(focal_point_a, coop_request, media_root):
    """All files are checked before any is written: a good PDF next to a bad file is not kept either."""
    response = post_files(focal_point_a, coop_request, ("good.pdf", PDF), ("bad.pdf", EXECUTABLE))
    assert response.status_code == 400
    assert "bad.pdf" in response.text
    assert_nothing_stored(coop_request, media_root)


def test_another_partners_request_takes_no_upload(focal_point_b, coop_request, media_root):
    """B's focal point posting a file to A's request gets a 404, and nothing is stored."""
    response = post_files(focal_point_b, coop_request, ("x.pdf", PDF))
    assert response.status_code == 404
    assert_nothing_stored(coop_request, media_root)


def test_service_refuses_a_focal_point_of_another_partner(focal_point_b, coop_request, media_root):
    """The service itself refuses, whatever the view: PermissionDenied, nothing stored."""
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.request_add_message(
            coop_request=coop_request, actor=focal_point_b, body="x",
            files=[SimpleUploadedFile("x.pdf", PDF, content_type="application/pdf")],
        )
    assert_nothing_stored(coop_request, media_root)


# --- Names ---


def test_the_name_is_kept_as_data_and_the_file_stays_in_media_root(
    focal_point_a, coop_request, media_root, tmp_path
):
    """The uploader's name is kept as data only: the file is stored under a generated name inside MEDIA_ROOT.
    (The test client sends only a base name; a name sent with folders or ".." is refused outright, which
    tests/security/test_upload_corpus.py shows with hand-built requests.)"""
    response = post_files(focal_point_a, coop_request, ("evil.pdf", PDF))
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.original_name == "evil.pdf"
    files = stored_files(media_root)
    assert len(files) == 1
    assert files[0].resolve().is_relative_to(media_root.resolve())
    assert files[0].name != "evil.pdf"
    assert not (tmp_path / "evil.pdf").exists()
    assert not (media_root.parent.parent / "evil.pdf").exists()


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system.ini", "system.ini"),
        ("/absolute/path/report.pdf", "report.pdf"),
        ("..", "attachment"),
        (".hidden.txt", "hidden.txt"),
        ("bad\x00name\r\n.pdf", "badname.pdf"),
        ("", "attachment"),
    ],
)
def test_safe_name_keeps_only_a_harmless_base_name(raw, kept):
    """Directories, control characters and leading dots are dropped; an empty result gets a neutral name."""
    assert uploads.safe_name(raw) == kept


# --- Accepted documents ---


def _xlsx() -> bytes:
    workbook = Workbook()
    workbook.active["A1"] = "Figures"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("answer.pdf", PDF, "application/pdf"),
        ("photo.png", PNG, "image/png"),
        ("photo.jpeg", JPEG, "image/jpeg"),
        ("note.txt", "Réponse de l'État".encode(), "text/plain"),
        ("no-extension", b"plain words", "text/plain"),
        ("letter.docx", zip_bytes({"[Content_Types].xml": DOCX_TYPES, "word/document.xml": b"<w:document/>"}),
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("figures.xlsx", _xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("letter.odt", zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"}),
         "application/vnd.oasis.opendocument.text"),
    ],
    # Zip bytes carry a timestamp: ids from the names keep collection identical across xdist workers.
    ids=["pdf", "png", "jpeg", "text", "text-without-extension", "docx", "xlsx", "odt"],
)
def test_accepted_documents_are_stored_with_type_from_content_and_sha256(
    name, content, content_type, focal_point_a, coop_request, media_root
):
    """Each allowed type is stored under a generated name, with the type read from its content and its SHA-256."""
    response = post_files(focal_point_a, coop_request, (name, content))
    assert response.status_code == 302, response.text
    attachment = Attachment.objects.get()
    assert attachment.content_type == content_type
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert attachment.size == len(content)
    assert attachment.original_name == name
    assert attachment.event.kind == EventKind.MESSAGE
    assert attachment.uploaded_by == focal_point_a
    assert attachment.file.name.startswith(f"attachments/{coop_request.pk}/")
    assert name not in attachment.file.name
    with attachment.file.open("rb") as handle:
        assert handle.read() == content


def test_check_upload_raises_validation_errors_with_codes():
    """The checker is usable on its own: a refusal is a ValidationError with a code a caller can test."""
    with pytest.raises(ValidationError) as error:
        uploads.check_upload(SimpleUploadedFile("x.pdf", EXECUTABLE))
    assert error.value.code == "type_not_allowed"
    with pytest.raises(ValidationError) as error:
        uploads.check_upload(SimpleUploadedFile("x.txt", b""))
    assert error.value.code == "empty"


def test_registry_can_attach_to_any_visible_request(registry_user, coop_request, media_root):
    """Registry staff record documents on any request they see; a sealed one stays closed to staff without
    clearance."""
    response = post_files(registry_user, coop_request, ("note-verbale.pdf", PDF))
    assert response.status_code == 302
    sealed = factories.CooperationRequestFactory(partner=coop_request.partner, confidentiality="under_seal")
    assert post_files(registry_user, sealed, ("x.pdf", PDF)).status_code == 404
