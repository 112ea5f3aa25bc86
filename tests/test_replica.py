"""Reports read from a real streaming replica; a user's own writes are read from the primary.

Runs only when ``DATABASE_REPLICA_URL`` names a replica of the test database's server (CI starts
one with ``scripts/replica start``). Replay on the replica is paused to make its lag visible.
"""

import time
from decimal import Decimal

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import CustomerFactory, DealFactory

pytestmark = [
    pytest.mark.replica,
    pytest.mark.skipif("replica" not in connections.settings, reason="DATABASE_REPLICA_URL is not set"),
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
]


def _primary_lsn() -> str:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        return cursor.fetchone()[0]


def _catch_up(timeout: float = 20.0) -> None:
    """Waits until the replica has replayed everything the primary wrote so far."""
    lsn = _primary_lsn()
    deadline = time.monotonic() + timeout
    with connections["replica"].cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), %s) >= 0", [lsn])
            if cursor.fetchone()[0]:
                return
            if time.monotonic() > deadline:
                raise AssertionError("the replica did not catch up")
            time.sleep(0.05)


def _set_replay(paused: bool) -> None:
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()" if paused else "SELECT pg_wal_replay_resume()")


@pytest.fixture
def paused_replica():
    yield _set_replay
    _set_replay(False)


def _open_deals(client) -> int:
    response = client.get("/api/metrics/")
    assert response.status_code == 200
    return response.json()["summary"]["open_deals"]


def test_the_dashboard_reads_from_the_replica(client, manager, rep, team):
    DealFactory.create_batch(3, owner=rep, customer=CustomerFactory(owner=rep), amount=Decimal("10.00"))
    client.force_login(manager)
    _catch_up()
    with (
        CaptureQueriesContext(connections["replica"]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        response = client.get("/dashboard/")
    assert response.status_code == 200
    assert any("sales_deal" in q["sql"] for q in on_replica.captured_queries)
    assert not any("sales_deal" in q["sql"] for q in on_primary.captured_queries)


def test_a_lagging_replica_serves_reports_and_the_writer_reads_the_primary(
    client, manager, rep, team, paused_replica
):
    customer = CustomerFactory(owner=rep)
    DealFactory(owner=rep, customer=customer)
    client.force_login(manager)
    _catch_up()
    assert _open_deals(client) == 1

    paused_replica(True)
    DealFactory(owner=rep, customer=customer)  # written on the primary while the replica stands still
    assert _open_deals(client) == 1  # the manager's report comes from the replica

    writer = client.__class__()
    writer.force_login(rep)
    response = writer.post(
        "/deals/new/",
        {
            "title": "Just logged",
            "customer": customer.pk,
            "amount": "5.00",
            "opened_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    assert _open_deals(writer) == 3  # the rep wrote a moment ago: their pages read the primary

    paused_replica(False)
    _catch_up()
    assert _open_deals(client) == 3  # caught up, the replica has every write
