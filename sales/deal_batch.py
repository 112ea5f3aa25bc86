"""Changing several deals at once from the deal list: reassign, move, mark lost or win.

Each deal changes through its own verb (``apply_edit`` for the owner, ``move_to``, ``mark_lost``,
``win``), so every change is versioned and in the deal's history exactly as a single edit would
be. The whole batch is one transaction: a deal the user may not change, a deal changed since the
list was loaded, or one the rules refuse leaves every deal as it was, and the error names it.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from people.visibility import is_manager_or_admin
from sales import rollups
from sales.models import Deal, DealError, StaleEdit

ACTIONS = ("reassign", "move", "lost", "won")
# A page of the list holds 25 deals; "select all" may not send more than a few pages' worth.
MAX_DEALS = 500


class BatchRefused(Exception):
    """The batch changed nothing; the message says which deal stopped it and why."""


@dataclass(frozen=True)
class Picked:
    """A deal the user ticked, with the version the list showed them."""

    pk: int
    version: int


def apply_batch(user, picked: list[Picked], action: str, **values) -> int:
    """Apply ``action`` to the ``picked`` deals, all or none; the number of deals changed.

    ``values`` holds what the action needs: ``owner``, ``stage`` or ``reason``.
    """
    if action not in ACTIONS:
        raise BatchRefused(_("Choose what to do with the selected deals."))
    if not picked:
        raise BatchRefused(_("Select at least one deal."))
    if action == "reassign" and not is_manager_or_admin(user):
        raise BatchRefused(_("Only managers and admins reassign deals."))
    try:
        ids = {p.pk for p in picked}
        # One rollup bracket for the batch: the deals' figures are read twice in all, not per deal.
        with transaction.atomic(), rollups.bracket(rollups.Touch(deals=ids, ledgers=ids, families=ids)):
            deals = Deal.objects.visible_to(user).for_display().select_for_update(of=("self",))
            found = {d.pk: d for d in deals.filter(pk__in=ids)}
            for p in picked:
                deal = found.get(p.pk)
                if deal is None:
                    raise BatchRefused(
                        _("Nothing changed: deal #%(pk)s is not one you may change.") % {"pk": p.pk}
                    )
                _apply(deal, p.version, user, action, values)
    except StaleEdit as exc:
        raise BatchRefused(
            _("Nothing changed: “%(title)s” was changed by someone else; reload the list and try again.")
            % {"title": exc.current.title}
        ) from exc
    except _Refused as exc:
        raise BatchRefused(
            _("Nothing changed: “%(title)s”: %(reason)s") % {"title": exc.deal.title, "reason": exc.reason}
        ) from exc
    return len(picked)


class _Refused(Exception):
    def __init__(self, deal: Deal, reason: str):
        self.deal, self.reason = deal, reason
        super().__init__(reason)


def _apply(deal: Deal, version: int, user, action: str, values: dict) -> None:
    if deal.version != version:
        raise StaleEdit(deal)
    try:
        if action == "reassign":
            if deal.owner_id != values["owner"].pk:
                deal.apply_edit({"owner": values["owner"]}, version=version)
        elif action == "move":
            deal.move_to(values["stage"], by=user)
        elif action == "lost":
            deal.mark_lost(values["reason"], by=user)
        else:
            deal.win(by=user)
    except StaleEdit:
        raise
    except DealError as exc:
        raise _Refused(deal, str(exc)) from exc
