import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api(rep, team):
    """An API client signed in as ``rep`` (a member of ``team``)."""
    client = APIClient()
    client.force_authenticate(rep)
    return client


@pytest.fixture
def other_api(other_rep, other_team):
    client = APIClient()
    client.force_authenticate(other_rep)
    return client


@pytest.fixture
def manager_api(manager, team):
    client = APIClient()
    client.force_authenticate(manager)
    return client


@pytest.fixture
def admin_api(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    return client
