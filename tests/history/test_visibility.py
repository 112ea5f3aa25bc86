"""Whose history a user sees: that of the rows each model's own visible_to lets them see."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType

from history.models import ChangeLog, tracked_models
from sales.models import SalesPlan
from tests.factories import (
    ActivityFactory,
    ContactFactory,
    DealFactory,
    ProductFactory,
    SalesPlanFactory,
    SalesRecordFactory,
)


@pytest.fixture
def books(rep, other_rep, team, other_team):
    for owner, its_team in ((rep, team), (other_rep, other_team)):
        deal = DealFactory(owner=owner, customer__owner=owner)
        ContactFactory(customer=deal.customer)
        SalesRecordFactory(customer=deal.customer, owner=owner)
        ActivityFactory(customer=deal.customer, deal=deal, owner=owner)
        SalesPlanFactory(scope=SalesPlan.Scope.REP, rep=owner)
        SalesPlanFactory(scope=SalesPlan.Scope.TEAM, team=its_team)
    SalesPlanFactory(scope=SalesPlan.Scope.COMPANY)
    ProductFactory()


@pytest.mark.parametrize("persona", ["rep", "other_rep", "manager", "admin_user"])
@pytest.mark.parametrize("model", tracked_models(), ids=lambda m: m.__name__)
def test_a_user_sees_the_history_of_the_rows_they_may_see(request, books, persona, model):
    user = request.getfixturevalue(persona)
    content_type = ContentType.objects.get_for_model(model)
    seen = set(
        ChangeLog.objects.visible_to(user)
        .filter(content_type=content_type)
        .values_list("object_id", flat=True)
    )
    with_history = set(
        ChangeLog.objects.filter(content_type=content_type).values_list("object_id", flat=True)
    )
    assert seen == set(model.objects.visible_to(user).values_list("pk", flat=True)) & with_history


def test_someone_signed_out_sees_no_history(books):
    assert not ChangeLog.objects.visible_to(AnonymousUser()).exists()
    assert ChangeLog.objects.exists()
