"""Every HTML page carries the Content-Security-Policy, and none holds an inline script, handler or style.

The pages are found by walking the links of each role's pages from home (and the admin's index), so a new page
reachable from the navigation is checked without anyone listing it; the account pages and the API documentation,
which no page links to, are added by name. tests/e2e/test_csp.py runs the same pages in Chromium.
"""

from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from django.test import Client

from tests import factories

pytestmark = pytest.mark.django_db

# Pages no link leads to from home.
START_PAGES = ("/", "/accounts/login/", "/accounts/password-reset/", "/accounts/password-reset/sent/",
               "/api/docs/", "/api/redoc/", "/api/v1/", "/api/v1/requests/", "/admin/", "/admin/login/")
# Links not followed: they change state on GET in no page, but would log out, or are copies of a page per row.
SKIPPED = ("/accounts/logout/", "/delete/", "/history/", "/i18n/")
MAX_PAGES = 250


class PageScan(HTMLParser):
    """The links of a page, and whatever in it a strict policy refuses: inline scripts, on* handlers, styles."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.refused: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        # A JSON data block (json_script, DRF's CSRF settings) is never executed, so the policy does not apply.
        if tag == "script" and not values.get("src") and values.get("type") != "application/json":
            self.refused.append("inline <script>")
        if tag == "style":
            self.refused.append("inline <style>")
        for name, _value in attrs:
            if name.startswith("on"):
                self.refused.append(f"<{tag} {name}=…>")
            if name == "style":
                self.refused.append(f"<{tag} style=…>")


def policy_of(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy", "")
    directives = (part.split() for part in header.split(";") if part.strip())
    return {parts[0]: parts[1:] for parts in directives}


def walk(client: Client) -> dict[str, object]:
    """GET every same-site page reachable from START_PAGES; returns the HTML responses by path."""
    seen: set[str] = set()
    pages: dict[str, object] = {}
    queue = deque(START_PAGES)
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        # As a browser asks, so that the API answers with its browsable HTML pages.
        response = client.get(path, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
        if not response.get("Content-Type", "").startswith("text/html") or response.status_code != 200:
            continue
        pages[path] = response
        scan = PageScan()
        scan.feed(response.content.decode())
        for href in scan.links:
            target = urlsplit(urldefrag(href).url)
            if target.scheme or target.netloc or not target.path.startswith("/"):
                continue
            if any(part in target.path for part in SKIPPED) or target.path.startswith("/static/"):
                continue
            # One visit per path: sorting and filtering links are the same page with other rows.
            queue.append(target.path)
    return pages


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def portal_data(state_a):
    factories.CooperationRequestFactory(partner=state_a)
    factories.VoluntaryAgreementFactory(partner=state_a)
    factories.ArrestWarrantFactory()


@pytest.mark.parametrize("role", ["anonymous", "registry", "focal_point", "facilitator"])
def test_every_page_carries_a_policy_without_inline_script(role, portal_data, focal_point_a, facilitator):
    """Each HTML page of the walk has a CSP whose script-src allows neither inline code nor eval, and holds no
    inline script, no on* handler and no inline style; only the browsable API's own style="" attributes and
    Redoc's run-time styles are allowed, each by its own page's policy."""
    users = {
        "anonymous": None,
        "registry": factories.RegistryStaffFactory(username="walker", is_superuser=True, sealed_clearance=True),
        "focal_point": focal_point_a,
        "facilitator": facilitator,
    }
    pages = walk(_client(users[role]))
    if role == "anonymous":
        assert {"/accounts/login/", "/accounts/password-reset/", "/admin/login/"} <= set(pages)
    if role == "registry":
        # The walk did reach the portal's pages, the admin and the API documentation.
        for expected in ("/", "/requests/", "/agreements/", "/warrants/", "/dashboard/", "/reports/annual/",
                         "/admin/", "/admin/accounts/user/", "/api/docs/", "/api/redoc/", "/api/v1/requests/"):
            assert expected in pages, expected
        assert len(pages) > 40
    for path, response in pages.items():
        policy = policy_of(response)
        assert policy.get("script-src") == ["'self'"], (path, policy)
        assert policy.get("default-src") == ["'self'"], path
        assert policy.get("frame-ancestors") == ["'none'"], path
        assert policy.get("object-src") == ["'none'"], path
        scan = PageScan()
        scan.feed(response.content.decode())
        refused = scan.refused
        if path.startswith("/api/v1/"):
            # DRF's browsable API: its layout attributes are allowed by that page's policy, and only they are.
            assert policy.get("style-src-attr") == ["'unsafe-inline'"], path
            assert policy.get("style-src") == ["'self'"], path
            refused = [item for item in refused if not item.endswith(" style=…>")]
        elif path == "/api/redoc/":
            assert policy.get("style-src") == ["'self'", "'unsafe-inline'"], path
        else:
            assert policy.get("style-src") == ["'self'"], (path, policy)
        assert not refused, (path, refused)


def test_the_scan_finds_what_the_policy_would_refuse():
    """The checker itself: it spots each kind of inline code and lets data blocks and external files pass."""
    scan = PageScan()
    scan.feed('<script src="/static/a.js"></script><script type="application/json">{}</script>'
              '<script>alert(1)</script><button onclick="x()">b</button><p style="color:red">p</p><style>p{}</style>')
    assert scan.refused == ["inline <script>", "<button onclick=…>", "<p style=…>", "inline <style>"]
