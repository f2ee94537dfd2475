"""The request list at scale: its count stops at a limit (a lower bound past it, said so by `count_exact`), pages
past the limit still work, and no DISTINCT reaches the database."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cooperation_portal.api import pagination
from requests_app.choices import Status
from tests import factories
from tests.clients import api_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/requests/"


@pytest.fixture
def eight_requests(state_a, monkeypatch):
    """Eight transmitted requests, with a count limit of five."""
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 5)
    return factories.CooperationRequestFactory.create_batch(8, partner=state_a, status=Status.TRANSMITTED)



def test_count_is_exact_under_the_limit(registry_user, state_a, monkeypatch):
    """Fewer rows than the limit: the exact count, and `count_exact` says so."""
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 5)
    factories.CooperationRequestFactory.create_batch(4, partner=state_a)
    body = api_client(registry_user).get(URL).json()
    assert (body["count"], body["count_exact"], len(body["results"])) == (4, True, 4)


def test_count_past_the_limit_is_a_lower_bound_and_the_next_page_is_linked(registry_user, eight_requests):
    """Past the limit the count stops at limit + 1 rows and says it is not exact; the next page is still known."""
    body = api_client(registry_user).get(URL, {"page_size": 2}).json()
    assert (body["count"], body["count_exact"]) == (6, False)
    assert body["next"] is not None


def test_a_page_past_the_limit_is_served_and_counted_to_its_end(registry_user, eight_requests):
    """A page beyond the limit: its rows, and a count that reaches at least its end (here, exactly the total)."""
    body = api_client(registry_user).get(URL, {"page_size": 2, "page": 4}).json()
    assert len(body["results"]) == 2
    assert (body["count"], body["count_exact"], body["next"]) == (8, True, None)


def test_last_page_counts_exactly(registry_user, eight_requests):
    """`page=last` needs the total, so it counts every row."""
    body = api_client(registry_user).get(URL, {"page_size": 3, "page": "last"}).json()
    assert (body["count"], body["count_exact"], len(body["results"])) == (8, True, 2)


def test_filtered_list_sends_no_distinct(registry_user, eight_requests, django_assert_max_num_queries):
    """Multiple-choice filters would ask for DISTINCT; none crosses a to-many relation, so none is sent. Seven
    queries: the plain list's six and the lookup of the partner codes asked for."""
    params = {"status": [Status.TRANSMITTED, Status.ACKNOWLEDGED], "partner": "NLD", "regional_group": "WEOG"}
    with django_assert_max_num_queries(7) as queries:
        response = api_client(registry_user).get(URL, params)
    assert response.status_code == 200
    assert len(response.json()["results"]) == 8
    assert not [query["sql"] for query in queries.captured_queries if "DISTINCT" in query["sql"].upper()]


def _count_statement(queries) -> str:
    """The count's SQL: its own statement (page=last, an empty page), or the subquery that the page's carries."""
    counts = [query["sql"] for query in queries.captured_queries if "SELECT COUNT(*)" in query["sql"]]
    assert len(counts) == 1, counts
    if counts[0].startswith("SELECT COUNT(*)"):
        return counts[0]
    return counts[0].split("(SELECT COUNT(*) FROM (", 1)[1].split(") AS counted_rows)", 1)[0]


def test_a_page_and_its_count_are_one_statement(registry_user, eight_requests):
    """A page reads its rows and its count (up to the limit) in one statement; a page past the end, and a list with
    no rows, are counted on their own first, and answered as before."""
    client = api_client(registry_user)
    with CaptureQueriesContext(connection) as queries:
        body = client.get(URL, {"page_size": 2, "page": 2}).json()
    assert (body["count"], body["count_exact"], len(body["results"])) == (6, False, 2)
    assert body["results"][0]["partner"]["code"] == "NLD"
    table = "requests_app_cooperationrequest"
    [statement] = [query["sql"] for query in queries.captured_queries if table in query["sql"]]
    assert "(SELECT COUNT(*) FROM (" in statement and "LIMIT 6" in statement

    response = client.get(URL, {"page_size": 2, "page": 9})
    assert (response.status_code, response.json()["detail"]) == (404, "Invalid page.")
    with CaptureQueriesContext(connection) as queries:
        body = client.get(URL, {"status": Status.CLOSED}).json()
    assert (body["count"], body["count_exact"], body["results"], body["next"]) == (0, True, [], None)
    # The page with its count, then the count alone (Django's slice of an empty page sends no query).
    assert len([query for query in queries.captured_queries if table in query["sql"]]) == 2
    body = client.get(URL, {"page_size": 3, "page": 3}).json()
    assert (body["count"], body["count_exact"], len(body["results"]), body["next"]) == (8, True, 2, None)


def test_the_count_joins_only_what_the_filters_need(registry_user, eight_requests):
    """The page reads the partner's, situation's and case's columns; the count of the same rows joins none of them
    (PostgreSQL can then count from an index alone), except the partner when a filter is on the partner's fields."""
    client = api_client(registry_user)
    with CaptureQueriesContext(connection) as queries:
        body = client.get(URL, {"page_size": 2}).json()
    assert (body["count"], body["count_exact"], len(body["results"])) == (6, False, 2)
    assert body["results"][0]["partner"]["code"] == "NLD"
    assert " JOIN " not in _count_statement(queries)

    with CaptureQueriesContext(connection) as queries:
        body = client.get(URL, {"page_size": 2, "regional_group": "WEOG"}).json()
    assert (body["count"], body["count_exact"]) == (6, False)
    count = _count_statement(queries)
    assert "partners_partner" in count
    assert "situations_situation" not in count and "situations_case" not in count

    with CaptureQueriesContext(connection) as queries:
        body = client.get(URL, {"page_size": 3, "page": "last"}).json()
    assert (body["count"], body["count_exact"], len(body["results"])) == (8, True, 2)
    assert " JOIN " not in _count_statement(queries)
