"""Time the overdue sweep over a large database, with its query count and peak memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench_overdue \\
        .venv/bin/python benchmarks/overdue_sweep.py --requests 1000000

An empty database is first filled with `manage.py load_demo_data --requests N` in a child process, so that this
process's peak memory is the sweep's, not the generator's. The escalation state is reset before timing (outside
the timed part), then four sweeps run: the first flags every request from scratch (the backlog on the day the
engine is switched on), the second finds nothing new (idempotent), the third is an ordinary next day (the daily
run), the fourth jumps 30 days (a month of crossings at once).
"""

import argparse
import datetime
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cooperation_portal.settings.local")


def _rss_mb() -> float:
    """Current resident set size of this process."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def reset_escalation_state() -> float:
    """Forget every escalation (steps, their events, notifications, levels) so the next sweep is the first ever.
    Returns the seconds it took; the caller does not count them."""
    from django.db import connection

    from cooperation_portal.notifications.models import Notification
    from requests_app.choices import EventKind
    from requests_app.models import CooperationRequest, EscalationStep, RequestEvent

    started = time.perf_counter()
    Notification.objects.all()._raw_delete(Notification.objects.db)
    EscalationStep.objects.all()._raw_delete(EscalationStep.objects.db)
    RequestEvent.objects.filter(kind=EventKind.ESCALATION)._raw_delete(RequestEvent.objects.db)
    CooperationRequest.objects.exclude(escalation_level=0, escalation_cycle=0).update(
        escalation_level=0, escalation_changed_on=None, escalation_cycle=0
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def timed_sweep(on: datetime.date) -> dict[str, float | int]:
    """One sweep as of `on`: seconds, SQL statements, rows changed, Python allocation peak and peak RSS so far."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from requests_app import overdue

    tracemalloc.start()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = overdue.sweep(on=on)
        elapsed = time.perf_counter() - started
    _, python_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "seconds": elapsed, "queries": len(queries), "escalated": result.total_escalated, "cleared": result.cleared,
        "notifications": result.notifications, "py_peak_mb": python_peak / 2**20, "peak_rss_mb": _peak_rss_mb(),
    }


def say(*parts: object, flush: bool = False) -> None:
    sys.stdout.write(" ".join(str(part) for part in parts) + "\n")
    if flush:
        sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--requests", type=int, default=1_000_000, help="Requests to generate if the database is empty."
    )
    parser.add_argument(
        "--allow-sqlite", action="store_true", help="Run on SQLite too (the figure that counts is PostgreSQL's)."
    )
    parser.add_argument("--no-reset", action="store_true", help="Keep the escalation state instead of starting afresh.")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    from cooperation_portal.dates import court_today
    from cooperation_portal.notifications.models import Notification
    from requests_app.choices import EventKind
    from requests_app.models import CooperationRequest, EscalationStep, RequestEvent

    if connection.vendor != "postgresql" and not args.allow_sqlite:
        sys.exit(f"The benchmark runs on PostgreSQL (DATABASE_URL); this database is {connection.vendor}.")

    if not CooperationRequest.objects.exists():
        say(f"Empty database: generating {args.requests:,} demo requests (load_demo_data) ...", flush=True)
        subprocess.run(  # noqa: S603 - fixed arguments
            [sys.executable, str(BASE_DIR / "manage.py"), "load_demo_data", "--requests", str(args.requests)],
            check=True, env=os.environ,
        )
    total = CooperationRequest.objects.count()
    open_count = CooperationRequest.objects.open().count()

    if not args.no_reset:
        seconds = reset_escalation_state()
        say(f"Escalation state reset in {seconds:.1f} s (not timed).", flush=True)

    today = court_today()
    runs = [("first sweep", today), ("second sweep, same day", today),
            ("next day", today + datetime.timedelta(days=1)),
            ("30 days later", today + datetime.timedelta(days=30))]
    rows = []
    rss_before = _rss_mb()
    for label, on in runs:
        measured = timed_sweep(on)
        rows.append((label, measured["seconds"], measured["queries"], measured["escalated"], measured["cleared"],
                     measured["notifications"], measured["py_peak_mb"], measured["peak_rss_mb"]))

    say()
    say(f"Database: {connection.vendor} {connection.settings_dict['NAME']}; {total:,} requests, "
          f"{open_count:,} open; day {today.isoformat()}")
    say(f"Process RSS before the sweeps: {rss_before:.0f} MB")
    header = ("run", "seconds", "queries", "escalated", "cleared", "notifications", "py peak MB", "peak RSS MB")
    say(f"{header[0]:<24}" + "".join(f"{h:>14}" for h in header[1:]))
    for label, elapsed, query_count, escalated, cleared, notifications, py_peak, rss_peak in rows:
        say(f"{label:<24}{elapsed:>14.2f}{query_count:>14}{escalated:>14,}{cleared:>14,}{notifications:>14,}"
              f"{py_peak:>14.2f}{rss_peak:>14.0f}")
    say()
    say("Rows now:", {
        "escalation steps": EscalationStep.objects.count(),
        "escalation events": RequestEvent.objects.filter(kind=EventKind.ESCALATION).count(),
        "notifications": Notification.objects.count(),
    })


if __name__ == "__main__":
    main()
