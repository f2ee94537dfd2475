import pytest

from . import factories


@pytest.fixture
def registry_user(db):
    return factories.RegistryFactory(username="registry")


@pytest.fixture
def cleared_registry_user(db):
    return factories.RegistryFactory(username="registry-cleared", sealed_clearance=True)


@pytest.fixture
def state_a(db):
    return factories.PartnerFactory(code="NLD", name="Netherlands")


@pytest.fixture
def state_b(db):
    return factories.PartnerFactory(code="BEL", name="Belgium")


@pytest.fixture
def focal_point_a(state_a):
    return factories.FocalPointFactory(username="focal-a", partner=state_a)


@pytest.fixture
def focal_point_b(state_b):
    return factories.FocalPointFactory(username="focal-b", partner=state_b)


@pytest.fixture
def facilitator(db):
    return factories.FacilitatorFactory(username="facilitator")
