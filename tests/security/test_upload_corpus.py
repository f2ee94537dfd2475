"""A corpus of hostile uploads, each sent through every way a file enters the portal: every one is refused with a 4xx
that names the reason, nothing is stored (no event, no Attachment row, no file under MEDIA_ROOT), never a 5xx.

The multipart bodies are built by hand: Django's test client (like a browser) sends only a file's base name, and
the corpus must reach the server with the names a hostile client would send (folders, "..", NUL bytes, RFC 2231
encodings, HTML entities).

Ways in:
- page: the message form of a request, as a browser posts it (CSRF enforced, so the CSRF check parses the body);
- api-session: the API's messages endpoint with a session and CSRF token (the body is parsed by Django first);
- api-token: the same endpoint with token authentication (the body is parsed by DRF's parser);
- import: the request-log import page (CSV/XLSX), for the cases that apply to it.
A clean PDF goes through each of the first three and is stored, so a refusal is never just a broken channel.
"""

import base64
import functools
import io
import re
import uuid
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from requests_app import services
from requests_app.choices import EventKind, Organ, RequestType, Status
from requests_app.import_views import import_dir
from requests_app.models import Attachment, CooperationRequest, RequestEvent
from tests import factories

pytestmark = pytest.mark.django_db

LIMIT = 1024 * 1024  # PORTAL_MAX_UPLOAD_BYTES for these tests
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
DOCX_TYPES = (
    b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Override PartName="/word/document.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
XLSX_TYPES = DOCX_TYPES.replace(b"wordprocessingml.document.main", b"spreadsheetml.sheet.main")

TOO_LARGE = "too large|larger than"
WRONG_TYPE = "content is|not an accepted type"
ACTIVE_PDF = "active content"
UNSAFE_NAME = "a file name may not"
BOMB = "unreasonable size|zip bomb|damaged, encrypted"


UNCHECKABLE = "cannot be checked"
# A JavaScript action as it lies in an object stream (object 3); each case below hides it behind another encoding.
JS_OBJECT = b"3 0 << /S /JavaScript /JS (app.launchURL\\('x'\\)) >>"


def pdf(body: bytes) -> bytes:
    return b"%PDF-1.7\n" + body + b"\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def object_stream(dictionary: bytes, data: bytes) -> bytes:
    """A PDF whose catalogue opens object 3, which lies in object stream 4 with `dictionary`'s encoding."""
    return pdf(b"1 0 obj << /Type /Catalog /OpenAction 3 0 R >> endobj\n4 0 obj << /Type /ObjStm /N 1 /First 4 "
               + dictionary + b" >>\nstream\n" + data + b"\nendstream endobj")


def run_length(data: bytes) -> bytes:
    """RunLengthDecode's encoding, one literal byte a run: a length byte falls between any two letters of a name."""
    runs = [b"\x00" + data[i : i + 1] for i in range(len(data))]
    return b"".join(runs) + b"\x80"


def lzw(data: bytes) -> bytes:
    """LZWDecode's encoding of a short text (9-bit codes: fewer than 254 new entries): clear, codes, end."""
    table = {bytes([i]): i for i in range(256)}
    codes, word = [256], b""
    for byte in data:
        candidate = word + bytes([byte])
        if candidate in table:
            word = candidate
            continue
        codes.append(table[word])
        table[candidate] = len(table) + 2
        word = bytes([byte])
    codes += [table[word], 257]
    assert len(table) < 500
    bits = "".join(f"{code:09b}" for code in codes)
    bits += "0" * (-len(bits) % 8)
    return int(bits, 2).to_bytes(len(bits) // 8, "big")


def png_predicted(data: bytes, columns: int) -> bytes:
    """Rows of `columns` bytes, each with the PNG "Sub" filter (type 1): every byte minus the one before it."""
    rows = [data[i : i + columns].ljust(columns, b" ") for i in range(0, len(data), columns)]
    return b"".join(b"\x01" + bytes((row[i] - (row[i - 1] if i else 0)) & 0xFF for i in range(columns))
                    for row in rows)


def damaged_flate(data: bytes) -> bytes:
    """`data` deflated and flushed, then bytes that break the deflate stream: a reader shows what came before."""
    deflater = zlib.compressobj()
    return deflater.compress(data) + deflater.flush(zlib.Z_FULL_FLUSH) + b"\xff\xff\xff\xff"


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data,
                             compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def zeros_member(archive: zipfile.ZipFile, name: str, megabytes: int) -> None:
    """A member of `megabytes` MB of zeros, written in chunks so that the test never holds it whole."""
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=True) as handle:
        chunk = bytes(1024 * 1024)
        for _ in range(megabytes):
            handle.write(chunk)


@functools.cache
def ratio_bomb(types: bytes, member: str) -> bytes:
    """An office document whose part inflates 50 MB from a few dozen KB (ratio ~1000:1)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", types)
        zeros_member(archive, member, 50)
    return buffer.getvalue()


@functools.cache
def lying_bomb(types: bytes, member: str) -> bytes:
    """An office document whose part claims 1,000 bytes in the central directory but inflates to 20 MB: the sizes
    it declares pass every check on declared sizes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr(member, bytes(20 * 1024 * 1024))
    data = bytearray(buffer.getvalue())
    entry = data.rfind(b"PK\x01\x02")  # the central directory entry of the last member, the big one
    assert data[entry + 46: entry + 46 + len(member)] == member.encode()
    data[entry + 24: entry + 28] = (1000).to_bytes(4, "little")  # its uncompressed size
    return bytes(data)


@functools.cache
def wide_bomb() -> bytes:
    """Many members of 1 MB of zeros each (under the per-member ratio rule), 40 MB in all (the limit is lowered
    to 8 MB for these tests)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", DOCX_TYPES)
        for number in range(40):
            zeros_member(archive, f"word/media/part{number}.bin", 1)
    return buffer.getvalue()


@functools.cache
def crowded_zip() -> bytes:
    """More members than any document has."""
    return zip_of({"[Content_Types].xml": DOCX_TYPES, **{f"word/p{n}.xml": b"<p/>" for n in range(5_001)}})


@dataclass(frozen=True)
class Case:
    filename: str  # the filename parameter exactly as sent (may hold anything a hostile client sends)
    content: bytes | None  # None: built lazily (large archives)
    reason: str  # regular expression the refusal must match
    build: str = ""  # name of a builder for large contents
    rfc2231: bool = False  # send as filename*=UTF-8''… instead of filename="…"

    def data(self) -> bytes:
        if self.content is not None:
            return self.content
        return BUILDERS[self.build]()


BUILDERS: dict[str, Callable[[], bytes]] = {
    "oversize": lambda: PDF + b"%" + bytes(LIMIT),
    "docx-ratio-bomb": lambda: ratio_bomb(DOCX_TYPES, "word/document.xml"),
    "xlsx-ratio-bomb": lambda: ratio_bomb(XLSX_TYPES, "xl/worksheets/sheet1.xml"),
    "docx-lying-bomb": lambda: lying_bomb(DOCX_TYPES, "word/document.xml"),
    "xlsx-lying-bomb": lambda: lying_bomb(XLSX_TYPES, "xl/worksheets/sheet1.xml"),
    "docx-wide-bomb": wide_bomb,
    "docx-crowded": crowded_zip,
}

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(200) + b"This program cannot be run in DOS"
ELF = b"\x7fELF\x02\x01\x01" + bytes(120)
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(40)

CORPUS: dict[str, Case] = {
    # Oversize: one byte past the limit, and far past it.
    "oversize-by-one-byte": Case("report.pdf", None, TOO_LARGE, build="oversize"),
    "oversize-5-mb": Case("report.pdf", PDF + bytes(5 * 1024 * 1024), TOO_LARGE),
    # Wrong content for its name.
    "exe-named-pdf": Case("report.pdf", EXE, WRONG_TYPE),
    "elf-named-docx": Case("letter.docx", ELF, WRONG_TYPE),
    "html-named-pdf": Case("report.pdf", HTML, WRONG_TYPE),
    "svg-named-png": Case("photo.png", SVG, WRONG_TYPE),
    "png-named-pdf": Case("report.pdf", PNG, WRONG_TYPE),
    "pdf-named-exe": Case("setup.exe", PDF, WRONG_TYPE),
    "exe-without-extension": Case("readme", EXE, WRONG_TYPE),
    "plain-zip-named-docx": Case("letter.docx", zip_of({"a.txt": b"hello"}), WRONG_TYPE),
    # PDFs with JavaScript, launch and other actions.
    "pdf-openaction-javascript": Case("a.pdf", pdf(
        b"1 0 obj << /Type /Catalog /Pages 2 0 R /OpenAction 3 0 R >> endobj\n"
        b"3 0 obj << /S /JavaScript /JS (app.alert\\(1\\)) >> endobj"), ACTIVE_PDF),
    "pdf-names-javascript": Case("a.pdf", pdf(
        b"1 0 obj << /Type /Catalog /Names << /JavaScript 4 0 R >> >> endobj"), ACTIVE_PDF),
    "pdf-launch": Case("a.pdf", pdf(
        b"1 0 obj << /Type /Catalog /OpenAction << /S /Launch /F (cmd.exe) >> >> endobj"), ACTIVE_PDF),
    "pdf-additional-actions": Case("a.pdf", pdf(
        b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"3 0 obj << /Type /Page /AA << /O << /S /URI /URI (https://example.org/track) >> >> >> endobj"), ACTIVE_PDF),
    "pdf-escaped-name": Case("a.pdf", pdf(
        b"1 0 obj << /Type /Catalog /OpenAction << /S /J#61vaScript /J#53 (x) >> >> endobj"), ACTIVE_PDF),
    "pdf-javascript-in-object-stream": Case("a.pdf", pdf(
        b"1 0 obj << /Type /Catalog /OpenAction 3 0 R >> endobj\n"
        b"4 0 obj << /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode >>\nstream\n"
        + zlib.compress(b"3 0 << /S /JavaScript /JS (app.launchURL\\('x'\\)) >>") + b"\nendstream endobj"), ACTIVE_PDF),
    "pdf-javascript-in-ascii85-flate-object-stream": Case("a.pdf", object_stream(
        b"/Filter [/ASCII85Decode /FlateDecode]", base64.a85encode(zlib.compress(JS_OBJECT)) + b"~>"), ACTIVE_PDF),
    "pdf-javascript-in-hex-object-stream": Case("a.pdf", object_stream(
        b"/Filter /AHx", JS_OBJECT.hex().encode() + b">"), ACTIVE_PDF),
    "pdf-javascript-in-lzw-object-stream": Case("a.pdf", object_stream(
        b"/Filter /LZWDecode", lzw(JS_OBJECT)), ACTIVE_PDF),
    "pdf-javascript-in-run-length-object-stream": Case("a.pdf", object_stream(
        b"/Filter /RunLengthDecode", run_length(JS_OBJECT)), ACTIVE_PDF),
    "pdf-javascript-behind-a-png-predictor": Case("a.pdf", object_stream(
        b"/Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 8 >>",
        zlib.compress(png_predicted(JS_OBJECT, 8))), ACTIVE_PDF),
    "pdf-predictor-row-of-a-terabyte": Case("a.pdf", object_stream(
        b"/Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 1000000000000 >>",
        zlib.compress(b"\x00" + JS_OBJECT)), ACTIVE_PDF),
    "pdf-javascript-in-damaged-flate-stream": Case("a.pdf", object_stream(
        b"/Filter /FlateDecode", damaged_flate(JS_OBJECT)), ACTIVE_PDF),
    # A "/Filter" inside a string is not the stream's filter; a hex string ends the dictionary right before ">>".
    "pdf-filter-name-inside-a-string": Case("a.pdf", object_stream(
        b"/Note (/Filter /DCTDecode) /Filter /ASCIIHexDecode /ID <0102>", JS_OBJECT.hex().encode() + b">"),
        ACTIVE_PDF),
    "pdf-escaped-filter-name": Case("a.pdf", object_stream(
        b"/F#69lter /ASCII#48exDecode", JS_OBJECT.hex().encode() + b">"), ACTIVE_PDF),
    # What cannot be decoded cannot be checked.
    "pdf-unknown-filter": Case("a.pdf", object_stream(b"/Filter /CustomDecode", b"xxxx"), UNCHECKABLE),
    "pdf-filter-by-reference": Case("a.pdf", object_stream(b"/Filter 7 0 R", b"xxxx"), UNCHECKABLE),
    "pdf-encrypted": Case("a.pdf", PDF.replace(b"trailer << /Root 1 0 R >>",
                                               b"trailer << /Root 1 0 R /Encrypt 9 0 R >>"), UNCHECKABLE),
    "pdf-submit-form": Case("a.pdf", pdf(
        b"1 0 obj << /Type /Catalog /AcroForm << /Fields [5 0 R] >> >> endobj\n"
        b"5 0 obj << /FT /Btn /A << /S /SubmitForm /F (https://example.org/) >> >> endobj"), ACTIVE_PDF),
    "pdf-embedded-file": Case("a.pdf", pdf(
        b"1 0 obj << /Type /Catalog /Names << /EmbeddedFiles 6 0 R >> >> endobj"), ACTIVE_PDF),
    # Names that try to leave their folder, or hide characters (each with a clean PDF inside).
    "name-dot-dot-slash": Case("../../etc/passwd.pdf", PDF, UNSAFE_NAME),
    "name-dot-dot-backslash": Case("..\\..\\x.pdf", PDF, UNSAFE_NAME),
    "name-absolute": Case("/etc/passwd.pdf", PDF, UNSAFE_NAME),
    "name-windows-absolute": Case("C:\\Windows\\System32\\x.pdf", PDF, UNSAFE_NAME),
    "name-nul-byte": Case("report\x00.exe.pdf", PDF, UNSAFE_NAME),
    "name-only-dot-dot": Case("..", PDF, UNSAFE_NAME),
    "name-html-entities": Case("&#46;&#46;&#47;&#46;&#46;&#47;x.pdf", PDF, UNSAFE_NAME),
    "name-rfc2231-encoded": Case("../../x.pdf", PDF, UNSAFE_NAME, rfc2231=True),
    "name-right-to-left-override": Case("invoice\u202efdp.pdf", PDF, UNSAFE_NAME, rfc2231=True),
    # Zip bombs dressed as office documents.
    "docx-ratio-bomb": Case("letter.docx", None, BOMB, build="docx-ratio-bomb"),
    "xlsx-ratio-bomb": Case("figures.xlsx", None, BOMB, build="xlsx-ratio-bomb"),
    "docx-lying-sizes-bomb": Case("letter.docx", None, BOMB, build="docx-lying-bomb"),
    "xlsx-lying-sizes-bomb": Case("figures.xlsx", None, BOMB, build="xlsx-lying-bomb"),
    "docx-many-parts-bomb": Case("letter.docx", None, BOMB, build="docx-wide-bomb"),
    "docx-too-many-members": Case("letter.docx", None, BOMB, build="docx-crowded"),
}

# The import page takes CSV or XLSX; these are the cases of the corpus that fit it, with what it says.
IMPORT_CASES = {
    "exe-named-xlsx": (Case("log.xlsx", EXE, ""), "not an Excel workbook"),
    "name-dot-dot-slash": (Case("../../log.csv", b"reference\n", ""), UNSAFE_NAME),
    "name-nul-byte": (Case("log\x00.csv", b"reference\n", ""), UNSAFE_NAME),
    "name-only-dot-dot": (Case("..", b"reference\n", ""), UNSAFE_NAME),
    "xlsx-lying-sizes-bomb": (Case("log.xlsx", None, "", build="xlsx-lying-bomb"), "not a readable Excel workbook"),
    "oversize": (Case("log.csv", b"reference\n" + b"x" * (5 * 1024 * 1024), ""), "larger than"),
}


def multipart(fields: dict[str, str], files: list[tuple[str, Case]]) -> tuple[bytes, str]:
    """A multipart/form-data body with each file's name sent exactly as given."""
    boundary = f"----corpus{uuid.uuid4().hex}"
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for field, case in files:
        if case.rfc2231:
            quoted = "".join(chr(b) if chr(b).isascii() and (chr(b).isalnum() or chr(b) in "._-") else f"%{b:02X}"
                             for b in case.filename.encode())
            disposition = f"filename*=UTF-8''{quoted}"
        else:
            disposition = 'filename="' + case.filename.replace('"', "%22") + '"'
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; {disposition}\r\n'
                "Content-Type: application/octet-stream\r\n\r\n")
        parts.append(head.encode("utf-8") + case.data() + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@pytest.fixture(autouse=True)
def limits(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PORTAL_MAX_UPLOAD_BYTES = LIMIT
    settings.PORTAL_MAX_UNZIPPED_BYTES = 8 * 1024 * 1024


@pytest.fixture
def coop_request(registry_user, state_a) -> CooperationRequest:
    draft = services.request_create(
        actor=registry_user, partner=state_a, organ=Organ.REGISTRY, request_type=RequestType.EVIDENCE,
        subject="Records of a fictional company",
    )
    return services.request_transition(coop_request=draft, actor=registry_user, to_status=Status.TRANSMITTED)


def _csrf(client: Client, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def send(channel: str, user, coop_request: CooperationRequest, case: Case):
    """POST `case` as the user would through `channel`; the response."""
    page_url = reverse("requests:message", kwargs={"pk": coop_request.pk})
    api_url = f"/api/v1/requests/{coop_request.pk}/messages/"
    if channel == "api-token":
        client = Client()
        body, content_type = multipart({"body": "See attached."}, [("files", case)])
        token = Token.objects.get_or_create(user=user)[0].key
        return client.post(api_url, body, content_type=content_type, HTTP_AUTHORIZATION=f"Token {token}")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    token = _csrf(client, page_url)
    body, content_type = multipart({"body": "See attached.", "csrfmiddlewaretoken": token}, [("files", case)])
    url = page_url if channel == "page" else api_url
    return client.post(url, body, content_type=content_type, HTTP_X_CSRFTOKEN=token)


def refusal_text(response) -> str:
    if response["Content-Type"].startswith("application/json"):
        return str(response.json())
    return response.content.decode()


def assert_nothing_stored(coop_request: CooperationRequest, media_root) -> None:
    assert not Attachment.objects.exists()
    assert not RequestEvent.objects.filter(coop_request=coop_request, kind=EventKind.MESSAGE).exists()
    assert not [path for path in media_root.rglob("*") if path.is_file()] if media_root.exists() else True


CHANNELS = ("page", "api-session", "api-token")


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("name", sorted(CORPUS))
def test_hostile_upload_is_refused_and_nothing_is_stored(name, channel, focal_point_a, coop_request, settings):
    case = CORPUS[name]
    response = send(channel, focal_point_a, coop_request, case)
    assert 400 <= response.status_code < 500, (response.status_code, refusal_text(response)[:500])
    assert re.search(case.reason, refusal_text(response)), refusal_text(response)[:2000]
    assert_nothing_stored(coop_request, settings.MEDIA_ROOT)


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_clean_document_goes_through_every_channel(channel, focal_point_a, coop_request, settings):
    """The positive control: the same channels store a plain PDF, under a generated name inside MEDIA_ROOT."""
    response = send(channel, focal_point_a, coop_request, Case("answer.pdf", PDF, ""))
    assert response.status_code in (201, 302), refusal_text(response)[:500]
    attachment = Attachment.objects.get()
    assert attachment.original_name == "answer.pdf"
    assert (settings.MEDIA_ROOT / attachment.file.name).read_bytes() == PDF


@pytest.mark.parametrize("name", sorted(IMPORT_CASES))
def test_hostile_file_on_the_import_page_is_refused(name, settings):
    """The request-log import refuses the corpus files that fit it with a 4xx, keeps no pending file and writes no
    request."""
    case, reason = IMPORT_CASES[name]
    registry = factories.RegistryFactory(username="importer")
    client = Client(enforce_csrf_checks=True)
    client.force_login(registry)
    url = reverse("requests_import:upload")
    token = _csrf(client, url)
    pending_before = set(import_dir().glob("*.upload"))
    body, content_type = multipart({"csrfmiddlewaretoken": token}, [("file", case)])
    response = client.post(url, body, content_type=content_type)
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:500])
    assert reason in response.content.decode(), response.content.decode()[:3000]
    assert set(import_dir().glob("*.upload")) == pending_before
    assert not CooperationRequest.objects.exists()


@pytest.mark.parametrize("channel", ["page", "api-token"])
@pytest.mark.parametrize(
    ("filename", "content", "rfc2231"),
    [
        ("Réponse de l'État (v2).pdf", PDF, True),
        ("R&D report #3; final.pdf", PDF, False),
        ("notes.txt", "Notes en français : « déjà vu ».\n".encode(), False),
        ("opens-at-page-one.pdf", pdf(b"1 0 obj << /Type /Catalog /Pages 2 0 R /OpenAction [3 0 R /Fit] >> endobj"),
         False),
    ],
    ids=["accented-name", "ampersand-and-hash", "french-text", "pdf-openaction-to-a-page"],
)
def test_ordinary_names_and_plain_documents_are_not_refused(filename, content, rfc2231, channel, focal_point_a,
                                                           coop_request):
    """No over-refusal: accented names, punctuation, and a PDF that merely opens at its first page are stored,
    with the name kept as sent."""
    response = send(channel, focal_point_a, coop_request, Case(filename, content, "", rfc2231=rfc2231))
    assert response.status_code in (201, 302), refusal_text(response)[:1000]
    assert Attachment.objects.get().original_name == filename
