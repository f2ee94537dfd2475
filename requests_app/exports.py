"""The browser list exported as CSV or XLSX: the same scope, filters and order as the page, every row.

Text typed by users may start with a character a spreadsheet reads as a formula (= + - @, tab, carriage return).
Such a cell is written as text: in CSV with a leading apostrophe, in XLSX as a string cell with the quote prefix,
so that opening the file never runs anything.
"""

import csv
import datetime
import io
from collections.abc import Iterator
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from cooperation_portal.dates import court_today

from .models import CooperationRequest
from .querysets import overdue_q

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 2000


def _columns() -> list[str]:
    return [
        _("Reference"), _("Partner code"), _("Partner"), _("Organ"), _("Type / legal basis"), _("Subject"),
        _("Confidentiality"), _("Urgent"), _("Status"), _("Transmitted on"), _("Due on"), _("Acknowledged on"),
        _("Outcome reported on"), _("Closed or withdrawn on"), _("Clock paused since"), _("Overdue"),
    ]


def _rows(queryset: QuerySet[CooperationRequest]) -> Iterator[list[Any]]:
    today = court_today()
    rows = queryset.select_related("partner").annotate(
        export_overdue=ExpressionWrapper(overdue_q(today), output_field=BooleanField())
    )
    for r in rows.iterator(chunk_size=CHUNK):
        yield [
            r.reference, r.partner.code, r.partner.name, r.get_organ_display(), r.get_request_type_display(),
            r.subject, r.get_confidentiality_display(), _("yes") if r.urgent else _("no"), r.get_status_display(),
            r.transmitted_on, r.due_on, r.acknowledged_on, r.outcome_on, r.closed_on, r.clock_paused_since,
            _("yes") if r.export_overdue else _("no"),
        ]


def neutralise(value: str) -> str:
    """A text cell for CSV: prefixed with an apostrophe if a spreadsheet would read it as a formula."""
    return f"'{value}" if value.startswith(FORMULA_TRIGGERS) else value


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return neutralise(str(value))


class _Echo:
    def write(self, value: str) -> str:
        return value


def _filename(extension: str) -> str:
    return f"cooperation-requests-{court_today().isoformat()}.{extension}"


def requests_csv_response(queryset: QuerySet[CooperationRequest]) -> StreamingHttpResponse:
    """Streamed row by row, so a long list costs memory for one chunk only."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff"  # the byte-order mark lets spreadsheet programs read the file as UTF-8
        yield writer.writerow(_columns())
        for row in _rows(queryset):
            yield writer.writerow([_csv_value(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename("csv")}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def requests_workbook(queryset: QuerySet[CooperationRequest]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Requests"))
    sheet.append(_columns())
    for row in _rows(queryset):
        cells = []
        for value in row:
            if isinstance(value, str):
                cell = WriteOnlyCell(sheet, value=value)
                # openpyxl turns a string starting with "=" into a formula: force the string type back.
                cell.data_type = "s"
                if value.startswith(FORMULA_TRIGGERS):
                    cell.quotePrefix = True
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def requests_xlsx_response(queryset: QuerySet[CooperationRequest]) -> HttpResponse:
    response = HttpResponse(requests_workbook(queryset), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{_filename("xlsx")}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
