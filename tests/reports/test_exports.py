import csv
import datetime
import io
import zipfile
from typing import Any

import pypdfium2
import pytest
from django.urls import reverse
from openpyxl import load_workbook

from agreements_app.choices import AgreementType
from cooperation_portal.reports.exports import render_csv, render_pdf, render_xlsx
from cooperation_portal.reports.services import annual_report
from requests_app.choices import Confidentiality, RequestType
from tests import factories

D = datetime.date
INJECTION = '=HYPERLINK("http://evil","x")'
MARKERS = ("CONF-MARKER-REF-9Z", "CONFIDENTIAL-MARKER-SUBJECT-7Q", "SEALED-PERSON-MARKER-4F7", "SEALED-REQ-MARKER-2M")


def lookup(data: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        data = data[part]
    return data


def xlsx_figures(content: bytes) -> dict[str, Any]:
    """Every key / figure / value row of every figures sheet, read back with openpyxl."""
    workbook = load_workbook(io.BytesIO(content))
    figures = {}
    for sheet in workbook.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        if rows and list(rows[0]) == ["Key", "Figure", "Value"]:
            figures.update({row[0]: row[2] for row in rows[1:]})
    return figures


def csv_figures(content: bytes) -> dict[str, Any]:
    figures, in_figures = {}, False
    for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))):
        if row == ["Key", "Figure", "Value"]:
            in_figures = True
        elif not row:
            in_figures = False
        elif in_figures:
            figures[row[0]] = int(row[2])
    return figures


def pdf_text(content: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(content)
    # PDFium reports a hyphen where the line broke after it as U+FFFE.
    return [page.get_textpage().get_text_range().replace("\ufffe", "-") for page in document]


def squeeze(text: str) -> str:
    """Without any whitespace, so that a marker wrapped over two lines of a PDF table is still found."""
    return "".join(text.split())


def xlsx_text(content: bytes) -> str:
    workbook = load_workbook(io.BytesIO(content))
    return "\n".join(
        str(value) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True) for value in row
    )


@pytest.fixture
def report_2013(period_2013, facilitator, client):
    """The 2013 period as JSON from the API and as the three files from the facilitator's download buttons."""
    client.force_login(facilitator)
    query = {"start": "2011-10-01", "end": "2013-09-30"}
    api = client.get("/api/v1/reports/annual/", query)
    assert api.status_code == 200
    files = {}
    for export_format in ("xlsx", "csv", "pdf"):
        response = client.post(reverse("reports:annual-download"), {**query, "format": export_format})
        assert response.status_code == 200, response.content[:500]
        assert response["Content-Disposition"].startswith("attachment;")
        files[export_format] = response.content
    return api.json(), files


def test_xlsx_and_csv_give_the_same_figures_as_the_json(report_2013):
    """Every figure in the XLSX (read back with openpyxl) and in the CSV equals the JSON API's, 2013's included."""
    data, files = report_2013
    in_xlsx = xlsx_figures(files["xlsx"])
    in_csv = csv_figures(files["csv"])
    assert len(in_xlsx) > 40
    assert in_csv == in_xlsx
    for key, value in in_xlsx.items():
        assert isinstance(value, int), key  # typed: a number, not the text of a number
        assert value == lookup(data, key), key
    assert in_xlsx["requests.transmitted"] == 1142
    assert in_xlsx["requests.visa_requests"] == 1320
    assert in_xlsx["agreements.in_force_at_end.enforcement"] == 7
    assert in_xlsx["agreements.states_at_end.enforcement"] == 8
    assert in_xlsx["agreements.states_at_end.relocation"] == 13
    assert in_xlsx["warrants.outstanding_at_end"] == 12

    workbook = load_workbook(io.BytesIO(files["xlsx"]))
    transmitters = workbook["By transmitter"]
    assert transmitters.freeze_panes == "A2"
    assert all(cell.font.bold for cell in transmitters[1])
    registry_row = [cell.value for cell in transmitters[2]]
    otp_row = [cell.value for cell in transmitters[3]]
    registry = data["requests"]["by_transmitter"]["registry"]
    assert registry_row[1:] == [
        registry[key] for key in ("transmitted", "state_party", "non_party_state", "organization", "distinct_partners")
    ]
    assert registry_row[1] == 533 and registry_row[4] == 19
    assert otp_row[1] == 609
    assert otp_row[-1] == 71
    period = workbook["Period"]
    assert period["B2"].value == datetime.datetime(2011, 10, 1)  # a date cell, not text
    assert period["B2"].is_date
    states = workbook["Agreement States"]
    enforcement = {row[1] for row in states.iter_rows(min_row=2, values_only=True) if row[0].startswith("Enforcement")}
    assert enforcement == {"AUT", "GBR", "BEL", "DNK", "FIN", "SRB", "MLI", "COL"}


def test_pdf_renders_with_period_and_generation_date_on_every_page(report_2013, tmp_path):
    """The PDF opens, its first page turns into a non-blank image, and every page carries period and date."""
    _data, files = report_2013
    content = files["pdf"]
    assert content.startswith(b"%PDF")
    document = pypdfium2.PdfDocument(content)
    assert len(document) >= 2
    image = document[0].render(scale=1.5).to_pil()
    image.save(tmp_path / "page1.png")
    width, height = image.size
    assert width > 0 and height > 0
    grey = image.convert("L")
    dark = sum(grey.histogram()[:200])
    assert dark > 0.01 * width * height  # text, tables and charts: far from a blank page
    texts = pdf_text(content)
    for text in texts:
        assert "2011-10-01" in text and "2013-09-30" in text
        assert "Generated on" in text
    assert "Annual report on cooperation" in texts[0]
    assert "Persons at large" in "".join(texts)


@pytest.fixture
def sensitive_period(db):
    """Public, confidential and sealed material side by side, with unique markers in every user-text field."""
    state = factories.PartnerFactory(code="UGA", name="Uganda", regional_group="African")
    hostile = factories.PartnerFactory(code="VEN", name=INJECTION, regional_group="GRULAC")
    common = {"transmitted_on": D(2013, 1, 1), "due_on": D(2013, 2, 1)}
    factories.CooperationRequestFactory(
        partner=state, reference="CONF-MARKER-REF-9Z", subject="CONFIDENTIAL-MARKER-SUBJECT-7Q",
        confidentiality=Confidentiality.CONFIDENTIAL, **common,
    )
    factories.CooperationRequestFactory(
        partner=hostile, reference="PUBLIC-REF-OK-1", subject=INJECTION, confidentiality=Confidentiality.PUBLIC,
        **common,
    )
    factories.CooperationRequestFactory(
        partner=state, reference="PUBLIC-REF-OK-2", subject="+cmd|' /C calc'!A0",
        confidentiality=Confidentiality.PUBLIC, **common,
    )
    factories.VoluntaryAgreementFactory(partner=hostile, agreement_type=AgreementType.RELOCATION, is_public=True)
    factories.ArrestWarrantFactory(person_name="Public At Large Person", issued_on=D(2012, 1, 1))
    sealed = factories.ArrestWarrantFactory(person_name="SEALED-PERSON-MARKER-4F7", issued_on=D(2012, 5, 1),
                                            under_seal=True)
    sealed.linked_requests.add(
        factories.CooperationRequestFactory(
            partner=state, reference="SEALED-REQ-MARKER-2M", subject="SEALED-REQ-MARKER-2M",
            request_type=RequestType.ARREST_SURRENDER, confidentiality=Confidentiality.PUBLIC, **common,
        )
    )
    return annual_report(start=D(2013, 1, 1), end=D(2013, 12, 31))


def test_formula_like_text_is_written_as_text_in_xlsx_and_csv(sensitive_period):
    """A subject or partner name "=HYPERLINK(...)" is a plain string cell in XLSX, apostrophe-prefixed in CSV."""
    content = render_xlsx(sensitive_period)
    workbook = load_workbook(io.BytesIO(content))
    hostile_cells = [
        cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row if cell.value == INJECTION
    ]
    assert len(hostile_cells) >= 3  # the subject, the partner of the overdue request, the agreement's State
    assert all(cell.data_type == "s" for cell in hostile_cells)
    assert all(cell.quotePrefix for cell in hostile_cells)
    plus_cells = [c for s in workbook.worksheets for r in s.iter_rows() for c in r if str(c.value).startswith("+cmd")]
    assert plus_cells and all(cell.data_type == "s" for cell in plus_cells)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name), name

    rows = list(csv.reader(io.StringIO(render_csv(sensitive_period).decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert "'" + INJECTION in cells
    assert INJECTION not in cells
    assert "'+cmd|' /C calc'!A0" in cells


def test_confidential_and_sealed_material_appears_in_no_output(sensitive_period, facilitator, client):
    """Markers of a confidential request and of a sealed warrant (and its request) are in no file and no JSON."""
    outputs = {
        "xlsx": xlsx_text(render_xlsx(sensitive_period)),
        "csv": render_csv(sensitive_period).decode("utf-8-sig"),
        "pdf": "\n".join(pdf_text(render_pdf(sensitive_period))),
    }
    client.force_login(facilitator)
    response = client.get("/api/v1/reports/annual/", {"start": "2013-01-01", "end": "2013-12-31"})
    outputs["json"] = response.content.decode()
    for name, text in outputs.items():
        for marker in MARKERS:
            assert marker not in squeeze(text), (name, marker)
        # The search can fail: public items of the same kinds are there.
        assert "PUBLIC-REF-OK-1" in squeeze(text), name
        assert "PublicAtLargePerson" in squeeze(text), name
    assert sensitive_period["requests"]["transmitted"] == 3  # the confidential one counted, the sealed one not
    assert sensitive_period["warrants"]["outstanding_at_end"] == 1
