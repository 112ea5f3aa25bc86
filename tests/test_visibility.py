"""visible_to(user) on every model: a rep sees their own, a manager their team's, an admin all."""

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType

from customers.models import Contact, Customer
from history.models import ChangeLog
from people.models import Team
from sales.models import Activity, Deal, LostReason, Product, SalesPlan, SalesRecord, Stage, StageChange
from tests.factories import (
    ActivityFactory,
    ContactFactory,
    DealFactory,
    ProductFactory,
    SalesPlanFactory,
    SalesRecordFactory,
)

OWNED_MODELS = [Customer, Contact, Deal, StageChange, SalesRecord, Activity, ChangeLog]


@pytest.fixture
def books(rep, other_rep, team, other_team):
    """One of everything owned by ``rep`` and one owned by ``other_rep``."""
    made = {}
    for owner in (rep, other_rep):
        deal = DealFactory(owner=owner, customer__owner=owner)
        ContactFactory(customer=deal.customer)
        SalesRecordFactory(customer=deal.customer, owner=owner)
        ActivityFactory(customer=deal.customer, deal=deal, owner=owner)
        SalesPlanFactory(scope=SalesPlan.Scope.REP, rep=owner)
        made[owner.username] = deal
    ProductFactory()
    SalesPlanFactory(scope=SalesPlan.Scope.COMPANY)
    return made


def owners_seen(model, user) -> set[str]:
    paths = {
        Customer: "owner__username",
        Contact: "customer__owner__username",
        Deal: "owner__username",
        StageChange: "deal__owner__username",
        SalesRecord: "owner__username",
        Activity: "owner__username",
    }
    if model is ChangeLog:
        # The history of owned rows; shared and scoped rows (plans, teams) are in tests/history.
        owned = ContentType.objects.get_for_models(Customer, Contact, Deal, SalesRecord, Activity).values()
        rows = ChangeLog.objects.visible_to(user).filter(content_type__in=owned)
        return {
            (row.target.customer if isinstance(row.target, Contact) else row.target).owner.username
            for row in rows
        }
    return set(model.objects.visible_to(user).values_list(paths[model], flat=True))


def test_every_model_has_visible_to():
    ours = [
        m
        for m in apps.get_models()
        if m._meta.app_label in {"customers", "sales", "history", "automation", "dataio"}
    ]
    missing = [m.__name__ for m in ours if not hasattr(m.objects, "visible_to")]
    assert missing == []


@pytest.mark.parametrize("model", OWNED_MODELS, ids=lambda m: m.__name__)
def test_a_rep_sees_only_their_own(model, books, rep):
    assert owners_seen(model, rep) == {"rep"}


@pytest.mark.parametrize("model", OWNED_MODELS, ids=lambda m: m.__name__)
def test_a_manager_sees_their_team(model, books, manager):
    assert owners_seen(model, manager) == {"rep"}


@pytest.mark.parametrize("model", OWNED_MODELS, ids=lambda m: m.__name__)
def test_an_admin_sees_everything(model, books, admin_user):
    assert owners_seen(model, admin_user) == {"rep", "other_rep"}


def test_a_manager_of_two_teams_sees_each_row_once(books, manager, other_rep):
    Team.objects.create(name="Second", manager=manager).members.add(other_rep)
    Team.objects.create(name="Third", manager=manager).members.add(other_rep)
    assert Deal.objects.visible_to(manager).count() == Deal.objects.count() == 2


def test_plans_follow_scope(books, rep, manager, admin_user):
    seen = {p.rep.username if p.rep else p.scope for p in SalesPlan.objects.visible_to(rep)}
    assert seen == {"rep", "company"}
    assert {p.rep.username if p.rep else p.scope for p in SalesPlan.objects.visible_to(manager)} == {
        "rep",
        "company",
    }
    assert SalesPlan.objects.visible_to(admin_user).count() == 3


def test_teams_are_visible_to_their_manager_and_members(books, rep, other_rep, manager):
    assert [t.name for t in Team.objects.visible_to(rep)] == ["North"]
    assert [t.name for t in Team.objects.visible_to(manager)] == ["North"]
    assert [t.name for t in Team.objects.visible_to(other_rep)] == ["South"]


def test_the_catalogue_and_stages_are_shared(books, rep, other_rep):
    assert Product.objects.visible_to(rep).count() == Product.objects.visible_to(other_rep).count() == 1
    assert Stage.objects.visible_to(rep).count() == 6


def test_the_lost_reasons_are_shared_with_everyone_signed_in(books, rep, other_rep):
    seeded = LostReason.objects.count()
    assert seeded >= 7
    assert (
        LostReason.objects.visible_to(rep).count()
        == LostReason.objects.visible_to(other_rep).count()
        == seeded
    )
    assert LostReason.objects.visible_to(AnonymousUser()).count() == 0


def test_an_inactive_or_anonymous_user_sees_nothing(books, rep):
    rep.is_active = False
    assert Deal.objects.visible_to(rep).count() == 0
    assert Customer.objects.visible_to(AnonymousUser()).count() == 0
