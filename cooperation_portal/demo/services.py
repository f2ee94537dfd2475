"""The only code that writes demo data: logins, the small fixtures, and the bulk rows from generator.py.

Bulk rows (requests, their events, clock pauses, warrant links; numbered arrest warrants with the States their person
is believed in; voluntary agreements) bypass model save() and so django-simple-history: they are synthetic seed rows,
and their history starts with the first real change made through the portal.
"""

import datetime
import io
import queue
import random
import threading
import time
from base64 import b32encode
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.contrib.auth.models import Group, Permission
from django.db import connection, models, transaction
from django.db.models import Max, Min
from django_otp.plugins.otp_totp.models import TOTPDevice

from agreements_app.models import VoluntaryAgreement
from cooperation_portal.accounts.choices import Role
from cooperation_portal.accounts.models import User
from cooperation_portal.accounts.services import totp_device_confirm, totp_device_start
from cooperation_portal.accounts.two_factor import confirmed_device, requires_two_factor
from cooperation_portal.dates import court_today
from cooperation_portal.partners.models import Partner
from cooperation_portal.situations.models import Case, Situation
from requests_app.models import ClockPause, CooperationRequest, RequestEvent
from warrants_app.models import ArrestWarrant, ContactReport

from .generator import (
    AGREEMENT_COLUMNS,
    AGREEMENT_SOURCE,
    BELIEVED_IN_COLUMNS,
    BULK_PERSON_PREFIX,
    EVENT_COLUMNS,
    FIXTURE_PERSON_REGEX,
    PAUSE_COLUMNS,
    REFERENCE_PREFIX,
    REQUEST_COLUMNS,
    REQUESTS_PER_AGREEMENT,
    REQUESTS_PER_WARRANT,
    SITUATION_PREFIX,
    WARRANT_COLUMNS,
    WARRANT_LINK_COLUMNS,
    DemoContext,
    PartnerRef,
    RegisterContext,
    SituationRef,
    WarrantRef,
    agreement_index_of,
    index_of,
    iter_plans,
    plan_agreement,
    plan_warrant,
    rows_for,
    warrant_index_of,
)

REGISTRY_GROUP = "Registry staff"
# Registry staff manage every portal record in the admin except users, which belong to administrators.
REGISTRY_APP_LABELS = ("partners", "situations", "requests_app", "agreements_app", "warrants_app")
# States a focal point login is bound to when they are States Parties; otherwise the first States Parties by code.
PREFERRED_FOCAL_CODES = ("NLD", "DEU", "FRA", "BEL", "KEN", "COL")
DEMO_SITUATION_COUNT = 8
# Marks the demo logins, so that a later run resets them and only them.
DEMO_EMAIL_DOMAIN = "@demo.invalid"
T = TypeVar("T")


@dataclass(frozen=True)
class DemoLogin:
    user: User
    note: str
    # Registry staff and administrators confirm each login with a code from this device.
    totp_device: TOTPDevice | None = None

    @property
    def username(self) -> str:
        return self.user.username

    @property
    def totp_secret(self) -> str:
        return b32encode(self.totp_device.bin_key).decode() if self.totp_device else ""


@dataclass
class LoadCounts:
    """Rows written by one run, per table."""

    created: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, n: int) -> None:
        self.created[table] = self.created.get(table, 0) + n


# ---------------------------------------------------------------- logins


def demo_registry_group_ensure() -> Group:
    """The "Registry staff" group with add/change/view on the portal's records, created or completed idempotently."""
    group, _ = Group.objects.get_or_create(name=REGISTRY_GROUP)
    permissions = (
        Permission.objects.filter(content_type__app_label__in=REGISTRY_APP_LABELS)
        .filter(models.Q(codename__startswith="add_") | models.Q(codename__startswith="change_")
                | models.Q(codename__startswith="view_"))
        .exclude(codename__contains="historical")
    )
    group.permissions.add(*permissions)
    return group


def demo_focal_partners_pick(*, today: datetime.date) -> tuple[Partner, Partner]:
    """Two distinct States Parties (the preferred ones when loaded) for the two focal point logins."""
    parties = list(Partner.objects.states_parties_on(today).order_by("code"))
    candidates = parties or list(Partner.objects.states().order_by("code")) or list(Partner.objects.order_by("code"))
    if not candidates:
        raise ValueError("No partner is loaded: run `manage.py load_reference_data` first.")
    by_code = {p.code: p for p in candidates}
    ordered = [by_code[c] for c in PREFERRED_FOCAL_CODES if c in by_code]
    ordered += [p for p in candidates if p not in ordered]
    return ordered[0], ordered[1] if len(ordered) > 1 else ordered[0]


def demo_logins_ensure(*, password: str, focal_partner: Partner, focal_partner_2: Partner) -> list[DemoLogin]:
    """One login per role, created or reset idempotently, all with `password`."""
    group = demo_registry_group_ensure()
    clearance = Permission.objects.get(content_type__app_label="accounts", codename="sealed_clearance")
    specs: list[tuple[str, str, Partner | None, dict[str, bool], str]] = [
        ("registry", Role.REGISTRY, None, {"is_staff": True}, "Registry staff, no sealed clearance"),
        ("registry-cleared", Role.REGISTRY, None, {"is_staff": True}, "Registry staff with sealed clearance"),
        ("focal-point", Role.FOCAL_POINT, focal_partner, {}, f"Focal point of {focal_partner.name}"),
        ("focal-point-2", Role.FOCAL_POINT, focal_partner_2, {}, f"Focal point of {focal_partner_2.name}"),
        ("facilitator", Role.FACILITATOR, None, {}, "Assembly facilitator: aggregates only"),
        ("admin", Role.ADMINISTRATOR, None, {"is_staff": True, "is_superuser": True}, "Administrator (superuser)"),
    ]
    real = User.objects.filter(username__in=[spec[0] for spec in specs]).exclude(email__endswith=DEMO_EMAIL_DOMAIN)
    if real.exists():
        # A real account of the same name is never reset to a printed demo password.
        names = ", ".join(sorted(real.values_list("username", flat=True)))
        raise ValueError(f"Users that are not demo logins already use these names: {names}. Nothing was changed.")
    logins = []
    for username, role, partner, flags, note in specs:
        user = User.objects.filter(username=username).first() or User(username=username)
        user.email = f"{username}{DEMO_EMAIL_DOMAIN}"
        user.role = role
        user.partner = partner
        user.is_active = True
        user.is_staff = flags.get("is_staff", False)
        user.is_superuser = flags.get("is_superuser", False)
        user.set_password(password)
        user.full_clean()
        user.save()
        if role == Role.REGISTRY:
            user.groups.add(group)
        if username == "registry-cleared":
            user.user_permissions.add(clearance)
        elif username == "registry":
            user.user_permissions.remove(clearance)
        device = None
        if requires_two_factor(user):
            # Kept across runs, so that an authenticator app set up once keeps working.
            device = confirmed_device(user) or totp_device_confirm(device=totp_device_start(user=user))
        logins.append(DemoLogin(user=user, note=note, totp_device=device))
    return logins


# ---------------------------------------------------------------- small fixtures


def _day_between(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randint(0, max((end - start).days, 0)))


def demo_fixtures_ensure(*, seed: int, today: datetime.date, reporters: Sequence[User]) -> LoadCounts:
    """Fictional situations, cases, warrants and contact reports; each is added only if missing.

    Few rows, written through the ORM so they get their first history row like any reference record.
    """
    counts = LoadCounts()
    rng = random.Random(f"fixtures-{seed}")  # noqa: S311 - synthetic data, not a secret
    states = list(Partner.objects.states().order_by("code"))
    person = 0
    for n in range(1, DEMO_SITUATION_COUNT + 1):
        situation, created = Situation.objects.get_or_create(
            code=f"{SITUATION_PREFIX}{n:02d}", defaults={"name": f"Demo situation {n:02d} (fictional)"}
        )
        counts.add("situations", int(created))
        for k in range(1, rng.randint(1, 3) + 1):
            persons = [person + 1 + j for j in range(rng.randint(1, 2))]
            person = persons[-1]
            case, created = Case.objects.get_or_create(
                number=f"{situation.code}-{k:02d}",
                defaults={
                    "situation": situation,
                    "name": "The Prosecutor v. " + " and ".join(f"Fictional Person {p:04d}" for p in persons),
                },
            )
            counts.add("cases", int(created))
            for p in persons:
                warrant, created = _warrant_ensure(rng, today, situation, case, p, states)
                counts.add("arrest warrants", int(created))
    fixture_warrants = ArrestWarrant.objects.filter(
        situation__code__startswith=SITUATION_PREFIX, person_name__regex=FIXTURE_PERSON_REGEX
    )
    at_large = [
        w for w in fixture_warrants.order_by("person_name")
        if w.status_on(today) == "at_large" and not w.is_sealed_on(today) and w.issued_on < today
    ]
    for reporter in reporters:
        for warrant in at_large[:3]:
            contact_on = _day_between(rng, warrant.issued_on, min(today, court_today()))
            if ContactReport.objects.filter(warrant=warrant, partner=reporter.partner).exists():
                continue
            report = ContactReport(
                warrant=warrant,
                partner=reporter.partner,
                contact_on=contact_on,
                reported_by=reporter,
                place="Fictional city",
                description=f"Demo contact report (fictional): {warrant.person_name} seen at a public event.",
            )
            report.full_clean()
            report.save()
            counts.add("contact reports", 1)
    return counts


def _warrant_ensure(
    rng: random.Random, today: datetime.date, situation: Situation, case: Case, person: int, states: Sequence[Partner]
) -> tuple[ArrestWarrant, bool]:
    issued_on = _day_between(rng, datetime.date(2005, 1, 1), today - datetime.timedelta(days=60))
    dates: dict[str, datetime.date | None] = {"custody_on": None, "withdrawn_on": None, "terminated_on": None}
    u = rng.random()
    end_key = "custody_on" if u < 0.3 else "withdrawn_on" if u < 0.38 else "terminated_on" if u < 0.5 else None
    under_seal = rng.random() < 0.35
    # The first five persons show each outcome whatever the seed: in custody, withdrawn, terminated, sealed.
    if person <= 3:
        end_key = ("custody_on", "withdrawn_on", "terminated_on")[person - 1]
    elif person <= 5:
        end_key, under_seal = None, True
    if end_key:
        dates[end_key] = _day_between(rng, issued_on, today)
    unsealed_on = None
    if under_seal and (dates["custody_on"] or person == 5 or (person != 4 and rng.random() < 0.5)):
        # Arrest unseals a warrant at the latest.
        unsealed_on = _day_between(rng, issued_on, dates["custody_on"] or today)
    chamber = rng.choice(["Pre-Trial Chamber I", "Pre-Trial Chamber II", "Pre-Trial Chamber III"])
    believed_in = rng.sample(list(states), k=min(len(states), rng.randint(1, 3))) if not dates["custody_on"] else []
    # Every draw is made before the existence check, so a re-run follows the same random sequence.
    person_name = f"Fictional Person {person:04d}"
    existing = ArrestWarrant.objects.filter(person_name=person_name, situation=situation).first()
    if existing:
        return existing, False
    warrant = ArrestWarrant(
        person_name=person_name,
        situation=situation,
        case=case,
        chamber=chamber,
        issued_on=issued_on,
        charges="Fictional charges (demo data): war crimes and crimes against humanity.",
        under_seal=under_seal,
        unsealed_on=unsealed_on,
        **dates,
    )
    warrant.full_clean()
    warrant.save()
    warrant.believed_in.set(believed_in)
    return warrant, True


# ---------------------------------------------------------------- numbered warrants and agreements


def _numbered_warrants() -> models.QuerySet[ArrestWarrant]:
    return ArrestWarrant.objects.filter(
        situation__code__startswith=SITUATION_PREFIX, person_name__startswith=BULK_PERSON_PREFIX
    ).exclude(person_name__regex=FIXTURE_PERSON_REGEX)


def _demo_agreements() -> models.QuerySet[VoluntaryAgreement]:
    return VoluntaryAgreement.objects.filter(source=AGREEMENT_SOURCE)


def demo_register_context_build(*, seed: int, today: datetime.date) -> RegisterContext:
    situations = [
        SituationRef(id=situation.id, case_ids=tuple(situation.cases.order_by("number").values_list("id", flat=True)))
        for situation in Situation.objects.filter(code__startswith=SITUATION_PREFIX).order_by("code")
    ]
    states = [PartnerRef(*row) for row in Partner.objects.states().order_by("code").values_list("id", "code", "kind")]
    taken = VoluntaryAgreement.objects.exclude(source=AGREEMENT_SOURCE).values_list("partner_id", "agreement_type")
    return RegisterContext(
        seed=seed,
        today=today,
        situations=situations,
        states=states,
        state_party_ids=frozenset(Partner.objects.states_parties_on(today).values_list("id", flat=True)),
        taken_agreement_pairs=frozenset(taken),
    )


def demo_registers_load(
    *, ctx: RegisterContext, requests: int, batch_size: int, progress: Callable[[str], None] = lambda message: None
) -> LoadCounts:
    """Add the numbered warrants and agreements that a run of `requests` requests holds and the database lacks.

    One of each per REQUESTS_PER_WARRANT (REQUESTS_PER_AGREEMENT) requests, numbered from 0 as requests are, so a
    second run adds nothing and a larger `requests` adds only the new numbers. Each batch is one transaction.
    """
    counts = LoadCounts()
    believed_in = ArrestWarrant.believed_in.through
    warrant_total = requests // REQUESTS_PER_WARRANT
    todo = _missing(warrant_total, _numbered_warrants().values_list("person_name", flat=True), warrant_index_of)
    if todo:
        first_id = _reserve_ids(ArrestWarrant, len(todo))
        for start in range(0, len(todo), batch_size):
            plans = [plan_warrant(ctx, index) for index in todo[start:start + batch_size]]
            ids = range(first_id + start, first_id + start + len(plans))
            _tables_write(counts, [
                ("arrest warrants", ArrestWarrant, WARRANT_COLUMNS,
                 [(warrant_id, *plan.row) for plan, warrant_id in zip(plans, ids, strict=True)]),
                ("believed-in States", believed_in, BELIEVED_IN_COLUMNS,
                 [(warrant_id, state) for plan, warrant_id in zip(plans, ids, strict=True)
                  for state in plan.believed_in]),
            ])
    agreement_total = requests // REQUESTS_PER_AGREEMENT
    todo = _missing(agreement_total, _demo_agreements().values_list("title", flat=True), agreement_index_of)
    for start in range(0, len(todo), batch_size):
        rows = [row for index in todo[start:start + batch_size] if (row := plan_agreement(ctx, index)) is not None]
        _tables_write(counts, [("voluntary agreements", VoluntaryAgreement, AGREEMENT_COLUMNS, rows)])
    if todo and not counts.created.get("voluntary agreements"):
        progress("No State is loaded (or every one already has each type): no demo agreement was added.")
    if counts.created and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (ArrestWarrant, believed_in, VoluntaryAgreement):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return counts


def _missing(total: int, keys: models.QuerySet[Any, str], number_of: Callable[[str], int | None]) -> list[int]:
    """The numbers 0..total-1 that no key in `keys` carries."""
    present = bytearray(total)
    for key in keys.iterator(chunk_size=20_000):
        number = number_of(key)
        if number is not None and number < total:
            present[number] = 1
    return [number for number in range(total) if not present[number]]


def _tables_write(
    counts: LoadCounts, tables: Sequence[tuple[str, type[models.Model], Sequence[str], list[tuple[object, ...]]]]
) -> None:
    """Write rows into several tables in one transaction: COPY on PostgreSQL, bulk_create elsewhere."""
    prepare, write = (_copy_prepare, _copy_write) if connection.vendor == "postgresql" else (_bulk_prepare, _bulk_write)
    with transaction.atomic():
        for _, model, columns, rows in tables:
            if rows:
                write(prepare(model, columns, rows))
    for label, _, _, rows in tables:
        counts.add(label, len(rows))


# ---------------------------------------------------------------- bulk requests


def demo_context_build(
    *, seed: int, today: datetime.date, registry_user: User, focal_users: Sequence[User]
) -> DemoContext:
    partners = [PartnerRef(*row) for row in Partner.objects.order_by("code").values_list("id", "code", "kind")]
    situations = []
    for situation in Situation.objects.filter(code__startswith=SITUATION_PREFIX).order_by("code"):
        case_ids = tuple(situation.cases.order_by("number").values_list("id", flat=True))
        situations.append(SituationRef(id=situation.id, case_ids=case_ids))
    first_warrants = (
        ArrestWarrant.objects.filter(
            situation__code__startswith=SITUATION_PREFIX, person_name__regex=FIXTURE_PERSON_REGEX, case__isnull=False
        )
        .values("case_id").annotate(first=Min("id"))
    )
    focal_by_partner = {u.partner_id: u.id for u in reversed(focal_users) if u.partner_id is not None}
    return DemoContext(
        seed=seed,
        today=today,
        partners=partners,
        situations=situations,
        registry_user_id=registry_user.id,
        focal_point_by_partner=focal_by_partner,
        favoured_partner_ids=tuple(focal_by_partner),
        warrant_by_case={row["case_id"]: row["first"] for row in first_warrants},
        bulk_warrants=demo_bulk_warrants(),
    )


def demo_bulk_warrants() -> dict[int, WarrantRef]:
    """The numbered warrants in the database, by number."""
    rows = _numbered_warrants().values_list("person_name", "id", "situation_id", "case_id", "issued_on")
    found = {}
    for person_name, warrant_id, situation_id, case_id, issued_on in rows.iterator(chunk_size=20_000):
        number = warrant_index_of(person_name)
        if number is not None:
            found[number] = WarrantRef(
                id=warrant_id, situation_id=situation_id, case_id=case_id, issued=issued_on.toordinal()
            )
    return found


def demo_requests_present(total: int) -> bytearray:
    """present[i] is 1 when the demo request number i (< total) is in the database."""
    present = bytearray(total)
    references = CooperationRequest.objects.filter(reference__startswith=REFERENCE_PREFIX).values_list(
        "reference", flat=True
    )
    for reference in references.iterator(chunk_size=20_000):
        index = index_of(reference)
        if index is not None and index < total:
            present[index] = 1
    return present


def demo_requests_load(
    *,
    ctx: DemoContext,
    total: int,
    batch_size: int,
    writers: int | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> LoadCounts:
    """Add the demo requests numbered 0..total-1 that are missing, with their events, clock pauses and warrant links.

    Each batch is one transaction, so after an interruption the next run adds exactly the batches that were lost.
    On PostgreSQL, outside a surrounding transaction, two connections write batches side by side (`writers`):
    a COPY keeps one server process busy, and its foreign key checks are as costly as the rows themselves.
    """
    counts = LoadCounts()
    present = demo_requests_present(total)
    already = sum(present)
    missing = total - already
    if not missing:
        progress(f"{already:,} demo requests already present; none added (ask for more with --requests).")
        return counts
    if already:
        progress(f"{already:,} demo requests already present; adding the {missing:,} missing.")
    postgres = connection.vendor == "postgresql"
    if writers is None:
        writers = 2 if postgres and not connection.in_atomic_block else 1
    if writers > 1 and (not postgres or connection.in_atomic_block):
        raise ValueError("Several writers need PostgreSQL and no surrounding transaction.")
    prepare, write = (_copy_prepare, _copy_write) if postgres else (_bulk_prepare, _bulk_write)
    through = ArrestWarrant.linked_requests.through
    tables: tuple[tuple[str, type[models.Model], tuple[str, ...]], ...] = (
        ("cooperation requests", CooperationRequest, REQUEST_COLUMNS),
        ("request events", RequestEvent, EVENT_COLUMNS),
        ("clock pauses", ClockPause, PAUSE_COLUMNS),
        ("warrant-request links", through, WARRANT_LINK_COLUMNS),
    )
    first_id = _reserve_ids(CooperationRequest, missing)

    def prepared_batches() -> Iterator[list[tuple[str, int, Prepared]]]:
        next_id = first_id
        todo = (i for i in range(total) if not present[i])
        for plans in iter_plans(ctx, todo, batch_size):
            batch = rows_for(plans, range(next_id, next_id + len(plans)))
            next_id += len(plans)
            rows = (batch.requests, batch.events, batch.pauses, batch.warrant_links)
            yield [
                (label, len(table_rows), prepare(model, columns, table_rows))
                for (label, model, columns), table_rows in zip(tables, rows, strict=True)
            ]

    began = time.monotonic()
    # Rows for the next batches are generated in a thread while the database writes the current ones.
    batches = _ahead(prepared_batches(), depth=writers + 1)
    lock = threading.Lock()
    failed = threading.Event()

    def next_batch() -> list[tuple[str, int, Prepared]] | None:
        with lock:
            return None if failed.is_set() else next(batches, None)

    def write_batches() -> None:
        while (prepared := next_batch()) is not None:
            with transaction.atomic():
                for _, n, payload in prepared:
                    if n:
                        write(payload)
            with lock:
                for label, n, _ in prepared:
                    counts.add(label, n)
                elapsed = time.monotonic() - began
                added = counts.created["cooperation requests"]
                progress(
                    f"requests {already + added:,}/{total:,}  "
                    f"({', '.join(f'+{n:,} {label}' for label, n, _ in prepared[1:3])})  "
                    f"{elapsed:,.1f} s, {added / max(elapsed, 1e-9):,.0f} requests/s"
                )

    errors: list[BaseException] = []

    def writer_thread() -> None:
        try:
            write_batches()
        except BaseException as error:
            errors.append(error)
            failed.set()
        finally:
            connection.close()

    helpers = [threading.Thread(target=writer_thread, name=f"demo-writer-{n}") for n in range(1, writers)]
    for helper in helpers:
        helper.start()
    try:
        write_batches()
    except BaseException:
        failed.set()
        raise
    finally:
        for helper in helpers:
            helper.join()
        batches.close()
    if errors:
        raise errors[0]
    if postgres:
        # Fresh statistics, so that the planner sees a million rows and not the empty tables it last analysed.
        with connection.cursor() as cursor:
            for _, model, _ in tables:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return counts


def _reserve_ids(model: type[models.Model], n: int) -> int:
    """The first of `n` consecutive ids kept for new rows, so that events and pauses can point at their request.

    PostgreSQL: the sequence moves past the block in one statement (another session inserting in that same instant
    could take an id of the block: acceptable for demo data). SQLite: writers are serialised; AUTOINCREMENT follows
    explicit ids.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(seq, nextval(seq) + %s - 1) FROM (SELECT pg_get_serial_sequence(%s, 'id') AS seq) s",
                [max(n, 1), model._meta.db_table],
            )
            return int(cursor.fetchone()[0]) - max(n, 1) + 1
    return (model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1


_END = object()


def _ahead(items: Iterator[T], depth: int = 2) -> Generator[T, None, None]:
    """Iterate `items` in a background thread, up to `depth` items ahead (bounded memory).

    Generating and formatting rows is Python work, writing them is database work: a COPY waits on the server with
    the GIL released, so the two overlap. The thread never touches the database.
    """
    handoff: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_END)
        except BaseException as error:  # handed to the consumer, which re-raises it
            put(error)

    thread = threading.Thread(target=produce, name="demo-rows", daemon=True)
    thread.start()
    try:
        while (item := handoff.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join()


# What a writer needs for one table of one batch: (model, instances) for bulk_create, (sql, text) for COPY.
Prepared = tuple[Any, Any]


def _bulk_prepare(model: type[models.Model], columns: Sequence[str], rows: Sequence[tuple[object, ...]]) -> Prepared:
    return model, [model(**dict(zip(columns, row, strict=True))) for row in rows]


def _bulk_write(prepared: Prepared) -> None:
    model, objects = prepared
    model._default_manager.bulk_create(objects)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: object) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    # int, date (ISO) and aware datetime ("2019-03-04 09:12:00+00:00") are all read back by COPY's text format.
    return str(value)


_TWO_DIGITS = [f"{n:02d}" for n in range(60)]
_DAY_TEXT: dict[int, str] = {}


def _datetime_text(value: datetime.datetime | None) -> str:
    """str(datetime) is the slowest part of formatting five million events; UTC times are built from parts instead."""
    if value is None:
        return "\\N"
    if value.tzinfo is not datetime.UTC or value.microsecond:
        return str(value)
    ordinal = value.toordinal()
    day = _DAY_TEXT.get(ordinal)
    if day is None:
        day = _DAY_TEXT[ordinal] = value.date().isoformat()
    return f"{day} {_TWO_DIGITS[value.hour]}:{_TWO_DIGITS[value.minute]}:{_TWO_DIGITS[value.second]}+00"


def _copy_converter(field: models.Field) -> Callable[[Any], str]:
    """The text of one column's values; a per-batch cache where the same values repeat (choices, dates, keys)."""
    if isinstance(field, models.DateTimeField):
        return _datetime_text
    if field.primary_key or (isinstance(field, models.CharField | models.TextField) and not field.choices):
        return _copy_text
    cache: dict[object, str] = {}

    def cached(value: object) -> str:
        text = cache.get(value)
        if text is None:
            text = cache[value] = _copy_text(value)
        return text

    return cached


def _copy_prepare(model: type[models.Model], columns: Sequence[str], rows: Sequence[tuple[object, ...]]) -> Prepared:
    """The COPY statement and its text-format payload; the same rows bulk_create would insert."""
    # Fields the generator does not set get their model default, as Model(**row) would give them in bulk_create.
    fields = {f.attname: f for f in model._meta.concrete_fields}
    extra = [f for name, f in fields.items() if name not in columns and not (f.primary_key and name == "id")]
    line_end = "".join("\t" + _copy_text(f.get_default()) for f in extra) + "\n"
    quote = connection.ops.quote_name
    names = [str(fields[c].column) for c in columns] + [str(f.column) for f in extra]
    sql = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(n) for n in names)}) FROM STDIN"
    converters = [_copy_converter(fields[c]) for c in columns]
    payload = "".join(
        "\t".join([convert(value) for convert, value in zip(converters, row, strict=True)]) + line_end for row in rows
    )
    return sql, payload


def _copy_write(prepared: Prepared) -> None:
    """PostgreSQL COPY FROM STDIN: several times faster than INSERT for a million rows."""
    sql, payload = prepared
    with connection.cursor() as cursor, connection.wrap_database_errors:
        raw = cursor.cursor
        if hasattr(raw, "copy_expert"):  # psycopg2
            raw.copy_expert(sql, io.StringIO(payload))
        else:  # psycopg 3
            with raw.copy(sql) as copy:
                copy.write(payload)
