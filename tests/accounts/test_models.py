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
