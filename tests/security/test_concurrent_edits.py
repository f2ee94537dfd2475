"""Concurrent edits over real HTTP: 10 clients PATCH the same request with the same ETag, 100 rounds.

Each round every client holds the ETag read at the round's start and sends its change at the same moment (a
barrier releases them together). Exactly one may win; the nine others must get 412, and nothing may be lost:
the request ends at version 1 + 100, with the last winner's value, and its history holds every winner's value,
once, in order.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.conf import settings
from rest_framework.authtoken.models import Token

from requests_app.choices import Status
from requests_app.models import CooperationRequest
from tests import factories

CLIENTS = 10
ROUNDS = 100

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="needs PostgreSQL (as in CI): SQLite serialises every writer on one database lock, so it cannot show "
        "row locks deciding between simultaneous updates; run with DATABASE_URL=postgres://…",
    ),
]


def test_ten_clients_one_etag_one_winner_per_round_and_no_lost_update(live_server, transactional_db, state_a):
    coop_request = factories.CooperationRequestFactory(
        partner=state_a, status=Status.DRAFT, transmitted_on=None, due_on=None, subject="start"
    )
    url = f"{live_server.url}/api/v1/requests/{coop_request.pk}/"
    sessions = []
    for number in range(CLIENTS):
        user = factories.RegistryFactory(username=f"concurrent-{number}")
        session = requests.Session()
        session.headers["Authorization"] = f"Token {Token.objects.create(user=user).key}"
        sessions.append(session)
    barrier = threading.Barrier(CLIENTS)

    def patch(client: int, round_number: int, etag: str) -> tuple[int, int, str]:
        value = f"round {round_number:03d} client {client}"
        barrier.wait(timeout=30)
        response = sessions[client].patch(url, json={"subject": value}, headers={"If-Match": etag}, timeout=60)
        return client, response.status_code, response.headers.get("ETag", "")

    winners: list[str] = []
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        for round_number in range(ROUNDS):
            read = sessions[round_number % CLIENTS].get(url, timeout=60)
            assert read.status_code == 200
            etag = read.headers["ETag"]
            assert etag == f'"{coop_request.pk}-{round_number + 1}"'
            results = list(pool.map(lambda c, r=round_number, e=etag: patch(c, r, e), range(CLIENTS)))
            statuses = sorted(code for _, code, _ in results)
            assert statuses == [200] + [412] * (CLIENTS - 1), (round_number, statuses)
            (winner, _, new_etag), = [result for result in results if result[1] == 200]
            assert new_etag == f'"{coop_request.pk}-{round_number + 2}"'
            winners.append(f"round {round_number:03d} client {winner}")

    coop_request.refresh_from_db()
    assert coop_request.version == 1 + ROUNDS
    assert coop_request.subject == winners[-1]
    # Every successful update is in the history, in order: none was overwritten by a concurrent one.
    history = list(CooperationRequest.history.filter(id=coop_request.pk).order_by("history_id"))
    assert [record.subject for record in history] == ["start", *winners]
    assert [record.version for record in history] == list(range(1, ROUNDS + 2))
