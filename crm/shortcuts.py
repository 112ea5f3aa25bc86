"""Loading one record for a user: what they may not see does not exist for them (404)."""

from django.db.models import Model, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from crm.filters import MAX_ID


def get_visible_or_404(queryset: QuerySet, user, **lookup) -> Model:
    """The record matching ``lookup`` among those ``user`` may see, else 404 (never 403).

    An id past a 64-bit integer is a 404 too, before the database driver could overflow on it.
    """
    if any(isinstance(v, int) and not -MAX_ID <= v <= MAX_ID for v in lookup.values()):
        raise Http404
    return get_object_or_404(queryset.visible_to(user), **lookup)
