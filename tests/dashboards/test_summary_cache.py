"""The dashboard summary's cache of request figures: a change shows at once, scopes never share an entry, and a
repeated call is cheaper than the first."""

import datetime
import uuid

import pytest
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agreements_app.services import agreement_update
from cooperation_portal.cache import delete_if_held
from cooperation_portal.dashboards.services import cached_summary, recount_lock_key
from cooperation_portal.dates import court_today
from requests_app import overdue
from requests_app.choices import Confidentiality, RequestType, Status
from requests_app.models import CooperationRequest
from tests import factories
from tests.clients import api_client
from warrants_app.services import warrant_update

pytestmark = pytest.mark.django_db

URL = "/api/v1/dashboard/summary/"


@pytest.fixture
def requests_to_a_and_b(state_a, state_b):
    """Two requests to A (one overdue for a month), one to B, one under seal to B, all sent 40 days ago."""
    sent = court_today() - datetime.timedelta(days=40)
    factories.CooperationRequestFactory(partner=state_a, transmitted_on=sent)
    factories.CooperationRequestFactory(partner=state_a, transmitted_on=sent, due_on=sent + datetime.timedelta(days=5))
    factories.CooperationRequestFactory(partner=state_b, transmitted_on=sent)
    factories.CooperationRequestFactory(
        partner=state_b, transmitted_on=sent, confidentiality=Confidentiality.UNDER_SEAL
    )
    return sent


def test_a_new_request_shows_on_the_next_call(registry_user, state_a, requests_to_a_and_b):
    """A request written after a first call is counted by the second: the cache key moves with the data."""
    client = api_client(registry_user)
    assert client.get(URL).json()["requests"]["transmitted"] == 3
    factories.CooperationRequestFactory(partner=state_a, transmitted_on=requests_to_a_and_b)
    assert client.get(URL).json()["requests"]["transmitted"] == 4


def test_the_overdue_sweep_shows_on_the_next_call(registry_user, requests_to_a_and_b):
    """The sweep writes escalation levels without touching `updated_at`; its steps still move the cache key."""
    client = api_client(registry_user)
    assert client.get(URL).json()["overdue"]["by_escalation_level"] == {}
    result = overdue.sweep(on=court_today())
    assert result.total_escalated == 1
    assert sum(client.get(URL).json()["overdue"]["by_escalation_level"].values()) == 1


def test_scopes_never_share_an_entry(
    registry_user, cleared_registry_user, focal_point_a, focal_point_b, facilitator, requests_to_a_and_b
):
    """Each scope gets its own figures, called one after the other on unchanged data: the sealed request counts for
    cleared registry staff and for B's own focal point only."""
    seen = {
        name: api_client(user).get(URL).json()
        for name, user in [
            ("registry", registry_user),
            ("cleared", cleared_registry_user),
            ("a", focal_point_a),
            ("b", focal_point_b),
            ("facilitator", facilitator),
        ]
    }
    assert {name: body["requests"]["transmitted"] for name, body in seen.items()} == {
        "registry": 3,
        "cleared": 4,
        "a": 2,
        "b": 2,
        "facilitator": 3,
    }
    assert [row["code"] for row in seen["a"]["requests"]["by_partner"]] == ["NLD"]
    assert [row["code"] for row in seen["b"]["requests"]["by_partner"]] == ["BEL"]
    assert "by_partner" not in seen["facilitator"]["requests"]


def test_a_repeated_call_reads_the_figures_from_the_cache(
    registry_user, requests_to_a_and_b, django_assert_num_queries
):
    """The second call on unchanged data: the request's savepoint and its release, and the data stamp; none of the
    aggregates of the first call."""
    client = api_client(registry_user)
    first = client.get(URL).json()
    with django_assert_num_queries(3):
        second = client.get(URL).json()
    assert second == first


def test_an_agreement_or_warrant_change_shows_on_the_next_call(registry_user, state_a, requests_to_a_and_b):
    """Agreements and warrants are cached with the request figures: a change to either, through its service, moves
    the stamp, so the next call counts it."""
    agreement = factories.VoluntaryAgreementFactory(partner=state_a)
    warrant = factories.ArrestWarrantFactory()
    client = api_client(registry_user)
    first = client.get(URL).json()
    assert first["agreements_in_force"]["by_type"] == {agreement.agreement_type: 1}
    assert first["warrants"]["at_large"] == 1
    assert client.get(URL).json() == first
    agreement_update(
        agreement=agreement, actor=registry_user, expected_version=None,
        data={"terminated_on": court_today() - datetime.timedelta(days=1)},
    )
    assert client.get(URL).json()["agreements_in_force"]["by_type"] == {}
    warrant_update(
        warrant=warrant, actor=registry_user, expected_version=None,
        data={"custody_on": court_today() - datetime.timedelta(days=1)},
    )
    assert client.get(URL).json()["warrants"]["at_large"] == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the second connection is used on PostgreSQL only")
def test_the_side_statements_on_a_second_connection_give_the_same_figures(
    settings, registry_user, focal_point_a, state_b, requests_to_a_and_b
):
    """With DASHBOARD_CONCURRENT_QUERIES (on in production, off in the other tests, whose data no other connection
    sees) what is overdue, the escalation levels and the outcomes are counted on a second connection: the figures are
    those of one connection, for each scope, and the request's own connection runs three statements fewer."""
    sent = requests_to_a_and_b
    factories.CooperationRequestFactory(
        partner=state_b, transmitted_on=sent, status=Status.EXECUTED, outcome_on=sent + datetime.timedelta(days=9)
    )
    assert overdue.sweep(on=court_today()).total_escalated == 1
    for user in (registry_user, focal_point_a):
        client = api_client(user)
        client.get(URL)  # once before, for what the first call of a session reads once (the user's permissions)
        bodies, statements = {}, {}
        for concurrent in (False, True):
            settings.DASHBOARD_CONCURRENT_QUERIES = concurrent
            cache.clear()
            with CaptureQueriesContext(connection) as captured:
                bodies[concurrent] = client.get(URL).json()
            statements[concurrent] = len(captured)
        assert bodies[True] == bodies[False]
        assert statements[True] == statements[False] - 3
        assert bodies[True]["overdue"]["total"] == 1
        assert sum(bodies[True]["overdue"]["by_escalation_level"].values()) == 1
    assert bodies[True]["requests"]["monthly_outcomes"] == {}  # focal point of A: B's outcome is not theirs
    settings.DASHBOARD_CONCURRENT_QUERIES = True
    cache.clear()
    assert sum(api_client(registry_user).get(URL).json()["requests"]["monthly_outcomes"].values()) == 1


class Counter:
    """What the dashboard would count: a new figure at each call, so that a test sees whether it recounted."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> dict[str, int]:
        self.calls += 1
        return {"figure": self.calls}


@pytest.fixture
def key():
    """A key no other test or earlier run (on a shared Redis) has used."""
    return f"test-summary:{uuid.uuid4()}"


def test_an_entry_is_counted_once_while_fresh(key):
    count = Counter()
    assert cached_summary(key, count) == {"figure": 1}
    assert cached_summary(key, count) == {"figure": 1}
    assert count.calls == 1


def test_an_old_entry_is_recounted_by_one_caller_while_the_others_get_its_figures(settings, key):
    """Past DASHBOARD_CACHE_SECONDS the entry is recounted, but not by a caller that finds another recounting it
    (the lock held): that one gets the entry's figures at once. Once the lock is free, the next caller recounts."""
    settings.DASHBOARD_CACHE_SECONDS = 0
    count = Counter()
    assert cached_summary(key, count) == {"figure": 1}
    assert cache.add(recount_lock_key(key), True, 30)  # another worker recounting
    assert cached_summary(key, count) == {"figure": 1}
    assert count.calls == 1
    cache.delete(recount_lock_key(key))
    assert cached_summary(key, count) == {"figure": 2}
    assert cached_summary(key, count) == {"figure": 3}
    assert cache.get(recount_lock_key(key)) is None  # released after each recount


def test_a_recount_that_outlived_its_lock_leaves_the_next_holder_lock_alone(settings, key):
    """A recount slower than RECOUNT_SECONDS: its lock expired and another caller took it meanwhile. Finishing, the
    slow one releases nothing of the other's lock (deleting it would let a third caller recount at once too)."""
    settings.DASHBOARD_CACHE_SECONDS = 0
    assert cached_summary(key, Counter()) == {"figure": 1}

    def slow_count() -> dict[str, int]:
        cache.delete(recount_lock_key(key))  # this caller's lock expired ...
        assert cache.add(recount_lock_key(key), "another caller", 30)  # ... and another caller took it
        return {"figure": 2}

    assert cached_summary(key, slow_count) == {"figure": 2}
    assert cache.get(recount_lock_key(key)) == "another caller"


def test_only_the_holder_value_releases_a_lock(settings):
    """delete_if_held on the cache in use (Redis in CI, an in-process cache by default)."""
    lock = f"test-lock:{uuid.uuid4()}"
    default = caches[DEFAULT_CACHE_ALIAS]
    assert default.add(lock, 41, 30)
    assert delete_if_held(default, lock, 42) is False
    assert default.get(lock) == 41
    assert delete_if_held(default, lock, 41) is True
    assert default.get(lock) is None
    assert delete_if_held(default, lock, 41) is False


def test_the_lock_is_released_when_the_recount_fails(settings, key):
    settings.DASHBOARD_CACHE_SECONDS = 0
    assert cached_summary(key, Counter()) == {"figure": 1}

    def failing() -> dict[str, int]:
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        cached_summary(key, failing)
    assert cache.get(recount_lock_key(key)) is None
    assert cached_summary(key, Counter()) == {"figure": 1}


def test_a_change_the_stamp_misses_shows_once_the_entry_is_old(settings, registry_user, state_a, requests_to_a_and_b):
    """A write that does not move the stamp (as one committed out of order would not; here an update that bypasses
    the services and leaves `updated_at` alone) shows once the entry is DASHBOARD_CACHE_SECONDS old."""
    client = api_client(registry_user)
    evidence, arrest = RequestType.EVIDENCE.value, RequestType.ARREST_SURRENDER.value
    assert client.get(URL).json()["requests"]["by_type"] == {evidence: 3}
    CooperationRequest.objects.filter(partner=state_a).update(request_type=arrest)
    assert client.get(URL).json()["requests"]["by_type"] == {evidence: 3}  # fresh: the cached figures
    settings.DASHBOARD_CACHE_SECONDS = 0
    assert client.get(URL).json()["requests"]["by_type"] == {arrest: 2, evidence: 1}
