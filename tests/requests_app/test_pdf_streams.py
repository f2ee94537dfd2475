"""The PDF stream decoding of the upload check, against real encoders: Pillow's LZW (TIFF) and PNG row filters,
WeasyPrint's PDFs. The hostile cases go through every channel in tests/security/test_upload_corpus.py."""

import base64
import io
import random
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from requests_app import pdf_streams, uploads


def _pixels(width: int, height: int, channels: int) -> bytes:
    rng = random.Random(7)
    return bytes((x * 3 + y * 5 + rng.randint(0, 3)) % 256 for y in range(height) for x in range(width * channels))


def test_lzw_decodes_what_pillow_encodes_across_code_widths():
    """A TIFF strip is LZW as PDF uses it (early change): 60,000 bytes take codes of 9 to 12 bits and a reset."""
    rng = random.Random(1)
    pixels = bytes(rng.choice(b"abcdefgh") if (x * y) % 7 else 0 for y in range(200) for x in range(300))
    buffer = io.BytesIO()
    Image.frombytes("L", (300, 200), pixels).save(buffer, format="TIFF", compression="tiff_lzw", rowsperstrip=200)
    tiff = Image.open(io.BytesIO(buffer.getvalue()))
    offset, count = tiff.tag_v2[273][0], tiff.tag_v2[279][0]
    strip = buffer.getvalue()[offset : offset + count]
    assert pdf_streams.DECODERS[b"LZWDecode"](strip, 10**8, {}) == pixels


@pytest.mark.parametrize(("mode", "colors"), [("L", 1), ("RGB", 3)])
def test_png_predictors_are_undone_as_pillow_wrote_them(mode, colors):
    """PNG's IDAT is zlib over rows filtered as PDF's predictors 10-15 filter them."""
    pixels = _pixels(120, 80, colors)
    buffer = io.BytesIO()
    Image.frombytes(mode, (120, 80), pixels).save(buffer, format="PNG")
    png, position, idat = buffer.getvalue(), 8, b""
    while position < len(png):
        length, kind = struct.unpack(">I4s", png[position : position + 8])
        if kind == b"IDAT":
            idat += png[position + 8 : position + 8 + length]
        position += 12 + length
    rows = zlib.decompress(idat)
    assert {rows[i * (120 * colors + 1)] for i in range(80)} - {0}  # filtered rows, not all "None"
    parms = {b"Predictor": 15, b"Colors": colors, b"Columns": 120, b"BitsPerComponent": 8}
    assert pdf_streams._unpredict(rows, parms) == pixels


def test_ascii_encodings_decode():
    data = b"3 0 << /S /JavaScript >>"
    assert pdf_streams.DECODERS[b"ASCII85Decode"](base64.a85encode(data) + b"~>\n", 100, {}) == data
    assert pdf_streams.DECODERS[b"ASCIIHexDecode"](data.hex().upper().encode() + b">", 100, {}) == data


def test_pdfs_that_weasyprint_writes_are_accepted(tmp_path):
    """Text, a link and a PNG picture with a predictor, as a real producer writes them: nothing uncheckable."""
    import weasyprint

    picture = tmp_path / "picture.png"
    Image.frombytes("RGB", (64, 48), _pixels(64, 48, 3)).save(picture)
    html = (f"<h1>Request</h1><p>{'Text of the request. ' * 300}</p><a href='https://example.org/'>link</a>"
            f"<img src='{picture.as_uri()}'>")
    content = weasyprint.HTML(string=html).write_pdf()
    assert b"/ObjStm" in content and b"/Predictor 15" in content
    assert list(pdf_streams.decoded_streams(content, 10**8))  # its streams are encoded, and were decoded
    checked = uploads.check_upload(_upload("request.pdf", content))
    assert checked.content_type == uploads.PDF


def test_a_large_picture_behind_a_predictor_is_accepted_without_undoing_it():
    """Large pictures are drawn, not read for objects: past MAX_SLOW_IMAGE their predictor is not undone in Python,
    so the slow-decoding budget never refuses a document for its photographs."""
    rows = b"".join(b"\x01" + bytes(range(256)) * 4 for _ in range(4000))  # 4 MB of Sub-filtered rows
    image = zlib.compress(rows)
    content = (b"%PDF-1.7\n5 0 obj << /Type /XObject /Subtype /Image /Width 1024 /Height 4000 /ColorSpace "
               b"/DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /DecodeParms << /Predictor 15 /Columns 1024 >> "
               b"/Length " + str(len(image)).encode() + b" >>\nstream\n" + image + b"\nendstream endobj\n"
               b"trailer << /Root 1 0 R >>\n%%EOF\n")
    assert uploads.check_upload(_upload("photo.pdf", content)).content_type == uploads.PDF


def test_a_predictor_row_wider_than_the_stream_is_read_as_the_stream():
    """A hostile /Columns (a row of a terabyte) sizes nothing: the one row there is, the data, is decoded and
    scanned (here it hides a JavaScript action), instead of a MemoryError answered as a 500."""
    data = zlib.compress(b"\x00" + b"3 0 << /S /JavaScript /JS (x) >>")
    content = (b"%PDF-1.7\n4 0 obj << /Type /ObjStm /Filter /FlateDecode /DecodeParms << /Predictor 12 "
               b"/Columns 1000000000000 >> >>\nstream\n" + data + b"\nendstream endobj\n%%EOF\n")
    with pytest.raises(ValidationError, match="active content"):
        uploads.check_upload(_upload("a.pdf", content))


def test_a_file_of_nothing_but_tokens_is_refused_as_uncheckable():
    """Reading stops at MAX_TOKENS instead of going through 20 MB of "()" one by one (12 s here before the cap)."""
    content = b"%PDF-1.7\n" + b"()" * (pdf_streams.MAX_TOKENS + 1) + b"\n%%EOF\n"
    with pytest.raises(pdf_streams.Uncheckable, match="too many tokens"):
        list(pdf_streams.decoded_streams(content, 10**8))


def test_slow_decoding_past_its_budget_is_refused_as_uncheckable():
    """A stream that is not a picture and needs its predictor undone over more than MAX_SLOW_DECODED bytes."""
    rows = zlib.compress(b"\x00" + bytes(1024))
    big = zlib.compress(b"".join(b"\x00" + bytes(1024) for _ in range(pdf_streams.MAX_SLOW_DECODED // 1024 + 1)))
    for data, refused in ((rows, False), (big, True)):
        content = (b"%PDF-1.7\n4 0 obj << /Type /ObjStm /Filter /FlateDecode /DecodeParms << /Predictor 12 "
                   b"/Columns 1024 >> >>\nstream\n" + data + b"\nendstream endobj\n%%EOF\n")
        if refused:
            with pytest.raises(ValidationError, match="cannot be checked"):
                uploads.check_upload(_upload("a.pdf", content))
        else:
            assert uploads.check_upload(_upload("a.pdf", content)).content_type == uploads.PDF


def _upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)
