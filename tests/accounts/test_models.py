"""A focal point is bound to exactly one partner: refused by model validation and by the database."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from cooperation_portal.accounts.choices import Role
from cooperation_portal.accounts.models import User
from tests import factories

pytestmark = pytest.mark.django_db


def test_full_clean_refuses_a_focal_point_without_partner():
    """The partner field carries the message; nothing is written."""
    user = User(username="focal-without-partner", role=Role.FOCAL_POINT)
    with pytest.raises(ValidationError) as excinfo:
        user.full_clean(exclude=["password"])
    assert excinfo.value.message_dict == {"partner": ["A focal point must be bound to a partner."]}
    assert not User.objects.filter(username="focal-without-partner").exists()


def test_full_clean_refuses_a_partner_for_another_role(state_a):
    """Only a focal point answers for a partner."""
    user = User(username="registry-with-partner", role=Role.REGISTRY, partner=state_a)
    with pytest.raises(ValidationError) as excinfo:
        user.full_clean(exclude=["password"])
    assert excinfo.value.message_dict == {"partner": ["Only a focal point is bound to a partner."]}


def test_database_refuses_a_focal_point_without_partner():
    """The check constraint holds for code that skips full_clean(); no row is written."""
    count = User.objects.count()
    with pytest.raises(IntegrityError, match="user_focal_point_has_exactly_one_partner"), transaction.atomic():
        User.objects.create(username="focal-without-partner", role=Role.FOCAL_POINT)
    assert User.objects.count() == count


def test_database_refuses_removing_the_partner_of_a_focal_point(focal_point_a, state_a):
    """An update that bypasses the model cannot unbind a focal point either; the stored partner stays."""
    with pytest.raises(IntegrityError, match="user_focal_point_has_exactly_one_partner"), transaction.atomic():
        User.objects.filter(pk=focal_point_a.pk).update(partner=None)
    assert User.objects.get(pk=focal_point_a.pk).partner == state_a


def test_sealed_clearance_counts_only_for_registry_staff(state_a):
    """The permission makes a registry user cleared; the same permission on a focal point clears nothing."""
    cleared = factories.RegistryFactory(username="cleared", sealed_clearance=True)
    focal = factories.FocalPointFactory(username="focal-with-permission", partner=state_a, sealed_clearance=True)
    plain = factories.RegistryFactory(username="plain")
    assert cleared.has_sealed_clearance
    assert not focal.has_sealed_clearance
    assert not plain.has_sealed_clearance


def test_sealed_clearance_agrees_with_has_perm_whichever_way_it_is_granted(django_assert_num_queries):
    """Directly, through a group, as a superuser, or not at all; an inactive user is never cleared. The property's
    one query gives what the model backend's has_perm() gives (two queries)."""
    from django.contrib.auth.models import Group, Permission

    from cooperation_portal.accounts.models import SEALED_CLEARANCE_PERMISSION

    permission = Permission.objects.get(content_type__app_label="accounts", codename="sealed_clearance")
    group = Group.objects.create(name="sealed material")
    group.permissions.add(permission)
    direct = factories.RegistryFactory(username="direct", sealed_clearance=True)
    via_group = factories.RegistryFactory(username="via-group")
    via_group.groups.add(group)
    other_group = factories.RegistryFactory(username="other-group")
    other_group.groups.add(Group.objects.create(name="no clearance"))
    superuser = factories.RegistryFactory(username="super", is_superuser=True)
    inactive = factories.RegistryFactory(username="inactive", sealed_clearance=True, is_active=False)
    plain = factories.RegistryFactory(username="plain")
    expected = {"direct": True, "via-group": True, "other-group": False, "super": True, "inactive": False,
                "plain": False}
    for user in (direct, via_group, other_group, superuser, inactive, plain):
        fresh = User.objects.get(pk=user.pk)
        with django_assert_num_queries(1 if fresh.is_active and not fresh.is_superuser else 0):
            cleared = fresh.has_sealed_clearance
        with django_assert_num_queries(0):  # asked again for the same request's user: kept on the object
            assert fresh.has_sealed_clearance is cleared
        assert cleared is expected[user.username]
        assert User.objects.get(pk=user.pk).has_perm(SEALED_CLEARANCE_PERMISSION) is cleared
