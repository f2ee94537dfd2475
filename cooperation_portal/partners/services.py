"""The only code that writes partners. Reference data (States, organizations, voluntary agreements) is loaded here."""

import csv
import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.db.models import CheckConstraint, F, Q
from django.db.models.constants import LOOKUP_SEP
from django.utils import translation
from django_countries import countries

from agreements_app.choices import AgreementType
from agreements_app.models import VoluntaryAgreement

from .choices import PartnerKind
from .models import Partner

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
STATES_CSV = REFERENCE_DIR / "rome_statute_states.csv"
ORGANIZATIONS_CSV = REFERENCE_DIR / "organizations.csv"
AGREEMENTS_CSV = REFERENCE_DIR / "voluntary_agreements.csv"

STATE_COLUMNS = (
    "iso3",
    "name",
    "regional_group",
    "signature_date",
    "ratification_date",
    "entry_into_force_date",
    "withdrawal_notified_date",
    "withdrawal_effective_date",
    "apic_date",
    "source",
)
STATE_DATE_COLUMNS = STATE_COLUMNS[3:9]
ORGANIZATION_COLUMNS = ("code", "name", "name_fr", "source")
AGREEMENT_COLUMNS = (
    "partner_code",
    "agreement_type",
    "title",
    "negotiation_started_on",
    "signed_on",
    "in_force_on",
    "terminated_on",
    "is_public",
    "source",
    "notes",
)
AGREEMENT_DATE_COLUMNS = ("negotiation_started_on", "signed_on", "in_force_on", "terminated_on")

# States that became party by succession: the CSV's ratification column holds the date the notification of
# succession was deposited, which is later than the entry into force (the date of independence); the file has no
# column saying so, its source text does.
STATES_BY_SUCCESSION = frozenset({"MNE"})


class ReferenceDataError(Exception):
    """One or more rows of the reference files are invalid; nothing was written."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__(
            f"Reference data not loaded ({len(errors)} error{'s' if len(errors) != 1 else ''}; nothing written):\n"
            + "\n".join(f"  {error}" for error in errors)
        )


@dataclass
class RowCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


@dataclass
class LoadSummary:
    states: RowCounts = field(default_factory=RowCounts)
    organizations: RowCounts = field(default_factory=RowCounts)
    agreements: RowCounts = field(default_factory=RowCounts)


@dataclass(frozen=True)
class _Row:
    path: Path
    line: int
    values: dict[str, str]

    def where(self, column: str | None = None) -> str:
        place = f"{self.path.name}, line {self.line}"
        return f"{place}, column {column}" if column else place


def _read_rows(path: Path, columns: tuple[str, ...], errors: list[str]) -> Iterator[_Row]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in columns if column not in (reader.fieldnames or [])]
        if missing:
            errors.append(f"{path.name}, line 1: missing column(s) {', '.join(missing)}")
            return
        for values in reader:
            # line_num is the physical line just read, so a quoted value spanning lines is still placed right.
            yield _Row(path=path, line=reader.line_num, values={k: (v or "").strip() for k, v in values.items() if k})


def _parse_date(row: _Row, column: str, errors: list[str]) -> datetime.date | None:
    raw = row.values[column]
    if not raw:
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        errors.append(f"{row.where(column)}: “{raw}” is not a date in YYYY-MM-DD form")
        return None


def _parse_bool(row: _Row, column: str, errors: list[str]) -> bool:
    raw = row.values[column].lower()
    if raw in {"true", "yes", "1", ""}:
        return True
    if raw in {"false", "no", "0"}:
        return False
    errors.append(f"{row.where(column)}: “{row.values[column]}” is not true or false")
    return True


def _constraint_fields(instance: models.Model, message: str) -> list[str]:
    """The fields a CheckConstraint reads, for the constraint whose message is `message`."""
    names: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, Q):
            for child in node.children:
                walk(child)
        elif isinstance(node, tuple):
            names.append(node[0].split(LOOKUP_SEP)[0])
            walk(node[1])
        elif isinstance(node, F):
            _, (name, *_rest), _ = node.deconstruct()
            names.append(name)

    for constraint in instance._meta.constraints:
        if isinstance(constraint, CheckConstraint) and str(constraint.get_violation_error_message()) == message:
            walk(constraint.condition)
    # kind and by_succession are set by the loader, not read from a column, so no line of the file is to blame.
    return sorted(set(names) - {"kind", "by_succession"}, key=names.index)


def _validation_messages(
    row: _Row, instance: models.Model, error: ValidationError, column_for: Callable[[str], str]
) -> list[str]:
    messages = []
    for field_name, field_messages in error.message_dict.items():
        for message in field_messages:
            if field_name == NON_FIELD_ERRORS:
                columns = [column_for(name) for name in _constraint_fields(instance, message)]
                where = row.where(", ".join(columns)) if columns else row.where()
            else:
                where = row.where(column_for(field_name))
            messages.append(f"{where}: {message}")
    return messages


def _upsert(
    *,
    row: _Row,
    instance: models.Model,
    values: dict[str, Any],
    counts: RowCounts,
    errors: list[str],
    column_for: Callable[[str], str],
) -> models.Model | None:
    """Validate and save only when a value differs, so that a second run writes nothing and records no history."""
    is_new = instance._state.adding
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    if not is_new and not changed:
        counts.unchanged += 1
        return instance
    for name, value in values.items():
        setattr(instance, name, value)
    try:
        instance.full_clean()
    except ValidationError as error:
        errors.extend(_validation_messages(row, instance, error, column_for))
        return None
    instance.save()
    if is_new:
        counts.created += 1
    else:
        counts.updated += 1
    return instance


def _french_name(iso3: str) -> str:
    if not countries.alpha2(iso3):
        return ""
    with translation.override("fr"):
        return str(countries.name(iso3))


def _state_column(field_name: str) -> str:
    return "iso3" if field_name == "code" else field_name


def _load_states(path: Path, counts: RowCounts, errors: list[str], rejected: set[str]) -> None:
    seen: dict[str, int] = {}
    for row in _read_rows(path, STATE_COLUMNS, errors):
        code = row.values["iso3"]
        if code in seen:
            errors.append(f"{row.where('iso3')}: {code} already appears on line {seen[code]}")
            continue
        seen[code] = row.line
        dates = {column: _parse_date(row, column, errors) for column in STATE_DATE_COLUMNS}
        values: dict[str, Any] = {
            "kind": PartnerKind.STATE,
            "name": row.values["name"],
            "name_fr": _french_name(code),
            "regional_group": row.values["regional_group"],
            "by_succession": code in STATES_BY_SUCCESSION,
            **dates,
            "source": row.values["source"],
        }
        instance = Partner.objects.filter(code=code).first() or Partner(code=code)
        if not _upsert(
            row=row, instance=instance, values=values, counts=counts, errors=errors, column_for=_state_column
        ):
            rejected.add(code)


def _load_organizations(path: Path, counts: RowCounts, errors: list[str], rejected: set[str]) -> None:
    seen: dict[str, int] = {}
    for row in _read_rows(path, ORGANIZATION_COLUMNS, errors):
        code = row.values["code"]
        if code in seen:
            errors.append(f"{row.where('code')}: {code} already appears on line {seen[code]}")
            continue
        seen[code] = row.line
        values: dict[str, Any] = {
            "kind": PartnerKind.ORGANIZATION,
            "name": row.values["name"],
            "name_fr": row.values["name_fr"],
            "source": row.values["source"],
        }
        instance = Partner.objects.filter(code=code).first() or Partner(code=code)
        if not _upsert(row=row, instance=instance, values=values, counts=counts, errors=errors, column_for=str):
            rejected.add(code)


def _agreement_column(field_name: str) -> str:
    return "partner_code" if field_name == "partner" else field_name


def _load_agreements(path: Path, counts: RowCounts, errors: list[str], rejected: set[str]) -> None:
    seen: dict[tuple[str, str], int] = {}
    partners = {partner.code: partner for partner in Partner.objects.all()}
    for row in _read_rows(path, AGREEMENT_COLUMNS, errors):
        code, agreement_type = row.values["partner_code"], row.values["agreement_type"]
        partner = partners.get(code)
        if partner is None and code in rejected:
            continue  # the partner's own row is already reported
        if partner is None:
            errors.append(f"{row.where('partner_code')}: no partner with code “{code}”")
            continue
        if agreement_type not in AgreementType.values:
            errors.append(
                f"{row.where('agreement_type')}: “{agreement_type}” is not one of {', '.join(AgreementType.values)}"
            )
            continue
        if (code, agreement_type) in seen:
            errors.append(
                f"{row.where('agreement_type')}: {code} {agreement_type} already appears on line "
                f"{seen[(code, agreement_type)]}"
            )
            continue
        seen[(code, agreement_type)] = row.line
        values: dict[str, Any] = {
            "title": row.values["title"],
            **{column: _parse_date(row, column, errors) for column in AGREEMENT_DATE_COLUMNS},
            "is_public": _parse_bool(row, "is_public", errors),
            "source": row.values["source"],
            "notes": row.values["notes"],
        }
        instance = VoluntaryAgreement.objects.filter(
            partner=partner, agreement_type=agreement_type
        ).first() or VoluntaryAgreement(partner=partner, agreement_type=agreement_type)
        _upsert(row=row, instance=instance, values=values, counts=counts, errors=errors, column_for=_agreement_column)


def reference_data_load(
    *,
    states_csv: Path = STATES_CSV,
    organizations_csv: Path = ORGANIZATIONS_CSV,
    agreements_csv: Path = AGREEMENTS_CSV,
) -> LoadSummary:
    """Create or update States, organizations and voluntary agreements from the reference CSV files.

    Idempotent: a row whose values already match is not saved, so a second run changes nothing and adds no
    history. Rows missing from the files are left alone. Every row is validated with full_clean(); if any row is
    invalid, the whole load is rolled back and ReferenceDataError lists every problem by file, line and column.
    """
    summary = LoadSummary()
    errors: list[str] = []
    rejected: set[str] = set()  # partner codes whose row was invalid
    with transaction.atomic():
        _load_states(Path(states_csv), summary.states, errors, rejected)
        _load_organizations(Path(organizations_csv), summary.organizations, errors, rejected)
        _load_agreements(Path(agreements_csv), summary.agreements, errors, rejected)
        if errors:
            raise ReferenceDataError(errors)
    return summary
