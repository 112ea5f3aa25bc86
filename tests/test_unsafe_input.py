"""Input the pages take from the address bar: no 500s, no script in links."""

import pytest
from django.urls import reverse

from tests.factories import CustomerFactory, SalesRecordFactory

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("sales:dashboard")


@pytest.mark.parametrize(
    ("start", "end"),
    [("0001-01-01", "0001-01-31"), ("9999-12-01", "9999-12-31"), ("0001-01-01", "9999-12-31")],
)
def test_the_dashboard_ignores_custom_dates_outside_1900_to_2200(manager_client, start, end):
    response = manager_client.get(DASHBOARD, {"period": "custom", "start": start, "end": end})
    assert response.status_code == 200
    scope = response.context["data"].scope
    # Out-of-range dates are dropped like any other bad value, so the default quarter is shown.
    assert scope.start.year > 1900 and scope.end.year < 2200
    assert set(response.context["form"].errors) == {"start", "end"}


def test_the_dashboard_still_takes_a_custom_range_inside_the_bounds(manager_client):
    response = manager_client.get(DASHBOARD, {"period": "custom", "start": "1999-01-01", "end": "1999-03-31"})
    scope = response.context["data"].scope
    assert (scope.start.isoformat(), scope.end.isoformat()) == ("1999-01-01", "1999-03-31")


@pytest.mark.parametrize(
    "target", ["javascript:alert(document.cookie)", "https://evil.example/", "//evil.example/x"]
)
def test_the_activity_forms_cancel_link_ignores_an_unsafe_next(rep_client, target):
    response = rep_client.get(reverse("sales:activity_create"), {"next": target})
    content = response.content.decode()
    assert target not in content
    assert f'href="{reverse("sales:activity_list")}"' in content


def test_the_activity_forms_cancel_link_follows_a_local_next(rep_client):
    response = rep_client.get(reverse("sales:activity_create"), {"next": "/deals/?status=open"})
    assert 'href="/deals/?status=open"' in response.content.decode()


def test_see_all_sales_on_a_customer_page_lists_that_customers_sales_only(rep_client, rep):
    acme = CustomerFactory(name="Acme", owner=rep)
    SalesRecordFactory.create_batch(21, customer=acme, owner=rep)
    SalesRecordFactory(customer=CustomerFactory(name="Acme Two", owner=rep), owner=rep)
    page = rep_client.get(reverse("sales:customer_detail", args=[acme.pk]))
    link = reverse("sales:salesrecord_list") + f"?customer={acme.pk}"
    assert f'href="{link}"'.encode() in page.content
    listed = rep_client.get(link)
    assert listed.context["totals"]["count"] == 21
