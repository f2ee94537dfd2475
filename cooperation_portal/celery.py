"""The Celery application; its configuration is read from the CELERY_* Django settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cooperation_portal.settings.local")

app = Celery("cooperation_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
