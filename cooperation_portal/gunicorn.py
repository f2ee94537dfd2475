"""gunicorn's settings for the portal: the Procfile, the Dockerfile, docker-compose.yml and the benchmark start it
with `--config python:cooperation_portal.gunicorn`; their command lines add the address and the number of workers.

Each worker makes itself ready before it takes a request, then keeps the garbage collector off what it loaded:

- It imports the URL configuration, so every view, serializer and FilterSet, which Django otherwise does on the
  first request a worker receives: about a quarter of a second here, that the first caller of each new worker (after
  a start, a restart or a deployment) waited for.
- It freezes what it holds then (gc.freeze): the modules, classes and functions it loaded live as long as the
  process, yet every full collection walked them again. Under the benchmark's load test each worker held about
  160,000 tracked objects and ran a full collection every 13 seconds or so, which took 160 to 400 ms on this 2-core
  machine and held up every request queued behind it: the largest part of the load test's p99. Frozen, they are left
  out of every collection; what requests create is collected as before.
"""

import gc
from typing import Any


def post_worker_init(worker: Any) -> None:
    """Called by gunicorn in each worker once it has loaded the WSGI application, before its first request."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 -- the import of every URL module is the point
    gc.collect()
    gc.freeze()
