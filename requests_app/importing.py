"""Import of an existing request log from CSV or XLSX: parse, check every row, then write all rows or none.

`import_preview` reads a file and returns the rows it would create with an error per row (row number, column,
message); it writes nothing. `import_requests` checks the file again (the database may have changed since the
preview) and, only if every row is valid, creates every request in one transaction through `request_create`,
then moves the rows that were already transmitted along their lifecycle through `request_transition`, with
their own dates.

Cells are read as text and stored as text: nothing is ever evaluated, so a cell that looks like a formula
("=HYPERLINK(...)") is kept literally; the portal's own exports escape such text when they write it back out.
XLSX files are opened read-only with `data_only=True`, which gives a formula cell's cached value, never the
formula.
"""

import csv
import datetime
import io
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from cooperation_portal.accounts.models import User
from cooperation_portal.dates import court_today
from cooperation_portal.partners.models import Partner
from cooperation_portal.situations.models import Situation

from . import services
from .choices import OUTCOME_STATUSES, Confidentiality, Organ, RequestType, Status
from .models import CooperationRequest

MAX_FILE_BYTES: int = getattr(settings, "PORTAL_IMPORT_MAX_BYTES", 5 * 1024 * 1024)
MAX_ROWS: int = getattr(settings, "PORTAL_IMPORT_MAX_ROWS", 2000)
# An XLSX is a zip: refuse one that would inflate far beyond its size before openpyxl reads it.
MAX_XLSX_INFLATED_BYTES = 100 * 1024 * 1024
MAX_CELL_CHARS = 20_000

REQUIRED_COLUMNS = ("organ", "request_type", "partner", "subject", "status")
OPTIONAL_COLUMNS = (
    "reference", "description", "confidentiality", "urgent", "transmitted_on", "due_on", "situation",
    "acknowledged_on", "execution_started_on", "outcome", "outcome_on", "closed_on",
)
COLUMNS = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
# The order of the columns in the template offered for download.
TEMPLATE_COLUMNS = (
    "reference", "organ", "request_type", "partner", "subject", "description", "confidentiality", "urgent",
    "transmitted_on", "due_on", "status", "situation", "acknowledged_on", "execution_started_on", "outcome",
    "outcome_on", "closed_on",
)
DATE_COLUMNS = ("transmitted_on", "due_on", "acknowledged_on", "execution_started_on", "outcome_on", "closed_on")
TRUE_WORDS = frozenset({"yes", "y", "true", "1", "oui", "o", "vrai", "x"})
FALSE_WORDS = frozenset({"", "no", "n", "false", "0", "non", "faux"})
FORMATS = ("csv", "xlsx")


class ImportFileError(Exception):
    """The file as a whole cannot be read (wrong format, too large, too many rows, missing columns)."""


@dataclass(frozen=True)
class RowError:
    row: int  # as a spreadsheet numbers it: the header is row 1
    column: str
    message: str


@dataclass
class ImportRow:
    row: int
    values: dict[str, str]  # the cells as read, for the preview
    cleaned: dict[str, Any] = field(default_factory=dict)
    # The lifecycle the request went through before the import: (status, date) after its creation as a draft.
    steps: list[tuple[str, datetime.date]] = field(default_factory=list)


@dataclass
class ImportPreview:
    rows: list[ImportRow]
    errors: list[RowError]
    columns: list[str]

    @property
    def is_valid(self) -> bool:
        return not self.errors and bool(self.rows)

    def table(self) -> list[dict[str, Any]]:
        """The rows as read, cells in column order, each with its own errors: what the preview shows."""
        grouped: dict[int, list[RowError]] = {}
        for error in self.errors:
            grouped.setdefault(error.row, []).append(error)
        return [
            {"row": row.row, "cells": [row.values.get(column, "") for column in self.columns],
             "errors": grouped.get(row.row, [])}
            for row in self.rows
        ]


# --- Reading the file ---


def detect_format(name: str, head: bytes) -> str:
    """By content first: an XLSX is a zip; anything else must be UTF-8 text to be taken as CSV."""
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if name.lower().endswith((".xlsx", ".xlsm")):
        raise ImportFileError(_("The file is named .xlsx but is not an Excel workbook."))
    return "csv"


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(_("The CSV file is not UTF-8 text (save it as “CSV UTF-8”).")) from error
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        for row in csv.reader(io.StringIO(text, newline=""), dialect):
            yield [cell.strip() for cell in row]
    except csv.Error as error:
        raise ImportFileError(_("The CSV file cannot be read: %(error)s") % {"error": error}) from error


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as error:
        raise ImportFileError(_("The file is not a readable Excel workbook.")) from error
    if inflated > MAX_XLSX_INFLATED_BYTES:
        raise ImportFileError(_("The workbook expands to more data than the import accepts."))
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged or foreign file
        raise ImportFileError(_("The file is not a readable Excel workbook.")) from error
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [_cell_text(value) for value in row]
    finally:
        workbook.close()


def read_table(data: bytes, file_format: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header (normalised column names) and the non-empty data rows with their row numbers."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(_("The file is larger than %(mb)s MB.") % {"mb": MAX_FILE_BYTES // (1024 * 1024)})
    rows = _xlsx_rows(data) if file_format == "xlsx" else _csv_rows(data)
    header: list[str] | None = None
    body: list[tuple[int, list[str]]] = []
    for number, cells in enumerate(rows, start=1):
        if header is None:
            if not any(cells):
                continue
            header = [cell.strip().lower().replace(" ", "_") for cell in cells]
            header_row = number
            continue
        if not any(cells):
            continue
        if len(body) >= MAX_ROWS:
            raise ImportFileError(_("The file has more than %(max)s rows; split it.") % {"max": MAX_ROWS})
        body.append((number, cells))
    if header is None:
        raise ImportFileError(_("The file is empty."))
    while header and not header[-1]:
        header.pop()
    problems = []
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        problems.append(_("Unknown columns: %(columns)s.") % {"columns": ", ".join(unknown)})
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        problems.append(_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        problems.append(_("Columns given twice: %(columns)s.") % {"columns": ", ".join(duplicated)})
    if problems:
        raise ImportFileError(
            _("Row %(row)s (header): %(problems)s") % {"row": header_row, "problems": " ".join(problems)}
        )
    return header, body


# --- Checking each row ---


def _choice(value: str, choices: Any) -> str | None:
    """A choice by its code or its (English or current-language) label, ignoring case."""
    wanted = value.strip().lower()
    for code, label in choices.choices:
        if wanted in (str(code).lower(), str(label).lower()):
            return str(code)
    return None


def _date(value: str) -> datetime.date:
    text = value.strip()
    if " " in text:
        text = text.split(" ", 1)[0]
    return datetime.date.fromisoformat(text)


# The steps of the lifecycle a row's status implies, after creation as a draft, and the column dating each.
def _steps_for(status: str, cleaned: dict[str, Any]) -> list[tuple[str, str]]:
    if status == Status.DRAFT:
        return []
    if status == Status.WITHDRAWN:
        sent: list[tuple[str, str]] = [(Status.TRANSMITTED, "transmitted_on")] if cleaned.get("transmitted_on") else []
        return [*sent, (Status.WITHDRAWN, "closed_on")]
    steps: list[tuple[str, str]] = [(Status.TRANSMITTED, "transmitted_on")]
    if status == Status.TRANSMITTED:
        return steps
    if status == Status.ACKNOWLEDGED or cleaned.get("acknowledged_on"):
        steps.append((Status.ACKNOWLEDGED, "acknowledged_on"))
    if status == Status.ACKNOWLEDGED:
        return steps
    if status == Status.IN_EXECUTION or cleaned.get("execution_started_on"):
        steps.append((Status.IN_EXECUTION, "execution_started_on"))
    if status == Status.IN_EXECUTION:
        return steps
    outcome = status if status in OUTCOME_STATUSES else cleaned.get("outcome")
    steps.append((outcome or "", "outcome_on"))
    if status == Status.CLOSED:
        steps.append((Status.CLOSED, "closed_on"))
    return steps


def _check_row(row: ImportRow, *, partners: dict[str, Partner], situations: dict[str, Situation],
               today: datetime.date) -> list[RowError]:
    errors: list[RowError] = []
    values = row.values
    cleaned = row.cleaned

    def fail(column: str, message: str | Promise) -> None:
        errors.append(RowError(row.row, column, str(message)))

    for column, value in values.items():
        if len(value) > MAX_CELL_CHARS:
            fail(column, _("The cell holds more than %(max)s characters.") % {"max": MAX_CELL_CHARS})
            return errors

    reference = values.get("reference", "")
    if len(reference) > 40:
        fail("reference", _("At most 40 characters."))
    cleaned["reference"] = reference or None
    for column, choices in (("organ", Organ), ("request_type", RequestType)):
        value = values.get(column, "")
        if not value:
            fail(column, _("Required."))
        elif (code := _choice(value, choices)) is None:
            fail(column, _("Unknown value “%(value)s”.") % {"value": value})
        else:
            cleaned[column] = code
    code = values.get("partner", "").upper()
    if not code:
        fail("partner", _("Required."))
    elif code not in partners:
        fail("partner", _("No partner has the code “%(code)s”.") % {"code": values["partner"]})
    else:
        cleaned["partner"] = partners[code]
    subject = values.get("subject", "")
    if not subject:
        fail("subject", _("Required."))
    elif len(subject) > 300:
        fail("subject", _("At most 300 characters."))
    cleaned["subject"] = subject
    cleaned["description"] = values.get("description", "")
    confidentiality = values.get("confidentiality", "")
    if not confidentiality:
        cleaned["confidentiality"] = Confidentiality.CONFIDENTIAL
    elif (level := _choice(confidentiality, Confidentiality)) is None:
        fail("confidentiality", _("Unknown value “%(value)s”.") % {"value": confidentiality})
    else:
        cleaned["confidentiality"] = level
    urgent = values.get("urgent", "").strip().lower()
    if urgent in TRUE_WORDS:
        cleaned["urgent"] = True
    elif urgent in FALSE_WORDS:
        cleaned["urgent"] = False
    else:
        fail("urgent", _("Write yes or no."))
    situation = values.get("situation", "")
    if situation and situation not in situations:
        fail("situation", _("No situation has the code “%(code)s”.") % {"code": situation})
    cleaned["situation"] = situations.get(situation)

    for column in DATE_COLUMNS:
        value = values.get(column, "")
        if not value:
            cleaned[column] = None
            continue
        try:
            cleaned[column] = _date(value)
        except ValueError:
            fail(column, _("“%(value)s” is not a date (write YYYY-MM-DD).") % {"value": value})
            cleaned[column] = None
            continue
        if cleaned[column] > today and column != "due_on":
            fail(column, _("The date is in the future."))

    status_text = values.get("status", "")
    status = _choice(status_text, Status) if status_text else None
    if not status_text:
        fail("status", _("Required."))
    elif status is None:
        fail("status", _("Unknown status “%(value)s”.") % {"value": status_text})
    outcome_text = values.get("outcome", "")
    if outcome_text:
        outcome = _choice(outcome_text, Status)
        if outcome not in OUTCOME_STATUSES:
            fail("outcome", _("An outcome is executed, partially executed or not executed."))
        elif status in OUTCOME_STATUSES and outcome != status:
            fail("outcome", _("The outcome contradicts the status."))
        else:
            cleaned["outcome"] = outcome
    if status is None:
        return errors
    cleaned["status"] = status

    steps = _steps_for(status, cleaned)
    used = {column for _to, column in steps}
    if status == Status.DRAFT and cleaned.get("transmitted_on"):
        fail("transmitted_on", _("A draft has not been transmitted; leave the date empty or give another status."))
    if cleaned.get("due_on") and "transmitted_on" not in used:
        fail("due_on", _("Only a transmitted request has a due date."))
    for column in DATE_COLUMNS:
        if column != "due_on" and cleaned.get(column) and column not in used:
            fail(column, _("This date does not go with the status “%(status)s”.") % {"status": Status(status).label})
    if status == Status.CLOSED and not cleaned.get("outcome"):
        fail("outcome", _("A closed request needs the outcome it was closed with."))
    previous: tuple[str, datetime.date] | None = None
    dated: list[tuple[str, datetime.date]] = []
    for to_status, column in steps:
        on = cleaned.get(column)
        if on is None:
            if not any(error.column == column for error in errors):
                fail(column, _("Required for the status “%(status)s”.") % {"status": Status(status).label})
            continue
        if previous and on < previous[1]:
            fail(column, _("%(column)s (%(date)s) is before %(previous)s (%(previous_date)s).") % {
                "column": column, "date": on.isoformat(), "previous": previous[0],
                "previous_date": previous[1].isoformat()})
        previous = (column, on)
        dated.append((to_status, on))
    transmitted_on, due_on = cleaned.get("transmitted_on"), cleaned.get("due_on")
    if transmitted_on and due_on and due_on < transmitted_on:
        fail("due_on", _("The due date (%(due)s) is before the transmission date (%(sent)s).") % {
            "due": due_on.isoformat(), "sent": transmitted_on.isoformat()})
    row.steps = dated
    if not errors:
        # The model's own checks (lengths, choices, single-row rules), without touching the database.
        candidate = CooperationRequest(
            reference=cleaned["reference"] or "IMPORT-CHECK", organ=cleaned["organ"],
            request_type=cleaned["request_type"], partner=cleaned["partner"], situation=cleaned["situation"],
            subject=subject, description=cleaned["description"], confidentiality=cleaned["confidentiality"],
            urgent=cleaned["urgent"],
        )
        try:
            candidate.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            for column, messages in error.message_dict.items():
                for message in messages:
                    fail(column if column in COLUMNS else "", message)
    return errors


def import_preview(data: bytes, file_format: str) -> ImportPreview:
    """Read and check the whole file; write nothing. Raises ImportFileError if the file itself is unusable."""
    header, body = read_table(data, file_format)
    rows = []
    for number, cells in body:
        values = {name: (cells[index] if index < len(cells) else "") for index, name in enumerate(header)}
        rows.append(ImportRow(row=number, values=values))
    if not rows:
        raise ImportFileError(_("The file has a header but no rows."))
    codes = {row.values.get("partner", "").upper() for row in rows}
    partners = {partner.code: partner for partner in Partner.objects.filter(code__in=codes)}
    situation_codes = {row.values.get("situation", "") for row in rows} - {""}
    situations = {situation.code: situation for situation in Situation.objects.filter(code__in=situation_codes)}
    today = court_today()
    errors: list[RowError] = []
    for row in rows:
        errors.extend(_check_row(row, partners=partners, situations=situations, today=today))
    errors.extend(_check_references(rows))
    errors.sort(key=lambda error: (error.row, COLUMNS.index(error.column) if error.column in COLUMNS else 99))
    return ImportPreview(rows=rows, errors=errors, columns=[name for name in TEMPLATE_COLUMNS if name in header])


def _check_references(rows: Sequence[ImportRow]) -> list[RowError]:
    """A reference is unique: within the file, and against the requests already logged (visible or not)."""
    errors = []
    first_row: dict[str, int] = {}
    for row in rows:
        reference = row.values.get("reference", "")
        if not reference:
            continue
        if reference in first_row:
            errors.append(RowError(row.row, "reference", _("The reference is also on row %(row)s.")
                                   % {"row": first_row[reference]}))
        else:
            first_row[reference] = row.row
    # Existence of a reference is not secret to registry staff: the numbering is theirs. A deleted request keeps its
    # reference (the database holds references unique, and the history names it), so it is still taken.
    taken = dict(
        CooperationRequest.objects.filter(reference__in=list(first_row)).values_list("reference", "deleted_at")
    )
    for reference, deleted_at in sorted(taken.items()):
        message = (
            _("A request with this reference already exists.")
            if deleted_at is None
            else _("A deleted request had this reference; references are not reused.")
        )
        errors.append(RowError(first_row[reference], "reference", message))
    return errors


# --- Writing ---


class ImportRejected(Exception):
    def __init__(self, preview: ImportPreview) -> None:
        self.preview = preview
        super().__init__(f"{len(preview.errors)} errors")


@transaction.atomic
def import_requests(*, actor: User, data: bytes, file_format: str) -> list[CooperationRequest]:
    """Check the file again and create every row, or nothing: one transaction, every write through a service.

    Raises ImportFileError or ImportRejected (with the preview and its errors); a service refusing a row
    (a reference taken since the preview, say) rolls back every row already written.
    """
    preview = import_preview(data, file_format)
    if not preview.is_valid:
        raise ImportRejected(preview)
    created = []
    for row in preview.rows:
        cleaned = row.cleaned
        try:
            coop_request = services.request_create(
                actor=actor, partner=cleaned["partner"], organ=cleaned["organ"],
                request_type=cleaned["request_type"], subject=cleaned["subject"],
                description=cleaned["description"], confidentiality=cleaned["confidentiality"],
                urgent=cleaned["urgent"], situation=cleaned["situation"], reference=cleaned["reference"],
            )
            for to_status, on in row.steps:
                due_on = (cleaned["due_on"] if to_status == Status.TRANSMITTED else None)
                coop_request = services.request_transition(
                    coop_request=coop_request, actor=actor, to_status=to_status, on=on, due_on=due_on,
                    note=_("Imported from the request log."),
                )
        except ValidationError as error:
            messages = "; ".join(error.messages)
            preview.errors.append(RowError(row.row, "", messages))
            raise ImportRejected(preview) from error
        created.append(coop_request)
    return created
