"""Work that must happen once however many workers run: a row with a unique key is the claim."""

from collections.abc import Callable

from django.db import IntegrityError, transaction


def first_to(work: Callable[[], object]) -> bool:
    """Run ``work`` in one transaction; False, and nothing of it kept, when a unique row it creates is
    already there (another worker got there first)."""
    try:
        with transaction.atomic():
            work()
    except IntegrityError:
        return False
    return True
