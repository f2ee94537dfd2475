"""API tokens: the user and their sealed clearance in one query, the same answer as has_perm(), and the same scope."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.test import APIClient

from cooperation_portal.accounts.authentication import ClearanceTokenAuthentication
from cooperation_portal.accounts.models import SEALED_CLEARANCE_PERMISSION, User
from requests_app.choices import Confidentiality
from tests import factories

pytestmark = pytest.mark.django_db


def token_client(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_the_clearance_read_with_the_token_is_has_perms_answer_whichever_way_it_is_granted(state_a):
    permission = Permission.objects.get(content_type__app_label="accounts", codename="sealed_clearance")
    group = Group.objects.create(name="sealed material")
    group.permissions.add(permission)
    via_group = factories.RegistryFactory(username="via-group")
    via_group.groups.add(group)
    other_group = factories.RegistryFactory(username="other-group")
    other_group.groups.add(Group.objects.create(name="no clearance"))
    users = [
        factories.RegistryFactory(username="direct", sealed_clearance=True),
        via_group,
        other_group,
        factories.RegistryFactory(username="super", is_superuser=True),
        factories.RegistryFactory(username="plain"),
        factories.FocalPointFactory(username="focal-with-permission", partner=state_a, sealed_clearance=True),
        factories.FacilitatorFactory(username="facilitator-with-permission", sealed_clearance=True),
    ]
    expected = {"direct": True, "via-group": True, "other-group": False, "super": True, "plain": False,
                "focal-with-permission": False, "facilitator-with-permission": False}
    for user in users:
        key = Token.objects.create(user=user).key
        with CaptureQueriesContext(connection) as queries:
            authenticated, token = ClearanceTokenAuthentication().authenticate_credentials(key)
            cleared = authenticated.has_sealed_clearance
        assert len(queries) == 1, [query["sql"] for query in queries.captured_queries]
        assert (authenticated.pk, token.key) == (user.pk, key)
        assert cleared is expected[user.username], user.username
        # The model backend's answer, for registry staff (other roles are never cleared, whatever they hold).
        if user.role == "registry":
            assert User.objects.get(pk=user.pk).has_perm(SEALED_CLEARANCE_PERMISSION) is cleared


def test_a_bad_or_inactive_token_is_refused():
    with pytest.raises(AuthenticationFailed, match="Invalid token"):
        ClearanceTokenAuthentication().authenticate_credentials("not-a-token")
    inactive = factories.RegistryFactory(username="inactive", sealed_clearance=True, is_active=False)
    with pytest.raises(AuthenticationFailed, match="inactive"):
        ClearanceTokenAuthentication().authenticate_credentials(Token.objects.create(user=inactive).key)
    assert APIClient().get("/api/v1/requests/", HTTP_AUTHORIZATION="Token not-a-token").status_code == 401


def test_through_a_token_a_sealed_request_is_listed_and_shown_only_to_cleared_staff(state_a):
    sealed = factories.CooperationRequestFactory(partner=state_a, confidentiality=Confidentiality.UNDER_SEAL)
    plain = factories.CooperationRequestFactory(partner=state_a)
    cleared = token_client(factories.RegistryFactory(username="cleared", sealed_clearance=True))
    uncleared = token_client(factories.RegistryFactory(username="uncleared"))

    def listed(client: APIClient) -> set[int]:
        response = client.get("/api/v1/requests/")
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert listed(cleared) == {sealed.pk, plain.pk}
    assert listed(uncleared) == {plain.pk}
    assert cleared.get(f"/api/v1/requests/{sealed.pk}/").status_code == 200
    assert uncleared.get(f"/api/v1/requests/{sealed.pk}/").status_code == 404


def test_a_listing_by_token_asks_no_separate_clearance_query(state_a):
    factories.CooperationRequestFactory(partner=state_a)
    client = token_client(factories.RegistryFactory(username="registry-token"))
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/requests/").status_code == 200
    statements = [query["sql"] for query in queries.captured_queries]
    assert len([sql for sql in statements if "sealed_clearance" in sql or "codename" in sql]) == 1
    assert "authtoken_token" in next(sql for sql in statements if "codename" in sql)
