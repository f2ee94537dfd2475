"""Synthetic demo data: pure functions, no database access.

Every request is derived from (seed, index) alone, with its own seeded random.Random, so that:
- two runs with the same seed, the same reference data and the same `today` give the same rows;
- the output does not depend on the batch size;
- a run can continue from any index (the command adds only the requests that are missing).

Rows are plain tuples in the column order of the *_COLUMNS constants, so one row shape feeds both writers
(PostgreSQL COPY and Django bulk_create).
"""

import bisect
import datetime
import itertools
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from requests_app.choices import (
    CLOCK_RUNNING_STATUSES,
    TRANSITIONS,
    Confidentiality,
    ConsultationGround,
    EventKind,
    Organ,
    PauseReason,
    RequestType,
    Status,
    default_response_days,
)

REFERENCE_PREFIX = "DEMO-"
SITUATION_PREFIX = "DEMO-"
FIRST_TRANSMISSION = datetime.date(2003, 1, 1)
UTC = datetime.UTC
T = TypeVar("T")

REQUEST_COLUMNS = (
    "id", "reference", "organ", "request_type", "partner_id", "situation_id", "case_id", "subject", "description",
    "confidentiality", "urgent", "status", "transmitted_on", "due_on", "acknowledged_on", "outcome_on", "closed_on",
    "clock_paused_since", "version", "created_by_id", "created_at", "updated_at",
)
EVENT_COLUMNS = ("coop_request_id", "kind", "from_status", "to_status", "actor_id", "occurred_at", "note")
PAUSE_COLUMNS = ("coop_request_id", "reason", "ground", "started_on", "ended_on")
WARRANT_LINK_COLUMNS = ("arrestwarrant_id", "cooperationrequest_id")

# Shares of the final status; open requests (clock running) are about a quarter, as in the Court's reports.
STATUS_WEIGHTS: dict[str, float] = {
    Status.CLOSED: 0.58,
    Status.EXECUTED: 0.07,
    Status.PARTIALLY_EXECUTED: 0.03,
    Status.NOT_EXECUTED: 0.02,
    Status.WITHDRAWN: 0.04,
    Status.IN_EXECUTION: 0.10,
    Status.ACKNOWLEDGED: 0.06,
    Status.TRANSMITTED: 0.08,
    Status.DRAFT: 0.02,
}
TYPE_WEIGHTS: dict[str, float] = {
    RequestType.ARREST_SURRENDER: 0.03,
    RequestType.PROVISIONAL_ARREST: 0.01,
    RequestType.IDENTIFICATION: 0.10,
    RequestType.EVIDENCE: 0.16,
    RequestType.QUESTIONING: 0.04,
    RequestType.SERVICE_OF_DOCUMENTS: 0.06,
    RequestType.VOLUNTARY_APPEARANCE: 0.04,
    RequestType.TEMPORARY_TRANSFER: 0.01,
    RequestType.EXAMINATION_OF_SITES: 0.02,
    RequestType.SEARCH_AND_SEIZURE: 0.03,
    RequestType.RECORDS: 0.14,
    RequestType.PROTECTION: 0.08,
    RequestType.ASSETS: 0.05,
    RequestType.OTHER_ASSISTANCE: 0.05,
    RequestType.VISA: 0.12,
    RequestType.LOGISTICAL: 0.05,
    RequestType.ASSISTANCE_TO_STATE: 0.01,
}
ORGAN_WEIGHTS: dict[str, float] = {Organ.REGISTRY: 0.45, Organ.OTP: 0.42, Organ.CHAMBERS: 0.09, Organ.PRESIDENCY: 0.04}
CONFIDENTIALITY_WEIGHTS: dict[str, float] = {
    Confidentiality.PUBLIC: 0.30, Confidentiality.CONFIDENTIAL: 0.60, Confidentiality.UNDER_SEAL: 0.10,
}
OUTCOME_WEIGHTS: dict[str, float] = {Status.EXECUTED: 0.65, Status.PARTIALLY_EXECUTED: 0.20, Status.NOT_EXECUTED: 0.15}
ARREST_TYPES = frozenset({RequestType.ARREST_SURRENDER, RequestType.PROVISIONAL_ARREST})
LOGISTICAL_SUBJECT_TYPES = frozenset({RequestType.VISA, RequestType.LOGISTICAL})

SUBJECTS: dict[str, str] = {
    RequestType.ARREST_SURRENDER: "Arrest and surrender of a fictional suspect",
    RequestType.PROVISIONAL_ARREST: "Provisional arrest of a fictional suspect",
    RequestType.IDENTIFICATION: "Whereabouts of a fictional person",
    RequestType.EVIDENCE: "Production of fictional evidence",
    RequestType.QUESTIONING: "Questioning of a fictional person",
    RequestType.SERVICE_OF_DOCUMENTS: "Service of fictional documents",
    RequestType.VOLUNTARY_APPEARANCE: "Appearance of a fictional witness",
    RequestType.TEMPORARY_TRANSFER: "Temporary transfer of a fictional detainee",
    RequestType.EXAMINATION_OF_SITES: "Examination of a fictional site",
    RequestType.SEARCH_AND_SEIZURE: "Search of fictional premises",
    RequestType.RECORDS: "Fictional official records",
    RequestType.PROTECTION: "Protection of a fictional witness",
    RequestType.ASSETS: "Tracing of fictional assets",
    RequestType.OTHER_ASSISTANCE: "Other assistance (fictional)",
    RequestType.VISA: "Visa for a fictional mission",
    RequestType.LOGISTICAL: "Logistics of a fictional mission",
    RequestType.ASSISTANCE_TO_STATE: "Fictional assistance to a national investigation",
}
PAUSE_NOTES: dict[str, str] = {
    PauseReason.CONSULTATION: "Consultations under art. 97 (demo data).",
    PauseReason.POSTPONEMENT_ART94: "Postponed under art. 94 (demo data).",
    PauseReason.POSTPONEMENT_ART95: "Postponed under art. 95 (demo data).",
}


@dataclass(frozen=True)
class PartnerRef:
    id: int
    code: str
    kind: str


@dataclass(frozen=True)
class SituationRef:
    id: int
    case_ids: tuple[int, ...]


@dataclass(frozen=True)
class WarrantRef:
    """A numbered warrant as a request links to it: its id, situation, case and day of issue (an ordinal)."""

    id: int
    situation_id: int
    case_id: int | None
    issued: int


class Picker(Generic[T]):
    """Weighted choice in O(log n) from one uniform draw; cheaper than random.choices for a million rows."""

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        if not items:
            raise ValueError("Nothing to pick from.")
        self.items = list(items)
        self.cumulative = list(itertools.accumulate(weights))
        self.total = self.cumulative[-1]

    def pick(self, u: float) -> T:
        return self.items[min(bisect.bisect_right(self.cumulative, u * self.total), len(self.items) - 1)]


def _picker(weights: dict[str, float]) -> Picker[str]:
    return Picker([str(k) for k in weights], list(weights.values()))


STATUS_PICKER = _picker(STATUS_WEIGHTS)
TYPE_PICKER = _picker(TYPE_WEIGHTS)
ORGAN_PICKER = _picker(ORGAN_WEIGHTS)
CONFIDENTIALITY_PICKER = _picker(CONFIDENTIALITY_WEIGHTS)
OUTCOME_PICKER = _picker(OUTCOME_WEIGHTS)
# How far a withdrawn request got before its withdrawal ("outcome" stands for any of the three outcomes).
WITHDRAWN_AFTER_PICKER = Picker(
    [str(Status.TRANSMITTED), str(Status.ACKNOWLEDGED), str(Status.IN_EXECUTION), "outcome"], [0.3, 0.25, 0.3, 0.15]
)


@dataclass
class DemoContext:
    """Everything a request row depends on besides (seed, index): read once from the database."""

    seed: int
    today: datetime.date
    partners: Sequence[PartnerRef]
    situations: Sequence[SituationRef]
    registry_user_id: int
    # Focal points answer their own partner's requests; the Registry records every other partner's answers.
    focal_point_by_partner: dict[int, int] = field(default_factory=dict)
    # A demo partner's share of requests is boosted so each focal point login has plenty to see.
    favoured_partner_ids: Sequence[int] = ()
    warrant_by_case: dict[int, int] = field(default_factory=dict)
    # Numbered warrants by number (generator.plan_warrant), for link_bulk_warrant.
    bulk_warrants: dict[int, WarrantRef] = field(default_factory=dict)
    partner_picker: Picker[PartnerRef] = field(init=False)
    state_picker: Picker[PartnerRef] | None = field(init=False)
    span_days: int = field(init=False)
    today_ordinal: int = field(init=False)
    rng: random.Random = field(init=False, default_factory=random.Random)

    def __post_init__(self) -> None:
        if self.today < FIRST_TRANSMISSION + datetime.timedelta(days=365):
            raise ValueError(f"'today' must be after {FIRST_TRANSMISSION.year + 1}-01-01.")
        ordered = sorted(self.partners, key=lambda p: p.code)
        ranks = list(range(len(ordered)))
        random.Random(f"partners-{self.seed}").shuffle(ranks)  # noqa: S311 - synthetic data, not a secret
        # Zipf-like shares: a few partners receive many requests, every partner receives some.
        weights = [1.0 / (rank + 1) ** 0.9 for rank in ranks]
        for i, partner in enumerate(ordered):
            if partner.id in self.favoured_partner_ids:
                weights[i] = 1.0
        self.partner_picker = Picker(ordered, weights)
        states = [(p, w) for p, w in zip(ordered, weights, strict=True) if p.kind == "state"]
        self.state_picker = Picker([p for p, _ in states], [w for _, w in states]) if states else None
        self.span_days = (self.today - FIRST_TRANSMISSION).days
        self.today_ordinal = self.today.toordinal()


EventRow = tuple[str, str, str, int, datetime.datetime, str]  # EVENT_COLUMNS without "coop_request_id"
PauseRow = tuple[str, str, datetime.date, datetime.date | None]  # PAUSE_COLUMNS without "coop_request_id"


@dataclass
class RequestPlan:
    """One synthetic request before it has a database id: its row without id, its events, pauses and links."""

    index: int
    row: tuple[object, ...]  # REQUEST_COLUMNS without "id"
    events: list[EventRow]
    pauses: list[PauseRow]
    warrant_id: int | None

    @property
    def reference(self) -> str:
        return str(self.row[0])

    @property
    def status(self) -> str:
        return str(self.row[10])


@dataclass
class RowBatch:
    requests: list[tuple[object, ...]]
    events: list[tuple[object, ...]]
    pauses: list[tuple[object, ...]]
    warrant_links: list[tuple[object, ...]]


def reference_for(index: int, year: int) -> str:
    return f"{REFERENCE_PREFIX}{year}-{index:06d}"


_from_ordinal = datetime.date.fromordinal


def _at(day: int, u: float) -> datetime.datetime:
    """A moment in office hours of day ordinal `day`: 07:00-15:59 UTC is 08:00-17:59 in The Hague, same date."""
    minutes = int(u * 540)
    d = _from_ordinal(day)
    return datetime.datetime(d.year, d.month, d.day, 7 + minutes // 60, minutes % 60, tzinfo=UTC)


# Plain strings: enum member access and comparison cost more, and a million rows repeat them many times.
DRAFT, TRANSMITTED, ACKNOWLEDGED, IN_EXECUTION, CLOSED, WITHDRAWN = (
    s.value for s in (Status.DRAFT, Status.TRANSMITTED, Status.ACKNOWLEDGED, Status.IN_EXECUTION, Status.CLOSED,
                      Status.WITHDRAWN)
)
OUTCOMES = tuple(s.value for s in (Status.EXECUTED, Status.PARTIALLY_EXECUTED, Status.NOT_EXECUTED))
OUTCOME = "outcome"  # any of OUTCOMES, in WITHDRAWN_AFTER_PICKER
CLOCK_RUNNING = frozenset(s.value for s in CLOCK_RUNNING_STATUSES)
ANSWERED_BY_PARTNER = frozenset((ACKNOWLEDGED, IN_EXECUTION, *OUTCOMES))
ARREST = frozenset(str(t) for t in ARREST_TYPES)
LOGISTICAL = frozenset(str(t) for t in LOGISTICAL_SUBJECT_TYPES)
ASSISTANCE_TO_STATE = RequestType.ASSISTANCE_TO_STATE.value
PUBLIC, UNDER_SEAL = Confidentiality.PUBLIC.value, Confidentiality.UNDER_SEAL.value
CREATED_EVENT, TRANSITION_EVENT = EventKind.CREATED.value, EventKind.TRANSITION.value
PAUSED_EVENT, RESUMED_EVENT = EventKind.CLOCK_PAUSED.value, EventKind.CLOCK_RESUMED.value
CONSULTATION, ART94, ART95 = (
    r.value for r in (PauseReason.CONSULTATION, PauseReason.POSTPONEMENT_ART94, PauseReason.POSTPONEMENT_ART95)
)
GROUNDS = tuple(g.value for g in ConsultationGround)
SUBJECT_TEXT = {str(k): v for k, v in SUBJECTS.items()}
PAUSE_NOTE_TEXT = {str(k): v for k, v in PAUSE_NOTES.items()}
FIRST_DAY = FIRST_TRANSMISSION.toordinal()

# Indexes 0..16 force one value of each choice so that every status, type, organ and confidentiality level
# appears even in a small run; indexes 17 and 18 force a paused request and an overdue one.
_FORCED_STATUSES = Status.values
_FORCED_TYPES = RequestType.values
_FORCED_ORGANS = Organ.values
_FORCED_CONFIDENTIALITY = Confidentiality.values
FORCED_PAUSED_INDEX = len(_FORCED_TYPES)
FORCED_OVERDUE_INDEX = FORCED_PAUSED_INDEX + 1


def plan_request(ctx: DemoContext, index: int) -> RequestPlan:
    """The request number `index` of the run seeded `ctx.seed`: a pure function of both (and of ctx's data).

    Days are handled as ordinals and choices as plain strings: this runs a million times per benchmark load.
    """
    rng = ctx.rng
    rng.seed(ctx.seed * 1_000_003 + index)
    r = rng.random
    today = ctx.today_ordinal
    span = ctx.span_days

    def days(lo: int, hi: int) -> int:
        return lo + int(r() * (hi - lo + 1))

    forced = index < len(_FORCED_TYPES)
    status = _FORCED_STATUSES[index] if index < len(_FORCED_STATUSES) else STATUS_PICKER.pick(r())
    request_type = _FORCED_TYPES[index] if forced else TYPE_PICKER.pick(r())
    organ = _FORCED_ORGANS[index % len(_FORCED_ORGANS)] if forced else ORGAN_PICKER.pick(r())
    if request_type in LOGISTICAL:
        organ = Organ.REGISTRY.value
    if forced:
        confidentiality = _FORCED_CONFIDENTIALITY[index % len(_FORCED_CONFIDENTIALITY)]
        urgent = index % 2 == 1
    else:
        confidentiality = CONFIDENTIALITY_PICKER.pick(r())
        if request_type in ARREST and confidentiality == PUBLIC:
            confidentiality = UNDER_SEAL
        urgent = r() < (0.35 if request_type in ARREST else 0.06)
    force_pause = index == FORCED_PAUSED_INDEX
    force_overdue = index == FORCED_OVERDUE_INDEX
    if force_pause:
        status = IN_EXECUTION
    elif force_overdue:
        status = TRANSMITTED

    partner = ctx.partner_picker.pick(r())
    if request_type == ASSISTANCE_TO_STATE and partner.kind != "state":
        if ctx.state_picker is None:
            request_type = RequestType.OTHER_ASSISTANCE.value
        else:
            partner = ctx.state_picker.pick(r())

    situation_id = case_id = None
    if ctx.situations and (request_type not in LOGISTICAL or r() < 0.5) and r() < 0.95:
        situation = ctx.situations[int(r() * len(ctx.situations))]
        situation_id = situation.id
        if situation.case_ids and (request_type in ARREST or r() < 0.45):
            case_id = situation.case_ids[int(r() * len(situation.case_ids))]
    warrant_id = ctx.warrant_by_case.get(case_id) if case_id and request_type in ARREST else None

    registry = ctx.registry_user_id
    answerer = ctx.focal_point_by_partner.get(partner.id, registry)
    response_days = default_response_days(request_type, urgent=urgent)

    # The statuses this request went through after transmission, each with the days since the previous step.
    path: list[tuple[str, int]] = []
    transmitted: int | None = None
    if status == DRAFT:
        created = today - days(0, 120)
    elif status == WITHDRAWN and r() < 0.1:
        created = FIRST_DAY + days(0, span - 61)
        path.append((WITHDRAWN, days(1, 60)))
    else:
        if status == WITHDRAWN:
            reached = WITHDRAWN_AFTER_PICKER.pick(r())
        else:
            reached = OUTCOME if status in OUTCOMES or status == CLOSED else status
        if reached == ACKNOWLEDGED or (reached in (IN_EXECUTION, OUTCOME) and r() < 0.85):
            path.append((ACKNOWLEDGED, days(1, 5) if urgent else days(1, 30)))
        if reached == IN_EXECUTION or (reached == OUTCOME and r() < 0.75):
            path.append((IN_EXECUTION, days(1, 60)))
        if reached == OUTCOME:
            outcome = status if status in OUTCOMES else OUTCOME_PICKER.pick(r())
            path.append((outcome, min(1 + int(rng.expovariate(1 / 150)), 1500)))
        if status == CLOSED:
            path.append((CLOSED, days(5, 180)))
        elif status == WITHDRAWN:
            path.append((WITHDRAWN, days(1, 90)))
        elapsed = sum(gap for _, gap in path)
        if status in CLOCK_RUNNING:
            # Open requests are mostly recent; some linger for years, which is what makes them overdue.
            u = r()
            if force_overdue:
                age = days(response_days + 30, 700)
            elif u < 0.45:
                age = days(0, response_days)
            elif u < 0.85:
                age = days(0, 730)
            else:
                age = days(0, span)
            transmitted = today - min(max(age, elapsed), span)
        else:
            latest_start = span - elapsed
            if latest_start < 0:
                # Only when `today` is close to 2003: squeeze the path into the available days.
                path = [(s, 0) for s, _ in path]
                latest_start = span
            # More requests in later years, as the Court's caseload grew.
            transmitted = FIRST_DAY + int(latest_start * r() ** 0.6)
        created = max(transmitted - (days(1, 2) if urgent else days(1, 20)), min(FIRST_DAY, transmitted))

    # Dates of each step, and the events recording them.
    created_at = _at(created, r() * 0.5)
    events: list[EventRow] = [(CREATED_EVENT, "", "", registry, created_at, "")]
    step_days: dict[str, int] = {}
    current = DRAFT
    day = created
    last_at = created_at
    if transmitted is not None:
        step_days[TRANSMITTED] = transmitted
        last_at = _at(transmitted, 0.5 + r() * 0.5) if transmitted == created else _at(transmitted, r())
        events.append((TRANSITION_EVENT, DRAFT, TRANSMITTED, registry, last_at, ""))
        current = TRANSMITTED
        day = transmitted
    for next_status, gap in path:
        day += gap
        step_days[next_status] = day
        last_at = _at(day, r())
        actor = answerer if next_status in ANSWERED_BY_PARTNER else registry
        events.append((TRANSITION_EVENT, current, next_status, actor, last_at, ""))
        current = next_status
    assert current == status, (index, current, status)  # an internal invariant of the generator

    due = transmitted + response_days if transmitted is not None else None
    outcome_day = next((step_days[s] for s in OUTCOMES if s in step_days), None)
    closed_day = step_days.get(CLOSED) or step_days.get(WITHDRAWN)

    # The deadline clock runs from transmission until an outcome, a withdrawal or today.
    pauses: list[PauseRow] = []
    paused_since = None
    if transmitted is not None and due is not None and not force_overdue:
        clock_stops = outcome_day or closed_day or today
        window = clock_stops - transmitted
        open_now = status in CLOCK_RUNNING
        if window >= 2 and (force_pause or r() < (0.15 if open_now else 0.08)):
            started = transmitted + days(1, window - 1)
            consultation = force_pause or r() < 0.7
            reason = CONSULTATION if consultation else (ART94 if r() < 0.6 else ART95)
            ground = GROUNDS[int(r() * len(GROUNDS))] if consultation else ""
            ended = None
            if not (open_now and (force_pause or r() < 0.5)):
                ended = min(started + days(10, 200), clock_stops)
            pauses.append((reason, ground, _from_ordinal(started), _from_ordinal(ended) if ended else None))
            events.append((PAUSED_EVENT, "", "", registry, _at(started, r()), PAUSE_NOTE_TEXT[reason]))
            if ended is None:
                paused_since = started
            else:
                # The due date moves by the days the clock stood still.
                due += ended - started
                events.append((RESUMED_EVENT, "", "", registry, _at(ended, r()), ""))
            events.sort(key=lambda e: e[4])
            last_at = max(last_at, events[-1][4])

    def as_date(ordinal: int | None) -> datetime.date | None:
        return _from_ordinal(ordinal) if ordinal is not None else None

    if request_type in ARREST and situation_id is not None and ctx.bulk_warrants:
        bulk = link_bulk_warrant(ctx.bulk_warrants, index, transmitted if transmitted is not None else created)
        if bulk is not None:
            # The request executes that warrant, so it is filed under the warrant's situation and case.
            warrant_id, situation_id, case_id = bulk.id, bulk.situation_id, bulk.case_id

    year = _from_ordinal(transmitted if transmitted is not None else created).year
    subject = f"{SUBJECT_TEXT[request_type]} ({year}, demo {index:06d})"
    row = (
        reference_for(index, year), organ, request_type, partner.id, situation_id, case_id, subject, "",
        confidentiality, urgent, status, as_date(transmitted), as_date(due), as_date(step_days.get(ACKNOWLEDGED)),
        as_date(outcome_day), as_date(closed_day), as_date(paused_since), 1, registry, created_at, last_at,
    )
    return RequestPlan(index=index, row=row, events=events, pauses=pauses, warrant_id=warrant_id)


def iter_plans(ctx: DemoContext, indexes: Iterable[int], batch_size: int) -> Iterator[list[RequestPlan]]:
    """Plans for `indexes`, `batch_size` at a time: memory stays bounded by one batch."""
    remaining = iter(indexes)
    while batch := [plan_request(ctx, i) for i in itertools.islice(remaining, batch_size)]:
        yield batch


def index_of(reference: str) -> int | None:
    """The generator index of a demo reference ("DEMO-2019-000123" is 123), None for any other reference."""
    prefix, _, number = reference.rpartition("-")
    if not reference.startswith(REFERENCE_PREFIX) or len(prefix) != len(REFERENCE_PREFIX) + 4 or not number.isdigit():
        return None
    return int(number)


def rows_for(plans: Sequence[RequestPlan], ids: Sequence[int]) -> RowBatch:
    """Attach database ids to a batch of plans and flatten it into rows for each table."""
    requests: list[tuple[object, ...]] = []
    events: list[tuple[object, ...]] = []
    pauses: list[tuple[object, ...]] = []
    links: list[tuple[object, ...]] = []
    for plan, request_id in zip(plans, ids, strict=True):
        requests.append((request_id, *plan.row))
        events.extend((request_id, *event) for event in plan.events)
        pauses.extend((request_id, *pause) for pause in plan.pauses)
        if plan.warrant_id is not None:
            links.append((plan.warrant_id, request_id))
    return RowBatch(requests=requests, events=events, pauses=pauses, warrant_links=links)


def transitions_are_allowed(statuses: Sequence[str]) -> bool:
    """True when each consecutive pair is allowed by the lifecycle's transition table."""
    return all(b in TRANSITIONS[a] for a, b in itertools.pairwise(statuses))


# ---------------------------------------------------------------- registers: arrest warrants and voluntary agreements
#
# Besides the few hand-shaped fixture warrants (services.demo_fixtures_ensure), a run of N requests holds
# N // REQUESTS_PER_WARRANT numbered warrants and N // REQUESTS_PER_AGREEMENT numbered agreements. Number j depends
# on (seed, j) and the reference data alone, so that a larger N only adds numbers, as for requests.

REQUESTS_PER_WARRANT = 250
REQUESTS_PER_AGREEMENT = 250
# Numbered warrants name "Fictional Person 10000" and up; the fixture persons are numbered 0001-0048.
BULK_PERSON_PREFIX = "Fictional Person "
BULK_PERSON_BASE = 10_000
FIXTURE_PERSON_REGEX = r"^Fictional Person [0-9]{4}$"
AGREEMENT_SOURCE = "Demo data (fictional)"
FIRST_WARRANT = datetime.date(2005, 1, 1)
FIRST_AGREEMENT = datetime.date(2004, 6, 1)

WARRANT_COLUMNS = (
    "id", "person_name", "situation_id", "case_id", "chamber", "issued_on", "charges", "custody_on", "withdrawn_on",
    "terminated_on", "under_seal", "unsealed_on", "version",
)
BELIEVED_IN_COLUMNS = ("arrestwarrant_id", "partner_id")
AGREEMENT_COLUMNS = (
    "partner_id", "agreement_type", "title", "negotiation_started_on", "signed_on", "in_force_on", "terminated_on",
    "is_public", "source", "notes", "version",
)

CHAMBERS = ("Pre-Trial Chamber I", "Pre-Trial Chamber II", "Pre-Trial Chamber III")
CHARGES = (
    "Fictional charges (demo data): war crimes.",
    "Fictional charges (demo data): crimes against humanity.",
    "Fictional charges (demo data): war crimes and crimes against humanity.",
    "Fictional charges (demo data): offences against the administration of justice (art. 70).",
)
# How a numbered warrant stands on `today`: the end of its proceedings, or none (at large).
CUSTODY, WITHDRAWN_WARRANT, TERMINATED, AT_LARGE = "custody_on", "withdrawn_on", "terminated_on", ""
WARRANT_END_PICKER = Picker([CUSTODY, WITHDRAWN_WARRANT, TERMINATED, AT_LARGE], [0.30, 0.08, 0.12, 0.50])
# A sealed warrant: unsealed already, to be unsealed on a set future day, or sealed with no day set.
UNSEALED, UNSEALS_LATER, SEALED = "unsealed", "unseals_later", "sealed"
SEAL_PICKER = Picker([UNSEALED, UNSEALS_LATER, SEALED], [0.45, 0.25, 0.30])
# Warrants 0-7 show every outcome and every seal whatever the seed: (end, under seal, seal kind).
_FORCED_WARRANTS = (
    (AT_LARGE, False, ""), (CUSTODY, True, UNSEALED), (WITHDRAWN_WARRANT, False, ""), (TERMINATED, False, ""),
    (AT_LARGE, True, SEALED), (AT_LARGE, True, UNSEALS_LATER), (AT_LARGE, True, UNSEALED), (CUSTODY, False, ""),
)

AGREEMENT_TYPES = ("relocation", "enforcement", "interim_release", "release")  # AgreementType values
AGREEMENT_TYPE_PICKER = Picker(list(AGREEMENT_TYPES), [0.40, 0.25, 0.15, 0.20])
AGREEMENT_TOPICS = {
    "relocation": "the relocation of witnesses",
    "enforcement": "the enforcement of sentences",
    "interim_release": "interim release",
    "release": "the release of persons",
}
# How far an agreement got by `today` (AgreementStatus values).
AGREEMENT_STAGES = ("under_negotiation", "signed", "in_force", "terminated")
AGREEMENT_STAGE_PICKER = Picker(list(AGREEMENT_STAGES), [0.12, 0.18, 0.55, 0.15])
STATE_PARTY_SHARE = 0.9


@dataclass
class RegisterContext:
    """What numbered warrants and agreements depend on besides (seed, number): read once from the database."""

    seed: int
    today: datetime.date
    situations: Sequence[SituationRef]
    # States in code order; agreements go to States Parties on `today` mostly.
    states: Sequence[PartnerRef]
    state_party_ids: frozenset[int] = frozenset()
    # (partner id, type) of agreements that are not demo data: the reference loader finds its rows by that pair.
    taken_agreement_pairs: frozenset[tuple[int, str]] = frozenset()
    parties: list[PartnerRef] = field(init=False)
    non_parties: list[PartnerRef] = field(init=False)
    rng: random.Random = field(init=False, default_factory=random.Random)

    def __post_init__(self) -> None:
        if not self.situations:
            raise ValueError("Numbered warrants need the demo situations.")
        self.parties = [p for p in self.states if p.id in self.state_party_ids]
        self.non_parties = [p for p in self.states if p.id not in self.state_party_ids]


@dataclass
class WarrantPlan:
    index: int
    row: tuple[object, ...]  # WARRANT_COLUMNS without "id"
    believed_in: tuple[int, ...]


def person_name_for(index: int) -> str:
    return f"{BULK_PERSON_PREFIX}{BULK_PERSON_BASE + index}"


def warrant_index_of(person_name: str) -> int | None:
    """The number of a numbered warrant ("Fictional Person 10012" is 12); None for a fixture or any other name."""
    number = person_name.removeprefix(BULK_PERSON_PREFIX)
    if number == person_name or not number.isdigit() or int(number) < BULK_PERSON_BASE:
        return None
    return int(number) - BULK_PERSON_BASE


def agreement_title_for(index: int, agreement_type: str) -> str:
    return f"Fictional agreement on {AGREEMENT_TOPICS[agreement_type]} (demo {index:06d})"


def agreement_index_of(title: str) -> int | None:
    """The number of a demo agreement from its title ("... (demo 000012)" is 12); None for any other title."""
    head, _, number = title.rpartition("(demo ")
    if not head or not number.endswith(")") or not number[:-1].isdigit():
        return None
    return int(number[:-1])


def plan_warrant(ctx: RegisterContext, index: int) -> WarrantPlan:
    """The numbered warrant `index` of the run seeded `ctx.seed`: a pure function of both (and of ctx's data)."""
    rng = ctx.rng
    rng.seed(f"warrant-{ctx.seed}-{index}")
    r = rng.random
    today = ctx.today.toordinal()

    def days(lo: int, hi: int) -> int:
        return lo + int(r() * (hi - lo + 1))

    situation = ctx.situations[int(r() * len(ctx.situations))]
    case_id = situation.case_ids[int(r() * len(situation.case_ids))] if situation.case_ids and r() < 0.8 else None
    latest_issue = today - 60
    # More warrants in later years, as for requests.
    issued = FIRST_WARRANT.toordinal() + int((latest_issue - FIRST_WARRANT.toordinal()) * r() ** 0.7)
    end, under_seal, seal = WARRANT_END_PICKER.pick(r()), r() < 0.35, SEAL_PICKER.pick(r())
    if index < len(_FORCED_WARRANTS):
        end, under_seal, seal = _FORCED_WARRANTS[index]
    ends: dict[str, int | None] = {CUSTODY: None, WITHDRAWN_WARRANT: None, TERMINATED: None}
    if end:
        ends[end] = min(issued + int(rng.expovariate(1 / 700)), today)
    unsealed = None
    custody = ends[CUSTODY]
    if under_seal:
        if custody is not None:
            # Arrest unseals a warrant at the latest.
            unsealed = days(issued, custody)
        elif seal == UNSEALED:
            unsealed = days(issued, today)
        elif seal == UNSEALS_LATER:
            unsealed = today + days(1, 730)
    believed_in: tuple[int, ...] = ()
    if custody is None and ctx.states:
        picks = {int(r() * len(ctx.states)) for _ in range(days(1, 3))}
        believed_in = tuple(ctx.states[i].id for i in sorted(picks))
    chamber = CHAMBERS[int(r() * len(CHAMBERS))]
    charges = CHARGES[int(r() * len(CHARGES))]

    def as_date(ordinal: int | None) -> datetime.date | None:
        return _from_ordinal(ordinal) if ordinal is not None else None

    row = (
        person_name_for(index), situation.id, case_id, chamber, _from_ordinal(issued), charges,
        as_date(ends[CUSTODY]), as_date(ends[WITHDRAWN_WARRANT]), as_date(ends[TERMINATED]), under_seal,
        as_date(unsealed), 1,
    )
    return WarrantPlan(index=index, row=row, believed_in=believed_in)


def plan_agreement(ctx: RegisterContext, index: int) -> tuple[object, ...] | None:
    """The demo agreement `index` (a row in AGREEMENT_COLUMNS), or None when no State is loaded.

    Its dates are its status history: negotiation, signature, entry into force, termination, each after the last,
    the last one on or before `today` so that the agreement stands at its drawn stage today.
    """
    rng = ctx.rng
    rng.seed(f"agreement-{ctx.seed}-{index}")
    r = rng.random

    def days(lo: int, hi: int) -> int:
        return lo + int(r() * (hi - lo + 1))

    forced = index < len(AGREEMENT_TYPES)
    agreement_type = AGREEMENT_TYPES[index] if forced else AGREEMENT_TYPE_PICKER.pick(r())
    stage = AGREEMENT_STAGES[index] if forced else AGREEMENT_STAGE_PICKER.pick(r())
    pool = ctx.parties if ctx.parties and (not ctx.non_parties or r() < STATE_PARTY_SHARE) else ctx.non_parties
    free = [p for p in pool if (p.id, agreement_type) not in ctx.taken_agreement_pairs]
    if not free:
        free = [p for p in ctx.states if (p.id, agreement_type) not in ctx.taken_agreement_pairs]
    if not free:
        return None
    partner = free[int(r() * len(free))]

    # Days from the start of negotiations to each step reached: signature, entry into force (often the same day),
    # termination.
    reached = AGREEMENT_STAGES.index(stage)
    gaps = [days(30, 900), 0 if r() < 0.3 else days(1, 365), days(365, 3000)][:reached]
    offsets = list(itertools.accumulate(gaps, initial=0))
    first, latest_start = FIRST_AGREEMENT.toordinal(), ctx.today.toordinal() - offsets[-1]
    start = first + int(max(latest_start - first, 0) * r() ** 0.7) if latest_start >= first else latest_start
    dates: list[datetime.date | None] = [_from_ordinal(start + offset) for offset in offsets]
    dates += [None] * (len(AGREEMENT_STAGES) - len(dates))
    if r() < 0.3 and stage != "under_negotiation":
        dates[0] = None  # as in the Court's reports: the start of negotiations is often not public
    return (
        partner.id, agreement_type, agreement_title_for(index, agreement_type), *dates, r() < 0.8, AGREEMENT_SOURCE,
        "", 1,
    )


def link_bulk_warrant(
    bulk_warrants: dict[int, WarrantRef], index: int, request_day: int
) -> WarrantRef | None:
    """The numbered warrant an arrest request `index`, made on day `request_day`, executes, if any.

    Only warrants that a run of index + 1 requests already holds are candidates, so a link never depends on how
    many requests were asked for; about half the arrest requests get one. No random draw: the request's other
    fields stay those of its (seed, index).
    """
    ready = (index + 1) // REQUESTS_PER_WARRANT
    if not ready:
        return None
    number = _mix64(index) % (2 * ready)
    warrant = bulk_warrants.get(number) if number < ready else None
    return warrant if warrant is not None and warrant.issued <= request_day else None


_MASK64 = (1 << 64) - 1


def _mix64(x: int) -> int:
    """SplitMix64's finalizer: a well-spread hash of an integer, cheaper than seeding a generator."""
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)
