"""Multipart parsing that remembers an uploaded file's name when Django had to clean it, so the upload is refused.

Django's MultiPartParser cuts a file's name to its last path component and drops non-printable characters
(`sanitize_file_name`) before forms, DRF or upload handlers see it: "../../etc/passwd.pdf" arrives as "passwd.pdf",
"evil\\x00.pdf" as "evil.pdf", and a name of ".." makes the parser drop the file without a word (a message would
then be saved without its document). Storage stays safe either way, but the portal refuses such a file with a
clear message instead: a name that climbs out of its folder or hides characters is the mark of a hostile or broken
client, and a document dropped in silence is a document lost.

Why a parser subclass: the name is whole only inside the parser, in the part's Content-Disposition header; every
later layer sees the cleaned name. The subclass keeps Django's cleaning (so nothing downstream ever sees a path)
and marks the file object it produced with the name as sent; `requests_app.uploads.check_upload` refuses a marked
file. It is installed for pages by `UploadNameMiddleware` (HttpRequest.parse_file_upload names Django's class
itself) and for the API by `APIMultiPartParser` (DRF's parser does the same); when a middleware has already read
a form's body, DRF takes Django's parsed result, which the middleware's parser produced.
"""

import html
import io
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.utils.datastructures import ImmutableList
from django.utils.encoding import force_str
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# The attribute an uploaded file carries when its name, as sent, was not a plain file name.
UNSAFE_NAME_ATTRIBUTE = "unsafe_original_name"
# A part whose name cleans down to nothing ("..", "/") is kept under this name, so that it is refused, not dropped.
PLACEHOLDER_NAME = "unnamed"


class NameKeepingMultiPartParser(MultiPartParser):
    """Django's parser; a file whose name it cleaned is kept and marked with the name as sent."""

    _pending_unsafe_name: str | None = None

    def sanitize_file_name(self, file_name: str) -> str | None:
        cleaned = super().sanitize_file_name(file_name)
        # Unescaping HTML entities is not itself a trick ("R&amp;D.pdf"); what it reveals ("&#47;") still counts.
        changed = cleaned != html.unescape(file_name)
        self._pending_unsafe_name = file_name if changed else None
        if changed and cleaned is None:
            return PLACEHOLDER_NAME
        return cleaned

    def handle_file_complete(self, old_field_name: str, counters: list[int]) -> None:
        # Parts are parsed one after the other: the name sanitize_file_name saw last is this file's.
        super().handle_file_complete(old_field_name, counters)
        if self._pending_unsafe_name is not None:
            field = force_str(old_field_name, self._encoding, errors="replace")  # type: ignore[attr-defined]
            files = self._files.getlist(field)  # type: ignore[attr-defined]
            if files:
                setattr(files[-1], UNSAFE_NAME_ATTRIBUTE, self._pending_unsafe_name)
        self._pending_unsafe_name = None


def _parse_file_upload(request: HttpRequest, META: dict[str, Any], post_data: Any) -> Any:
    """HttpRequest.parse_file_upload, with the name-keeping parser."""
    request.upload_handlers = ImmutableList(
        request.upload_handlers, warning="You cannot alter upload handlers after the upload has been processed."
    )
    return NameKeepingMultiPartParser(META, post_data, request.upload_handlers, request.encoding).parse()


class OversizeUpload(UploadedFile):
    """A file that went past the upload limit: its name and the size sent, none of its content (a read gives b"")."""

    def __init__(self, *, name: str | None, content_type: str | None, size: int, charset: str | None) -> None:
        super().__init__(file=io.BytesIO(), name=name, content_type=content_type, size=size, charset=charset)


class UploadLimitHandler(FileUploadHandler):
    """First of FILE_UPLOAD_HANDLERS: a file's bytes past the upload limit are not passed on to the handlers
    that keep them, so an oversize file is never written whole to memory or to a temporary file; the file is then
    an OversizeUpload, which `requests_app.uploads.check_upload` refuses as too large with the size sent. The
    parser still reads the rest of the body (the answer must come after it), keeping none of it."""

    limit: int
    oversize: bool

    def new_file(self, field_name: str, file_name: str, content_type: str, content_length: int | None,
                 charset: str | None = None, content_type_extra: dict[str, bytes] | None = None) -> None:
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        from requests_app.importing import MAX_FILE_BYTES
        from requests_app.uploads import max_upload_bytes

        # The largest file any form takes (a document, or a request log to import): each form still refuses a
        # file over its own limit by its size, which stays the size sent.
        self.limit = max(max_upload_bytes(), MAX_FILE_BYTES)
        self.oversize = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) <= self.limit:
            return raw_data
        self.oversize = True
        return None  # the handlers after this one get no more of this file

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if not self.oversize:
            return None  # the next handler's file, whole
        return OversizeUpload(name=self.file_name, content_type=self.content_type, size=file_size,
                              charset=self.charset)


class UploadNameMiddleware:
    """Makes every page's multipart body go through NameKeepingMultiPartParser; place it before anything that
    reads request.POST (the CSRF check does)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.parse_file_upload = partial(_parse_file_upload, request)  # type: ignore[method-assign]
        return self.get_response(request)


class APIMultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser, with the name-keeping Django parser underneath."""

    def parse(self, stream: Any, media_type: str | None = None,
              parser_context: Mapping[str, Any] | None = None) -> parsers.DataAndFiles:
        parser_context = parser_context or {}
        request = parser_context["request"]
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        try:
            data, files = NameKeepingMultiPartParser(
                meta, stream, request.upload_handlers, encoding
            ).parse()
        except MultiPartParserError as error:
            raise ParseError(f"Multipart form parse error - {error}") from error
        return parsers.DataAndFiles(data, files)
