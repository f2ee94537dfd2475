# The portal's image: the same code runs as web (gunicorn), worker and beat (celery); see docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=cooperation_portal.settings.production \
    PORTAL_VAR_DIR=/app/var \
    PORTAL_MEDIA_ROOT=/data/media

# gettext compiles the French translations at build time; the PostgreSQL client tools serve backup_portal and
# restore_portal (pg_dump and pg_restore of the server's major version or later).
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext postgresql-client \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system portal && useradd --system --gid portal --home-dir /app --shell /usr/sbin/nologin portal

WORKDIR /app
COPY requirements/ requirements/
RUN pip install -r requirements/base.txt

COPY --chown=portal:portal . .

# collectstatic and compilemessages import the production settings, which refuse to start without these:
# build-time placeholders only, never used at run time (the env_file provides the real values).
RUN DJANGO_SECRET_KEY=build-time-placeholder-not-a-secret-0123456789abcdefghijklmnop \
    DJANGO_ALLOWED_HOSTS=localhost \
    DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    CELERY_BROKER_URL=redis://localhost:6379/0 \
    sh -c "python manage.py collectstatic --noinput && python manage.py compilemessages --ignore=var" \
    && mkdir -p /app/var /data/media \
    && chown -R portal:portal /app/var /data/media

USER portal
EXPOSE 8000

CMD ["gunicorn", "cooperation_portal.wsgi", "--config", "python:cooperation_portal.gunicorn", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-", "--error-logfile", "-"]
