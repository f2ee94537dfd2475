"""Every operation of the OpenAPI schema, under every role, against objects in and out of the caller's scope.

The operations come from the generated schema, so an endpoint added without a row in OPERATIONS fails
`test_every_operation_has_a_row`. Expectations are written from DOMAIN.md's table of who may see what, not
derived from the code under test.
"""

import datetime
from dataclasses import dataclass

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from agreements_app.models import VoluntaryAgreement
from cooperation_portal.accounts.choices import Role
from requests_app.choices import Confidentiality, Status
from tests import factories
from warrants_app.models import ArrestWarrant, ContactReport

pytestmark = pytest.mark.django_db

ANONYMOUS, REGISTRY, CLEARED, FOCAL_A, FOCAL_B, FACILITATOR = (
    "anonymous",
    "registry",
    "registry_cleared",
    "focal_a",
    "focal_b",
    "facilitator",
)
ROLES = (ANONYMOUS, REGISTRY, CLEARED, FOCAL_A, FOCAL_B, FACILITATOR)
EVERYONE = frozenset(ROLES) - {ANONYMOUS}
REGISTRY_ROLES = frozenset({REGISTRY, CLEARED})
REGISTRY_AND_FOCAL = REGISTRY_ROLES | {FOCAL_A, FOCAL_B}
REPORT_READERS = REGISTRY_ROLES | {FACILITATOR}

# Which objects of each resource each role may see (DOMAIN.md, "Who uses it").
VISIBLE: dict[str, dict[str, frozenset[str]]] = {
    "requests": {
        REGISTRY: frozenset({"a", "b", "draft_a"}),
        CLEARED: frozenset({"a", "b", "draft_a", "sealed_a"}),
        FOCAL_A: frozenset({"a", "sealed_a"}),  # transmitted to A, whatever its confidentiality; no drafts
        FOCAL_B: frozenset({"b"}),
        FACILITATOR: frozenset(),
    },
    "partners": {
        REGISTRY: frozenset({"a", "b"}),
        CLEARED: frozenset({"a", "b"}),
        FACILITATOR: frozenset({"a", "b"}),
        FOCAL_A: frozenset({"a"}),
        FOCAL_B: frozenset({"b"}),
    },
    "agreements": {
        REGISTRY: frozenset({"a", "b", "private_a"}),
        CLEARED: frozenset({"a", "b", "private_a"}),
        FOCAL_A: frozenset({"a", "private_a"}),
        FOCAL_B: frozenset({"b"}),
        FACILITATOR: frozenset({"a", "b"}),
    },
    "warrants": {
        REGISTRY: frozenset({"public"}),
        CLEARED: frozenset({"public", "sealed"}),
        FOCAL_A: frozenset({"public"}),
        FOCAL_B: frozenset({"public"}),
        FACILITATOR: frozenset({"public"}),
    },
    "contact-reports": {
        REGISTRY: frozenset({"a", "b"}),
        CLEARED: frozenset({"a", "b", "sealed_a"}),
        FOCAL_A: frozenset({"a"}),
        FOCAL_B: frozenset({"b"}),
        FACILITATOR: frozenset(),
    },
    "reports": {role: frozenset() for role in EVERYONE},
    "dashboard": {role: frozenset() for role in EVERYONE},
}


@dataclass(frozen=True)
class Operation:
    resource: str
    roles: frozenset[str]  # roles allowed to call it at all; the others get 403


OPERATIONS: dict[str, Operation] = {
    "v1_partners_list": Operation("partners", EVERYONE),
    "v1_partners_retrieve": Operation("partners", EVERYONE),
    "v1_requests_list": Operation("requests", REGISTRY_AND_FOCAL),
    "v1_requests_create": Operation("requests", REGISTRY_ROLES),
    "v1_requests_retrieve": Operation("requests", REGISTRY_AND_FOCAL),
    "v1_requests_partial_update": Operation("requests", REGISTRY_ROLES),
    "v1_requests_transmit_create": Operation("requests", REGISTRY_ROLES),
    "v1_requests_acknowledge_create": Operation("requests", REGISTRY_AND_FOCAL),
    "v1_requests_start_execution_create": Operation("requests", REGISTRY_AND_FOCAL),
    "v1_requests_report_outcome_create": Operation("requests", REGISTRY_AND_FOCAL),
    "v1_requests_pause_clock_create": Operation("requests", REGISTRY_AND_FOCAL),
    "v1_requests_resume_clock_create": Operation("requests", REGISTRY_ROLES),
    "v1_requests_provisional_arrest_create": Operation("requests", REGISTRY_AND_FOCAL),
    "v1_requests_provisional_arrest_correction_create": Operation("requests", REGISTRY_ROLES),
    "v1_requests_close_create": Operation("requests", REGISTRY_ROLES),
    "v1_requests_withdraw_create": Operation("requests", REGISTRY_ROLES),
    "v1_requests_messages_create": Operation("requests", REGISTRY_AND_FOCAL),
    "v1_agreements_list": Operation("agreements", EVERYONE),
    "v1_agreements_create": Operation("agreements", REGISTRY_ROLES),
    "v1_agreements_retrieve": Operation("agreements", EVERYONE),
    "v1_agreements_partial_update": Operation("agreements", REGISTRY_ROLES),
    "v1_warrants_list": Operation("warrants", EVERYONE),
    "v1_warrants_create": Operation("warrants", REGISTRY_ROLES),
    "v1_warrants_retrieve": Operation("warrants", EVERYONE),
    "v1_warrants_partial_update": Operation("warrants", REGISTRY_ROLES),
    "v1_contact_reports_list": Operation("contact-reports", REGISTRY_AND_FOCAL),
    "v1_contact_reports_create": Operation("contact-reports", frozenset({FOCAL_A, FOCAL_B})),
    "v1_contact_reports_retrieve": Operation("contact-reports", REGISTRY_AND_FOCAL),
    "v1_reports_annual_retrieve": Operation("reports", REPORT_READERS),
    "v1_dashboard_summary_retrieve": Operation("dashboard", REGISTRY_AND_FOCAL | {FACILITATOR}),
}


def schema_operations() -> dict[str, tuple[str, str]]:
    """operationId → (method, path) for every operation the API publishes."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        spec["operationId"]: (method.upper(), path)
        for path, methods in schema["paths"].items()
        for method, spec in methods.items()
    }


def test_every_operation_has_a_row():
    """A new endpoint without a row in OPERATIONS fails here, so its isolation cannot go unchecked."""
    published = set(schema_operations())
    assert published - set(OPERATIONS) == set(), "add these operations to OPERATIONS"
    assert set(OPERATIONS) - published == set(), "these rows name operations that no longer exist"


@pytest.fixture
def world(db):
    """Two States with a focal point each, and objects of each kind in and out of every scope."""
    state_a = factories.PartnerFactory(code="NLD", name="Netherlands")
    state_b = factories.PartnerFactory(code="BEL", name="Belgium")
    users = {
        REGISTRY: factories.RegistryFactory(username="registry"),
        CLEARED: factories.RegistryFactory(username="cleared", sealed_clearance=True),
        FOCAL_A: factories.FocalPointFactory(username="focal-a", partner=state_a),
        FOCAL_B: factories.FocalPointFactory(username="focal-b", partner=state_b),
        FACILITATOR: factories.FacilitatorFactory(username="facilitator"),
    }
    public_warrant = factories.ArrestWarrantFactory(person_name="Public Person")
    sealed_warrant = factories.ArrestWarrantFactory(person_name="Sealed Person", under_seal=True)

    def contact(warrant: ArrestWarrant, partner, user) -> ContactReport:
        return ContactReport.objects.create(
            warrant=warrant,
            partner=partner,
            reported_by=user,
            contact_on=datetime.date(2025, 1, 1),
            description="Seen at a conference",
        )

    objects = {
        "partners": {"a": state_a.code, "b": state_b.code},
        "requests": {
            "a": factories.CooperationRequestFactory(partner=state_a).pk,
            "b": factories.CooperationRequestFactory(partner=state_b).pk,
            "draft_a": factories.CooperationRequestFactory(
                partner=state_a, status=Status.DRAFT, transmitted_on=None, due_on=None
            ).pk,
            "sealed_a": factories.CooperationRequestFactory(
                partner=state_a, confidentiality=Confidentiality.UNDER_SEAL
            ).pk,
        },
        "agreements": {
            "a": factories.VoluntaryAgreementFactory(partner=state_a).pk,
            "b": factories.VoluntaryAgreementFactory(partner=state_b).pk,
            "private_a": factories.VoluntaryAgreementFactory(
                partner=state_a, agreement_type="relocation", is_public=False
            ).pk,
        },
        "warrants": {"public": public_warrant.pk, "sealed": sealed_warrant.pk},
        "contact-reports": {
            "a": contact(public_warrant, state_a, users[FOCAL_A]).pk,
            "b": contact(public_warrant, state_b, users[FOCAL_B]).pk,
            "sealed_a": contact(sealed_warrant, state_a, users[FOCAL_A]).pk,
        },
        "reports": {},
        "dashboard": {},
    }
    assert VoluntaryAgreement.objects.count() == 3
    return users, objects


def client_as(users, role: str) -> APIClient:
    client = APIClient()
    if role != ANONYMOUS:
        client.force_authenticate(users[role])
    return client


def call(client: APIClient, method: str, path: str):
    if method == "GET":
        return client.get(path)
    return client.generic(method, path, data="{}", content_type="application/json", HTTP_IF_MATCH="*")


def expected(role: str, operation: Operation, kind: str | None) -> str:
    if role == ANONYMOUS:
        return "unauthenticated"
    if role not in operation.roles:
        return "forbidden"
    if kind is not None and kind not in VISIBLE[operation.resource][role]:
        return "hidden"
    return "reachable"


def outcome(status_code: int) -> str:
    if status_code == 401:
        return "unauthenticated"
    if status_code == 403:
        return "forbidden"  # also what an anonymous caller gets under session authentication
    if status_code == 404:
        return "hidden"
    assert status_code < 500, f"server error {status_code}"
    return "reachable"


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_operation_under_every_role(world, operation_id):
    """Each role gets exactly what its row says: hidden objects are 404 like missing ones, others 403."""
    users, objects = world
    operation = OPERATIONS[operation_id]
    method, path = schema_operations()[operation_id]
    is_detail = "{" in path
    kinds = list(objects[operation.resource]) if is_detail else [None]
    mismatches = []
    for role in ROLES:
        for kind in kinds:
            url = path
            if kind is not None:
                url = path.replace("{id}", str(objects[operation.resource][kind]))
                url = url.replace("{code}", str(objects[operation.resource][kind]))
            response = call(client_as(users, role), method, url)
            got, want = outcome(response.status_code), expected(role, operation, kind)
            if want == "unauthenticated" and got == "forbidden":
                got = "unauthenticated"
            if got != want:
                mismatches.append(f"{role} {method} {url} ({kind}): expected {want}, got {response.status_code}")
            if method == "GET" and not is_detail and response.status_code == 200 and "results" in response.json():
                # Lists must hold nothing the role may not see.
                seen = {str(row.get("id", row.get("code"))) for row in response.json()["results"]}
                hidden = {
                    str(pk)
                    for k, pk in objects[operation.resource].items()
                    if k not in VISIBLE[operation.resource][role]
                }
                leaked = seen & hidden
                if leaked:
                    mismatches.append(f"{role} {method} {url}: list shows out-of-scope ids {sorted(leaked)}")
    assert not mismatches, "\n".join(mismatches)


def test_roles_cover_every_role_of_the_portal():
    """The matrix exercises every role the portal defines, bar administrators, who work in the admin."""
    assert {Role.REGISTRY, Role.FOCAL_POINT, Role.FACILITATOR} <= {
        {
            REGISTRY: Role.REGISTRY,
            CLEARED: Role.REGISTRY,
            FOCAL_A: Role.FOCAL_POINT,
            FOCAL_B: Role.FOCAL_POINT,
            FACILITATOR: Role.FACILITATOR,
        }[role]
        for role in EVERYONE
    }
