"""The portal at scale: one command that fills a PostgreSQL database and prints one table of figures and targets.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench .venv/bin/python benchmarks/run.py --requests 1000000

Steps (see benchmarks/README.md):
1. creates the database if missing, migrates it, and tops it up with `manage.py load_demo_data --requests N`
   (child processes) when it holds fewer requests than asked;
2. the overdue sweep, in a fresh child process so that its peak memory is its own: the escalation state is reset,
   then the first sweep ever (the whole backlog) and the next day's sweep are timed (benchmarks/overdue_sweep.py);
3. in-process (django.test.Client, production settings with DEBUG off, persistent connection as in production):
   the filtered request list as registry staff and as a focal point, the dashboard summary and the annual report,
   each with its SQL query count, beside the same rows or figures fetched by hand-written SQL over psycopg2;
4. a load test: gunicorn on 127.0.0.1 with the production settings, and wrk with a Lua script playing a mix of
   list, detail and dashboard calls as registry staff, focal points and a facilitator (API tokens), 50 connections
   for 60 seconds; gunicorn is stopped at the end whatever happens.

The benchmark is not a test: pytest never collects it (benchmarks/ is outside `testpaths`).
"""

import argparse
import datetime
import json
import multiprocessing
import os
import random
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

# Production settings, as gunicorn would run them, with DEBUG off; nothing here is a real secret.
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "cooperation_portal.settings.production",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/15",
    # One cache for every gunicorn worker, as docker-compose.yml sets it (a cache per process would recount the
    # dashboards once per worker and scope).
    "DJANGO_CACHE_URL": "redis://127.0.0.1:6379/14",
    "DJANGO_CONN_MAX_AGE": "60",
}
# The per-user API throttle (3000/minute) would answer 429 to 50 simulated clients sharing five logins, and to the
# in-process measures' repeated calls as one login (`--repeat 60` went past it): it is raised for both, because it
# limits one person's rate, which the benchmark's calls do not stand for. The throttle still runs on every call.
LOAD_THROTTLE = "1000000/minute"
TARGETS = {
    "list_ms": 50.0,
    "list_ratio": 3.0,
    "dashboard_ms": 200.0,
    "report_s": 5.0,
    "sweep_s": 10.0,
    "sweep_mb": 300.0,
    "load_p99_ms": 500.0,
}
DEMO_PASSWORD_BYTES = 12


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


# --- Database and data -------------------------------------------------------------------------------------------


def ensure_database(url: str) -> None:
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username, password=parts.password, dbname="postgres"
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            say(f"Creating database {name} ...")
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()


def manage(*arguments: str) -> None:
    """manage.py in a child process with the local settings, so that the generator's memory is not this one's."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "cooperation_portal.settings.local", "DJANGO_DEBUG": "false"}
    subprocess.run([sys.executable, str(BASE_DIR / "manage.py"), *arguments], check=True, env=env)  # noqa: S603


# --- Measuring ---------------------------------------------------------------------------------------------------


@dataclass
class Row:
    what: str
    time: str
    queries: str = ""
    raw: str = ""
    ratio: str = ""
    other: str = ""
    target: str = ""
    met: bool | None = None
    notes: list[str] = field(default_factory=list)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def timed(call: Callable[[], Any], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times


def python_calls(call: Callable[[], Any]) -> int:
    """Python function calls made by one call (cProfile's count): unlike its time, the same on every run of the same
    code over the same data, so it shows what a change saved on a machine whose speed moves between runs."""
    import cProfile
    import pstats

    profile = cProfile.Profile()
    profile.runcall(call)
    return int(pstats.Stats(profile).total_calls)  # type: ignore[attr-defined]


class Api:
    """In-process calls through the whole Django stack (middleware, auth, throttle, serializers)."""

    def __init__(self, token: str) -> None:
        from django.test import Client

        self.client = Client(
            SERVER_NAME="127.0.0.1", HTTP_AUTHORIZATION=f"Token {token}", HTTP_X_FORWARDED_PROTO="https"
        )

    def answer(self, path: str) -> bytes:
        """The answer's body as the server wrote it: what the timed calls measure (reading it as JSON is the
        client's work, not the portal's latency; `get` does it for the checks)."""
        response = self.client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"GET {path} answered {response.status_code}: {response.content[:300]!r}")
        return bytes(response.content)

    def get(self, path: str) -> Any:
        return json.loads(self.answer(path))

    def queries(self, path: str) -> tuple[int, Any]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            body = self.get(path)
        return len(captured), body


class Raw:
    """psycopg2 straight to PostgreSQL, its own connection: what the same rows or figures cost without Django."""

    def __init__(self, url: str) -> None:
        import psycopg2

        parts = urlsplit(url)
        self.connection = psycopg2.connect(
            host=parts.hostname, port=parts.port or 5432, user=parts.username, password=parts.password,
            dbname=parts.path.lstrip("/"),
        )
        self.connection.autocommit = True

    def run(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[tuple[Any, ...]]]:
        results = []
        with self.connection.cursor() as cursor:
            for statement, parameters in statements:
                cursor.execute(statement, parameters)
                results.append(cursor.fetchall())
        return results


LIST_SQL = """
SELECT r.*, p.code, p.name, p.kind, p.regional_group, s.code, c.number
FROM requests_app_cooperationrequest r
JOIN partners_partner p ON p.id = r.partner_id
LEFT JOIN situations_situation s ON s.id = r.situation_id
LEFT JOIN situations_case c ON c.id = r.case_id
WHERE {where}
ORDER BY r.transmitted_on DESC, r.id DESC
LIMIT 50
"""
COUNT_SQL = "SELECT count(*) FROM requests_app_cooperationrequest r WHERE {where}"
OPEN_STATUSES = ("transmitted", "acknowledged", "in_execution")
# The portal never lists nor counts a soft-deleted request, so the raw SQL asks the same: live requests only.
LIVE = "r.deleted_at IS NULL"


@dataclass
class ListCase:
    label: str
    login: str
    params: dict[str, Any]
    where: str
    where_params: list[Any]


def list_cases(today: datetime.date, focal_partner_id: int) -> list[ListCase]:
    year_ago = today - datetime.timedelta(days=365)
    not_sealed = f"{LIVE} AND r.confidentiality <> 'under_seal'"
    return [
        ListCase(
            "registry: open, sent in the last 12 months", "registry",
            {"status": list(OPEN_STATUSES), "transmitted_after": year_ago.isoformat()},
            f"{not_sealed} AND r.status IN %s AND r.transmitted_on >= %s", [OPEN_STATUSES, year_ago],
        ),
        ListCase(
            "registry: open, all dates", "registry", {"status": list(OPEN_STATUSES)},
            f"{not_sealed} AND r.status IN %s", [OPEN_STATUSES],
        ),
        ListCase(
            "registry: overdue today", "registry", {"overdue": "true"},
            f"{not_sealed} AND r.status IN %s AND r.due_on < %s AND r.clock_paused_since IS NULL",
            [OPEN_STATUSES, today],
        ),
        ListCase(
            "registry: all, page 1", "registry", {}, not_sealed, [],
        ),
        ListCase(
            "focal point: open", "focal-point", {"status": list(OPEN_STATUSES)},
            f"{LIVE} AND r.partner_id = %s AND r.status <> 'draft' AND r.status IN %s",
            [focal_partner_id, OPEN_STATUSES],
        ),
        ListCase(
            "focal point: all, page 3", "focal-point", {"page": 3},
            f"{LIVE} AND r.partner_id = %s AND r.status <> 'draft'", [focal_partner_id],
        ),
    ]


def measure_list(case: ListCase, api: Api, raw: Raw, repeat: int) -> Row:
    from cooperation_portal.api.pagination import COUNT_LIMIT

    path = "/api/v1/requests/?" + urlencode(case.params, doseq=True)
    api.get(path)  # warm caches and the connection
    query_count, body = api.queries(path)
    api_times = timed(lambda: api.answer(path), repeat)
    calls = python_calls(lambda: api.answer(path))
    page = int(case.params.get("page", 1))
    limit = max(COUNT_LIMIT, page * 50) + 1
    rows_sql = LIST_SQL.format(where=case.where) + f" OFFSET {(page - 1) * 50}"
    # The same answer by hand: the page's rows, and the count as the API gives it (exact up to its limit).
    capped_count = (
        f"SELECT count(*) FROM (SELECT 1 FROM requests_app_cooperationrequest r WHERE {case.where} "  # noqa: S608
        f"LIMIT {limit}) s"
    )
    statements = [(rows_sql, case.where_params), (capped_count, case.where_params)]
    raw.run(statements)
    raw_rows_times = timed(lambda: raw.run(statements[:1]), repeat)
    raw_times = timed(lambda: raw.run(statements), repeat)
    raw_rows, raw_count = raw.run(statements)
    exact = raw.run([(COUNT_SQL.format(where=case.where), case.where_params)])[0][0][0]  # untimed, for the record
    same_rows = [row["id"] for row in body["results"]] == [row[0] for row in raw_rows]
    median, p95 = statistics.median(api_times), percentile(api_times, 0.95)
    raw_median = statistics.median(raw_times)
    ratio = median / raw_median
    met = median * 1000 < TARGETS["list_ms"] and ratio < TARGETS["list_ratio"]
    shown = f"count {body['count']:,}" + ("" if body["count_exact"] else f"+ (exact {exact:,})")
    shown += f"; {calls:,} Python calls"
    row = Row(
        f"list, {case.label}", f"median {ms(median)}, p95 {ms(p95)}", str(query_count),
        f"{ms(raw_median)} (page rows alone {ms(statistics.median(raw_rows_times))})", f"{ratio:.2f}x",
        shown, "median < 50 ms and < 3x raw", met,
    )
    if not same_rows:
        row.notes.append(f"{row.what}: the raw SQL returned other rows than the API (check the WHERE clause)")
    if body["count"] != raw_count[0][0] or body["count"] != min(exact, limit):
        row.notes.append(f"{row.what}: API count {body['count']:,}, raw capped count {raw_count[0][0]:,}")
    return row


def dashboard_statements(today: datetime.date, where: str, params: list[Any]) -> list[tuple[str, Sequence[Any]]]:
    """The dashboard's main figures by hand: counts in the period by status, type, organ, region and partner, the
    monthly series, and what is overdue today by region and partner."""
    start = today - datetime.timedelta(days=365)
    base = "FROM requests_app_cooperationrequest r JOIN partners_partner p ON p.id = r.partner_id"
    period = f"{where} AND r.transmitted_on BETWEEN %s AND %s"
    overdue = f"{where} AND r.status IN %s AND r.due_on < %s AND r.clock_paused_since IS NULL"
    period_params = [*params, start, today]
    overdue_params = [*params, OPEN_STATUSES, today]
    return [
        (f"SELECT r.status, count(*) {base} WHERE {period} GROUP BY 1", period_params),
        (f"SELECT r.request_type, count(*) {base} WHERE {period} GROUP BY 1", period_params),
        (f"SELECT r.organ, count(*) {base} WHERE {period} GROUP BY 1", period_params),
        (f"SELECT p.regional_group, count(*) {base} WHERE {period} GROUP BY 1", period_params),
        (f"SELECT date_trunc('month', r.transmitted_on), count(*) {base} WHERE {period} GROUP BY 1", period_params),
        (f"SELECT p.code, count(*) {base} WHERE {period} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 15", period_params),
        (f"SELECT p.regional_group, count(*) {base} WHERE {overdue} GROUP BY 1", overdue_params),
        (f"SELECT p.code, count(*) {base} WHERE {overdue} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 15", overdue_params),
    ]


def measure_dashboard(label: str, api: Api, raw: Raw, statements: Any, repeat: int) -> list[Row]:
    """Two rows: the first call after any change (cache emptied before each call) and the calls that follow."""
    from django.core.cache import cache

    path = "/api/v1/dashboard/summary/"

    def uncached() -> bytes:
        cache.clear()
        return api.answer(path)

    uncached()
    cache.clear()
    cold_queries, body = api.queries(path)
    warm_queries, _ = api.queries(path)
    cold_times = timed(uncached, max(3, repeat // 6))
    api.answer(path)
    warm_times = timed(lambda: api.answer(path), repeat)
    warm_calls = python_calls(lambda: api.answer(path))
    raw.run(statements)
    raw_times = timed(lambda: raw.run(statements), max(3, repeat // 6))
    by_status = dict(raw.run(statements[:1])[0])
    raw_median = statistics.median(raw_times)
    rows = []
    for kind, times, queries, calls in (("first call after a change", cold_times, cold_queries, ""),
                                        ("cached, data unchanged", warm_times, warm_queries,
                                         f"; {warm_calls:,} Python calls")):
        median = statistics.median(times)
        rows.append(Row(
            f"dashboard summary, {label}, {kind}", f"median {ms(median)}, p95 {ms(percentile(times, 0.95))}",
            str(queries), ms(raw_median), f"{median / raw_median:.2f}x",
            f"transmitted {body['requests']['transmitted']:,}{calls}", "median < 200 ms",
            median * 1000 < TARGETS["dashboard_ms"],
        ))
    if sum(by_status.values()) != body["requests"]["transmitted"]:
        rows[0].notes.append(
            f"{rows[0].what}: API {body['requests']['transmitted']:,} transmitted, raw {sum(by_status.values()):,}"
        )
    return rows


def report_statements(
    start: datetime.date, end: datetime.date, today: datetime.date
) -> list[tuple[str, Sequence[Any]]]:
    """The report's main counts by hand: transmitted requests by organ, type, partner kind on the day and region,
    leaving out those linked to a warrant still under seal; and outcomes reported in the period."""
    sealed_link = """NOT EXISTS (
        SELECT 1 FROM warrants_app_arrestwarrant_linked_requests l
        JOIN warrants_app_arrestwarrant w ON w.id = l.arrestwarrant_id
        WHERE l.cooperationrequest_id = r.id AND w.under_seal AND (w.unsealed_on IS NULL OR w.unsealed_on > %s))"""
    return [
        (
            """SELECT r.organ, r.request_type,
                CASE WHEN p.kind = 'organization' THEN 'organization'
                     WHEN p.entry_into_force_date <= r.transmitted_on AND (p.withdrawal_effective_date IS NULL
                          OR p.withdrawal_effective_date > r.transmitted_on) THEN 'state_party'
                     ELSE 'non_party_state' END,
                p.regional_group, count(*), count(*) FILTER (WHERE r.confidentiality = 'public')
            FROM requests_app_cooperationrequest r JOIN partners_partner p ON p.id = r.partner_id
            WHERE r.deleted_at IS NULL AND r.transmitted_on BETWEEN %s AND %s AND SEALED_LINK
            GROUP BY 1, 2, 3, 4""".replace(
                "SEALED_LINK", sealed_link
            ),
            [start, end, today],
        ),
        (
            """SELECT r.status, count(*) FROM requests_app_cooperationrequest r
            WHERE r.deleted_at IS NULL AND r.outcome_on BETWEEN %s AND %s AND SEALED_LINK
            GROUP BY 1""".replace("SEALED_LINK", sealed_link),
            [start, end, today],
        ),
    ]


# --- The overdue sweep, in a child process ----------------------------------------------------------------------


def sweep_child(env: dict[str, str]) -> list[dict[str, Any]]:
    """Runs in a fresh interpreter (spawn): reset, then the first sweep ever and the next day's."""
    os.environ.update(env)
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from benchmarks.overdue_sweep import reset_escalation_state, timed_sweep
    from cooperation_portal.dates import court_today

    reset_escalation_state()
    today = court_today()
    first = timed_sweep(today)
    daily = timed_sweep(today + datetime.timedelta(days=1))
    return [{"label": "first sweep ever (whole backlog)", **first}, {"label": "next day's sweep (daily run)", **daily}]


def sweep_rows(env: dict[str, str]) -> list[Row]:
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        results = pool.apply(sweep_child, (env,))
    rows = []
    for result in results:
        met = result["seconds"] < TARGETS["sweep_s"] and result["peak_rss_mb"] < TARGETS["sweep_mb"]
        rows.append(Row(
            f"overdue sweep, {result['label']}", f"{result['seconds']:.2f} s", str(result["queries"]), "", "",
            f"peak RSS {result['peak_rss_mb']:.0f} MB (Python {result['py_peak_mb']:.1f} MB); "
            f"{result['escalated']:,} escalated, {result['cleared']:,} cleared",
            "< 10 s, peak < 300 MB", met,
        ))
    return rows


# --- Load test --------------------------------------------------------------------------------------------------

WRK_SCRIPT = """
local entries = %(entries)s
local requests_ = {}
local threads = {}
local counter = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("offset", #threads * 37)
end

function init(args)
  for i, entry in ipairs(entries) do
    requests_[i] = wrk.format("GET", entry[1], {
      ["Authorization"] = "Token " .. entry[2], ["X-Forwarded-Proto"] = "https", ["Host"] = "127.0.0.1"})
  end
  counter = offset %% #requests_
  failures = 0
  statuses = ""
end

function request()
  counter = counter %% #requests_ + 1
  return requests_[counter]
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    failures = failures + 1
    if #statuses < 200 then statuses = statuses .. status .. " " end
  end
end

function done(summary, latency, requests)
  local failed, seen = 0, ""
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("failures")
    seen = seen .. thread:get("statuses")
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %%d, "duration_us": %%d, "socket_errors": %%d, "non_2xx": %%d, "p50_us": %%d, ' ..
    '"p90_us": %%d, "p99_us": %%d, "max_us": %%d, "statuses": "%%s"}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, failed,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, seen))
end
"""


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def load_test(env: dict[str, str], entries: list[tuple[str, str]], args: argparse.Namespace) -> Row:
    wrk = shutil.which("wrk")
    if wrk is None:
        return Row("load test", "not run", other="wrk is missing: apt-get install -y wrk",
                   target="0 errors, p99 < 500 ms")
    port = free_port()
    work = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    script = work / "mix.lua"
    lua_entries = "{" + ", ".join(f'{{"{path}", "{token}"}}' for path, token in entries) + "}"
    script.write_text(WRK_SCRIPT % {"entries": lua_entries})
    gunicorn_log = work / "gunicorn.log"
    server_env = {**os.environ, **env}
    command = [
        str(Path(sys.executable).parent / "gunicorn"), "cooperation_portal.wsgi",
        "--config", "python:cooperation_portal.gunicorn", "--bind", f"127.0.0.1:{port}",
        "--workers", str(args.workers), "--error-logfile", str(gunicorn_log), "--timeout", "30",
    ]
    server = subprocess.Popen(command, cwd=BASE_DIR, env=server_env, start_new_session=True)  # noqa: S603
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except OSError:  # refused, reset or timed out (URLError is an OSError too) while gunicorn starts
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit(f"gunicorn did not start; see {gunicorn_log}") from None
                time.sleep(0.5)
        threads = min(args.clients, os.cpu_count() or 2)

        def run_wrk(seconds: int) -> dict[str, Any]:
            result = subprocess.run(  # noqa: S603
                [wrk, "-t", str(threads), "-c", str(args.clients), "-d", f"{seconds}s", "--timeout", "10s",
                 "-s", str(script), f"http://127.0.0.1:{port}/"],
                capture_output=True, text=True, timeout=seconds + 60, check=False,
            )
            line = next((line for line in result.stdout.splitlines() if line.startswith("WRKJSON ")), None)
            if line is None:
                raise SystemExit(f"wrk printed no summary:\n{result.stdout}\n{result.stderr}")
            return dict(json.loads(line.removeprefix("WRKJSON ")))

        warmup = None
        if args.warmup_seconds:
            say(f"Load test: gunicorn {args.workers} sync workers on 127.0.0.1:{port}, wrk {args.clients} connections "
                f"for {args.warmup_seconds} s of warm-up, not counted ...")
            warmup = run_wrk(args.warmup_seconds)
        say(f"Load test: wrk {args.clients} connections for {args.load_seconds} s ...")
        figures = run_wrk(args.load_seconds)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    errors = figures["socket_errors"] + figures["non_2xx"]
    # An error in the warm-up is an error all the same: it fails the target too.
    warmup_errors = 0 if warmup is None else warmup["socket_errors"] + warmup["non_2xx"]
    rate = figures["requests"] / (figures["duration_us"] / 1e6)
    p99_ms = figures["p99_us"] / 1000
    after = f" after {args.warmup_seconds} s warm-up" if warmup is not None else ""
    row = Row(
        f"load: {args.clients} clients x {args.load_seconds} s{after}, gunicorn {args.workers} workers, wrk",
        f"p50 {figures['p50_us'] / 1000:.0f} ms, p90 {figures['p90_us'] / 1000:.0f} ms, p99 {p99_ms:.0f} ms",
        "", "", "",
        f"{rate:.0f} req/s, {figures['requests']:,} requests, {errors} errors "
        f"({figures['non_2xx']} non-2xx, {figures['socket_errors']} socket)",
        "0 errors, p99 < 500 ms", errors == 0 and warmup_errors == 0 and p99_ms < TARGETS["load_p99_ms"],
    )
    if figures["statuses"].strip():
        row.notes.append(f"load test non-2xx statuses seen: {figures['statuses'].strip()}")
    if warmup is not None:
        row.notes.append(
            f"load test warm-up, not counted ({args.warmup_seconds} s from the workers' start, the same mix): "
            f"p50 {warmup['p50_us'] / 1000:.0f} ms, p99 {warmup['p99_us'] / 1000:.0f} ms, max "
            f"{warmup['max_us'] / 1000:.0f} ms, {warmup['requests']:,} requests, {warmup_errors} errors"
        )
        if warmup["statuses"].strip():
            row.notes.append(f"load test warm-up non-2xx statuses seen: {warmup['statuses'].strip()}")
    shutil.rmtree(work, ignore_errors=True)
    return row


# --- Main ---------------------------------------------------------------------------------------------------------


def print_table(rows: list[Row], header: str) -> None:
    columns = ("measurement", "time", "SQL queries", "raw SQL (psycopg2)", "ratio", "figures", "target", "met")
    cells = [
        (row.what, row.time, row.queries, row.raw, row.ratio, row.other, row.target,
         "" if row.met is None else ("yes" if row.met else "NO"))
        for row in rows
    ]
    widths = [max(len(columns[i]), *(len(cell[i]) for cell in cells)) for i in range(len(columns))]
    say(header)
    say(" | ".join(name.ljust(width) for name, width in zip(columns, widths, strict=True)))
    say("-+-".join("-" * width for width in widths))
    for cell in cells:
        say(" | ".join(value.ljust(width) for value, width in zip(cell, widths, strict=True)))
    notes = [note for row in rows for note in row.notes]
    for note in notes:
        say(f"note: {note}")
    met = [row for row in rows if row.met]
    missed = [row for row in rows if row.met is False]
    say(f"Targets met: {len(met)} of {len(met) + len(missed)}.")
    for row in missed:
        say(f"  falls short: {row.what}: {row.time}; {row.ratio or row.other} (target {row.target})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1_000_000, help="Requests wanted in the database.")
    parser.add_argument("--repeat", type=int, default=30, help="Timed calls per list and dashboard measure.")
    parser.add_argument("--report-repeat", type=int, default=3, help="Timed calls of the annual report.")
    parser.add_argument("--clients", type=int, default=50, help="Concurrent connections of the load test.")
    parser.add_argument("--load-seconds", type=int, default=60, help="Duration of the load test.")
    parser.add_argument(
        "--warmup-seconds", type=int, default=10,
        help="Load before the measured run, not counted: the workers start and the caches fill (0: none).",
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (2 x cores by default).")
    parser.add_argument("--skip-sweep", action="store_true", help="Leave the overdue sweep out.")
    parser.add_argument("--skip-load", action="store_true", help="Leave the load test out.")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database, e.g. postgres://postgres@127.0.0.1:5432/portal_bench")
    env = {
        **PRODUCTION_ENV,
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50),
        "PORTAL_VAR_DIR": os.environ.get("PORTAL_VAR_DIR", str(Path(tempfile.gettempdir()) / "portal-bench-var")),
        "DATABASE_URL": url,
        "PORTAL_API_THROTTLE_USER": LOAD_THROTTLE,
    }
    Path(env["PORTAL_VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    os.environ.update({key: value for key, value in env.items() if key != "DJANGO_SETTINGS_MODULE"})

    ensure_database(url)
    manage("migrate", "--verbosity", "0")
    os.environ["DJANGO_SETTINGS_MODULE"] = env["DJANGO_SETTINGS_MODULE"]
    import django

    django.setup()
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from cooperation_portal.accounts.models import User
    from cooperation_portal.dates import court_today
    from requests_app.models import CooperationRequest

    held = CooperationRequest.objects.count()
    if held < args.requests:
        say(f"The database holds {held:,} requests: generating up to {args.requests:,} (load_demo_data) ...")
        connection.close()
        manage("load_demo_data", "--requests", str(args.requests),
               "--password", f"bench-{secrets.token_urlsafe(DEMO_PASSWORD_BYTES)}")
        held = CooperationRequest.objects.count()

    rows: list[Row] = []
    if not args.skip_sweep:
        say("Overdue sweep: resetting the escalation state, then two timed sweeps in a child process ...")
        connection.close()
        rows.extend(sweep_rows(env))
    with connection.cursor() as cursor:
        # What autovacuum would have done by the time anyone reads: visibility map and statistics up to date.
        cursor.execute("VACUUM ANALYZE")

    logins = ("registry", "registry-cleared", "focal-point", "focal-point-2", "facilitator")
    users = {user.username: user for user in User.objects.filter(username__in=logins)}
    missing = set(logins) - set(users)
    if missing:
        raise SystemExit(f"Demo logins missing: {sorted(missing)}; run load_demo_data on this database.")
    # Benchmark setup, not a portal action: an API token per demo login for the in-process client and for wrk.
    tokens = {name: Token.objects.get_or_create(user=user)[0].key for name, user in users.items()}
    today = court_today()
    raw = Raw(url)

    say(f"Measuring in-process (django.test.Client, production settings, DEBUG={django.conf.settings.DEBUG}) ...")
    apis = {name: Api(token) for name, token in tokens.items()}
    focal_partner_id = users["focal-point"].partner_id
    if focal_partner_id is None:
        raise SystemExit("The demo focal point has no partner; run load_demo_data on this database.")
    for case in list_cases(today, focal_partner_id):
        rows.append(measure_list(case, apis[case.login], raw, args.repeat))

    not_sealed = f"{LIVE} AND r.confidentiality <> 'under_seal'"
    focal_scope = f"{LIVE} AND r.partner_id = %s AND r.status <> 'draft'"
    facilitator_scope = f"{LIVE} AND r.status <> 'draft' AND r.confidentiality <> 'under_seal'"
    rows.extend(measure_dashboard(
        "registry", apis["registry"], raw, dashboard_statements(today, not_sealed, []), args.repeat
    ))
    rows.extend(measure_dashboard(
        "focal point", apis["focal-point"], raw, dashboard_statements(today, focal_scope, [focal_partner_id]),
        args.repeat,
    ))
    rows.extend(measure_dashboard(
        "facilitator", apis["facilitator"], raw, dashboard_statements(today, facilitator_scope, []), args.repeat
    ))

    year = today.year - 1
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    path = f"/api/v1/reports/annual/?start={start.isoformat()}&end={end.isoformat()}"
    report_api = apis["registry"]
    report_api.get(path)
    query_count, _ = report_api.queries(path)
    report_times = timed(lambda: report_api.answer(path), args.report_repeat)
    statements = report_statements(start, end, today)
    raw.run(statements)
    raw_times = timed(lambda: raw.run(statements), args.report_repeat)
    median, raw_median = statistics.median(report_times), statistics.median(raw_times)
    rows.append(Row(
        f"annual report {year}, registry", f"median {median:.2f} s (of {args.report_repeat})", str(query_count),
        ms(raw_median), f"{median / raw_median:.1f}x", "", "< 5 s", median < TARGETS["report_s"],
    ))

    # Printed now as well, so that a load test that fails still leaves these figures on screen.
    print_table(rows, "In-process figures (the whole table follows the load test):")
    if not args.skip_load:
        rng = random.Random(7)  # noqa: S311 - a repeatable mix, not a secret

        def sample_ids(login: str, size: int) -> list[int]:
            ids = list(CooperationRequest.objects.visible_to(users[login]).order_by().values_list("pk", flat=True)
                       .filter(pk__in=[rng.randrange(1, held * 2) for _ in range(size * 40)])[:size])
            return ids

        entries: list[tuple[str, str]] = []
        cases = list_cases(today, focal_partner_id)
        for index in range(40):  # 40 % list calls, registry and focal points
            case = cases[index % len(cases)]
            login = case.login if case.login != "focal-point" or index % 2 else "focal-point-2"
            entries.append(("/api/v1/requests/?" + urlencode(case.params, doseq=True), tokens[login]))
        for login in ("registry", "registry-cleared", "focal-point", "focal-point-2"):  # 40 % details
            entries.extend((f"/api/v1/requests/{pk}/", tokens[login]) for pk in sample_ids(login, 10))
        for index in range(20):  # 20 % dashboards, every role that has one
            login = ("registry", "focal-point", "facilitator", "focal-point-2", "registry-cleared")[index % 5]
            entries.append(("/api/v1/dashboard/summary/", tokens[login]))
        rng.shuffle(entries)
        connection.close()
        rows.append(load_test(env, entries, args))

    load = Path("/proc/loadavg").read_text().split()[:3]
    with connection.cursor() as cursor:
        # Each run's reset and first sweep rewrite 150,000 request rows, and the indexes keep growing from run to run
        # until rebuilt: their size is part of what a run measured.
        table = CooperationRequest._meta.db_table
        cursor.execute(
            "SELECT pg_size_pretty(pg_relation_size(%s)), pg_size_pretty(pg_indexes_size(%s))", [table, table]
        )
        table_size, indexes_size = cursor.fetchone()
    header = (
        f"Cooperation Portal benchmark, {datetime.datetime.now().isoformat(timespec='minutes')}: PostgreSQL "
        f"{connection.settings_dict['NAME']}, {held:,} requests (table {table_size}, its indexes {indexes_size}); "
        f"{os.cpu_count()} cores; load average {' '.join(load)} at the end; in-process timings over {args.repeat} "
        "calls after one warm-up"
    )
    say()
    print_table(rows, header)


if __name__ == "__main__":
    main()
