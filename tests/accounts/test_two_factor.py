"""Two-factor authentication (django-otp, TOTP) through the real pages: registry staff and administrators confirm
each login with a code before any page or the session API answers them; focal points and facilitators are not
asked unless they enrolled an authenticator themselves. Token authentication is unaffected."""

import datetime
import io
import re
from base64 import b32decode
from urllib.parse import quote

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from tests import factories
from tests.otp import otp_code

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
# Pages an unverified session must not reach, portal and admin alike.
GUARDED = ("/", "/requests/", "/requests/new/", "/agreements/", "/warrants/", "/dashboard/", "/reports/annual/",
           "/requests/notifications/", "/admin/", "/admin/accounts/user/", "/audit/")


def _csrf(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match
    return match.group(1)


def log_in_with_password(client: Client, username: str) -> None:
    page = client.get(reverse("login"))
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD,
                                              "csrfmiddlewaretoken": _csrf(page.text)})
    assert response.status_code == 302
    assert client.session["_auth_user_id"]


def post_code(client: Client, code: str, next_url: str = "/", url: str | None = None):
    url = url or reverse("two_factor_verify")
    page = client.get(f"{url}?next={quote(next_url)}")
    assert page.status_code == 200
    return client.post(url, {"code": code, "next": next_url, "csrfmiddlewaretoken": _csrf(page.text)})


@pytest.fixture
def client() -> Client:
    return Client(enforce_csrf_checks=True)


def test_unverified_registry_session_is_sent_to_the_code_step_on_every_page(client, registry_user):
    """After the password alone, every page (portal and admin) redirects to the code step, remembering the page;
    a POST is not carried out either."""
    log_in_with_password(client, registry_user.username)
    for path in GUARDED:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == f"{reverse('two_factor_verify')}?next={quote(path, safe='')}", path
    verify_page = client.get(reverse("two_factor_verify"))
    response = client.post(reverse("requests:create"), {"subject": "Should not be created",
                                                        "csrfmiddlewaretoken": _csrf(verify_page.text)})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor_verify"))


def test_unverified_session_is_refused_by_the_api_while_a_token_is_not(client, registry_user):
    """The session API answers 403 with a message naming the missing step; the same user's token still works."""
    log_in_with_password(client, registry_user.username)
    response = client.get("/api/v1/requests/", HTTP_ACCEPT="application/json")
    assert response.status_code == 403
    assert "Two-factor verification required" in response.json()["detail"]
    token = Token.objects.create(user=registry_user)
    with_token = Client().get("/api/v1/requests/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert with_token.status_code == 200


def test_a_wrong_code_is_refused_and_the_right_one_lets_the_user_in(client, registry_user):
    """A wrong code shows an error next to the field and leaves the session unverified; the current code of the
    user's device is accepted, goes back to the page asked for, and opens the pages and the session API."""
    log_in_with_password(client, registry_user.username)
    wrong = post_code(client, "000000" if otp_code(registry_user) != "000000" else "111111", next_url="/requests/")
    assert wrong.status_code == 400
    assert "That code is wrong or has expired" in wrong.text
    assert 'aria-invalid="true"' in wrong.text and 'id="id_code-errors"' in wrong.text
    assert client.get("/").status_code == 302
    # django-otp makes the next try wait a second after a wrong code: age that failure instead of sleeping.
    TOTPDevice.objects.filter(user=registry_user).update(
        throttling_failure_timestamp=timezone.now() - datetime.timedelta(seconds=10)
    )
    right = post_code(client, otp_code(registry_user), next_url="/requests/")
    assert right.status_code == 302
    assert right["Location"] == "/requests/"
    for path in GUARDED:
        # Each page now answers for itself (200, or 403 where this role has no business), never the code step.
        assert client.get(path).status_code in (200, 403), path
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/requests/", HTTP_ACCEPT="application/json").status_code == 200


def test_a_code_is_not_accepted_twice(client, registry_user):
    """A code already used (the same time step) does not verify a second session: no replay."""
    code = otp_code(registry_user)
    log_in_with_password(client, registry_user.username)
    assert post_code(client, code).status_code == 302
    other = Client(enforce_csrf_checks=True)
    log_in_with_password(other, registry_user.username)
    replay = post_code(other, code)
    assert replay.status_code == 400
    assert other.get("/").status_code == 302


def test_repeated_wrong_codes_are_throttled(client, registry_user):
    """After wrong codes in a row, even the right code is refused for a while (django-otp's throttling)."""
    log_in_with_password(client, registry_user.username)
    post_code(client, "000001")
    post_code(client, "000002")
    response = post_code(client, otp_code(registry_user))
    assert response.status_code == 400
    assert "Too many wrong codes in a row" in response.text
    assert client.get("/").status_code == 302


def test_the_next_address_never_leaves_the_portal(client, registry_user):
    log_in_with_password(client, registry_user.username)
    response = post_code(client, otp_code(registry_user), next_url="https://evil.example/")
    assert response["Location"] == reverse("home")


def test_administrator_is_asked_for_the_code_in_the_admin_too(client, admin_user):
    """A superuser logging in on the admin's own form is sent to the code step before the admin answers."""
    page = client.get(reverse("admin:login"))
    client.post(reverse("admin:login"), {"username": admin_user.username, "password": "password",
                                         "csrfmiddlewaretoken": _csrf(page.text), "next": "/admin/"})
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor_verify"))
    assert post_code(client, otp_code(admin_user), next_url="/admin/")["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_registry_staff_without_a_device_enrol_one_at_first_login(client):
    """No device yet: every page leads to the set-up step, which shows the secret and its QR code; a wrong code is
    refused, the code computed from the shown secret turns two-factor on and lets the user in."""
    user = factories.RegistryFactory(username="new-staff", totp_device=False)
    assert not TOTPDevice.objects.filter(user=user).exists()
    log_in_with_password(client, user.username)
    response = client.get("/requests/")
    assert response["Location"] == f"{reverse('two_factor_setup')}?next=%2Frequests%2F"
    setup = client.get(response["Location"])
    assert setup.status_code == 200
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', setup.text).group(1).replace(" ", "")
    qr = client.get(reverse("two_factor_qr"))
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"
    assert b"<svg" in qr.content
    wrong = client.post(reverse("two_factor_setup"),
                        {"code": "12345x", "next": "/requests/", "csrfmiddlewaretoken": _csrf(setup.text)})
    assert "Enter the digits your authenticator app shows." in wrong.text
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    totp = TOTP(b32decode(secret))
    response = client.post(reverse("two_factor_setup"), {"code": str(totp.token()).zfill(6), "next": "/requests/",
                                                         "csrfmiddlewaretoken": _csrf(wrong.text)})
    assert response.status_code == 302
    assert response["Location"] == "/requests/"
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1
    assert client.get("/requests/").status_code == 200
    # Once enrolled, the set-up step leads to the code step: a second device is not added by whoever has the password.
    assert client.get(reverse("two_factor_setup"))["Location"].startswith(reverse("two_factor_verify"))
    assert client.get(reverse("two_factor_qr")).status_code == 404


@pytest.mark.parametrize("fixture", ["focal_point_a", "facilitator"])
def test_focal_points_and_facilitators_are_not_forced(fixture, client, request):
    """Their password alone opens their pages and the session API."""
    user = request.getfixturevalue(fixture)
    log_in_with_password(client, user.username)
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/partners/", HTTP_ACCEPT="application/json").status_code == 200


def test_a_focal_point_may_opt_in(client, focal_point_a):
    """A focal point finds the way to enrol an authenticator on every page while not using one; once enrolled, the
    code is asked at each later login and the link is gone."""
    opt_in = f'href="{reverse("two_factor_setup")}" data-testid="two-factor-opt-in"'
    log_in_with_password(client, focal_point_a.username)
    assert opt_in in client.get("/").text
    assert opt_in in client.get("/requests/").text
    setup = client.get(reverse("two_factor_setup"))
    assert setup.status_code == 200
    device = TOTPDevice.objects.get(user=focal_point_a, confirmed=False)
    totp = TOTP(device.bin_key)
    response = client.post(reverse("two_factor_setup"), {"code": str(totp.token()).zfill(6), "next": "/",
                                                         "csrfmiddlewaretoken": _csrf(setup.text)})
    assert response.status_code == 302
    client.post(reverse("logout"), {"csrfmiddlewaretoken": _csrf(client.get("/").text)})
    log_in_with_password(client, focal_point_a.username)
    assert client.get("/").status_code == 302
    assert post_code(client, otp_code(focal_point_a)).status_code == 302
    page = client.get("/")
    assert page.status_code == 200
    assert 'data-testid="two-factor-opt-in"' not in page.text


def test_a_verified_registry_session_is_not_offered_the_opt_in(registry_user):
    client = Client()
    client.force_login(registry_user)  # a verified session (tests/conftest.py)
    page = client.get("/requests/")
    assert page.status_code == 200
    assert 'data-testid="current-user"' in page.text
    assert 'data-testid="two-factor-opt-in"' not in page.text


def test_forced_login_shortcut_marks_the_session_verified(registry_user):
    """The test shortcut (tests/conftest.py): force_login of a user with a device is a verified session."""
    client = Client()
    client.force_login(registry_user)
    assert client.get("/").status_code == 200
    assert client.session["otp_device_id"] == TOTPDevice.objects.get(user=registry_user).persistent_id


def test_the_admin_never_shows_a_device_secret(admin_client, registry_user):
    """An administrator can remove a user's device in the admin but not read its secret or QR code; a missing
    device id is a refusal too, not a server error."""
    device = TOTPDevice.objects.get(user=registry_user)
    change = admin_client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    assert change.status_code == 200
    assert device.key not in change.text
    for view in ("config", "qrcode"):
        assert admin_client.get(reverse(f"admin:otp_totp_totpdevice_{view}", args=[device.pk])).status_code == 403
        assert admin_client.get(reverse(f"admin:otp_totp_totpdevice_{view}", args=[987654])).status_code == 403
    assert admin_client.get(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk])).status_code == 200


def test_demo_otp_code_prints_a_working_code_for_demo_logins_only(db):
    """`manage.py demo_otp_code` gives the current code of a demo login, which the device accepts; it refuses a
    real account."""
    demo = factories.RegistryFactory(username="registry-demo", email="registry-demo@demo.invalid")
    out = io.StringIO()
    call_command("demo_otp_code", "registry-demo", stdout=out, stderr=io.StringIO())
    code = out.getvalue().strip()
    assert re.fullmatch(r"\d{6}", code)
    assert TOTPDevice.objects.get(user=demo).verify_token(code)
    factories.RegistryFactory(username="real-staff", email="real-staff@icc.example")
    with pytest.raises(CommandError, match="not a demo login"):
        call_command("demo_otp_code", "real-staff", stdout=io.StringIO())
