"""API-wide promises: token authentication, per-user throttling, a clean OpenAPI schema with local docs, and a
fixed number of queries for every list endpoint whatever its page size."""

import datetime

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from cooperation_portal.api.throttling import UserRateThrottle
from tests import factories
from warrants_app.models import ContactReport

pytestmark = pytest.mark.django_db


def test_token_authentication_works_and_a_bad_token_is_refused(registry_user):
    """National systems call the API with a token; a wrong token is a 401, not a silent anonymous call."""
    token = Token.objects.create(user=registry_user)
    client = APIClient()
    assert client.get("/api/v1/requests/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200
    assert client.get("/api/v1/requests/", HTTP_AUTHORIZATION="Token not-a-token").status_code == 401


def test_throttling_is_per_user(registry_user, facilitator, monkeypatch):
    """Past its rate a user gets 429 with Retry-After; another user is not held back by it."""
    cache.clear()
    monkeypatch.setitem(UserRateThrottle.THROTTLE_RATES, "user", "3/minute")
    busy, other = APIClient(), APIClient()
    busy.force_authenticate(registry_user)
    other.force_authenticate(facilitator)
    answers = [busy.get("/api/v1/partners/").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    assert busy.get("/api/v1/partners/").has_header("Retry-After")
    assert other.get("/api/v1/partners/").status_code == 200
    cache.clear()


def test_throttle_is_configured_for_every_view():
    """The default throttle applies to every API view unless one opts out (none does)."""
    assert UserRateThrottle in api_settings.DEFAULT_THROTTLE_CLASSES


def test_openapi_schema_generates_without_warnings(tmp_path):
    """`spectacular --validate --fail-on-warn` passes: the published schema is valid OpenAPI 3."""
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "openapi: 3" in (tmp_path / "schema.yaml").read_text()


def test_schema_and_docs_are_served_with_local_assets(client):
    """/api/schema/ serves the schema; /api/docs/ loads Swagger UI from the portal's static files, not a CDN."""
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs
    assert "cdn." not in docs and "unpkg" not in docs and "jsdelivr" not in docs
    assert "/static/drf_spectacular_sidecar/" in docs


def _make_rows(count: int) -> None:
    state_a = factories.PartnerFactory(code="NLD")
    state_b = factories.PartnerFactory(code="BEL")
    reporter = factories.FocalPointFactory(username="reporter", partner=state_a)
    for index in range(count):
        partner = state_a if index % 2 else state_b
        factories.CooperationRequestFactory(partner=partner)
        factories.VoluntaryAgreementFactory(partner=partner)
        warrant = factories.ArrestWarrantFactory()
        warrant.believed_in.add(partner)
        ContactReport.objects.create(
            warrant=warrant, partner=state_a, reported_by=reporter, contact_on=datetime.date(2025, 1, 1),
            description="Seen",
        )
    factories.OrganizationFactory.create_batch(count)


LIST_ENDPOINTS = [
    "/api/v1/partners/", "/api/v1/requests/", "/api/v1/agreements/", "/api/v1/warrants/",
    "/api/v1/contact-reports/",
]


@pytest.mark.parametrize("url", LIST_ENDPOINTS)
def test_every_list_endpoint_costs_the_same_queries_at_any_page_size(cleared_registry_user, url):
    """Each list endpoint issues the same number of queries for a page of 3 as for a page of 40."""
    _make_rows(40)
    counts = []
    for page_size in (3, 40):
        client = APIClient()
        # A fresh user object each time, so that its permission cache does not flatter the second call.
        client.force_authenticate(type(cleared_registry_user).objects.get(pk=cleared_registry_user.pk))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, {"page_size": page_size})
        assert response.status_code == 200
        assert len(response.json()["results"]) == page_size
        counts.append(len(queries))
    assert counts[0] == counts[1], f"{url}: {counts[0]} queries for 3 rows, {counts[1]} for 40"
    assert counts[1] <= 8, f"{url}: {counts[1]} queries"
