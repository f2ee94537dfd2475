"""Loading the reference data: published counts, idempotency, and rejection of malformed files."""

import datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count

from agreements_app.choices import AgreementType
from agreements_app.models import VoluntaryAgreement
from cooperation_portal.partners.models import Partner
from cooperation_portal.partners.services import (
    AGREEMENTS_CSV,
    ORGANIZATIONS_CSV,
    STATES_CSV,
    ReferenceDataError,
    reference_data_load,
)

pytestmark = pytest.mark.django_db

STATES_HEADER = STATES_CSV.read_text(encoding="utf-8").splitlines()[0]
AGREEMENTS_HEADER = AGREEMENTS_CSV.read_text(encoding="utf-8").splitlines()[0]


@pytest.fixture
def loaded():
    return reference_data_load()


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _states_with_extra_row(tmp_path: Path, row: str) -> Path:
    """The real States file with one row appended at its end."""
    lines = STATES_CSV.read_text(encoding="utf-8").splitlines()
    return _write(tmp_path / "rome_statute_states.csv", [*lines, row])


@pytest.fixture
def no_agreements(tmp_path):
    """An agreements file with its header only, for loads of a States file that lacks the agreements' States."""
    return _write(tmp_path / "no_agreements.csv", [AGREEMENTS_HEADER])


def _history_rows() -> tuple[int, int]:
    return Partner.history.count(), VoluntaryAgreement.history.count()


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        ("2013-09-30", 122),
        ("2016-12-01", 124),
        ("2018-06-01", 123),
        ("2019-06-01", 122),
        ("2020-06-01", 123),
        ("2024-06-01", 124),
        ("2025-01-01", 125),
        ("2026-07-01", 124),
    ],
)
def test_states_parties_match_published_counts(loaded, on, expected):
    """The number of States Parties computed from the loaded dates matches the published count on each date."""
    assert Partner.objects.states_parties_on(datetime.date.fromisoformat(on)).count() == expected


def test_states_parties_by_regional_group_on_2025_01_01(loaded):
    """On 1 January 2025 (Ukraine the 125th) the regional groups hold 33, 19, 20, 28 and 25 States Parties."""
    rows = (
        Partner.objects.states_parties_on(datetime.date(2025, 1, 1))
        .order_by()
        .values_list("regional_group")
        .annotate(n=Count("pk"))
    )
    assert dict(rows) == {"African": 33, "Asia-Pacific": 19, "Eastern European": 20, "GRULAC": 28, "WEOG": 25}


def test_hungary_is_a_party_until_its_withdrawal_takes_effect(loaded):
    """Hungary counts on the day before 2 June 2026 and not from that day."""
    assert Partner.objects.states_parties_on(datetime.date(2026, 6, 1)).filter(code="HUN").exists()
    assert not Partner.objects.states_parties_on(datetime.date(2026, 6, 2)).filter(code="HUN").exists()


def test_apic_parties_on_2013_04_22(loaded):
    """72 States were party to the APIC on 22 April 2013."""
    assert Partner.objects.apic_parties_on(datetime.date(2013, 4, 22)).count() == 72


def test_load_creates_every_row_with_its_source(loaded):
    """127 States, 8 organizations and 11 agreements are created, and every State keeps its source text."""
    assert (loaded.states.created, loaded.organizations.created, loaded.agreements.created) == (127, 8, 11)
    assert Partner.objects.states().count() == 127
    assert Partner.objects.organizations().count() == 8
    assert not Partner.objects.states().filter(source="").exists()
    assert not VoluntaryAgreement.objects.filter(source="").exists()


def test_states_get_their_french_name_and_regional_group(loaded):
    """A State's French name comes from django-countries; its regional group from the file."""
    cote_divoire = Partner.objects.get(code="CIV")
    assert cote_divoire.name == "Côte d'Ivoire"
    assert cote_divoire.regional_group == "African"
    assert Partner.objects.get(code="DEU").name_fr == "Allemagne"


def test_state_by_succession_is_party_from_independence_before_its_deposit(loaded):
    """Montenegro (succession deposited 23 October 2006, effective 3 June 2006) is a party from independence."""
    montenegro = Partner.objects.get(code="MNE")
    assert montenegro.entry_into_force_date == datetime.date(2006, 6, 3)
    assert montenegro.ratification_date == datetime.date(2006, 10, 23)
    assert montenegro.by_succession
    assert "succession" in montenegro.source
    assert montenegro.is_state_party_on(datetime.date(2006, 6, 3))


def test_organizations_have_no_treaty_dates(loaded):
    """Organizations are loaded with their French name and never count as States Parties."""
    interpol = Partner.objects.get(code="INTERPOL")
    assert interpol.kind == "organization"
    assert interpol.name_fr.startswith("Organisation internationale de police criminelle")
    assert set(Partner.objects.organizations().values_list("code", flat=True)) == {
        "UN",
        "AU",
        "EU",
        "INTERPOL",
        "OAS",
        "ECOWAS",
        "COE",
        "OIF",
    }
    assert not Partner.objects.states_parties_on(datetime.date(2025, 1, 1)).filter(kind="organization").exists()


def test_agreements_record_only_verified_dates(loaded):
    """Enforcement agreements name the ten States; unverified dates are left empty rather than guessed."""
    enforcement = VoluntaryAgreement.objects.filter(agreement_type=AgreementType.ENFORCEMENT)
    assert set(enforcement.values_list("partner__code", flat=True)) == {
        "AUT",
        "GBR",
        "BEL",
        "DNK",
        "FIN",
        "SRB",
        "MLI",
        "COL",
        "ARG",
        "SWE",
    }
    colombia = enforcement.get(partner__code="COL")
    assert colombia.signed_on == datetime.date(2011, 5, 17)
    assert colombia.in_force_on is None
    sweden = enforcement.get(partner__code="SWE")
    assert (sweden.signed_on, sweden.in_force_on) == (None, None)
    assert "not verified" in sweden.source
    interim = VoluntaryAgreement.objects.get(agreement_type=AgreementType.INTERIM_RELEASE)
    assert (interim.partner.code, interim.in_force_on) == ("BEL", datetime.date(2014, 4, 10))
    assert not VoluntaryAgreement.objects.filter(agreement_type=AgreementType.RELOCATION).exists()


def test_second_run_changes_nothing(loaded):
    """Running the load again creates and updates nothing and records no new history row."""
    history_before = _history_rows()
    partners_before = list(Partner.objects.order_by("pk").values())

    again = reference_data_load()

    assert (again.states.created, again.states.updated, again.states.unchanged) == (0, 0, 127)
    assert (again.organizations.created, again.organizations.updated, again.organizations.unchanged) == (0, 0, 8)
    assert (again.agreements.created, again.agreements.updated, again.agreements.unchanged) == (0, 0, 11)
    assert _history_rows() == history_before
    assert list(Partner.objects.order_by("pk").values()) == partners_before


def test_changed_row_is_updated_once_with_one_history_row(loaded, tmp_path):
    """A corrected date updates that one State and adds exactly one history row for it."""
    lines = STATES_CSV.read_text(encoding="utf-8").splitlines()
    lines = [
        line.replace("2024-10-25,2025-01-01", "2024-10-25,2025-01-02") if line.startswith("UKR,") else line
        for line in lines
    ]
    states = _write(tmp_path / "rome_statute_states.csv", lines)
    ukraine_history = Partner.history.filter(code="UKR").count()

    summary = reference_data_load(states_csv=states)

    assert (summary.states.created, summary.states.updated, summary.states.unchanged) == (0, 1, 126)
    assert Partner.objects.get(code="UKR").entry_into_force_date == datetime.date(2025, 1, 2)
    assert Partner.history.filter(code="UKR").count() == ukraine_history + 1


def test_unknown_iso_code_aborts_the_whole_load(tmp_path):
    """A row with an unassigned ISO code rolls everything back and the error names file, line and column."""
    states = _states_with_extra_row(tmp_path, "XXX,Nowhere,African,,2003-01-01,2003-04-01,,,,made up")

    with pytest.raises(ReferenceDataError) as excinfo:
        reference_data_load(states_csv=states)

    message = str(excinfo.value)
    assert "rome_statute_states.csv, line 129, column iso3" in message
    assert "“XXX” is not an ISO 3166-1 alpha-3 country code" in message
    assert Partner.objects.count() == 0
    assert VoluntaryAgreement.objects.count() == 0
    assert _history_rows() == (0, 0)


def test_withdrawal_before_notification_aborts_the_whole_load(tmp_path, no_agreements):
    """A withdrawal effective before it was notified is rejected by name of file, line and columns."""
    states = _write(
        tmp_path / "states.csv",
        [STATES_HEADER, "NLD,Netherlands,WEOG,,2001-07-17,2002-07-01,2020-01-01,2019-01-01,,test"],
    )

    with pytest.raises(ReferenceDataError) as excinfo:
        reference_data_load(states_csv=states, organizations_csv=ORGANIZATIONS_CSV, agreements_csv=no_agreements)

    message = str(excinfo.value)
    assert "states.csv, line 2, column withdrawal_effective_date, withdrawal_notified_date" in message
    assert "A withdrawal takes effect after it is notified." in message
    assert len(excinfo.value.errors) == 1
    assert Partner.objects.count() == 0
    assert _history_rows() == (0, 0)


def test_entry_into_force_before_ratification_is_rejected_for_a_state_not_by_succession(tmp_path, no_agreements):
    """Only the listed succession is exempt: elsewhere entry into force before ratification is an error."""
    states = _write(tmp_path / "states.csv", [STATES_HEADER, "NLD,Netherlands,WEOG,,2002-07-01,2001-07-17,,,,test"])

    with pytest.raises(ReferenceDataError) as excinfo:
        reference_data_load(states_csv=states, organizations_csv=ORGANIZATIONS_CSV, agreements_csv=no_agreements)

    assert excinfo.value.errors == [
        "states.csv, line 2, column entry_into_force_date, ratification_date: "
        "Entry into force cannot precede ratification or accession."
    ]
    assert Partner.objects.count() == 0


def test_agreement_of_a_rejected_state_is_not_reported_twice(tmp_path):
    """When a State's own row is invalid, its agreements are not reported again as having no partner."""
    lines = STATES_CSV.read_text(encoding="utf-8").splitlines()
    lines = [line.replace(",WEOG,", ",Nordic,") if line.startswith("SWE,") else line for line in lines]
    states = _write(tmp_path / "rome_statute_states.csv", lines)

    with pytest.raises(ReferenceDataError) as excinfo:
        reference_data_load(states_csv=states)

    assert len(excinfo.value.errors) == 1
    assert "column regional_group" in excinfo.value.errors[0]
    assert Partner.objects.count() == 0


def test_malformed_date_and_unknown_partner_are_all_reported(tmp_path):
    """Every invalid row is listed in one error, not only the first one."""
    states = _write(tmp_path / "states.csv", [STATES_HEADER, "NLD,Netherlands,WEOG,,2001-17-07,2002-07-01,,,,test"])
    agreements = _write(
        tmp_path / "agreements.csv",
        [
            AGREEMENTS_HEADER,
            "ZZZ,enforcement,,,,,,true,test,",
        ],
    )

    with pytest.raises(ReferenceDataError) as excinfo:
        reference_data_load(states_csv=states, organizations_csv=ORGANIZATIONS_CSV, agreements_csv=agreements)

    assert excinfo.value.errors == [
        "states.csv, line 2, column ratification_date: “2001-17-07” is not a date in YYYY-MM-DD form",
        "agreements.csv, line 2, column partner_code: no partner with code “ZZZ”",
    ]
    assert Partner.objects.count() == 0


def test_agreement_in_force_before_signature_is_rejected(tmp_path):
    """An agreement cannot enter into force before it is signed; the load names the agreements file."""
    agreements = _write(
        tmp_path / "agreements.csv",
        [
            AGREEMENTS_HEADER,
            "NLD,relocation,,,2012-05-01,2012-04-01,,true,test,",
        ],
    )

    with pytest.raises(ReferenceDataError, match=r"agreements.csv, line 2, column in_force_on, signed_on"):
        reference_data_load(agreements_csv=agreements)
    assert VoluntaryAgreement.objects.count() == 0
    assert Partner.objects.count() == 0


def test_commands_load_twice_and_print_counts():
    """The commands print created/updated/unchanged counts, then the States Parties by group on a date."""
    first, second, counts = StringIO(), StringIO(), StringIO()

    call_command("load_reference_data", stdout=first)
    call_command("load_reference_data", stdout=second)
    call_command("partner_counts", "--on", "2025-01-01", stdout=counts)

    assert "States: 127 created, 0 updated, 0 unchanged" in first.getvalue()
    assert second.getvalue().splitlines() == [
        "States: 0 created, 0 updated, 127 unchanged",
        "Organizations: 0 created, 0 updated, 8 unchanged",
        "Voluntary agreements: 0 created, 0 updated, 11 unchanged",
    ]
    assert counts.getvalue().splitlines() == [
        "States Parties on 2025-01-01: 125",
        "  African: 33",
        "  Asia-Pacific: 19",
        "  Eastern European: 20",
        "  GRULAC: 28",
        "  WEOG: 25",
        "APIC parties on 2025-01-01: 74",
    ]


def test_load_command_reports_invalid_file_as_command_error(tmp_path):
    """The command turns an invalid file into a CommandError carrying the file, line and column."""
    states = _states_with_extra_row(tmp_path, "XXX,Nowhere,African,,2003-01-01,2003-04-01,,,,made up")

    with pytest.raises(CommandError, match=r"rome_statute_states.csv, line 129, column iso3"):
        call_command("load_reference_data", "--states", str(states), stdout=StringIO())
    assert Partner.objects.count() == 0
