"""Loading one record for a user: what they may not see does not exist for them (404)."""

from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404


def get_visible_or_404(queryset: QuerySet, user, **lookup) -> Model:
    """The record matching ``lookup`` among those ``user`` may see, else 404 (never 403)."""
    return get_object_or_404(queryset.visible_to(user), **lookup)
