"""gunicorn's settings (cooperation_portal/gunicorn.py), as the Procfile, the image and the benchmark use them."""

import json
import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
CONFIG = "python:cooperation_portal.gunicorn"

HOOK_CHECK = """
import gc, json, sys
import django
django.setup()
before = "cooperation_portal.dashboards.api" in sys.modules
from cooperation_portal.gunicorn import post_worker_init
post_worker_init(None)
print(json.dumps({"before": before, "after": "cooperation_portal.dashboards.api" in sys.modules,
                  "frozen": gc.get_freeze_count(), "enabled": gc.isenabled()}))
"""


def test_a_worker_loads_every_view_then_freezes_what_it_holds():
    """The hook gunicorn calls in each worker before its first request: the API's views are imported then, not by
    the first caller, and the objects loaded so far are out of the collector's way (gc.freeze), which stays on for
    what requests create. Run in a child process: freezing this one's heap would outlive the test."""
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", HOOK_CHECK], cwd=BASE_DIR, env=os.environ, capture_output=True, text=True,
        check=True, timeout=120,
    )
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["before"] is False
    assert seen["after"] is True
    assert seen["frozen"] > 10_000
    assert seen["enabled"] is True


def test_gunicorn_accepts_the_settings():
    """`gunicorn --check-config` imports the settings module and loads the application: it fails when either
    cannot be imported."""
    gunicorn = Path(sys.executable).parent / "gunicorn"
    result = subprocess.run(  # noqa: S603
        [str(gunicorn), "--check-config", "--config", CONFIG, "cooperation_portal.wsgi"],
        cwd=BASE_DIR, env=os.environ, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr


def test_every_way_of_starting_the_web_server_uses_the_settings():
    """The Procfile (make run), the image, docker-compose.yml and the benchmark's load test."""
    for name in ("Procfile", "Dockerfile", "docker-compose.yml", "benchmarks/run.py"):
        text = (BASE_DIR / name).read_text()
        assert "gunicorn" in text
        assert CONFIG in text, name
