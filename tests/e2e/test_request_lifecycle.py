"""End to end in a real Chromium: a request from logging to closing, and State B sees none of it.

Staff log in and create and transmit a request to State A; A's focal point logs in, acknowledges it and replies
with a PDF; staff see the reply, record the outcome and close the request; B's focal point logs in and finds
nothing: not in the inbox, and a 404 on the request's and the attachment's addresses.
"""

import re

import pytest
from django.core import mail

from cooperation_portal.notifications.services import notifications_send
from requests_app.choices import EventKind, Status
from requests_app.models import Attachment, CooperationRequest
from tests import factories
from tests.e2e.login import log_in

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
SUBJECT = "E2E whereabouts of a fictional witness"

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def open_action(page, label: str) -> None:
    page.get_by_test_id("actions").get_by_role("link", name=label).click()
    page.wait_for_selector("form[data-testid]")


def test_request_lifecycle_in_the_browser(new_page, registry_user, focal_point_a, focal_point_b, state_a, state_b):
    """The whole story of one request through the pages, each role in its own browser session."""
    # Registry staff: create a draft and transmit it to State A.
    staff = new_page()
    log_in(staff, registry_user.username)
    staff.goto("/requests/new/")
    staff.get_by_label("Partner").select_option(label=state_a.name)
    staff.get_by_label("Requesting organ").select_option(value="otp")
    staff.get_by_label("Type / legal basis").select_option(value="art93_1_a")
    staff.get_by_label("Subject").fill(SUBJECT)
    staff.get_by_role("button", name="Save").click()
    staff.wait_for_url(re.compile(r"/requests/\d+/$"))
    detail_path = staff.url.removeprefix(staff.url.split("/requests/")[0])
    coop_request = CooperationRequest.objects.get(subject=SUBJECT)
    assert staff.get_by_test_id("status").inner_text() == "Draft"

    open_action(staff, "Transmit")
    proposed_due = staff.get_by_label("Response due on").input_value()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", proposed_due)
    staff.locator("form[data-testid=action-form]").get_by_role("button", name="Transmit").click()
    staff.wait_for_url(re.compile(r"/requests/\d+/$"))
    assert staff.get_by_test_id("status").inner_text() == "Transmitted"
    assert staff.get_by_test_id("due-on").inner_text() == proposed_due
    notifications_send()  # what the Celery task queued on commit does
    assert [m.to for m in mail.outbox] == [[focal_point_a.email]]

    # State A's focal point: finds it in the inbox, acknowledges, replies with a PDF.
    focal_a = new_page()
    log_in(focal_a, focal_point_a.username)
    focal_a.goto("/requests/")
    focal_a.get_by_role("link", name=coop_request.reference).click()
    focal_a.wait_for_url(re.compile(r"/requests/\d+/$"))
    open_action(focal_a, "Acknowledge receipt")
    focal_a.locator("form[data-testid=action-form]").get_by_role("button", name="Acknowledge receipt").click()
    focal_a.wait_for_url(re.compile(r"/requests/\d+/$"))
    assert focal_a.get_by_test_id("status").inner_text() == "Acknowledged"

    open_action(focal_a, "Reply with documents")
    focal_a.get_by_label("Message").fill("The witness lives in The Hague; our report is attached.")
    focal_a.get_by_label("Attachments").set_input_files(
        files=[{"name": "report-state-a.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    focal_a.get_by_role("button", name="Send").click()
    focal_a.wait_for_url(re.compile(r"/requests/\d+/$"))
    assert focal_a.get_by_test_id("attachment").inner_text() == "report-state-a.pdf"

    # Registry staff: the reply is on the detail page at once; record the outcome and close.
    staff.goto(detail_path)
    assert "our report is attached" in staff.get_by_test_id("timeline").inner_text()
    with staff.expect_download() as download_info:
        staff.get_by_test_id("attachment").click()
    download = download_info.value
    assert download.suggested_filename == "report-state-a.pdf"
    with open(download.path(), "rb") as handle:
        assert handle.read() == PDF
    open_action(staff, "Report the outcome")
    staff.get_by_label("Executed", exact=True).check()
    staff.locator("form[data-testid=action-form]").get_by_role("button", name="Report the outcome").click()
    staff.wait_for_url(re.compile(r"/requests/\d+/$"))
    open_action(staff, "Close")
    staff.locator("form[data-testid=action-form]").get_by_role("button", name="Close").click()
    staff.wait_for_url(re.compile(r"/requests/\d+/$"))
    assert staff.get_by_test_id("status").inner_text() == "Closed"

    coop_request.refresh_from_db()
    assert coop_request.status == Status.CLOSED
    kinds = list(coop_request.events.values_list("kind", flat=True))
    assert kinds.count(EventKind.MESSAGE) == 1
    attachment = Attachment.objects.get(coop_request=coop_request)

    # State B's focal point: nothing of it anywhere.
    focal_b = new_page()
    log_in(focal_b, focal_point_b.username)
    own = factories.CooperationRequestFactory(partner=state_b, subject="B's own request")
    focal_b.goto("/requests/")
    inbox = focal_b.get_by_test_id("request-table").inner_text()
    assert own.reference in inbox
    assert coop_request.reference not in inbox
    assert SUBJECT not in focal_b.content()
    response = focal_b.goto(detail_path)
    assert response is not None and response.status == 404
    assert SUBJECT not in focal_b.content()
    response = focal_b.goto(f"{detail_path}attachments/{attachment.pk}/")
    assert response is not None and response.status == 404
    response = focal_b.goto(f"/requests/?q={coop_request.reference}")
    assert response is not None and response.status == 200
    assert coop_request.reference not in focal_b.get_by_test_id("request-table").inner_text()


def test_keyboard_reaches_the_skip_link_and_focus_is_visible(new_page, registry_user):
    """The first Tab lands on the skip link, which is then visible with a focus ring."""
    page = new_page()
    log_in(page, registry_user.username)
    page.goto("/requests/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#main"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
