import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from cooperation_portal.accounts.choices import Role
from cooperation_portal.reports.choices import ExportStatus
from cooperation_portal.reports.models import ReportExport
from cooperation_portal.reports.tasks import generate_report_export
from tests import factories

D = datetime.date
LONG_PERIOD = {"start": "2010-01-01", "end": "2013-12-31", "format": "xlsx"}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def queued_export(client, facilitator, django_capture_on_commit_callbacks):
    """A facilitator asks for a four-year period: it is queued, not generated during the request."""
    factories.CooperationRequestFactory(transmitted_on=D(2012, 5, 1))
    factories.ArrestWarrantFactory(issued_on=D(2011, 1, 1))
    client.force_login(facilitator)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("reports:annual-download"), LONG_PERIOD)
    export = ReportExport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:export-status", args=[export.pk])
    assert len(callbacks) == 1  # the task is queued once the row is committed
    assert export.status == ExportStatus.QUEUED and export.progress == 0 and not export.file
    return export


def test_long_period_is_generated_by_the_task_with_progress_to_100(queued_export, client):
    """Running the task produces the file, marks the export done at 100 %, and the page offers the download."""
    progress_url = reverse("reports:export-progress", args=[queued_export.pk])
    polling = client.get(progress_url).content.decode()
    assert "hx-get" in polling and 'value="0"' in polling

    assert generate_report_export(queued_export.pk) == ExportStatus.DONE
    queued_export.refresh_from_db()
    assert queued_export.status == ExportStatus.DONE
    assert queued_export.progress == 100
    assert queued_export.finished_at is not None
    workbook = load_workbook(io.BytesIO(queued_export.file.read()))
    queued_export.file.close()
    assert "Requests" in workbook.sheetnames

    done = client.get(progress_url).content.decode()
    assert "hx-get" not in done  # polling stops
    assert reverse("reports:export-download", args=[queued_export.pk]) in done
    page = client.get(reverse("reports:export-status", args=[queued_export.pk]))
    assert page.status_code == 200


def test_running_the_task_twice_changes_nothing(queued_export):
    """A second delivery of the same task (acks_late) leaves the finished export and its file as they are."""
    generate_report_export(queued_export.pk)
    queued_export.refresh_from_db()
    first = (queued_export.file.name, queued_export.finished_at)
    generate_report_export(queued_export.pk)
    queued_export.refresh_from_db()
    assert (queued_export.file.name, queued_export.finished_at) == first


def test_download_only_for_the_requester_and_the_registry(queued_export, client, facilitator):
    """The requester and registry staff download the file; another facilitator gets 404, a focal point 403."""
    url = reverse("reports:export-download", args=[queued_export.pk])
    assert client.get(url).status_code == 404  # not generated yet
    generate_report_export(queued_export.pk)

    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content).startswith(b"PK")

    client.force_login(factories.RegistryFactory(username="registry-reader"))
    assert client.get(url).status_code == 200
    client.force_login(factories.FacilitatorFactory(username="other-facilitator"))
    assert client.get(url).status_code == 404
    client.force_login(factories.FocalPointFactory(username="fp", partner=factories.PartnerFactory(code="FRA")))
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


@pytest.mark.django_db
def test_a_failing_export_is_marked_failed_with_its_error():
    """An export that cannot be generated (a period the report refuses) ends failed, with the reason kept."""
    export = ReportExport.objects.create(
        requested_by=factories.FacilitatorFactory(), start=D(1990, 1, 1), end=D(2013, 12, 31), format="csv"
    )
    with pytest.raises(ValidationError):
        generate_report_export(export.pk)
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED
    assert "ValidationError" in export.error


@pytest.mark.django_db
def test_report_page_shows_figures_and_refuses_focal_points(client, facilitator, focal_point_a):
    """The facilitator's page shows the figures and the three download buttons; a focal point gets 403."""
    factories.CooperationRequestFactory(transmitted_on=D(2013, 5, 1))
    client.force_login(facilitator)
    page = client.get(reverse("reports:annual"), {"start": "2013-01-01", "end": "2013-12-31"})
    assert page.status_code == 200
    html = page.content.decode()
    for export_format in ("xlsx", "pdf", "csv"):
        assert f'data-testid="download-{export_format}"' in html
    assert client.get(reverse("reports:annual"), {"start": "2013-12-31", "end": "2013-01-01"}).status_code == 400
    client.force_login(focal_point_a)
    assert client.get(reverse("reports:annual")).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.REGISTRY, Role.ADMINISTRATOR])
def test_small_period_is_served_at_once(client, role):
    """A period under the background threshold comes back as the file itself, without an export row."""
    client.force_login(factories.UserFactory(role=role))
    response = client.post(reverse("reports:annual-download"), {"start": "2013-01-01", "end": "2013-12-31",
                                                               "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert not ReportExport.objects.exists()
