"""A PDF's streams decoded as a reader decodes them, for the upload check's scan for active content.

A PDF reader applies each stream's /Filter chain (and /DecodeParms predictors) before it reads the objects a stream
holds, so an object stream can carry a /JavaScript action behind ASCII85, hex, LZW, run-length or Flate encoding,
in any order, with a PNG or TIFF predictor on top. Inflating Flate alone let every other encoding through. Here
each stream is decoded through its whole chain; a stream whose encoding the portal cannot decode (an unknown filter,
or /Crypt) makes the file uncheckable, and so does encryption (strings and streams are then ciphertext). Image
encodings (JPEG, JPEG 2000, fax, JBIG2) end a chain: a reader draws them, it never reads objects out of them.

Reading is bounded: the caller gives a budget of decoded bytes for the whole file, and a file with more than
MAX_TOKENS tokens outside its streams is uncheckable. A corrupt stream yields what a reader would get from it before
the damage, not nothing.
"""

import base64
import re
import zlib
from collections.abc import Callable, Iterator

_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_FILTERS = re.compile(rb"/Filter(?![^\s/<>\[\]()])\s*(\[[^\]]*\]|/[^\s/<>\[\]()]+)?")
_NAME = re.compile(rb"/([^\s/<>\[\]()]+)")
_PARMS = re.compile(rb"/DecodeParms(?![^\s/<>\[\]()])\s*(\[[^\]]*\]|<<[^<>]*>>)?")
_PARM = re.compile(rb"/(Predictor|Colors|BitsPerComponent|Columns|EarlyChange)\s+(\d+)")
_STREAM_START = re.compile(rb"\s*stream[ \t]*(?:\r\n|\r|\n)?")
_TOKEN = re.compile(rb"<<|>>|[()<>%]")
_STRING_TOKEN = re.compile(rb"\\.|[()]", re.DOTALL)
_LINE_END = re.compile(rb"[\r\n]")
_IMAGE = re.compile(rb"/Subtype\s*/Image(?![^\s/<>\[\]()])")
_ENCRYPT = re.compile(rb"/Encrypt(?![^\s/<>\[\]()])")

# Outside their streams' data, real PDFs hold few tokens (dictionaries, strings, comments): at this many the file
# is refused as uncheckable rather than read for seconds (a file of 20 MB of "()" took 12 s to read whole).
MAX_TOKENS = 1_000_000

# LZW, run-length and predictors are undone byte by byte in Python (about a second for 2 MB here): real PDFs use
# them for small cross-reference streams, if at all, so past this much the file is refused as uncheckable.
MAX_SLOW_DECODED = 4 * 1024 * 1024
SLOW_DECODERS = frozenset({b"LZWDecode", b"RunLengthDecode"})
# Pictures larger than this are decoded by the fast filters only (Flate, hex, ASCII85): a stream marked as an image
# that hides objects behind a predictor must then be small, and is decoded whole.
MAX_SLOW_IMAGE = 256 * 1024

IMAGE_FILTERS = frozenset({b"DCTDecode", b"DCT", b"JPXDecode", b"CCITTFaxDecode", b"CCF", b"JBIG2Decode"})
ABBREVIATIONS = {b"AHx": b"ASCIIHexDecode", b"A85": b"ASCII85Decode", b"LZW": b"LZWDecode", b"Fl": b"FlateDecode",
                 b"RL": b"RunLengthDecode"}


class Uncheckable(Exception):
    """The file's content cannot be read to check it: encrypted, or a stream in an encoding not decoded here."""


class TooLarge(Exception):
    """The streams decode to more than the budget."""


def unescape_names(data: bytes) -> bytes:
    """Names may spell letters as #xx (/J#61vaScript is /JavaScript)."""
    return _NAME_ESCAPE.sub(lambda match: bytes([int(match.group(1), 16)]), data)


def decoded_streams(content: bytes, budget: int) -> Iterator[bytes]:
    """Each encoded stream of `content`, decoded through its filters (a large picture: no further than the step
    that would undo a predictor or an old encoding in Python); raises Uncheckable or TooLarge."""
    slow_budget = MAX_SLOW_DECODED
    for dictionary, data in _streams(content):
        filters, parms = _filters(dictionary), _decode_parms(dictionary)
        if not filters:
            continue  # read as it stands, with the rest of the file
        image = bool(_IMAGE.search(dictionary))
        parms += [{}] * (len(filters) - len(parms))
        for name, parm in zip(filters, parms, strict=False):
            if name in IMAGE_FILTERS:
                break
            decode = DECODERS.get(name)
            if decode is None:
                raise Uncheckable(name.decode("latin-1"))
            slow = name in SLOW_DECODERS
            if slow and image and len(data) > MAX_SLOW_IMAGE:
                break  # a large picture in an old encoding, drawn by a reader, not read for objects
            data = decode(data, min(budget, slow_budget) if slow else budget, parm)
            if parm.get(b"Predictor", 1) >= 2:
                if image and len(data) > MAX_SLOW_IMAGE:
                    break  # a large picture (a photograph's predictor, say)
                if len(data) > slow_budget:
                    raise Uncheckable(f"more than {MAX_SLOW_DECODED} bytes decoded in Python")
                slow = True
                data = _unpredict(data, parm)
            if slow:
                slow_budget -= len(data)
                if slow_budget < 0:
                    raise Uncheckable(f"more than {MAX_SLOW_DECODED} bytes decoded in Python")
            budget -= len(data)
            if budget < 0:
                raise TooLarge()
        else:
            yield data


def _streams(content: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(dictionary with its names unescaped, data) of each stream, found by reading the file from the start as a
    reader tokenizes it: the text of strings and comments is blanked out of the dictionaries (a "/Filter" written
    inside a string is not a filter), hex strings are skipped whole, and a stream's data is not tokenized. An
    unterminated string or dictionary (which would hide every stream after it), or an /Encrypt key in any
    dictionary, makes the file uncheckable."""
    length, index, opened, allowance = len(content), 0, [], MAX_TOKENS
    cleaned = bytearray(content)  # strings and comments blanked as they are passed
    while True:
        found = _TOKEN.search(content, index)
        if found is None:
            break
        allowance -= 1
        if allowance < 0:
            raise Uncheckable("too many tokens")
        index = found.start()
        token = found.group()
        if token == b"(":
            end, allowance = _string_end(content, index, allowance)
            cleaned[index + 1 : end - 1] = b" " * (end - index - 2)
            index = end
        elif token == b"%":
            line_end = _LINE_END.search(content, index)
            stop = length if line_end is None else line_end.start()
            cleaned[index:stop] = b" " * (stop - index)
            index = stop
        elif token == b"<<":
            opened.append(index)
            index += 2
        elif token == b">>" and not opened:  # closes nothing: passed over, as a reader does
            index += 2
        elif token == b">>":
            start = opened.pop()
            index += 2
            dictionary = unescape_names(bytes(cleaned[start:index]))
            if _ENCRYPT.search(dictionary):
                raise Uncheckable("encrypted")
            stream = _STREAM_START.match(content, index) if not opened else None
            if stream is not None:
                end = content.find(b"endstream", stream.end())
                end = length if end < 0 else end
                yield dictionary, content[stream.end() : end]
                index = end + len(b"endstream")
        elif token == b"<":  # a hex string
            end = content.find(b">", index + 1)
            index = length if end < 0 else end + 1
        else:  # a lone ")" or ">": malformed, passed over as a reader does
            index += 1
    if opened:
        raise Uncheckable("unterminated dictionary")


def _string_end(content: bytes, index: int, allowance: int) -> tuple[int, int]:
    """The index after the literal string opening at `index` (nested parentheses, backslash escapes), and what is
    left of the token allowance."""
    nesting, position = 0, index
    while True:
        found = _STRING_TOKEN.search(content, position)
        allowance -= 1
        if found is None or allowance < 0:
            raise Uncheckable("unterminated string" if found is None else "too many tokens")
        token = found.group()
        if token == b"(":
            nesting += 1
        elif token == b")":
            nesting -= 1
            if nesting == 0:
                return found.end(), allowance
        position = found.end()  # an escape skips the character after the backslash too


def _filters(dictionary: bytes) -> list[bytes]:
    matches = list(_FILTERS.finditer(dictionary))
    if not matches:
        return []
    if len(matches) > 1 or matches[0].group(1) is None:  # two /Filter keys, or one by reference ("5 0 R")
        raise Uncheckable("/Filter")
    return [ABBREVIATIONS.get(name, name) for name in _NAME.findall(matches[0].group(1))]


def _decode_parms(dictionary: bytes) -> list[dict[bytes, int]]:
    """One parameter dictionary per filter (an array of them, or one for a single filter)."""
    matches = list(_PARMS.finditer(dictionary))
    if not matches:
        return []
    if len(matches) > 1 or matches[0].group(1) is None:
        raise Uncheckable("/DecodeParms")
    text = matches[0].group(1)
    parts = re.findall(rb"<<[^<>]*>>|null", text) if text.startswith(b"[") else [text]
    return [{key: int(value) for key, value in _PARM.findall(part)} for part in parts]


def _flate(data: bytes, budget: int, parms: dict[bytes, int]) -> bytes:
    """Inflated up to `budget` + 1 bytes; a corrupt stream gives what comes before the damage."""
    inflater = zlib.decompressobj()
    try:
        return inflater.decompress(data, budget + 1)
    except zlib.error:
        pass
    # Again, in steps, keeping the output before the step that fails, and that step byte by byte.
    inflater, output, step = zlib.decompressobj(), bytearray(), 4096
    for offset in range(0, len(data), step):
        saved = inflater.copy()
        try:
            output += inflater.decompress(data[offset : offset + step], budget + 1 - len(output))
        except zlib.error:
            for byte in data[offset : offset + step]:
                try:
                    output += saved.decompress(bytes([byte]), budget + 1 - len(output))
                except zlib.error:
                    return bytes(output)
            return bytes(output)
        if len(output) > budget:
            break
    return bytes(output)


def _ascii_hex(data: bytes, budget: int, parms: dict[bytes, int]) -> bytes:
    digits = re.sub(rb"[^0-9A-Fa-f]", b"", data.split(b">", 1)[0])
    return bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode("ascii"))


def _ascii85(data: bytes, budget: int, parms: dict[bytes, int]) -> bytes:
    text = re.sub(rb"\s", b"", data.split(b"~>", 1)[0]).removeprefix(b"<~")
    try:
        return base64.a85decode(text)
    except ValueError as error:
        raise Uncheckable("ASCII85Decode") from error


def _run_length(data: bytes, budget: int, parms: dict[bytes, int]) -> bytes:
    output, index = bytearray(), 0
    while index < len(data) and len(output) <= budget:
        length = data[index]
        if length == 128:
            break
        if length < 128:
            output += data[index + 1 : index + 2 + length]
            index += 2 + length
        else:
            output += data[index + 1 : index + 2] * (257 - length)
            index += 2
    return bytes(output)


def _lzw(data: bytes, budget: int, parms: dict[bytes, int]) -> bytes:
    """LZW as PDF uses it (codes of 9 to 12 bits, most significant bit first, 256 clears, 257 ends)."""
    early_change = parms.get(b"EarlyChange", 1)
    table = [bytes([i]) for i in range(256)] + [b"", b""]
    output, width, previous = bytearray(), 9, b""
    bits, held = 0, 0
    for byte in data:
        held, bits = (held << 8) | byte, bits + 8
        while bits >= width:
            bits -= width
            code = (held >> bits) & ((1 << width) - 1)
            if code == 256:
                table, width, previous = table[:258], 9, b""
                continue
            if code == 257 or len(output) > budget:
                return bytes(output)
            if code < len(table):
                entry = table[code]
                if previous:
                    table.append(previous + entry[:1])
            elif previous:
                entry = previous + previous[:1]
                table.append(entry)
            else:
                raise Uncheckable("LZWDecode")
            output += entry
            previous = entry
            if len(table) + early_change >= (1 << width) and width < 12:
                width += 1
    return bytes(output)


def _unpredict(data: bytes, parms: dict[bytes, int]) -> bytes:
    """Undo a TIFF (2) or PNG (10-15) predictor, as a reader does after decoding."""
    predictor = parms.get(b"Predictor", 1)
    if predictor < 2:
        return data
    colors, bits, columns = parms.get(b"Colors", 1), parms.get(b"BitsPerComponent", 8), parms.get(b"Columns", 1)
    pixel = max(1, colors * bits // 8)
    # A row wider than the data holds only the data: a hostile /Columns must not size an allocation.
    row_length = min((colors * bits * columns + 7) // 8, len(data))
    if row_length <= 0:
        raise Uncheckable("DecodeParms")
    output = bytearray()
    if predictor == 2:
        if bits != 8:
            raise Uncheckable("TIFF predictor")
        for start in range(0, len(data), row_length):
            row = bytearray(data[start : start + row_length])
            for i in range(pixel, len(row)):
                row[i] = (row[i] + row[i - pixel]) & 0xFF
            output += row
        return bytes(output)
    above = bytearray(row_length)
    for start in range(0, len(data), row_length + 1):
        kind, row = data[start], bytearray(data[start + 1 : start + 1 + row_length])
        for i in range(len(row)):
            left = row[i - pixel] if i >= pixel else 0
            up, up_left = above[i], (above[i - pixel] if i >= pixel else 0)
            if kind == 1:
                row[i] = (row[i] + left) & 0xFF
            elif kind == 2:
                row[i] = (row[i] + up) & 0xFF
            elif kind == 3:
                row[i] = (row[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                estimate = left + up - up_left
                nearest = min((abs(estimate - left), 0, left), (abs(estimate - up), 1, up),
                              (abs(estimate - up_left), 2, up_left))[2]
                row[i] = (row[i] + nearest) & 0xFF
        output += row
        above = row + bytearray(row_length - len(row))
    return bytes(output)


DECODERS: dict[bytes, Callable[[bytes, int, dict[bytes, int]], bytes]] = {
    b"FlateDecode": _flate,
    b"ASCIIHexDecode": _ascii_hex,
    b"ASCII85Decode": _ascii85,
    b"RunLengthDecode": _run_length,
    b"LZWDecode": _lzw,
}
