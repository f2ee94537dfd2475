"""The user admin: role and partner on the add and change forms, refused combinations shown, nothing written."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from cooperation_portal.accounts.admin import UserAdmin
from cooperation_portal.accounts.choices import Role
from cooperation_portal.accounts.models import User
from tests import factories

pytestmark = pytest.mark.django_db

FOCAL_POINT_WITHOUT_PARTNER = "A focal point must be bound to a partner."


@pytest.fixture
def staff_client(db) -> Client:
    client = Client()
    client.force_login(factories.RegistryStaffFactory(username="registry-staff"))
    return client


def _add(client: Client, **fields: object):
    data = {"username": "new-focal", "usable_password": "false", "password1": "", "password2": ""}
    data.update({key: str(value) for key, value in fields.items()})
    return client.post(reverse("admin:accounts_user_add"), data)


def test_user_pages_render(staff_client, focal_point_a):
    """List, add, change and history pages of users answer 200; role and partner are on the add form."""
    changelist = staff_client.get(reverse("admin:accounts_user_changelist"))
    assert changelist.status_code == 200
    assert focal_point_a.username in changelist.text
    add = staff_client.get(reverse("admin:accounts_user_add"))
    assert add.status_code == 200
    assert {"role", "partner"} <= set(add.context["adminform"].form.fields)
    assert staff_client.get(reverse("admin:accounts_user_change", args=(focal_point_a.pk,))).status_code == 200
    assert staff_client.get(reverse("admin:accounts_user_history", args=(focal_point_a.pk,))).status_code == 200


def test_admin_add_refuses_a_focal_point_without_partner(staff_client):
    """The add form shows the model's message on the partner field and creates no user."""
    count = User.objects.count()
    response = _add(staff_client, role=Role.FOCAL_POINT, partner="")
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"partner": [FOCAL_POINT_WITHOUT_PARTNER]}
    assert FOCAL_POINT_WITHOUT_PARTNER in response.text
    assert User.objects.count() == count


def test_admin_add_creates_a_focal_point_bound_to_a_partner(staff_client, state_a):
    """With a partner the same form creates the focal point."""
    response = _add(staff_client, role=Role.FOCAL_POINT, partner=state_a.pk)
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(username="new-focal")
    assert (user.role, user.partner, user.has_usable_password()) == (Role.FOCAL_POINT, state_a, False)


def test_admin_change_refuses_removing_the_partner_of_a_focal_point(staff_client, focal_point_a, state_a):
    """The change form refuses to unbind a focal point; the stored partner and name stay."""
    url = reverse("admin:accounts_user_change", args=(focal_point_a.pk,))
    data = factories.admin_form_data(staff_client.get(url))
    data.update({"partner": "", "first_name": "Changed"})
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"partner": [FOCAL_POINT_WITHOUT_PARTNER]}
    saved = User.objects.get(pk=focal_point_a.pk)
    assert (saved.partner, saved.first_name) == (state_a, focal_point_a.first_name)


def test_admin_change_saves_a_valid_edit(staff_client, focal_point_a):
    """The same round trip without the bad input saves, so the refusal above is about the partner alone."""
    url = reverse("admin:accounts_user_change", args=(focal_point_a.pk,))
    data = factories.admin_form_data(staff_client.get(url))
    data["first_name"] = "Changed"
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert User.objects.get(pk=focal_point_a.pk).first_name == "Changed"


def test_sealed_clearance_column_follows_permissions_and_role(staff_client, state_a):
    """The list shows clearance granted directly or through a group, and only for registry staff."""
    direct = factories.RegistryFactory(username="direct", sealed_clearance=True)
    through_group = factories.RegistryFactory(username="through-group")
    group = Group.objects.create(name="Sealed material")
    group.permissions.add(Permission.objects.get(codename="sealed_clearance"))
    through_group.groups.add(group)
    focal = factories.FocalPointFactory(username="focal-with-permission", partner=state_a, sealed_clearance=True)
    plain = factories.RegistryFactory(username="plain")

    response = staff_client.get(reverse("admin:accounts_user_changelist"))
    model_admin = admin.site.get_model_admin(User)
    assert isinstance(model_admin, UserAdmin)
    shown = {user.username: model_admin.sealed_clearance(user) for user in response.context["cl"].result_list}
    assert shown["direct"] is True
    assert shown["through-group"] is True
    assert shown["focal-with-permission"] is False
    assert shown["plain"] is False
    # The column agrees with the model's own rule.
    for user in (direct, through_group, focal, plain):
        assert shown[user.username] == User.objects.get(pk=user.pk).has_sealed_clearance


def test_admin_index_lists_every_portal_model_for_registry_staff(staff_client):
    """Registry staff with the model permissions reach every portal model from the admin index."""
    response = staff_client.get(reverse("admin:index"))
    assert response.status_code == 200
    app_list = response.context["app_list"]
    listed = {(app["app_label"], model["object_name"]) for app in app_list for model in app["models"]}
    assert {
        ("accounts", "User"), ("partners", "Partner"), ("situations", "Situation"), ("situations", "Case"),
        ("requests_app", "CooperationRequest"), ("agreements_app", "VoluntaryAgreement"),
        ("agreements_app", "Placement"), ("warrants_app", "ArrestWarrant"), ("warrants_app", "ContactReport"),
    } <= listed
