"""The overdue tasks, and the password-reset mail, on a real Celery worker over Redis, started by the test as CI does;
never ALWAYS_EAGER.

The worker is a separate process on the test's own PostgreSQL database, so these tests commit their data
(transactional_db) and are skipped on SQLite. Redis databases 5 (broker) and 6 (results) are theirs alone and
are flushed before and after each test.
"""

import datetime
import email
import email.policy
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from cooperation_portal.dates import court_today
from cooperation_portal.notifications.models import Notification
from requests_app.choices import EscalationLevel, EventKind, Status
from requests_app.models import CooperationRequest, EscalationStep, RequestEvent
from tests import factories
from tests.redis_support import requires_redis

BROKER_URL = os.environ.get("PORTAL_TEST_REDIS_BROKER", "redis://127.0.0.1:6379/5")
RESULT_URL = os.environ.get("PORTAL_TEST_REDIS_RESULTS", "redis://127.0.0.1:6379/6")
BASE_DIR = Path(settings.BASE_DIR)
CELERY = Path(sys.executable).with_name("celery")
L = EscalationLevel


pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="A worker process shares the test database only on PostgreSQL (CI); SQLite tests use :memory:.",
    ),
    requires_redis(BROKER_URL),
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
]


class Workers:
    """Starts and kills Celery worker processes that use the test database and a file e-mail backend."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.mail_dir = tmp_path / "mail"
        self.mail_dir.mkdir()
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        db = connection.settings_dict
        self.database_url = (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
            f"{db['NAME']}"
        )
        # Test-only knobs live in a settings module written here, so the project's settings carry none of them.
        (tmp_path / "portal_worker_settings.py").write_text(textwrap.dedent(f"""
            import os
            from cooperation_portal.settings.test import *  # noqa: F403

            EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
            EMAIL_FILE_PATH = {str(self.mail_dir)!r}
            # A short visibility timeout, checked every second, so that a task held by a killed worker is
            # redelivered within seconds (kombu's defaults check about every 100 s).
            CELERY_BROKER_TRANSPORT_OPTIONS = {{
                "visibility_timeout": 5, "unacked_restore_interval": 1, "unacked_restore_throttle": 1,
            }}
            PORTAL_SWEEP_TEST_DELAY = float(os.environ.get("PORTAL_SWEEP_TEST_DELAY", "0"))
            PORTAL_NOTIFY_TEST_DELAY = float(os.environ.get("PORTAL_NOTIFY_TEST_DELAY", "0"))
        """))

    def start(self, name: str, *, sweep_delay: float = 0, notify_delay: float = 0) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": f"{self.tmp_path}{os.pathsep}{BASE_DIR}",
            "DJANGO_SETTINGS_MODULE": "portal_worker_settings",
            "DATABASE_URL": self.database_url,
            "CELERY_BROKER_URL": BROKER_URL,
            "CELERY_RESULT_BACKEND": RESULT_URL,
            "PORTAL_SWEEP_TEST_DELAY": str(sweep_delay),
            "PORTAL_NOTIFY_TEST_DELAY": str(notify_delay),
        }
        log = self.log_path(name).open("ab")
        self.processes[name] = subprocess.Popen(  # noqa: S603 - fixed arguments
            [str(CELERY), "-A", "cooperation_portal", "worker", "-P", "solo", "-c", "1", "--without-heartbeat",
             "--without-gossip", "--without-mingle", "-n", f"{name}@%h", "--loglevel", "INFO"],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        wait_for(lambda: "ready." in self.log(name), timeout=60, what=f"worker {name} ready", workers=self)

    def log_path(self, name: str) -> Path:
        return self.tmp_path / f"{name}.log"

    def log(self, name: str) -> str:
        path = self.log_path(name)
        return path.read_text(errors="replace") if path.exists() else ""

    def all_logs(self) -> str:
        return "\n".join(f"==== {name}\n{self.log(name)[-4000:]}" for name in self.processes)

    def kill(self, name: str) -> None:
        process = self.processes[name]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)

    def mails(self) -> list[tuple[str, str]]:
        """(To, Subject) of every message the workers' file backends wrote."""
        messages = []
        for path in sorted(self.mail_dir.glob("*")):
            for chunk in path.read_text(errors="replace").split("-" * 79):
                message = email.message_from_string(chunk.strip(), policy=email.policy.default)
                if message["To"] and message["Subject"]:
                    messages.append((str(message["To"]), str(message["Subject"])))
        return messages


def wait_for(predicate: Callable[[], bool], *, timeout: float, what: str, workers: Workers) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"Timed out after {timeout}s waiting for {what}.\n{workers.all_logs()}")


@pytest.fixture
def redis_dbs() -> Iterator[None]:
    import redis

    clients = [redis.Redis.from_url(url) for url in (BROKER_URL, RESULT_URL)]
    for client in clients:
        client.flushdb()
    yield
    for client in clients:
        client.flushdb()


@pytest.fixture
def workers(transactional_db, redis_dbs, tmp_path) -> Iterator[Workers]:
    started = Workers(tmp_path)
    yield started
    # Before the database is flushed: a live worker's connection would block TRUNCATE.
    started.stop_all()


@pytest.fixture
def client_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[Celery]:
    # Celery's settings let CELERY_BROKER_URL (and CELERY_RESULT_BACKEND) in the environment win over the broker
    # given here; CI sets them for the rest of the suite, so without this the tasks went to another Redis db.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.delenv("CELERY_RESULT_BACKEND", raising=False)
    app = Celery("overdue-worker-tests", broker=BROKER_URL, backend=RESULT_URL)
    app.conf.task_serializer = "json"
    yield app
    app.close()


def _day(offset: int) -> datetime.date:
    return court_today() + datetime.timedelta(days=offset)


def build_requests() -> dict[str, int]:
    """Requests across the ladder, plus some never to be flagged; returns the expected level per reference.

    Each partner has two active focal points and one inactive, and one registry user authored every request,
    so each flag means exactly three notifications.
    """
    author = factories.RegistryFactory(username="author")
    factories.RegistryFactory(username="colleague")
    expected: dict[str, int] = {}
    partners = [factories.PartnerFactory(code=code) for code in ("NLD", "KEN", "COL")]
    for partner in partners:
        for i in (1, 2):
            factories.FocalPointFactory(username=f"fp{i}-{partner.code}", partner=partner)
        factories.FocalPointFactory(username=f"gone-{partner.code}", partner=partner, is_active=False)
    offsets = {-1: L.OVERDUE_NOTICE, 0: L.REMINDER_SENT, 5: L.REMINDER_SENT, 9: L.NONE, -30: L.SECOND_NOTICE,
               -61: L.REFERRAL_ART97, -95: L.NON_COMPLIANCE_CANDIDATE}
    for partner in partners:
        for offset, level in offsets.items():
            due = _day(offset)
            coop_request = factories.CooperationRequestFactory(
                partner=partner, created_by=author, due_on=due,
                transmitted_on=min(due, _day(0)) - datetime.timedelta(days=60),
            )
            expected[str(coop_request.reference)] = level
        for status in (Status.EXECUTED, Status.CLOSED, Status.WITHDRAWN):
            final = factories.CooperationRequestFactory(
                partner=partner, created_by=author, status=status, due_on=_day(-40), transmitted_on=_day(-100),
                outcome_on=_day(-1) if status == Status.EXECUTED else None,
                closed_on=None if status == Status.EXECUTED else _day(-1),
            )
            expected[str(final.reference)] = L.NONE
        paused = factories.CooperationRequestFactory(
            partner=partner, created_by=author, due_on=_day(-40), transmitted_on=_day(-100),
            clock_paused_since=_day(-50),
        )
        expected[str(paused.reference)] = L.NONE
    return expected


def assert_exactly_once(expected: dict[str, int], workers: Workers) -> None:
    """Every expected flag present, with one step, one event and one notification per recipient; every
    notification e-mailed exactly once."""
    actual = dict(CooperationRequest.objects.values_list("reference", "escalation_level"))
    assert actual == expected
    flagged = sum(1 for level in expected.values() if level)
    assert EscalationStep.objects.count() == flagged
    assert RequestEvent.objects.filter(kind=EventKind.ESCALATION).count() == flagged
    assert Notification.objects.count() == 3 * flagged
    wait_for(lambda: not Notification.objects.unsent().exists(), timeout=90, what="all notifications sent",
             workers=workers)
    mails = workers.mails()
    duplicates = {mail: n for mail, n in Counter(mails).items() if n > 1}
    assert not duplicates
    assert sorted(mails) == sorted(
        (n.recipient.email, n.subject) for n in Notification.objects.select_related("recipient")
    )


def test_sweep_on_a_worker_flags_exactly_the_expected_requests_and_mails_once(workers, client_app):
    """A sweep sent to a real worker flags exactly the right requests, and its notifications are e-mailed."""
    expected = build_requests()
    workers.start("w1")
    result = client_app.send_task("requests_app.tasks.sweep_overdue").get(timeout=60)
    assert result["notifications"] == 3 * sum(1 for level in expected.values() if level)
    assert_exactly_once(expected, workers)


def test_sweep_run_twice_adds_nothing(workers, client_app):
    """The second run of the same day adds no step, event, notification or mail."""
    expected = build_requests()
    workers.start("w1")
    client_app.send_task("requests_app.tasks.sweep_overdue").get(timeout=60)
    assert_exactly_once(expected, workers)
    counts = (EscalationStep.objects.count(), RequestEvent.objects.count(), Notification.objects.count())
    second = client_app.send_task("requests_app.tasks.sweep_overdue").get(timeout=60)
    assert (sum(second["escalated"].values()), second["cleared"], second["notifications"]) == (0, 0, 0)
    client_app.send_task("requests_app.tasks.send_notifications").get(timeout=60)
    assert (EscalationStep.objects.count(), RequestEvent.objects.count(), Notification.objects.count()) == counts
    assert_exactly_once(expected, workers)


def test_two_sweeps_at_once_on_two_workers_add_no_duplicates(workers, client_app):
    """Two workers sweeping at the same moment flag each request once and queue each notification once."""
    expected = build_requests()
    workers.start("w1", sweep_delay=0.3, notify_delay=0.05)
    workers.start("w2", sweep_delay=0.3, notify_delay=0.05)
    first = client_app.send_task("requests_app.tasks.sweep_overdue")
    second = client_app.send_task("requests_app.tasks.sweep_overdue")
    results = [first.get(timeout=60), second.get(timeout=60)]
    wait_for(lambda: "sweep_overdue" in workers.log("w1") and "sweep_overdue" in workers.log("w2"),
             timeout=10, what="both workers to take a sweep", workers=workers)
    flagged = sum(1 for level in expected.values() if level)
    assert sorted(sum(r["escalated"].values()) for r in results) == [0, flagged]
    assert_exactly_once(expected, workers)


def test_worker_killed_mid_sweep_and_mid_delivery_leaves_every_flag_once_and_every_mail_once(workers, client_app):
    """SIGKILL in the middle of the sweep rolls it back whole; the redelivered task flags everything once.
    SIGKILL in the middle of e-mailing loses no message and, once restarted, sends none twice."""
    expected = build_requests()
    flagged = sum(1 for level in expected.values() if level)
    workers.start("w1", sweep_delay=1.0, notify_delay=0.3)
    sweep_task = client_app.send_task("requests_app.tasks.sweep_overdue")
    wait_for(lambda: "sweep_overdue" in workers.log("w1") and "received" in workers.log("w1"), timeout=20,
             what="the sweep to start", workers=workers)
    time.sleep(2.5)  # the sweep sleeps 1 s after each of its six rungs
    workers.kill("w1")
    assert "succeeded" not in workers.log("w1"), "the worker finished before it was killed; lengthen the delay"
    # One transaction: nothing of the interrupted sweep is left behind.
    assert not EscalationStep.objects.exists()
    assert not Notification.objects.exists()
    assert not CooperationRequest.objects.filter(escalation_level__gt=0).exists()

    # The unacknowledged message comes back after the visibility timeout; e-mailing then starts slowly.
    workers.start("w2", sweep_delay=0.2, notify_delay=0.3)
    wait_for(lambda: Notification.objects.filter(sent_at__isnull=False).count() >= 5, timeout=90,
             what="the redelivered sweep and the first mails", workers=workers)
    workers.kill("w2")
    assert sweep_task.id in workers.log("w2"), "the flags must come from the redelivered message"
    sent_before_restart = Notification.objects.filter(sent_at__isnull=False).count()
    assert sent_before_restart < 3 * flagged, "all mail went out before the kill; lengthen the delay"

    workers.start("w3")
    # Beat is not running in the test: the killed delivery task comes back on its own after the visibility timeout.
    assert_exactly_once(expected, workers)
    assert "send_notifications" in workers.log("w3")


def test_a_password_reset_is_mailed_by_a_worker_with_a_link_that_works(workers, client_app):
    """The message the reset page queues (its arguments are pinned in tests/accounts/test_password_reset.py), run by
    a worker: the account gets its link, an unknown address nothing, and the link opens the form for a new
    password."""
    factories.FocalPointFactory(username="forgetful", email="forgetful@example.org")
    workers.start("w1")
    for address in ("forgetful@example.org", "nobody@example.org"):
        client_app.send_task("accounts.tasks.send_password_reset", kwargs={
            "email": address, "domain": "testserver", "use_https": False, "language": "en",
        }).get(timeout=60)
    assert workers.mails() == [("forgetful@example.org", "Cooperation Portal: choose a new password")]
    [mail_file] = workers.mail_dir.glob("*")
    match = re.search(r"http://testserver(/accounts/password-reset/\S+/)", mail_file.read_text())
    assert match, mail_file.read_text()
    form = Client().get(match.group(1), follow=True)
    assert form.status_code == 200
    assert form.redirect_chain[-1][0] == reverse("password_reset_confirm", args=[match.group(1).split("/")[3],
                                                                                 "set-password"])
    assert '<label class="form-label" for="id_new_password1">' in form.text
