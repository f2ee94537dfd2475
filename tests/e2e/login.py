"""Logging in through the real pages in Chromium, second factor included."""

import re

from cooperation_portal.accounts.models import User
from tests.otp import otp_code

PASSWORD = "correct horse battery staple"  # the password tests/factories.py gives every user


def log_in(page, username: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    """Fill in the login form; registry staff and administrators then type the current code of their device."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/($|accounts/two-factor/verify/)"))
    if "/accounts/two-factor/verify/" in page.url:
        page.get_by_label("Code from your authenticator app").fill(otp_code(User.objects.get(username=username)))
        page.get_by_role("button", name="Verify").click()
        page.wait_for_url(re.compile(r".*/$"))
    # Attached rather than visible: on a narrow screen the navigation bar is collapsed.
    page.get_by_test_id("current-user").wait_for(state="attached")
