from sales.models import Deal, SalesRecord, Stage, StageChange
from tests.factories import DealFactory


def test_a_deal_moves_and_wins(db, rep):
    deal = DealFactory(owner=rep, customer__owner=rep)
    deal.move_to(Stage.objects.get(key="buy"), by=rep)
    deal.refresh_from_db()
    assert deal.status == Deal.Status.WON
    assert StageChange.objects.filter(deal=deal).count() == 2
    assert SalesRecord.objects.filter(deal=deal).count() == 1
