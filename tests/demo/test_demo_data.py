"""load_demo_data: deterministic, valid, complete, re-runnable synthetic data, and one working login per role."""

import datetime
import io
import re
from base64 import b32encode
from collections import defaultdict

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError
from django.db import connection
from django.test import RequestFactory
from django_otp.plugins.otp_totp.models import TOTPDevice

from cooperation_portal.accounts.choices import Role
from cooperation_portal.accounts.models import User
from cooperation_portal.demo.generator import (
    FIRST_TRANSMISSION,
    REFERENCE_PREFIX,
    DemoContext,
    PartnerRef,
    SituationRef,
    iter_plans,
    plan_request,
    transitions_are_allowed,
)
from cooperation_portal.demo.services import REGISTRY_GROUP
from cooperation_portal.partners.models import Partner
from cooperation_portal.situations.models import Situation
from requests_app.choices import (
    CLOCK_RUNNING_STATUSES,
    Confidentiality,
    EventKind,
    Organ,
    PauseReason,
    RequestType,
    Status,
)
from requests_app.models import ClockPause, CooperationRequest, RequestEvent
from tests import factories
from warrants_app.models import ArrestWarrant, ContactReport

TODAY = datetime.date(2026, 1, 15)
PASSWORD = "demo-Kq7-tulip-harbour-93"
USERNAMES = ["registry", "registry-cleared", "focal-point", "focal-point-2", "facilitator", "admin"]


@pytest.fixture
def partners(db):
    """Reference data through its own command when it exists; a few factory partners otherwise."""
    if "load_reference_data" not in get_commands():
        for code in ["NLD", "BEL", "FRA", "KEN", "UGA", "COL"]:
            factories.PartnerFactory(code=code)
        factories.OrganizationFactory(code="UN", name="United Nations")
    return Partner.objects.all()


def _login_request():
    """django-axes counts failures per username and address, so authentication needs the request it came in."""
    return RequestFactory().post("/accounts/login/")


def load(*args: str, requests: int = 300, seed: int = 7) -> str:
    out = io.StringIO()
    call_command(
        "load_demo_data", f"--requests={requests}", f"--seed={seed}", f"--today={TODAY}", "--batch-size=64",
        *args, stdout=out,
    )
    return out.getvalue()


def demo_rows() -> list[tuple[object, ...]]:
    return list(
        CooperationRequest.objects.filter(reference__startswith=REFERENCE_PREFIX)
        .order_by("reference")
        .values_list("reference", "status", "partner__code", "request_type", "transmitted_on", "due_on", "closed_on")
    )


def test_same_seed_gives_the_same_rows(partners):
    """Deleting the demo requests and loading again with the same seed and day recreates exactly the same rows."""
    load(f"--password={PASSWORD}")
    first = demo_rows()
    first_events = sorted(
        RequestEvent.objects.values_list("coop_request__reference", "kind", "from_status", "to_status", "occurred_at")
    )
    CooperationRequest.objects.filter(reference__startswith=REFERENCE_PREFIX).delete()
    load(f"--password={PASSWORD}")
    assert len(first) == 300
    assert demo_rows() == first
    assert sorted(
        RequestEvent.objects.values_list("coop_request__reference", "kind", "from_status", "to_status", "occurred_at")
    ) == first_events


def small_context(seed: int) -> DemoContext:
    partners = [PartnerRef(id=i, code=c, kind="state") for i, c in enumerate(["NLD", "BEL", "KEN"], start=1)]
    partners.append(PartnerRef(id=4, code="UN", kind="organization"))
    return DemoContext(
        seed=seed, today=TODAY, partners=partners, situations=[SituationRef(id=1, case_ids=(10, 11))],
        registry_user_id=99, focal_point_by_partner={1: 98}, favoured_partner_ids=(1,), warrant_by_case={10: 5},
    )


def test_generator_does_not_depend_on_batch_size_and_follows_the_seed():
    """A request depends on (seed, index) only: any batch size gives the same plans, another seed other plans."""
    ctx = small_context(seed=3)
    by_7 = [p for batch in iter_plans(ctx, range(200), 7) for p in batch]
    by_200 = [p for batch in iter_plans(small_context(seed=3), range(200), 200) for p in batch]
    assert [(p.row, p.events, p.pauses) for p in by_7] == [(p.row, p.events, p.pauses) for p in by_200]
    assert plan_request(ctx, 150).row == by_7[150].row
    other = [plan_request(small_context(seed=4), i) for i in range(200)]
    assert [p.row for p in other] != [p.row for p in by_7]


def test_every_choice_and_status_is_present(partners):
    """A small run covers every status, type, organ, confidentiality level and both urgent flags."""
    load(f"--password={PASSWORD}")
    requests = CooperationRequest.objects.filter(reference__startswith=REFERENCE_PREFIX)
    assert set(requests.values_list("status", flat=True)) == set(Status.values)
    assert set(requests.values_list("request_type", flat=True)) == set(RequestType.values)
    assert set(requests.values_list("organ", flat=True)) == set(Organ.values)
    assert set(requests.values_list("confidentiality", flat=True)) == set(Confidentiality.values)
    assert set(requests.values_list("urgent", flat=True)) == {True, False}
    years = {r.year for r in requests.exclude(transmitted_on=None).values_list("transmitted_on", flat=True)}
    assert min(years) < 2012 and max(years) >= TODAY.year - 1
    assert all(re.fullmatch(r"DEMO-\d{4}-\d{6}", ref) for ref in requests.values_list("reference", flat=True))


def test_rows_pass_full_clean_and_the_constraints(partners):
    """Every demo request, and a sample of events and pauses, passes full_clean() (fields, clean(), constraints)."""
    load(f"--password={PASSWORD}")
    requests = list(CooperationRequest.objects.filter(reference__startswith=REFERENCE_PREFIX))
    for coop_request in requests:
        coop_request.full_clean()
    for event in RequestEvent.objects.all()[::7]:
        event.full_clean()
    pauses = list(ClockPause.objects.all())
    assert pauses
    for pause in pauses:
        pause.full_clean()
    for warrant in ArrestWarrant.objects.all():
        warrant.full_clean()
    for report in ContactReport.objects.all():
        report.full_clean()


def test_dates_and_events_tell_a_consistent_lifecycle(partners):
    """Transitions follow the lifecycle table from draft to the current status, and their days are the row's dates."""
    load(f"--password={PASSWORD}")
    events = defaultdict(list)
    for event in RequestEvent.objects.order_by("occurred_at", "id"):
        events[event.coop_request_id].append(event)
    open_pauses = {p.coop_request_id: p for p in ClockPause.objects.filter(ended_on=None)}
    overdue = 0
    for r in CooperationRequest.objects.filter(reference__startswith=REFERENCE_PREFIX):
        history = events[r.id]
        assert history[0].kind == EventKind.CREATED
        transitions = [e for e in history if e.kind == EventKind.TRANSITION]
        path = [Status.DRAFT] + [e.to_status for e in transitions]
        assert [e.from_status for e in transitions] == path[:-1]
        assert path[-1] == r.status
        assert transitions_are_allowed(path), path
        entered = {e.to_status: e.occurred_at.date() for e in transitions}
        assert r.transmitted_on == entered.get(Status.TRANSMITTED)
        assert r.acknowledged_on == entered.get(Status.ACKNOWLEDGED)
        assert r.closed_on == (entered.get(Status.CLOSED) or entered.get(Status.WITHDRAWN))
        assert r.created_at <= history[-1].occurred_at and r.created_at == history[0].occurred_at
        assert all(e.occurred_at.date() <= TODAY for e in history)
        if r.transmitted_on:
            assert FIRST_TRANSMISSION <= r.transmitted_on <= r.due_on
        if r.clock_paused_since:
            assert r.status in CLOCK_RUNNING_STATUSES
            assert open_pauses[r.id].started_on == r.clock_paused_since
        else:
            assert r.id not in open_pauses
        if r.status in CLOCK_RUNNING_STATUSES and r.due_on < TODAY and not r.clock_paused_since:
            overdue += 1
    assert CooperationRequest.objects.overdue(TODAY).filter(reference__startswith=REFERENCE_PREFIX).count() == overdue
    assert 0.02 * 300 <= overdue <= 0.25 * 300
    assert open_pauses
    consultation = ClockPause.objects.filter(reason=PauseReason.CONSULTATION)
    assert consultation.exists() and not consultation.filter(ground="").exists()


def test_each_role_logs_in_with_the_printed_password(partners):
    """The command prints one password; every role's login authenticates with it and has that role's rights."""
    output = load()
    password = re.search(r"Password for every demo login: (\S+)", output).group(1)
    assert "http://127.0.0.1:8000/" in output
    for username in USERNAMES:
        assert username in output
        assert authenticate(_login_request(), username=username, password=password) is not None, username
        assert authenticate(_login_request(), username=username, password=PASSWORD) is None
    users = {u.username: u for u in User.objects.filter(username__in=USERNAMES)}
    assert {u.role for u in users.values()} == set(Role.values)
    assert users["registry-cleared"].has_sealed_clearance
    assert not users["registry"].has_sealed_clearance
    for name in ("registry", "registry-cleared"):
        assert users[name].is_staff and users[name].groups.filter(name=REGISTRY_GROUP).exists()
        assert users[name].has_perm("requests_app.change_cooperationrequest")
        assert not users[name].has_perm("requests_app.delete_cooperationrequest")
    assert users["admin"].is_superuser and users["admin"].role == Role.ADMINISTRATOR
    # Registry staff and the administrator confirm logins with a code: the command prints each one's secret.
    for name in ("registry", "registry-cleared", "admin"):
        device = TOTPDevice.objects.get(user=users[name], confirmed=True)
        assert f"secret {b32encode(device.bin_key).decode()}" in output
    assert not TOTPDevice.objects.filter(user__username__in=["focal-point", "focal-point-2", "facilitator"]).exists()
    focal, focal_2 = users["focal-point"], users["focal-point-2"]
    assert focal.partner != focal_2.partner
    assert focal.partner.is_state_party_on(TODAY)
    assert CooperationRequest.objects.visible_to(focal).count() >= 10
    assert not users["facilitator"].is_staff


def test_running_again_adds_only_what_is_missing(partners):
    """A second run adds no row and resets the logins' password; a larger --requests adds the missing requests only."""
    load(f"--password={PASSWORD}")
    first = demo_rows()
    counts = (Situation.objects.count(), ArrestWarrant.objects.count(), ContactReport.objects.count())
    events = RequestEvent.objects.count()
    output = load("--password=another-Demo-pass-2026")
    assert "300 demo requests already present; none added" in output
    assert demo_rows() == first and RequestEvent.objects.count() == events
    assert (Situation.objects.count(), ArrestWarrant.objects.count(), ContactReport.objects.count()) == counts
    assert User.objects.filter(username__in=USERNAMES).count() == len(USERNAMES)
    assert authenticate(_login_request(), username="registry", password="another-Demo-pass-2026") is not None

    load(f"--password={PASSWORD}", requests=350)
    rows = demo_rows()
    assert len(rows) == 350
    assert set(first) <= set(rows)
    assert {r[0][-6:] for r in rows} == {f"{i:06d}" for i in range(350)}


def test_requests_lost_in_the_middle_are_added_back_identically(partners):
    """Requests missing at any position (an interrupted or partly deleted load) are regenerated as they were."""
    load(f"--password={PASSWORD}")
    first = demo_rows()
    lost = [ref for ref, *_ in first if 100 <= int(ref[-6:]) < 164]
    CooperationRequest.objects.filter(reference__in=lost).delete()
    output = load(f"--password={PASSWORD}")
    assert "236 demo requests already present; adding the 64 missing" in output
    assert demo_rows() == first


@pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel writers are a PostgreSQL feature")
@pytest.mark.django_db(transaction=True)
def test_two_writers_give_the_same_rows_on_postgresql(partners):
    """Outside a transaction, two connections write the batches; the rows are those of one writer."""
    load(f"--password={PASSWORD}", "--writers=2")
    two = demo_rows()
    CooperationRequest.objects.filter(reference__startswith=REFERENCE_PREFIX).delete()
    load(f"--password={PASSWORD}", "--writers=1")
    assert len(two) == 300
    assert demo_rows() == two


def test_fictional_warrants_cover_every_status(partners):
    """Warrants name fictional persons in DEMO situations: sealed, unsealed, at large, in custody, withdrawn, ended."""
    load(f"--password={PASSWORD}")
    warrants = list(ArrestWarrant.objects.select_related("situation"))
    assert warrants and all(w.person_name.startswith("Fictional Person ") for w in warrants)
    assert all(w.situation.code.startswith("DEMO-") for w in warrants)
    assert {w.status_on(TODAY) for w in warrants} == {"at_large", "in_custody", "withdrawn", "terminated"}
    assert any(w.is_sealed_on(TODAY) for w in warrants)
    assert any(w.under_seal and w.unsealed_on for w in warrants)
    assert any(w.believed_in.exists() for w in warrants)
    assert ArrestWarrant.linked_requests.through.objects.exists()
    assert ContactReport.objects.exists()


def test_a_real_account_with_a_demo_name_is_left_alone(partners):
    """A non-demo user called "admin" is neither reset nor given the demo password: the command stops first."""
    real = factories.UserFactory(username="admin", email="admin@icc.example", role=Role.ADMINISTRATOR)
    with pytest.raises(CommandError, match="admin"):
        load(f"--password={PASSWORD}")
    real.refresh_from_db()
    assert real.check_password("correct horse battery staple")
    assert not CooperationRequest.objects.exists()


def test_a_weak_password_is_refused(partners):
    """--password goes through the password validators: a common password is refused before anything is written."""
    with pytest.raises(CommandError, match="--password"):
        load("--password=password")
    assert not CooperationRequest.objects.exists()
