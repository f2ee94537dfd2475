"""Clients shared by the API tests."""

from rest_framework.test import APIClient


def api_client(user) -> APIClient:
    """An API client authenticated as `user` (DRF's force_authenticate: no session, no token, no second factor)."""
    client = APIClient()
    client.force_authenticate(user)
    return client
