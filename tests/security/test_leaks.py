"""The leak test: sealed and confidential material carries unique markers, and none reaches those not entitled to it.

State A has a confidential request, a request under seal and a public request, each with markers in its subject,
description, messages, event notes, attachment names and contents; a warrant under seal carries markers in the
person's name, its charges and a contact report; a confidential agreement of A in its title, notes and a placement.

The portal is then exercised as the focal point of State B and as a facilitator (every marker is out of their
reach, bar the subject of A's public request, which the annual report lists among overdue public requests), and as
registry staff without sealed clearance who may view every record in the admin (the sealed markers are out of their
reach): every page of every named URL pattern, the admin's included (detail pages of the marked objects by id, lists
with searches and filters), every GET operation of the API schema
(lists with search and filters, details of the marked objects), the request exports, the annual report in every
format (PDF read back as text), the dashboard summary, the e-mails sent by the overdue sweep and the notification
sender, and every log line of every logger at DEBUG (SQL with its parameters included). Bodies are searched decoded
(XLSX unzipped and read, PDF text extracted). No marker may be found, no page may fail with a 5xx.

The search is proven to work by positive controls: the same walk as cleared registry staff and as A's focal point
finds the markers they are entitled to, the report formats show a public warrant's control string, A's focal point
receives the public request's subject by e-mail, and a marker written by registry staff shows in the SQL log.

Searches send only the random token (never the "LK" prefix of a marker), so a page that echoes the search term
does not count as a leak.
"""

import datetime
import io
import json
import logging
import re
import secrets
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import product
from typing import Any

import pypdfium2
import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch
from django.urls.resolvers import RoutePattern
from drf_spectacular.generators import SchemaGenerator
from openpyxl import load_workbook

from agreements_app import services as agreement_services
from agreements_app.choices import AgreementType
from agreements_app.models import Placement, VoluntaryAgreement
from cooperation_portal.accounts.models import User
from cooperation_portal.dates import court_today
from cooperation_portal.notifications.models import Notification
from cooperation_portal.notifications.services import notifications_send
from cooperation_portal.reports.services import report_export_request, report_export_run
from requests_app import overdue
from requests_app import services as request_services
from requests_app.choices import Confidentiality, Organ, PauseReason, RequestType, Status
from requests_app.models import Attachment, CooperationRequest
from tests import factories
from warrants_app import services as warrant_services
from warrants_app.models import ArrestWarrant, ContactReport

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

TOKEN = secrets.token_hex(5)
MARKER = re.compile(f"LK{TOKEN}[A-Z]*", re.IGNORECASE)
CONTROL = f"CT{TOKEN}PUBLICPERSON"  # a public warrant's person, which every report format must show
PDF_TEMPLATE = (
    b"%%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n2 0 obj << /Length 44 >>\n"
    b"stream\nBT (%s) Tj ET\nendstream endobj\ntrailer << /Root 1 0 R >>\n%%%%EOF\n"
)


def marker(label: str) -> str:
    return f"LK{TOKEN}{label}"


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class World:
    users: dict[str, User]
    # Markers by who may see them: registry staff without clearance may see the confidential ones and A's public
    # request; only cleared staff (and, for requests transmitted to A, A's focal point) the sealed ones.
    sealed_markers: set[str]
    confidential_markers: set[str]
    other_state_markers: set[str]
    ids: dict[str, list[int]]  # kind -> ids of the marked objects of that kind
    sealed_targets: set[tuple[str, int]]  # (kind, id) of the objects only cleared staff may open
    attachments: list[tuple[int, int]]  # (request id, attachment id)
    notifications: list[int]
    exports: list[int]
    partner_a: str
    start: datetime.date
    end: datetime.date

    @property
    def all_markers(self) -> set[str]:
        return self.sealed_markers | self.confidential_markers | self.other_state_markers


@pytest.fixture
def world(settings, tmp_path, state_a, state_b, registry_user, cleared_registry_user, focal_point_a, focal_point_b,
          facilitator) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    today = court_today()
    long_ago = today - datetime.timedelta(days=150)
    sealed: set[str] = set()
    confidential: set[str] = set()
    other_state: set[str] = set()
    situation = factories.SituationFactory()
    cleared = cleared_registry_user

    def marked(label: str, bucket: set[str]) -> str:
        bucket.add(marker(label))
        return marker(label)

    def marked_request(tag: str, confidentiality: str, bucket: set[str]) -> tuple[CooperationRequest, list[int]]:
        coop_request = request_services.request_create(
            actor=cleared, partner=state_a, organ=Organ.REGISTRY, request_type=RequestType.ARREST_SURRENDER,
            subject=marked(f"SUBJ{tag}", bucket), description=marked(f"DESC{tag}", bucket),
            confidentiality=confidentiality, situation=situation,
        )
        coop_request = request_services.request_transition_and_notify(
            coop_request=coop_request, actor=cleared, to_status=Status.TRANSMITTED, on=long_ago,
            due_on=long_ago + datetime.timedelta(days=30), note=marked(f"SENTNOTE{tag}", bucket),
        )
        request_services.request_pause_clock(
            coop_request=coop_request, actor=focal_point_a, reason=PauseReason.POSTPONEMENT_ART94,
            on=long_ago + datetime.timedelta(days=5), note=marked(f"PAUSENOTE{tag}", bucket),
        )
        request_services.request_resume_clock(
            coop_request=coop_request, actor=cleared, on=long_ago + datetime.timedelta(days=6),
            note=marked(f"RESUMENOTE{tag}", bucket),
        )
        event = request_services.request_add_message(
            coop_request=coop_request, actor=focal_point_a, body=marked(f"MSG{tag}", bucket),
            files=[
                SimpleUploadedFile(f"{marked(f'FILENAME{tag}', bucket)}.txt",
                                   f"Evidence: {marked(f'FILETEXT{tag}', bucket)}\n".encode()),
                SimpleUploadedFile("scan.pdf", PDF_TEMPLATE % marked(f"PDFTEXT{tag}", bucket).encode()),
            ],
        )
        request_services.request_add_message(
            coop_request=coop_request, actor=cleared, body=marked(f"REPLY{tag}", bucket)
        )
        coop_request.refresh_from_db()
        return coop_request, list(event.attachments.values_list("pk", flat=True))

    conf, conf_files = marked_request("CONF", Confidentiality.CONFIDENTIAL, confidential)
    seal, seal_files = marked_request("SEAL", Confidentiality.UNDER_SEAL, sealed)
    public_a, public_files = marked_request("PUBA", Confidentiality.PUBLIC, other_state)

    warrant = warrant_services.warrant_create(
        actor=cleared, person_name=marked("PERSON", sealed), situation=situation, chamber="Pre-Trial Chamber II",
        issued_on=long_ago, charges=marked("CHARGES", sealed), under_seal=True, believed_in=[state_a],
    )
    warrant_services.warrant_link_requests(warrant=warrant, actor=cleared, requests=[seal, conf])
    # Filed while the warrant was public to A (a focal point cannot report on a sealed one through the service).
    contact = ContactReport.objects.create(
        warrant=warrant, partner=state_a, reported_by=focal_point_a, contact_on=long_ago,
        place=marked("PLACE", sealed), description=marked("CONTACT", sealed),
    )
    factories.ArrestWarrantFactory(person_name=CONTROL, situation=situation, issued_on=long_ago)

    agreement = agreement_services.agreement_create(
        actor=cleared, partner=state_a, agreement_type=AgreementType.RELOCATION, title=marked("AGTITLE", confidential),
        signed_on=long_ago, in_force_on=long_ago, is_public=False, notes=marked("AGNOTES", confidential),
    )
    placement = agreement_services.placement_record(
        actor=cleared, agreement=agreement, reference=f"PL-{TOKEN}", person_label=marked("PLPERSON", confidential),
        requested_on=long_ago, decision="pending", notes=marked("PLNOTES", confidential),
    )

    # B's own business, so that B's pages, figures and e-mails are not empty for want of data.
    own = request_services.request_create(
        actor=registry_user, partner=state_b, organ=Organ.REGISTRY, request_type=RequestType.EVIDENCE,
        subject="B's own request", confidentiality=Confidentiality.PUBLIC,
    )
    request_services.request_transition_and_notify(
        coop_request=own, actor=registry_user, to_status=Status.TRANSMITTED, on=long_ago,
        due_on=long_ago + datetime.timedelta(days=20),
    )
    factories.VoluntaryAgreementFactory(partner=state_b)
    # Registry staff without clearance may use the admin to view every record, as the demo group allows.
    factories.grant_admin_permissions(registry_user, "view")

    start, end = today - datetime.timedelta(days=364), today
    export = report_export_request(user=cleared, start=start, end=end, format="csv")
    report_export_run(export_id=export.pk)

    assert {conf.status, seal.status, public_a.status} == {Status.TRANSMITTED}
    return World(
        users={"registry": registry_user, "cleared": cleared, "focal_a": focal_point_a, "focal_b": focal_point_b,
               "facilitator": facilitator},
        sealed_markers=sealed, confidential_markers=confidential, other_state_markers=other_state,
        ids={"request": [conf.pk, seal.pk, public_a.pk], "warrant": [warrant.pk], "agreement": [agreement.pk],
             "contact_report": [contact.pk], "placement": [placement.pk]},
        sealed_targets={("request", seal.pk), ("warrant", warrant.pk), ("contact_report", contact.pk)},
        attachments=[(r.pk, a) for r, files in ((conf, conf_files), (seal, seal_files), (public_a, public_files))
                     for a in files],
        notifications=list(Notification.objects.filter(coop_request__partner=state_a).values_list("pk", flat=True)),
        exports=[export.pk], partner_a=state_a.code, start=start, end=end,
    )


# ---------------------------------------------------------------- reading a response as text


def pdf_text(data: bytes) -> str:
    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError:
        return ""
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def xlsx_text(data: bytes) -> str:
    """Every part of the workbook as text (shared strings, sheets, properties), and every cell's value."""
    parts = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for member in archive.infolist():
            parts.append(archive.read(member).decode("utf-8", "replace"))
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    for sheet in workbook.worksheets:
        parts.append(sheet.title)
        parts.extend(str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None)
    workbook.close()
    return "\n".join(parts)


def body_text(data: bytes, content_type: str) -> str:
    """A body decoded for searching: PDFs as extracted text and raw bytes, XLSX unzipped, the rest as text."""
    text = data.decode("utf-8", "replace")
    if data.startswith(b"%PDF"):
        return pdf_text(data) + "\n" + data.decode("latin-1")
    if content_type.startswith(XLSX) or data.startswith(b"PK\x03\x04"):
        try:
            return xlsx_text(data) + "\n" + text
        except (zipfile.BadZipFile, KeyError, ValueError, OSError):
            return text
    return text


@dataclass
class Seen:
    """What one role got: each response, as (what was asked, status, everything it said as text)."""

    responses: list[tuple[str, int, str]] = field(default_factory=list)

    def add(self, label: str, response: Any) -> None:
        data = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
        headers = "\n".join(f"{name}: {value}" for name, value in response.items())
        self.responses.append((label, response.status_code, headers + "\n" + body_text(data, response.get(
            "Content-Type", ""))))

    def found(self, markers: set[str] | None = None) -> dict[str, list[str]]:
        """Marker -> the responses it was found in (every marker of this run, or just `markers`)."""
        hits: dict[str, list[str]] = {}
        for label, _status, text in self.responses:
            for match in set(MARKER.findall(text)):
                hits.setdefault(marker(match[2 + len(TOKEN):].upper()), []).append(label)
        return {m: labels for m, labels in hits.items() if markers is None or m in markers}

    def texts(self, label_part: str) -> str:
        return "\n".join(text for label, _status, text in self.responses if label_part in label)


# ---------------------------------------------------------------- what to ask for


def _patterns(patterns: list[Any], namespace: str | None = None) -> Iterator[tuple[str | None, URLPattern, str]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace])) if entry.namespace else namespace
            for ns, pattern, prefix in _patterns(entry.url_patterns, inner):
                yield ns, pattern, str(entry.pattern) + prefix
        else:
            yield namespace, entry, ""


def _kwarg_names(pattern: URLPattern) -> list[str]:
    if isinstance(pattern.pattern, RoutePattern):
        return list(pattern.pattern.converters)
    return list(pattern.pattern.regex.groupindex)


ADMIN_MODELS = {f"{m._meta.app_label}_{m._meta.model_name}": m for m in admin.site._registry}


def _values(world: World, namespace: str | None, name: str, kwarg: str) -> list[Any]:
    marked = [pk for ids in world.ids.values() for pk in ids]
    if kwarg == "attachment_pk":
        return [a for _, a in world.attachments]
    if kwarg == "code":
        return [world.partner_a]
    if kwarg == "app_label":
        return ["requests_app", "warrants_app", "agreements_app"]
    if kwarg == "content_type_id":
        return [ContentType.objects.get_for_model(m).pk for m in (CooperationRequest, ArrestWarrant,
                                                                    VoluntaryAgreement)]
    if namespace == "admin" and kwarg == "object_id":
        model = next((m for key, m in ADMIN_MODELS.items() if name.startswith(f"{key}_")), None)
        if model is Attachment:
            return [str(a) for _, a in world.attachments]
        kind = BY_MODEL.get(model, "") if model else ""
        return [str(pk) for pk in world.ids.get(kind, world.ids["request"][:1])]
    if kwarg in ("pk", "object_id", "id"):
        if namespace == "requests" and "notification" in name:
            return world.notifications
        by_namespace = {"requests": "request", "warrants": "warrant", "agreements": "agreement"}
        if namespace in by_namespace:
            return world.ids[by_namespace[namespace]]
        if namespace == "reports":
            return world.exports
        return marked
    return ["x"]  # tokens, hashes and other free text: a wrong value is as good as any


Target = tuple[str, int] | None
BY_MODEL = {CooperationRequest: "request", ArrestWarrant: "warrant", VoluntaryAgreement: "agreement",
            ContactReport: "contact_report", Placement: "placement", Attachment: "attachment"}


def _target(namespace: str | None, name: str, kwargs: dict[str, Any]) -> Target:
    """The marked object a page is about, if any."""
    if namespace == "admin" and "object_id" in kwargs:
        model = next((m for key, m in ADMIN_MODELS.items() if name.startswith(f"{key}_")), None)
        kind = BY_MODEL.get(model) if model else None
        return (kind, int(kwargs["object_id"])) if kind else None
    if "pk" not in kwargs:
        return None
    if namespace == "requests" and "notification" in name:
        return ("notification", kwargs["pk"])
    kind = {"requests": "request", "warrants": "warrant", "agreements": "agreement", "reports": "export"}.get(
        namespace or "")
    return (kind, kwargs["pk"]) if kind else None


def _query_variants(world: World, name: str) -> list[dict[str, Any]]:
    if name in ("reports:annual", "reports:annual-download"):
        return [{"start": world.start.isoformat(), "end": world.end.isoformat()}]
    return [
        {},
        {"q": TOKEN},
        {"q": TOKEN, "partner": world.partner_a},
        {"partner": world.partner_a, "confidentiality": "under_seal"},
        {"confidentiality": "confidential", "overdue": "true"},
        {"warrant": world.ids["warrant"][0], "linked_request": world.ids["request"][0]},
    ]


# Named patterns that a GET cannot exercise, and why.
NOT_WALKED = {
    "set_language": "POST only (the language switch)",
    "logout": "ends the session the walk runs in",
}


def page_urls(world: World) -> tuple[list[tuple[str, str, Target]], set[str]]:
    """Every named page with every marked id, as (label, url, the marked object it is about); and the names."""
    urls: list[tuple[str, str, Target]] = []
    names: set[str] = set()
    for namespace, pattern, prefix in _patterns(get_resolver().url_patterns):
        if prefix.startswith("api/") or not pattern.name or pattern.name in NOT_WALKED:
            continue
        name = f"{namespace}:{pattern.name}" if namespace else pattern.name
        kwarg_names = _kwarg_names(pattern)
        names.add(name)
        positional = not isinstance(pattern.pattern, RoutePattern) and pattern.pattern.regex.groups - len(kwarg_names)
        if positional:
            # Unnamed groups (django-simple-history's admin pages): the object's id, then any other id.
            first = _values(world, namespace, pattern.name, "object_id")
            for args in product(first, *[["1"]] * (positional - 1)):
                url = reverse(name, args=args)
                urls.append((f"page {name} {args}", url, _target(namespace, pattern.name, {"object_id": args[0]})))
            continue
        if not kwarg_names:
            for params in _query_variants(world, name):
                url = reverse(name)
                query = "&".join(f"{k}={v}" for k, v in params.items())
                urls.append((f"page {name} {query}", f"{url}?{query}" if query else url, None))
            continue
        choices = [_values(world, namespace, pattern.name, kwarg) for kwarg in kwarg_names]
        for combination in product(*choices):
            kwargs = dict(zip(kwarg_names, combination, strict=True))
            try:
                url = reverse(name, kwargs=kwargs)
            except NoReverseMatch:
                continue
            urls.append((f"page {name} {kwargs}", url, _target(namespace, pattern.name, kwargs)))
        if namespace == "admin" and pattern.name.endswith("_changelist"):
            urls.append((f"page {name} q", f"{reverse(name)}?q={TOKEN}", None))
    return urls, names


def api_urls(world: World) -> list[tuple[str, str, Target]]:
    """Every GET operation of the published schema: lists with search and filters, details of the marked ids."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    kinds = {"requests": "request", "warrants": "warrant", "agreements": "agreement",
             "contact-reports": "contact_report"}
    urls: list[tuple[str, str, Target]] = []
    for path, methods in schema["paths"].items():
        if "get" not in methods:
            continue
        operation = methods["get"]["operationId"]
        resource = path.removeprefix("/api/v1/").split("/")[0]
        if "{" in path:
            if resource == "partners":
                urls.append((f"api {operation} {world.partner_a}", re.sub(r"\{[^}]+\}", world.partner_a, path), None))
                continue
            kind = kinds[resource]
            for value in world.ids[kind]:
                urls.append((f"api {operation} {value}", re.sub(r"\{[^}]+\}", str(value), path), (kind, value)))
            continue
        variants: list[dict[str, Any]] = [
            {},
            {"search": TOKEN, "q": TOKEN},
            {"partner": world.partner_a},
            {"partner": world.partner_a, "confidentiality": "under_seal", "page_size": 500},
            {"warrant": world.ids["warrant"][0]},
        ]
        if resource in ("reports", "dashboard"):
            period = {"start": world.start.isoformat(), "end": world.end.isoformat()}
            variants = [period, {**period, "partner": world.partner_a}]
        for params in variants:
            query = "&".join(f"{k}={v}" for k, v in params.items())
            urls.append((f"api {operation} {query}", f"{path}?{query}" if query else path, None))
    for other in ("/api/schema/", "/api/docs/", "/api/redoc/"):
        urls.append((f"api {other}", other, None))
    return urls


# ---------------------------------------------------------------- exercising, with every log line captured


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def captured_logs() -> Iterator[Capture]:
    """Every logger at DEBUG into one handler, SQL with its parameters included."""
    handler = Capture()
    loggers = [logging.getLogger()] + [
        logger for logger in logging.root.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    levels = {logger: logger.level for logger in loggers}
    # A logger that does not propagate is not heard at the root: give it the handler itself.
    direct = [logger for logger in loggers[1:] if not logger.propagate]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    for logger in [loggers[0], *direct]:
        logger.addHandler(handler)
    debug_cursor = connection.force_debug_cursor
    connection.force_debug_cursor = True
    try:
        yield handler
    finally:
        connection.force_debug_cursor = debug_cursor
        for logger in [loggers[0], *direct]:
            logger.removeHandler(handler)
        for logger, level in levels.items():
            logger.setLevel(level)


def report_downloads(world: World) -> list[tuple[str, str, dict[str, str]]]:
    """The annual report's downloads, which its form posts."""
    period = {"start": world.start.isoformat(), "end": world.end.isoformat()}
    return [(f"download annual report format={fmt}", reverse("reports:annual-download"), {**period, "format": fmt})
            for fmt in ("csv", "xlsx", "pdf")]


def exercise(world: World, role: str) -> tuple[Seen, set[str], list[tuple[str, str, Target]]]:
    """GET every page and every API read as `role`, and post the report downloads: the responses, the names of the
    pages walked, the URLs."""
    # A server error is recorded like any answer, so that one walk reports every page that failed.
    client = Client(raise_request_exception=False)
    client.force_login(world.users[role])
    seen = Seen()
    pages, names = page_urls(world)
    urls = [*pages, *api_urls(world)]
    for label, url, _ in urls:
        seen.add(label, client.get(url))
    for label, url, data in report_downloads(world):
        seen.add(label, client.post(url, data))
        urls.append((label, url, None))
    return seen, names, urls


def server_errors(seen: Seen) -> list[str]:
    return [f"{label}: {status}" for label, status, _ in seen.responses if status >= 500]


def hidden_objects_reached(seen: Seen, urls: list[tuple[str, str, Target]], hidden: set[tuple[str, int]]) -> list[str]:
    """Pages and API reads about a hidden object that answered anything but 403, 404, 405 or a redirect to a login."""
    reached = []
    for (label, status, text), (_label, _url, target) in zip(seen.responses, urls, strict=True):
        if target not in hidden or status in (403, 404, 405):
            continue
        if status == 302 and re.search(r"^Location: \S*login", text, re.MULTILINE):
            continue
        # The admin answers an object outside its queryset as it answers a missing id: back to the admin index
        # (with "... doesn't exist. Perhaps it was deleted?"), never the object's page.
        if status == 302 and label.startswith("page admin:") and re.search(r"^Location: /admin/$", text, re.MULTILINE):
            continue
        reached.append(f"{label}: {status}")
    return reached


# ---------------------------------------------------------------- the tests


@pytest.mark.parametrize("role", ["focal_b", "facilitator", "registry"])
def test_nothing_marked_reaches_those_not_entitled(role, world, captured_logs):
    """B's focal point finds no marker anywhere; the facilitator none but the subject of A's public request, which
    the annual report lists among overdue public requests; registry staff without clearance no marker of sealed
    material. Detail pages and API reads of the hidden objects are 404 (or 403 where the role never uses
    the page), and nothing fails with a 5xx."""
    forbidden = {
        "registry": world.sealed_markers,
        # The annual report lists overdue public requests by subject (only public requests are itemized).
        "facilitator": world.all_markers - {marker("SUBJPUBA")},
        "focal_b": world.all_markers,
    }[role]
    seen, walked, urls = exercise(world, role)

    assert not server_errors(seen), server_errors(seen)
    assert not seen.found(forbidden), json.dumps(seen.found(forbidden), indent=1)[:5000]
    hidden = world.sealed_targets if role == "registry" else {target for _, _, target in urls if target is not None}
    assert not hidden_objects_reached(seen, urls, hidden), hidden_objects_reached(seen, urls, hidden)
    # The walk covered the pages that matter, so a passing search means something.
    assert {"requests:detail", "requests:attachment", "warrants:detail", "agreements:detail", "requests:list",
            "requests:export_csv", "requests:export_xlsx", "reports:annual-download", "dashboards:dashboard",
            "partners:profile", "home"} <= walked
    leaked_logs = [line for line in captured_logs.lines if any(m.lower() in line.lower() for m in forbidden)]
    assert not leaked_logs, leaked_logs[:5]
    assert len(captured_logs.lines) > 1000  # SQL was logged, with its parameters
    assert not [m for m in mail.outbox if any(marker_ in str(m.message()) for marker_ in forbidden)]


def test_emails_of_the_sweep_and_sender_carry_nothing_marked_to_others(world):
    """With A's marked requests overdue, the sweep and the sender e-mail B about B's own request and A about A's:
    nothing marked goes to B or the facilitator; A's focal point does get the public request's subject (the control),
    and the confidential subjects stay out of e-mail altogether."""
    result = overdue.sweep()
    assert result.total_escalated >= 4
    assert notifications_send() > 0
    outsiders = {world.users["focal_b"].email, world.users["facilitator"].email}
    to_outsiders = [m for m in mail.outbox if outsiders & set(m.to + m.cc + m.bcc)]
    assert to_outsiders, "B's own overdue request must have produced an e-mail to B"
    for message in to_outsiders:
        assert not MARKER.search(str(message.message())), message.subject
    to_a = "\n".join(str(m.message()) for m in mail.outbox if world.users["focal_a"].email in m.to)
    assert marker("SUBJPUBA") in to_a
    every_mail = "\n".join(str(m.message()) for m in mail.outbox)
    assert not {m for m in world.sealed_markers | world.confidential_markers if m in every_mail}


def test_the_search_finds_what_entitled_users_may_see(world, captured_logs):
    """Positive controls: the same walk as cleared registry staff finds every marker of the requests, the warrant
    and the agreement, in pages, API, exports and downloads; A's focal point finds those of A's requests and its
    agreement; every report format shows the public warrant's control string; and a marker written by registry
    staff appears in the SQL log."""
    cleared, _, _ = exercise(world, "cleared")
    request_markers = {m for m in world.all_markers if any(t in m for t in ("CONF", "SEAL", "PUBA"))}
    # Every marker but the placement's notes, which only the admin shows (and cleared staff have no admin rights).
    assert set(cleared.found()) >= world.all_markers - {marker("PLNOTES")}
    assert marker("SUBJSEAL") in cleared.texts("page requests:export_xlsx")
    assert marker("SUBJCONF") in cleared.texts("page requests:export_csv")
    assert marker("FILETEXTSEAL") in cleared.texts("page requests:attachment")
    assert marker("PERSON") in cleared.texts("api v1_warrants_retrieve")
    assert marker("CHARGES") in cleared.texts("page warrants:detail")

    focal_a, _, _ = exercise(world, "focal_a")
    a_markers = set(request_markers) | {marker("AGTITLE")}
    assert set(focal_a.found()) >= a_markers
    assert not focal_a.found({marker("PERSON"), marker("CHARGES")})  # sealed warrant: clearance only

    facilitator, _, _ = exercise(world, "facilitator")
    for fmt in ("csv", "xlsx", "pdf"):
        assert CONTROL in facilitator.texts(f"format={fmt}"), fmt
    assert CONTROL in facilitator.texts("api v1_reports_annual_retrieve")
    # The PDF's text is found only by extracting it (the page content is compressed), the workbook's only unzipped.
    client = Client()
    client.force_login(world.users["facilitator"])
    (_, url, data), = [download for download in report_downloads(world) if download[2]["format"] == "pdf"]
    pdf = client.post(url, data).content
    assert CONTROL in pdf_text(pdf) and CONTROL not in pdf.decode("latin-1")
    (_, url, data), = [download for download in report_downloads(world) if download[2]["format"] == "xlsx"]
    workbook = client.post(url, data).content
    assert CONTROL in xlsx_text(workbook) and CONTROL not in workbook.decode("latin-1")

    client = Client()
    client.force_login(world.users["cleared"])
    client.post(reverse("requests:message", kwargs={"pk": world.ids["request"][0]}), {"body": marker("LOGCTRL")})
    assert any(marker("LOGCTRL") in line for line in captured_logs.lines)
