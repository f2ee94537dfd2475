"""Import of an existing request log from CSV or XLSX: preview with an error per row, then all rows or none.

Every page of requests_app.import_urls is in the expected-status table. A file with one bad row writes nothing;
a valid file creates every request through the services, with the lifecycle dates it had; cells that look like
formulas are kept as plain text.
"""

import csv
import datetime
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from requests_app import import_views, importing
from requests_app.choices import EventKind, Status
from requests_app.import_urls import urlpatterns
from requests_app.models import CooperationRequest, RequestEvent
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "registry", "registry_cleared", "focal_a", "focal_b", "facilitator")
LOGIN = 302
REGISTRY_ONLY = {"anonymous": LOGIN, "registry": 200, "registry_cleared": 200, "focal_a": 403, "focal_b": 403,
                 "facilitator": 403}
EXPECTED = {
    "upload": REGISTRY_ONLY,
    "template": REGISTRY_ONLY,
    # POST only: a GET by anyone allowed in is a 405.
    "confirm": {**REGISTRY_ONLY, "registry": 405, "registry_cleared": 405},
}
HEADER = ["reference", "organ", "request_type", "partner", "subject", "description", "confidentiality", "urgent",
          "transmitted_on", "due_on", "status", "acknowledged_on", "outcome", "outcome_on", "closed_on"]
VALID_ROWS = [
    ["LOG-2019-001", "registry", "art93_1_b", "NLD", "Bank records", "", "confidential", "no",
     "2019-02-01", "2019-04-01", "transmitted", "", "", "", ""],
    ["LOG-2019-002", "otp", "Arrest and surrender (art. 89)", "bel", "Arrest of a suspect", "", "public", "yes",
     "2019-03-01", "", "acknowledged", "2019-03-05", "", "", ""],
    ["LOG-2019-003", "Registry", "art93_1_d", "NLD", "Service of a summons", "", "", "",
     "2019-01-10", "2019-02-10", "closed", "", "partially_executed", "2019-02-01", "2019-02-20"],
    ["LOG-2019-004", "registry", "visa", "BEL", "Visa for a witness", "", "confidential", "no",
     "", "", "draft", "", "", "", ""],
    ["LOG-2019-005", "registry", "art93_1_a", "NLD", "Whereabouts", "", "confidential", "no",
     "2019-05-01", "2019-06-30", "withdrawn", "", "", "", "2019-05-20"],
]


@pytest.fixture
def users(registry_user, cleared_registry_user, focal_point_a, focal_point_b, facilitator) -> dict[str, object]:
    return {"anonymous": None, "registry": registry_user, "registry_cleared": cleared_registry_user,
            "focal_a": focal_point_a, "focal_b": focal_point_b, "facilitator": facilitator}


@pytest.fixture(autouse=True)
def private_import_dir(monkeypatch, tmp_path) -> Path:
    """Pending files go to a directory of this test's own, so tests never see each other's files."""
    directory = tmp_path / "imports"
    directory.mkdir(mode=0o700)
    monkeypatch.setattr(import_views, "import_dir", lambda: directory)
    return directory


def client_as(users: dict[str, object], role: str) -> Client:
    client = Client()
    if users[role] is not None:
        client.force_login(users[role])  # type: ignore[arg-type]
    return client


def csv_file(rows: list[list[str]], header: list[str] = HEADER, name: str = "log.csv") -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode("utf-8"), content_type="text/csv")


def xlsx_file(rows: list[list[object]], header: list[str] = HEADER) -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                # openpyxl would store it as a formula; a user's text cell that starts with "=" is a string.
                cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("log.xlsx", buffer.getvalue(), content_type="application/octet-stream")


def upload_and_confirm(client: Client, upload: SimpleUploadedFile):
    preview = client.post(reverse("requests_import:upload"), {"file": upload})
    assert preview.status_code == 200, preview.content.decode()[:3000]
    token = preview.context["confirm_form"].initial["token"]
    return preview, client.post(reverse("requests_import:confirm"), {"token": token})


def test_every_page_has_a_row_in_the_table():
    """A page added to requests_app.import_urls without an expected-status row fails here."""
    assert {pattern.name for pattern in urlpatterns} == set(EXPECTED)


def test_import_is_mounted_before_the_requests_pages():
    """/requests/import/ reaches the import, not the requests app's own patterns."""
    assert reverse("requests_import:upload") == "/requests/import/"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_page_status_by_role(name, role, users):
    """Only registry staff use the import; anonymous users are sent to the login page."""
    response = client_as(users, role).get(reverse(f"requests_import:{name}"))
    assert response.status_code == EXPECTED[name][role], (name, role)
    if response.status_code == LOGIN:
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ["focal_a", "facilitator"])
def test_other_roles_cannot_upload(role, users, state_a, state_b):
    """A focal point or facilitator posting a valid file gets 403 and nothing is written."""
    response = client_as(users, role).post(reverse("requests_import:upload"), {"file": csv_file(VALID_ROWS)})
    assert response.status_code == 403
    assert not CooperationRequest.objects.exists()


def test_valid_csv_imports_every_row_with_its_lifecycle(users, state_a, state_b, private_import_dir):
    """Five rows: each becomes a request, moved along its lifecycle with the file's dates, through the services."""
    client = client_as(users, "registry")
    preview = client.post(reverse("requests_import:upload"), {"file": csv_file(VALID_ROWS)})
    assert 'data-testid="import-valid"' in preview.content.decode()
    assert CooperationRequest.objects.count() == 0, "the preview wrote something"
    assert len(list(private_import_dir.iterdir())) == 1
    confirm = client.post(reverse("requests_import:confirm"),
                          {"token": preview.context["confirm_form"].initial["token"]})
    assert confirm.status_code == 302 and confirm["Location"] == reverse("requests:list")
    assert CooperationRequest.objects.count() == 5
    sent = CooperationRequest.objects.get(reference="LOG-2019-001")
    assert (sent.status, sent.transmitted_on, sent.due_on) == (
        Status.TRANSMITTED, datetime.date(2019, 2, 1), datetime.date(2019, 4, 1))
    assert sent.partner == state_a and sent.created_by == users["registry"]
    acknowledged = CooperationRequest.objects.get(reference="LOG-2019-002")
    assert (acknowledged.status, acknowledged.partner, acknowledged.urgent) == (Status.ACKNOWLEDGED, state_b, True)
    assert acknowledged.acknowledged_on == datetime.date(2019, 3, 5)
    # No due date given: the type's default, counted from the transmission date (30 days, urgent → 10).
    assert acknowledged.due_on == datetime.date(2019, 3, 11)
    closed = CooperationRequest.objects.get(reference="LOG-2019-003")
    assert (closed.status, closed.outcome_on, closed.closed_on) == (
        Status.CLOSED, datetime.date(2019, 2, 1), datetime.date(2019, 2, 20))
    assert list(closed.events.filter(kind=EventKind.TRANSITION).order_by("id").values_list("to_status", flat=True)) \
        == [Status.TRANSMITTED, Status.PARTIALLY_EXECUTED, Status.CLOSED]
    assert CooperationRequest.objects.get(reference="LOG-2019-004").status == Status.DRAFT
    withdrawn = CooperationRequest.objects.get(reference="LOG-2019-005")
    assert (withdrawn.status, withdrawn.closed_on) == (Status.WITHDRAWN, datetime.date(2019, 5, 20))
    assert not list(private_import_dir.iterdir()), "the pending file was not deleted"


def test_valid_xlsx_imports_every_row(users, state_a, state_b):
    """The same log as an Excel workbook, with real date cells, imports every row."""
    rows: list[list[object]] = [list(row) for row in VALID_ROWS]
    rows[0][8] = datetime.datetime(2019, 2, 1)
    rows[0][9] = datetime.date(2019, 4, 1)
    rows[1][7] = True
    _preview, confirm = upload_and_confirm(client_as(users, "registry"), xlsx_file(rows))
    assert confirm.status_code == 302
    assert CooperationRequest.objects.count() == 5
    sent = CooperationRequest.objects.get(reference="LOG-2019-001")
    assert (sent.transmitted_on, sent.due_on) == (datetime.date(2019, 2, 1), datetime.date(2019, 4, 1))
    assert CooperationRequest.objects.get(reference="LOG-2019-002").urgent


@pytest.mark.parametrize("make_file", [csv_file, xlsx_file], ids=["csv", "xlsx"])
def test_one_bad_row_of_each_kind_writes_nothing(make_file, users, state_a, state_b, private_import_dir):
    """Unknown partner code, due date before transmission, unknown status: each reported with its row number,
    column and message; no request, no event, no pending file."""
    rows = [list(row) for row in VALID_ROWS]
    rows[1][3] = "XYZ"  # row 3
    rows[2][9] = "2019-01-01"  # row 4: due before its transmission on 2019-01-10
    rows[4][10] = "lost in the post"  # row 6
    before = (CooperationRequest.objects.count(), RequestEvent.objects.count())
    response = client_as(users, "registry").post(reverse("requests_import:upload"), {"file": make_file(rows)})
    assert response.status_code == 400
    errors = {(error.row, error.column) for error in response.context["preview"].errors}
    assert errors == {(3, "partner"), (4, "due_on"), (6, "status")}
    text = response.content.decode()
    assert "Row 3" in text and "No partner has the code “XYZ”." in text
    assert "is before the transmission date" in text
    assert "Unknown status “lost in the post”." in text
    assert 'data-testid="confirm-form"' not in text
    assert (CooperationRequest.objects.count(), RequestEvent.objects.count()) == before
    assert not list(private_import_dir.iterdir())


def test_a_confirm_after_the_data_changed_writes_nothing(users, state_a, state_b):
    """A reference taken between preview and confirmation: the file is checked again, and nothing is written."""
    client = client_as(users, "registry")
    preview = client.post(reverse("requests_import:upload"), {"file": csv_file(VALID_ROWS)})
    token = preview.context["confirm_form"].initial["token"]
    factories.CooperationRequestFactory(reference="LOG-2019-004", partner=state_a)
    response = client.post(reverse("requests_import:confirm"), {"token": token})
    assert response.status_code == 409
    assert "A request with this reference already exists." in response.content.decode()
    assert CooperationRequest.objects.count() == 1


def test_a_service_refusal_mid_import_rolls_back_every_row(users, state_a, state_b, monkeypatch):
    """If a service refuses row 4 while rows 2 and 3 were already written, those are rolled back too."""
    from django.core.exceptions import ValidationError

    from requests_app import services

    real_create = services.request_create

    def refuse_fourth(**kwargs):
        if kwargs["reference"] == "LOG-2019-003":
            raise ValidationError("Refused for the test.")
        return real_create(**kwargs)

    client = client_as(users, "registry")
    preview = client.post(reverse("requests_import:upload"), {"file": csv_file(VALID_ROWS)})
    monkeypatch.setattr(services, "request_create", refuse_fourth)
    response = client.post(reverse("requests_import:confirm"),
                           {"token": preview.context["confirm_form"].initial["token"]})
    assert response.status_code == 409
    assert "Refused for the test." in response.content.decode()
    assert not CooperationRequest.objects.exists()
    assert not RequestEvent.objects.exists()


def test_a_token_from_another_session_imports_nothing(users, state_a, state_b, cleared_registry_user):
    """The confirmation's token only works in the session that made the preview."""
    preview = client_as(users, "registry").post(reverse("requests_import:upload"), {"file": csv_file(VALID_ROWS)})
    token = preview.context["confirm_form"].initial["token"]
    response = client_as(users, "registry_cleared").post(reverse("requests_import:confirm"), {"token": token})
    assert response.status_code == 302 and response["Location"] == reverse("requests_import:upload")
    assert not CooperationRequest.objects.exists()


def test_confirming_twice_imports_once(users, state_a, state_b):
    """A second click on Import finds the pending file gone and writes nothing more."""
    client = client_as(users, "registry")
    preview, first = upload_and_confirm(client, csv_file(VALID_ROWS))
    second = client.post(reverse("requests_import:confirm"),
                         {"token": preview.context["confirm_form"].initial["token"]})
    assert first.status_code == second.status_code == 302
    assert second["Location"] == reverse("requests_import:upload")
    assert CooperationRequest.objects.count() == 5


@pytest.mark.parametrize("make_file", [csv_file, xlsx_file], ids=["csv", "xlsx"])
def test_formula_looking_cells_are_kept_as_text(make_file, users, state_a):
    """A subject or description that looks like a formula is stored exactly as written, never evaluated."""
    formula = '=HYPERLINK("http://evil.example","click")'
    row = ["LOG-F-1", "registry", "art93_1_b", "NLD", formula, "@SUM(1+1)", "", "", "", "", "draft",
           "", "", "", ""]
    preview, confirm = upload_and_confirm(client_as(users, "registry"), make_file([row]))
    assert "=HYPERLINK(&quot;http://evil.example&quot;,&quot;click&quot;)" in preview.content.decode()
    assert confirm.status_code == 302
    imported = CooperationRequest.objects.get(reference="LOG-F-1")
    assert (imported.subject, imported.description) == (formula, "@SUM(1+1)")


def test_missing_and_unknown_columns_are_reported_as_a_file_error(users, state_a):
    """A header without a required column, or with a column the import does not know, is refused as a whole."""
    header = [column for column in HEADER if column != "status"] + ["colour"]
    rows = [row[:10] + row[11:] + ["red"] for row in VALID_ROWS]
    response = client_as(users, "registry").post(reverse("requests_import:upload"),
                                                 {"file": csv_file(rows, header=header)})
    assert response.status_code == 400
    text = response.content.decode()
    assert "Unknown columns: colour." in text and "Missing columns: status." in text
    assert not CooperationRequest.objects.exists()


def test_semicolon_separated_csv_with_a_bom_is_read(users, state_a, state_b):
    """Excel's "CSV UTF-8" in a French locale: a byte-order mark and semicolons."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(HEADER)
    writer.writerows(VALID_ROWS)
    upload = SimpleUploadedFile("log.csv", b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))
    _preview, confirm = upload_and_confirm(client_as(users, "registry"), upload)
    assert confirm.status_code == 302
    assert CooperationRequest.objects.count() == 5


@pytest.mark.parametrize(("name", "content", "message"), [
    ("log.csv", "reference,organ\n".encode("utf-16"), "not UTF-8"),
    ("log.xlsx", b"not a workbook at all", "not an Excel workbook"),
    ("log.xlsx", b"PK\x03\x04 broken zip", "not a readable Excel workbook"),
    ("log.csv", b"", "empty"),
])
def test_unreadable_files_are_refused(name, content, message, users):
    """Files that are not UTF-8 CSV or a real workbook are refused with a message; nothing is written."""
    response = client_as(users, "registry").post(reverse("requests_import:upload"),
                                                 {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_row_and_size_limits(users, state_a, monkeypatch):
    """A file with more rows than the limit, or larger than the size limit, is refused before any check."""
    monkeypatch.setattr(importing, "MAX_ROWS", 3)
    client = client_as(users, "registry")
    response = client.post(reverse("requests_import:upload"), {"file": csv_file(VALID_ROWS)})
    assert response.status_code == 400
    assert "more than 3 rows" in response.content.decode()
    monkeypatch.setattr(importing, "MAX_FILE_BYTES", 100)
    response = client.post(reverse("requests_import:upload"), {"file": csv_file(VALID_ROWS)})
    assert response.status_code == 400
    assert "larger than" in response.content.decode()


def test_rules_across_a_rows_columns(users, state_a):
    """Each broken rule names its row and column: a future date, a draft with a transmission date, a closed
    request without outcome, a duplicate reference, an acknowledgement before transmission."""
    future = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    rows = [
        ["R-1", "registry", "art93_1_b", "NLD", "S", "", "", "", future, "", "transmitted", "", "", "", ""],
        ["R-2", "registry", "art93_1_b", "NLD", "S", "", "", "", "2019-01-01", "", "draft", "", "", "", ""],
        ["R-3", "registry", "art93_1_b", "NLD", "S", "", "", "", "2019-01-01", "", "closed", "", "", "2019-02-01",
         "2019-03-01"],
        ["R-3", "registry", "art93_1_b", "NLD", "S", "", "", "maybe", "2019-01-01", "", "acknowledged",
         "2018-12-01", "", "", ""],
    ]
    response = client_as(users, "registry").post(reverse("requests_import:upload"), {"file": csv_file(rows)})
    assert response.status_code == 400
    errors = {(error.row, error.column) for error in response.context["preview"].errors}
    assert errors == {(2, "transmitted_on"), (3, "transmitted_on"), (4, "outcome"), (5, "reference"),
                      (5, "urgent"), (5, "acknowledged_on")}
    assert not CooperationRequest.objects.exists()


def test_template_lists_the_columns(users):
    """The downloadable template's header is the import's column list."""
    response = client_as(users, "registry").get(reverse("requests_import:template"))
    assert response.content.decode().strip().split(",") == list(importing.TEMPLATE_COLUMNS)
