import pytest
from django.test import Client
from django.utils import translation

from . import factories
from .otp import mark_otp_verified


@pytest.fixture(autouse=True)
def forced_login_is_otp_verified(monkeypatch):
    """Test shortcut: `client.force_login(user)` also marks the session OTP-verified with the user's device.

    force_login already skips the login form; without this, every registry or administrator test client would be
    sent to the code step. Tests of the second factor log in through the real form, which this does not touch.
    """
    force_login = Client.force_login

    def force_login_verified(self, user, backend=None):
        force_login(self, user, backend)
        mark_otp_verified(self, user)

    monkeypatch.setattr(Client, "force_login", force_login_verified)


@pytest.fixture(autouse=True)
def default_language_after_each_test():
    """A page asked for in French leaves French active in the thread (LocaleMiddleware activates the language of
    each request and does not reset it): the next test would read French messages. Each test ends in the default."""
    yield
    translation.deactivate()


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


@pytest.fixture
def admin_user(db):
    """pytest-django's superuser (behind `admin_client`), with the confirmed TOTP device every administrator has."""
    return factories.UserFactory(
        username="admin", email="admin@example.com", role="administrator", is_staff=True, is_superuser=True,
        password="password",
    )
