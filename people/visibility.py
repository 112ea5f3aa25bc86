"""Who may see whose records.

A rep sees what they own; a manager sees what they and the members of the teams they manage own
(a team's primary ``manager`` and every one of its ``managers`` alike);
staff and superusers (admins) see everything. Every model's ``visible_to(user)`` builds on
``owner_filter`` so the rule lives in one place.
"""

from django.contrib.auth import get_user_model
from django.db.models import Q

MANAGERS_GROUP = "Sales managers"
REPS_GROUP = "Sales reps"


def is_admin(user) -> bool:
    return bool(user.is_active and (user.is_staff or user.is_superuser))


def is_manager(user) -> bool:
    """Managers by group, or by managing a team; the answer is cached on the user object."""
    cached = getattr(user, "_crm_is_manager", None)
    if cached is None:
        cached = user.groups.filter(name=MANAGERS_GROUP).exists() or managed_teams(user).exists()
        user._crm_is_manager = cached
    return cached


def is_manager_or_admin(user) -> bool:
    """Who may look beyond their own book: assign owners, narrow pages to a rep, import, plan."""
    return is_admin(user) or is_manager(user)


def managed_teams(user):
    """The teams ``user`` manages, as primary manager or co-manager."""
    from people.models import Team  # the model module reads this one at import

    return Team.objects.managed_by(user)


def visible_owners(user):
    """A queryset of the ids of the users whose records ``user`` may see (``None`` means all)."""
    if is_admin(user):
        return None
    User = get_user_model()
    managed = Q(sales_teams__manager=user) | Q(sales_teams__managers=user)
    return User.objects.filter(Q(pk=user.pk) | managed).values("pk")


def owner_filter(user, path: str = "owner") -> Q:
    """A filter on ``path`` (a foreign key to the user) that keeps what ``user`` may see."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    owners = visible_owners(user)
    if owners is None:
        return Q()
    return Q(**{f"{path}__in": owners})


def sees_records_of(user, owner_id) -> bool:
    """Whether ``user`` may see what the user ``owner_id`` owns: ``owner_filter`` as a yes or no, with
    no query for an admin or the owner."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if is_admin(user) or owner_id == user.pk:
        return True
    return visible_owners(user).filter(pk=owner_id).exists()


def visible_people(user, *, include_inactive: bool = False):
    """The users whose records ``user`` may see, by name: the choices of owner filters and fields.

    Former colleagues (inactive users) are left out unless asked for, as when filtering history.
    """
    User = get_user_model()
    people = User.objects.order_by("first_name", "last_name", "username")
    if not include_inactive:
        people = people.filter(is_active=True)
    owners = visible_owners(user)
    return people if owners is None else people.filter(pk__in=owners)
