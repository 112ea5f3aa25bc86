import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType

from sales.defaults import create_defaults, create_lost_reasons
from tests.factories import AdminFactory, ManagerFactory, RepFactory, TeamFactory


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """On SQLite, test in a database file, as the CRM runs, rather than in shared memory.

    Threads of one test (parallel sign-ins, the live server) then wait for SQLite's write lock
    with the busy timeout like the real app; an in-memory database shared between connections
    answers "database table is locked" at once instead.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("sqlite") / "test.sqlite3")


@pytest.fixture(autouse=True)
def _english_unless_asked():
    """Every test starts in the default language: a request or email in Chinese earlier in the same
    worker leaves its language active, which would turn later assertions Chinese."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _default_stages_and_groups(request):
    """Put back the rows of the data migrations when a transactional test flushed them.

    Live-server tests truncate every table when they finish; Django restores serialized rows only
    at the start of the next such test, so a plain test running after one would find no stages and
    content types with new ids.
    """
    marker = request.node.get_closest_marker("django_db")
    if marker is None and not {"db", "transactional_db", "live_server"} & set(request.fixturenames):
        return
    request.getfixturevalue("transactional_db" if marker and marker.kwargs.get("transaction") else "db")
    create_defaults(apps)
    create_lost_reasons(apps)
    # A flush also recreates content types under new ids; forget the ids cached before it.
    ContentType.objects.clear_cache()


@pytest.fixture(autouse=True)
def _database_sessions_and_local_cache(settings):
    """Query-count tests count the session lookup; keep it in the database whatever REDIS_URL says.

    Redis itself is exercised by tests/test_redis.py.
    """
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    # Counted queries must not depend on what an earlier test left in the cache.
    settings.CRM_LEARNED_PROBABILITIES_CACHE_SECONDS = 0
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing costs ~0.3 s per user; tests create hundreds of users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def manager(db):
    return ManagerFactory(username="manager")


@pytest.fixture
def rep(db):
    return RepFactory(username="rep")


@pytest.fixture
def other_rep(db):
    """A rep in another manager's team: nothing of ``rep``'s is theirs to see."""
    return RepFactory(username="other_rep")


@pytest.fixture
def team(manager, rep):
    return TeamFactory(name="North", manager=manager, members=[rep])


@pytest.fixture
def other_team(other_rep):
    return TeamFactory(name="South", manager=ManagerFactory(username="other_manager"), members=[other_rep])


@pytest.fixture
def admin_user(db):
    return AdminFactory(username="admin")


@pytest.fixture
def rep_client(client, rep, team):
    client.force_login(rep)
    return client


@pytest.fixture
def other_rep_client(client, other_rep, other_team):
    client.force_login(other_rep)
    return client


@pytest.fixture
def manager_client(client, manager, team):
    client.force_login(manager)
    return client


@pytest.fixture
def admin_client_(client, admin_user):
    client.force_login(admin_user)
    return client
