"""Which API calls run in a transaction (cooperation_portal/api/viewsets.py WritesInTransaction): writes, whole or not
at all; reads none, on a connection in autocommit as in production. Transactional tests: inside the transaction
every other test runs in, a read takes a savepoint instead, so the difference shows only here."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.clients import api_client

pytestmark = pytest.mark.django_db(transaction=True)

TRANSACTION_STATEMENTS = {"BEGIN", "COMMIT", "ROLLBACK"}


def transaction_statements(captured: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in captured.captured_queries if query["sql"] in TRANSACTION_STATEMENTS]


@pytest.mark.parametrize(
    "path", ["/api/v1/requests/", "/api/v1/requests/{pk}/", "/api/v1/dashboard/summary/", "/api/v1/partners/"]
)
def test_a_read_runs_outside_a_transaction(registry_user, state_a, path):
    coop_request = factories.CooperationRequestFactory(partner=state_a)
    with CaptureQueriesContext(connection) as captured:
        response = api_client(registry_user).get(path.format(pk=coop_request.pk))
    assert response.status_code == 200
    assert transaction_statements(captured) == []


def test_a_write_commits_in_one_transaction(registry_user, state_a):
    payload = {"partner": state_a.code, "organ": "registry", "request_type": "art93_1_a", "subject": "Records"}
    with CaptureQueriesContext(connection) as captured:
        response = api_client(registry_user).post("/api/v1/requests/", payload, format="json")
    assert response.status_code == 201, response.content
    assert transaction_statements(captured) == ["BEGIN", "COMMIT"]


def test_a_refused_write_is_rolled_back(registry_user, state_a):
    """A write refused by a model rule the service raises: the 400 comes with the rollback of its transaction, and
    the draft is as it was."""
    draft = factories.CooperationRequestFactory(partner=state_a, status="draft", transmitted_on=None, due_on=None)
    client = api_client(registry_user)
    etag = client.get(f"/api/v1/requests/{draft.pk}/")["ETag"]
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            f"/api/v1/requests/{draft.pk}/transmit/", {"on": "2026-01-10", "due_on": "2026-01-01"}, format="json",
            HTTP_IF_MATCH=etag,
        )
    assert response.status_code == 400
    assert transaction_statements(captured) == ["BEGIN", "ROLLBACK"]
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert draft.transmitted_on is None


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/dashboard/summary/?start=2026-13-40", "start"),
        ("/api/v1/requests/?status=nonsense", "status"),
        ("/api/v1/reports/annual/?start=2026-12-31&end=2026-01-01", "end"),
    ],
)
def test_a_bad_read_outside_a_transaction_is_a_400_and_the_next_call_is_served(registry_user, path, field):
    """Outside a transaction DRF has nothing to roll back when it answers an error: the 400 names the parameter, and
    the connection serves the next call as before."""
    client = api_client(registry_user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 400
    assert field in response.json()
    assert transaction_statements(captured) == []
    assert client.get("/api/v1/dashboard/summary/").status_code == 200
