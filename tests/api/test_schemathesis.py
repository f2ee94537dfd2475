"""Schemathesis against the live server's own schema, as each role: no server error, no response off-schema."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token

from requests_app.choices import Confidentiality, Status
from tests import factories

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CHECKS = "not_a_server_error,response_schema_conformance"
MAX_EXAMPLES = int(os.environ.get("PORTAL_SCHEMATHESIS_EXAMPLES", "10"))


def make_world():
    """Objects of each kind, so that generated ids and codes sometimes hit real rows in and out of scope."""
    state_a = factories.PartnerFactory(code="NLD", name="Netherlands")
    state_b = factories.PartnerFactory(code="BEL", name="Belgium")
    users = {
        "registry": factories.RegistryFactory(username="registry", sealed_clearance=True),
        "focal_point": factories.FocalPointFactory(username="focal-a", partner=state_a),
        "facilitator": factories.FacilitatorFactory(username="facilitator"),
    }
    for partner in (state_a, state_b):
        factories.CooperationRequestFactory.create_batch(3, partner=partner)
        factories.CooperationRequestFactory(partner=partner, confidentiality=Confidentiality.UNDER_SEAL)
        factories.CooperationRequestFactory(partner=partner, status=Status.DRAFT, transmitted_on=None, due_on=None)
        factories.VoluntaryAgreementFactory(partner=partner)
    factories.ArrestWarrantFactory()
    factories.ArrestWarrantFactory(under_seal=True)
    return users


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ["registry", "focal_point", "facilitator"])
def test_schemathesis_finds_no_server_error_and_no_off_schema_response(live_server, role, tmp_path):
    """Every published operation, fuzzed from the live schema, answers without a 5xx and within its schema."""
    users = make_world()
    token = Token.objects.create(user=users[role])
    # A fixed argument list of this project's own tool, no shell: nothing from outside reaches the command line.
    result = subprocess.run(  # noqa: S603
        [
            str(SCHEMATHESIS),
            "run",
            f"{live_server.url}/api/schema/",
            "--checks",
            CHECKS,
            "--header",
            f"Authorization: Token {token.key}",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            "20261123",
            "--generation-database",
            "none",
            "--workers",
            "1",
            "--request-timeout",
            "30",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
        check=False,
    )
    output = result.stdout + result.stderr
    (tmp_path / "schemathesis.log").write_text(output)
    # The headline of each failing operation and what broke, not the whole log.
    summary = [
        line for line in output.splitlines() if re.match(r"^(_{3,} |\s*- ST\d+|\s*Schema at|\s*\[5\d\d\])", line)
    ]
    assert result.returncode == 0, "\n".join(summary[:200]) + f"\n(full log: {tmp_path / 'schemathesis.log'})"
    assert "No issues found" in output or "passed" in output.lower(), output[-3000:]
