"""The annual report as files: XLSX, CSV and a print-ready PDF, all built from the same sections.

Text that may come from users (request subjects, partner and person names) is written so that no spreadsheet
reads it as a formula: a value starting with = + - @, a tab or a carriage return is an explicit string in XLSX
(data type "s", quote prefix) and carries a leading apostrophe in CSV.
"""

import base64
import csv
import datetime
import io
from dataclasses import dataclass, field
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from agreements_app.choices import AgreementType
from cooperation_portal.partners.choices import RegionalGroup
from requests_app.choices import Organ, RequestType

from .choices import ExportFormat

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# A label: a plain string or a lazily translated one.
Label = str | Promise
PARTNER_KIND_LABELS: dict[str, Label] = {
    "state_party": _("State Party"),
    "non_party_state": _("Non-party State"),
    "organization": _("Organization"),
}
TRANSMITTER_LABELS: dict[str, Label] = {
    "registry": _("Registry (for Chambers, Presidency, Registry)"),
    "otp": _("Office of the Prosecutor"),
}
OUTCOME_LABELS: dict[str, Label] = {
    "executed": _("Executed"),
    "partially_executed": _("Partially executed"),
    "not_executed": _("Not executed"),
    "outcome_not_recorded": _("Outcome reported, kind not recorded"),
    "pending": _("No outcome by the period's end"),
    "withdrawn": _("Withdrawn"),
}
FIGURE_HEADERS: list[Label] = [_("Key"), _("Figure"), _("Value")]


@dataclass
class Section:
    """One table of the report: a sheet in XLSX, a row group in CSV, a table in the PDF."""

    title: Label
    headers: list[Label]
    rows: list[list[Any]] = field(default_factory=list)

    @property
    def is_figures(self) -> bool:
        """A key / label / value table, whose keys are the JSON paths of its values."""
        return self.headers == FIGURE_HEADERS


def _figures(title: Label, items: list[tuple[str, Label, Any]]) -> Section:
    return Section(title=title, headers=list(FIGURE_HEADERS), rows=[[key, label, value] for key, label, value in items])


def report_sections(report: dict[str, Any]) -> list[Section]:
    requests, agreements, warrants = report["requests"], report["agreements"], report["warrants"]
    type_labels = dict(RequestType.choices)
    agreement_labels = dict(AgreementType.choices)
    group_labels = dict(RegionalGroup.choices)
    sections = [
        Section(
            title=_("Period"),
            headers=[_("Item"), _("Value")],
            rows=[
                [_("Period start"), report["period"]["start"]],
                [_("Period end"), report["period"]["end"]],
                [_("Generated on"), report["period"]["generated_on"]],
                *[[_("Note"), note] for note in report["notes"]],
            ],
        ),
        _figures(
            _("Requests"),
            [
                ("requests.transmitted", _("Cooperation requests transmitted (visas and logistics excluded)"),
                 requests["transmitted"]),
                ("requests.visa_requests", _("Visa requests (counted apart)"), requests["visa_requests"]),
                ("requests.logistical_requests", _("Other logistical requests (counted apart)"),
                 requests["logistical_requests"]),
                ("requests.assistance_to_states", _("Assistance from the Court to States, art. 93(10) (apart)"),
                 requests["assistance_to_states"]),
                ("requests.distinct_partners", _("Distinct partners requested"), requests["distinct_partners"]),
                ("requests.by_confidentiality.public", _("Public requests"), requests["by_confidentiality"]["public"]),
                ("requests.by_confidentiality.not_public", _("Confidential or under seal (counted, not itemized)"),
                 requests["by_confidentiality"]["not_public"]),
                ("requests.outstanding_at_end", _("Outstanding at the period's end"), requests["outstanding_at_end"]),
                ("requests.overdue_at_end", _("Overdue at the period's end"), requests["overdue_at_end"]),
            ],
        ),
        _figures(
            _("By organ"),
            [(f"requests.by_organ.{value}", label, requests["by_organ"][value]) for value, label in Organ.choices],
        ),
        Section(
            title=_("By transmitter"),
            headers=[_("Transmitted by"), _("Requests"), *PARTNER_KIND_LABELS.values(), _("Distinct partners")],
            rows=[
                [TRANSMITTER_LABELS[name], figures["transmitted"], *(figures[kind] for kind in PARTNER_KIND_LABELS),
                 figures["distinct_partners"]]
                for name, figures in requests["by_transmitter"].items()
            ],
        ),
        _figures(
            _("By partner kind"),
            [(f"requests.by_partner_kind.{kind}", label, requests["by_partner_kind"][kind])
             for kind, label in PARTNER_KIND_LABELS.items()],
        ),
        _figures(
            _("By regional group"),
            [(f"requests.by_regional_group.{value}", label, requests["by_regional_group"][value])
             for value, label in RegionalGroup.choices],
        ),
        _figures(
            _("By type"),
            [(f"requests.by_type.{value}", type_labels[value], count) for value, count in requests["by_type"].items()],
        ),
        _figures(
            _("Outcomes"),
            [(f"requests.outcomes_at_end.{value}", OUTCOME_LABELS.get(value, value), count)
             for value, count in requests["outcomes_at_end"].items()],
        ),
        Section(
            title=_("Response times"),
            headers=[_("Days from transmission to"), _("Requests"), _("Median (days)"), _("90th percentile (days)")],
            rows=[
                [label, requests["response_times"][name]["count"], requests["response_times"][name]["median_days"],
                 requests["response_times"][name]["p90_days"]]
                for name, label in (("acknowledgement", _("Acknowledgement")), ("outcome", _("Outcome")))
            ],
        ),
        Section(
            title=_("Overdue public requests"),
            headers=[_("Reference"), _("Subject"), _("Partner"), _("Organ"), _("Type"), _("Transmitted on"),
                     _("Due on"), _("Days overdue")],
            rows=[
                [item["reference"], item["subject"], item["partner"], item["organ"], item["request_type"],
                 item["transmitted_on"], item["due_on"], item["days_overdue"]]
                for item in requests["overdue_public"]
            ],
        ),
        _figures(
            _("Agreements"),
            [
                (f"agreements.{measure}.{value}", f"{label}: {measure_label}", agreements[measure][value])
                for value, label in AgreementType.choices
                for measure, measure_label in (
                    ("concluded_in_period", _("concluded in the period")),
                    ("in_force_at_end", _("in force at the period's end")),
                    ("states_at_end", _("States with an agreement at the period's end")),
                )
            ],
        ),
        Section(
            title=_("Agreements by group"),
            headers=[_("Type"), _("Regional group"), _("Concluded in the period"), _("In force at the end")],
            rows=[
                [agreement_labels[agreement_type], group_labels[group], counts["concluded_in_period"],
                 counts["in_force_at_end"]]
                for agreement_type, groups in agreements["by_regional_group"].items()
                for group, counts in groups.items()
            ],
        ),
        Section(
            title=_("Agreement States"),
            headers=[_("Type"), _("ISO code"), _("State"), _("Regional group"), _("Signed on"), _("In force since"),
                     _("Concluded in the period")],
            rows=[
                [agreement_labels[item["agreement_type"]], item["state_code"], item["state"],
                 group_labels.get(item["regional_group"], item["regional_group"]), item["signed_on"],
                 item["in_force_on"], _("yes") if item["concluded_in_period"] else _("no")]
                for item in agreements["named"]
            ],
        ),
        _figures(
            _("Warrants"),
            [
                ("warrants.issued_in_period", _("Warrants issued in the period (public)"),
                 warrants["issued_in_period"]),
                ("warrants.executed_in_period", _("Warrants executed in the period (public)"),
                 warrants["executed_in_period"]),
                ("warrants.outstanding_at_end", _("Persons at large at the period's end (public)"),
                 warrants["outstanding_at_end"]),
            ],
        ),
        Section(
            title=_("Persons at large"),
            headers=[_("Person"), _("Situation"), _("Warrant issued on")],
            rows=[[item["person"], item["situation"], item["issued_on"]] for item in warrants["persons_at_large"]],
        ),
        _figures(
            _("States Parties"),
            [
                ("states_parties_at_end", _("States Parties at the period's end"), report["states_parties_at_end"]),
                ("apic_parties_at_end", _("Parties to the APIC at the period's end"), report["apic_parties_at_end"]),
                ("implementing_legislation_at_end", _("States with implementing legislation at the period's end"),
                 report["implementing_legislation_at_end"]),
            ],
        ),
    ]
    return sections


def _is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_PREFIXES)


def render_xlsx(report: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for section in report_sections(report):
        sheet = workbook.create_sheet(title=str(section.title)[:31])
        widths = [len(str(header)) for header in section.headers]
        for column, header in enumerate(section.headers, start=1):
            sheet.cell(row=1, column=column, value=str(header)).font = bold
        for row_number, row in enumerate(section.rows, start=2):
            for column, value in enumerate(row, start=1):
                cell = sheet.cell(row=row_number, column=column)
                if value is None:
                    continue
                if isinstance(value, bool | int | float):
                    cell.value = value
                elif isinstance(value, datetime.date):
                    cell.value = value
                    cell.number_format = "yyyy-mm-dd"
                else:
                    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
                    cell.value = text
                    if _is_formula_like(text):
                        # openpyxl types "=..." as a formula on assignment; force a plain string, which Excel shows
                        # as text, and the quote prefix keeps it text if someone edits the cell.
                        cell.data_type = "s"
                        cell.quotePrefix = True
                widths[column - 1] = max(widths[column - 1], min(len(str(value)), 80))
        sheet.freeze_panes = "A2"
        for column, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(column)].width = width + 2
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    return f"'{text}" if _is_formula_like(text) else text


def render_csv(report: dict[str, Any]) -> bytes:
    """One file; each section is a row group: its title, its header row, its rows, then an empty row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for section in report_sections(report):
        writer.writerow([_csv_value(section.title)])
        writer.writerow([_csv_value(header) for header in section.headers])
        for row in section.rows:
            writer.writerow([_csv_value(value) for value in row])
        writer.writerow([])
    # The byte-order mark makes spreadsheet programs read the file as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _bar_chart_svg(
    title: Label, labels: list[str], series: dict[Label, list[int]], *, horizontal: bool = False
) -> str:
    """A small bar chart as a base64 SVG data URI."""
    import matplotlib
    from matplotlib.figure import Figure

    # SVG text stays text (the PDF's own font draws it): drawing every glyph as a path doubled the PDF's time.
    with matplotlib.rc_context({"svg.fonttype": "none", "font.family": "DejaVu Sans", "svg.hashsalt": "report"}):
        return _draw_bar_chart(Figure, title, labels, series, horizontal=horizontal)


def _draw_bar_chart(
    figure_class: Any, title: Label, labels: list[str], series: dict[Label, list[int]], *, horizontal: bool
) -> str:
    figure = figure_class(figsize=(7.0, 2.8), dpi=100)
    axes = figure.add_subplot()
    positions = list(range(len(labels)))
    width = 0.8 / max(len(series), 1)
    for index, (name, values) in enumerate(series.items()):
        offsets = [p + (index - (len(series) - 1) / 2) * width for p in positions]
        if horizontal:
            axes.barh(offsets, values, height=width, label=str(name))
        else:
            axes.bar(offsets, values, width=width, label=str(name))
    if horizontal:
        axes.set_yticks(positions, labels, fontsize=8)
        axes.invert_yaxis()
    else:
        axes.set_xticks(positions, labels, fontsize=8)
    axes.set_title(str(title), fontsize=10)
    axes.spines[["top", "right"]].set_visible(False)
    if len(series) > 1:
        axes.legend(fontsize=8, frameon=False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def report_charts(report: dict[str, Any]) -> list[dict[str, Label]]:
    """Charts whose labels are fixed vocabulary only: no user text ever reaches a chart."""
    requests, agreements = report["requests"], report["agreements"]
    return [
        {
            "title": _("Cooperation requests by organ"),
            "src": _bar_chart_svg(
                _("Cooperation requests by organ"),
                [str(label) for label in Organ.labels],
                {_("Requests"): [requests["by_organ"][value] for value in Organ.values]},
            ),
        },
        {
            "title": _("Cooperation requests by partner kind and transmitter"),
            "src": _bar_chart_svg(
                _("Cooperation requests by partner kind and transmitter"),
                [str(label) for label in PARTNER_KIND_LABELS.values()],
                {
                    str(TRANSMITTER_LABELS[name]): [figures[kind] for kind in PARTNER_KIND_LABELS]
                    for name, figures in requests["by_transmitter"].items()
                },
            ),
        },
        {
            "title": _("Cooperation requests by regional group"),
            "src": _bar_chart_svg(
                _("Cooperation requests by regional group"),
                [str(value) for value in RegionalGroup.values],
                {_("Requests"): [requests["by_regional_group"][value] for value in RegionalGroup.values]},
                horizontal=True,
            ),
        },
        {
            "title": _("Voluntary agreements"),
            "src": _bar_chart_svg(
                _("Voluntary agreements"),
                [value.replace("_", " ") for value in AgreementType.values],
                {
                    _("Concluded in the period"): [agreements["concluded_in_period"][v] for v in AgreementType.values],
                    _("In force at the end"): [agreements["in_force_at_end"][v] for v in AgreementType.values],
                },
            ),
        },
    ]


def _display_cell(value: Any) -> dict[str, str]:
    if value is None:
        return {"text": "", "css": ""}
    if isinstance(value, bool | int | float):
        return {"text": str(value), "css": "number"}
    if isinstance(value, datetime.date):
        return {"text": value.isoformat(), "css": ""}
    return {"text": str(value), "css": ""}


def _tables(sections: list[Section]) -> list[dict[str, Any]]:
    """Sections with each cell's text and alignment decided here, so the template only lays them out.

    A printed page has no use for the JSON keys of the figures tables: they are left to the XLSX and CSV.
    """
    return [
        {
            "title": section.title,
            "headers": section.headers[1:] if section.is_figures else section.headers,
            "rows": [
                [_display_cell(value) for value in (row[1:] if section.is_figures else row)] for row in section.rows
            ],
        }
        for section in sections
    ]


def render_pdf(report: dict[str, Any]) -> bytes:
    from weasyprint import HTML

    html = render_to_string(
        "reports/annual_report_pdf.html",
        {
            "report": report,
            "tables": _tables(report_sections(report)),
            "charts": report_charts(report),
            "generated_at": timezone.localtime(),
        },
    )
    return HTML(string=html).write_pdf()


RENDERERS = {ExportFormat.XLSX: render_xlsx, ExportFormat.CSV: render_csv, ExportFormat.PDF: render_pdf}


def render_report(report: dict[str, Any], export_format: ExportFormat) -> bytes:
    return RENDERERS[export_format](report)
