"""The cooperation request endpoints: scoping, writes through services, ETags, clear 4xx answers."""

import datetime

import pytest
from rest_framework.test import APIClient

from requests_app.choices import Confidentiality, EventKind, Status
from requests_app.models import CooperationRequest, RequestEvent
from tests import factories
from tests.clients import api_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/requests/"



def etag(client: APIClient, coop_request: CooperationRequest) -> str:
    response = client.get(f"{URL}{coop_request.pk}/")
    assert response.status_code == 200, response.content
    return response["ETag"]


def test_anonymous_gets_401_or_403():
    """Nothing is served without authentication."""
    assert APIClient().get(URL).status_code in (401, 403)


def test_focal_point_lists_only_their_partners_requests(focal_point_a, state_a, state_b):
    """A focal point's list holds their partner's transmitted requests only."""
    mine = factories.CooperationRequestFactory(partner=state_a)
    factories.CooperationRequestFactory(partner=state_b)
    factories.CooperationRequestFactory(partner=state_a, status=Status.DRAFT, transmitted_on=None, due_on=None)
    response = api_client(focal_point_a).get(URL)
    assert response.status_code == 200
    assert [row["reference"] for row in response.json()["results"]] == [mine.reference]


def test_another_partners_request_is_a_404_like_a_missing_one(focal_point_a, state_b):
    """Out of scope answers exactly as a missing id does, for reads and writes."""
    theirs = factories.CooperationRequestFactory(partner=state_b)
    client = api_client(focal_point_a)
    hidden = client.get(f"{URL}{theirs.pk}/")
    missing = client.get(f"{URL}999999/")
    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json()) == (404, hidden.json())
    write = client.post(f"{URL}{theirs.pk}/acknowledge/", {}, format="json", HTTP_IF_MATCH="*")
    assert write.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Status.TRANSMITTED


def test_facilitator_sees_no_request_items(facilitator, state_a):
    """Facilitators get aggregates elsewhere; the item endpoints refuse them."""
    factories.CooperationRequestFactory(partner=state_a, confidentiality=Confidentiality.PUBLIC)
    assert api_client(facilitator).get(URL).status_code == 403


def test_registry_creates_a_draft_and_transmits_it(registry_user, state_a):
    """Create → 201 with an ETag; transmit with If-Match → transmitted with a due date."""
    client = api_client(registry_user)
    response = client.post(
        URL,
        {
            "partner": state_a.code,
            "organ": "registry",
            "request_type": "art93_1_a",
            "subject": "Whereabouts of a fictional person",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["version"], response["ETag"]) == ("draft", 1, f'"{body["id"]}-1"')
    sent = client.post(f"{URL}{body['id']}/transmit/", {}, format="json", HTTP_IF_MATCH=response["ETag"])
    assert sent.status_code == 200, sent.content
    assert sent.json()["status"] == "transmitted"
    assert sent.json()["due_on"] is not None
    assert sent["ETag"] == f'"{body["id"]}-2"'


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"organ": "registry", "request_type": "art93_1_a", "subject": "x"}, "partner"),
        ({"partner": "ZZZ", "organ": "registry", "request_type": "art93_1_a", "subject": "x"}, "partner"),
        ({"partner": "NLD", "organ": "nobody", "request_type": "art93_1_a", "subject": "x"}, "organ"),
        ({"partner": "NLD", "organ": "registry", "request_type": "art200", "subject": "x"}, "request_type"),
        ({"partner": "NLD", "organ": "registry", "request_type": "art93_1_a", "subject": ""}, "subject"),
        ({"partner": "NLD", "organ": "registry", "request_type": "art93_1_a", "subject": "x" * 301}, "subject"),
    ],
)
def test_bad_input_gets_a_400_naming_the_field_and_writes_nothing(registry_user, state_a, payload, field):
    """Each malformed create names its field in a 400; no request is written."""
    response = api_client(registry_user).post(URL, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not CooperationRequest.objects.exists()


def test_due_date_before_transmission_is_a_400_from_the_model_rule(registry_user, state_a):
    """A rule of the model, raised by the service, comes back as a 400 naming the field."""
    draft = factories.CooperationRequestFactory(partner=state_a, status=Status.DRAFT, transmitted_on=None, due_on=None)
    client = api_client(registry_user)
    response = client.post(
        f"{URL}{draft.pk}/transmit/",
        {"on": "2026-01-10", "due_on": "2026-01-01"},
        format="json",
        HTTP_IF_MATCH=etag(client, draft),
    )
    assert response.status_code == 400
    assert "due_on" in response.json()
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_forbidden_transition_is_a_400_with_the_reason(registry_user, state_a):
    """Closing a request that has no outcome is refused by the transition table."""
    coop_request = factories.CooperationRequestFactory(partner=state_a)
    client = api_client(registry_user)
    response = client.post(
        f"{URL}{coop_request.pk}/close/", {}, format="json", HTTP_IF_MATCH=etag(client, coop_request)
    )
    assert response.status_code == 400
    assert "cannot become" in response.json()["non_field_errors"][0]


def test_update_without_if_match_is_428_and_with_a_stale_one_412(registry_user, state_a):
    """Changes need the ETag read: missing → 428, stale → 412, and nothing is overwritten."""
    coop_request = factories.CooperationRequestFactory(partner=state_a)
    client = api_client(registry_user)
    read = etag(client, coop_request)
    assert client.patch(f"{URL}{coop_request.pk}/", {"subject": "A"}, format="json").status_code == 428
    first = client.patch(f"{URL}{coop_request.pk}/", {"subject": "A"}, format="json", HTTP_IF_MATCH=read)
    assert first.status_code == 200, first.content
    second = client.patch(f"{URL}{coop_request.pk}/", {"subject": "B"}, format="json", HTTP_IF_MATCH=read)
    assert second.status_code == 412
    coop_request.refresh_from_db()
    assert (coop_request.subject, coop_request.version) == ("A", 2)


def test_partial_update_leaves_unsent_fields_alone(registry_user, state_a):
    """A PATCH of the subject does not reset urgency or confidentiality to their defaults."""
    coop_request = factories.CooperationRequestFactory(
        partner=state_a, urgent=True, confidentiality=Confidentiality.PUBLIC
    )
    client = api_client(registry_user)
    response = client.patch(
        f"{URL}{coop_request.pk}/", {"subject": "New"}, format="json", HTTP_IF_MATCH=etag(client, coop_request)
    )
    assert response.status_code == 200, response.content
    coop_request.refresh_from_db()
    assert (coop_request.subject, coop_request.urgent, coop_request.confidentiality) == ("New", True, "public")


def test_focal_point_acknowledges_and_reports_outcome_with_reasons(focal_point_a, state_a):
    """A focal point answers: acknowledge, then a partial outcome, which needs reasons."""
    coop_request = factories.CooperationRequestFactory(partner=state_a)
    client = api_client(focal_point_a)
    ack = client.post(
        f"{URL}{coop_request.pk}/acknowledge/", {}, format="json", HTTP_IF_MATCH=etag(client, coop_request)
    )
    assert ack.status_code == 200, ack.content
    no_reason = client.post(
        f"{URL}{coop_request.pk}/report-outcome/",
        {"outcome": "partially_executed"},
        format="json",
        HTTP_IF_MATCH=ack["ETag"],
    )
    assert no_reason.status_code == 400
    assert "note" in no_reason.json()
    done = client.post(
        f"{URL}{coop_request.pk}/report-outcome/",
        {"outcome": "partially_executed", "note": "Two of three records"},
        format="json",
        HTTP_IF_MATCH=ack["ETag"],
    )
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "partially_executed"
    event = RequestEvent.objects.filter(coop_request=coop_request, kind=EventKind.TRANSITION).last()
    assert (event.actor, event.note) == (focal_point_a, "Two of three records")


def test_focal_point_cannot_close(focal_point_a, state_a):
    """Closing is the Registry's; the role check answers 403 before anything is read."""
    coop_request = factories.CooperationRequestFactory(partner=state_a, status=Status.EXECUTED)
    response = api_client(focal_point_a).post(f"{URL}{coop_request.pk}/close/", {}, format="json", HTTP_IF_MATCH="*")
    assert response.status_code == 403


def test_consultations_pause_the_clock(focal_point_a, state_a):
    """A focal point asks for consultations under art. 97 with a ground; the clock stops."""
    coop_request = factories.CooperationRequestFactory(partner=state_a, transmitted_on=datetime.date(2026, 1, 5))
    client = api_client(focal_point_a)
    response = client.post(
        f"{URL}{coop_request.pk}/pause-clock/",
        {"reason": "consultation_art97", "ground": "prior_treaty"},
        format="json",
        HTTP_IF_MATCH=etag(client, coop_request),
    )
    assert response.status_code == 200, response.content
    assert response.json()["clock_paused_since"] is not None


def test_filters_combine(registry_user, state_a, state_b):
    """The shared FilterSet works through the API: by partner, status, and search."""
    wanted = factories.CooperationRequestFactory(partner=state_a, subject="Seizure of a fictional vessel")
    factories.CooperationRequestFactory(partner=state_b, subject="Seizure of a fictional vessel")
    factories.CooperationRequestFactory(partner=state_a, subject="Other", status=Status.ACKNOWLEDGED)
    response = api_client(registry_user).get(URL, {"partner": "NLD", "status": "transmitted", "q": "vessel"})
    assert [row["id"] for row in response.json()["results"]] == [wanted.pk]
    bad = api_client(registry_user).get(URL, {"status": "nonsense"})
    assert bad.status_code == 400
    assert "status" in bad.json()


@pytest.mark.parametrize("page_size", [5, 50])
def test_list_issues_a_fixed_number_of_queries(registry_user, django_assert_max_num_queries, page_size):
    """The list costs the same number of queries whatever the page size.

    Six: the atomic request's savepoint and its release, the user's two permission lookups (sealed clearance),
    one count and one page of rows with partner, situation and case joined.
    """
    for code in ("NLD", "BEL", "FRA"):
        factories.CooperationRequestFactory.create_batch(20, partner=factories.PartnerFactory(code=code))
    client = api_client(registry_user)
    with django_assert_max_num_queries(6):
        response = client.get(URL, {"page_size": page_size})
    assert len(response.json()["results"]) == page_size


@pytest.mark.parametrize("value", ["-7.567852430555318e+184", "99999999999999999999999", "1.5", "abc"])
def test_contact_report_warrant_filter_refuses_what_is_not_an_id(registry_user, value):
    """A warrant filter that is not a whole id in range is a 400 naming the filter, not an overflow (found by
    Schemathesis: a huge float crashed the count on SQLite)."""
    response = api_client(registry_user).get("/api/v1/contact-reports/", {"warrant": value})
    assert response.status_code == 400
    assert "warrant" in response.json()


def test_list_filters_narrow_the_list_but_not_a_detail_route(registry_user, state_a, focal_point_b):
    """`?status=closed` filters the list; on a detail route it is no filter (the request is answered as it is),
    and scoping still applies there: another State's focal point gets the same 404 with or without it."""
    coop_request = factories.CooperationRequestFactory(partner=state_a)
    client = api_client(registry_user)
    assert client.get(URL, {"status": "closed"}).json()["results"] == []
    response = client.get(f"{URL}{coop_request.pk}/", {"status": "closed", "ordering": "nonsense"})
    assert response.status_code == 200
    assert response.json()["reference"] == coop_request.reference
    for query in ({}, {"status": "transmitted"}):
        assert api_client(focal_point_b).get(f"{URL}{coop_request.pk}/", query).status_code == 404
