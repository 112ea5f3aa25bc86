"""Reading reports from a streaming replica while every write and a writer's next pages use the primary.

With ``DATABASE_REPLICA_URL`` set, the pages named in ``REPLICA_READ_VIEWS`` (dashboards, the metrics
API, exports) read from the ``replica`` database. Everything else, and every request of a user who
wrote something in the last ``REPLICA_PIN_SECONDS``, reads from the primary, so a rep who has just
logged a deal sees it at once even while the replica is catching up.
"""

import time
from contextvars import ContextVar

from django.conf import settings
from django.db import connections

REPLICA = "replica"
_read_from_replica: ContextVar[bool] = ContextVar("read_from_replica", default=False)
SESSION_KEY = "_crm_primary_until"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def replica_configured() -> bool:
    return REPLICA in connections.settings


class ReplicaRouter:
    """Reads go to the replica only inside a request the middleware marked; writes always to the primary."""

    def db_for_read(self, model, **hints):
        return REPLICA if _read_from_replica.get() else "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # both aliases hold the same rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


class ReplicaMiddleware:
    """Marks report pages to read from the replica, and pins a writer to the primary for a while."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.enabled = replica_configured()

    def __call__(self, request):
        if not self.enabled:
            return self.get_response(request)
        token = _read_from_replica.set(False)
        try:
            response = self.get_response(request)
        finally:
            _read_from_replica.reset(token)
        if request.method not in SAFE_METHODS and request.user.is_authenticated:
            request.session[SESSION_KEY] = time.time() + settings.REPLICA_PIN_SECONDS
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not self.enabled or request.method not in SAFE_METHODS:
            return None
        match = request.resolver_match
        if match is None or match.view_name not in settings.REPLICA_READ_VIEWS:
            return None
        if request.session.get(SESSION_KEY, 0) > time.time():
            return None  # this user wrote a moment ago: the replica may not have it yet
        _read_from_replica.set(True)
        return None


def reading_from_replica() -> bool:
    return _read_from_replica.get()
