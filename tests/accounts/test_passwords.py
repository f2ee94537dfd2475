"""Password hashing: Argon2 in every deployed environment (tests use MD5 only for speed)."""

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher, make_password

from cooperation_portal.settings import base
from tests import factories

pytestmark = pytest.mark.django_db


def test_argon2_is_the_first_hasher_of_the_base_settings(settings):
    """Under the hashers of base.py (local and production inherit them), a new password is hashed with Argon2id."""
    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS
    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    encoded = make_password("a long and unusual passphrase")
    assert encoded.startswith("argon2$argon2id$")
    assert identify_hasher(encoded).algorithm == "argon2"
    assert check_password("a long and unusual passphrase", encoded)


def test_a_password_stored_with_an_older_hasher_is_upgraded_at_login(settings, client):
    """A PBKDF2 hash (still accepted) is rewritten as Argon2 the next time its owner logs in."""
    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS
    user = factories.FocalPointFactory(username="old-hash")
    user.password = make_password("correct horse battery staple", hasher="pbkdf2_sha256")
    user.save()
    response = client.post("/accounts/login/", {"username": "old-hash", "password": "correct horse battery staple"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$")
