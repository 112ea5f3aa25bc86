"""Importing the product catalogue, and people with their teams and managers (admins only)."""

import json
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from dataio.imports import Mapping, run_import
from history.models import ChangeLog
from people.models import Team
from people.visibility import MANAGERS_GROUP, REPS_GROUP
from sales.models import Product
from tests.factories import ProductFactory, RepFactory

PRODUCTS = {
    "kind": "products",
    "fields": {
        "external_id": "SKU",
        "name": "Product",
        "category": "Category",
        "series": "Series",
        "list_price": "Price",
    },
}
PRODUCTS_CSV = (
    "SKU,Product,Category,Series,Price\r\n"
    "P-1,CRM Basic,Licences,Cloud,1200.00\r\n"
    'P-2,CRM Pro,Licences,Cloud,"2,400.50"\r\n'
    "P-3,Onboarding,Services,,800\r\n"
)
PEOPLE = {
    "kind": "people",
    "fields": {
        "username": "Login",
        "first_name": "First",
        "last_name": "Last",
        "email": "Email",
        "team": "Team",
        "manager": "Manager",
    },
}
PEOPLE_CSV = (
    "Login,First,Last,Email,Team,Manager\r\n"
    "mia,Mia,Boss,mia@example.com,,\r\n"
    "ray,Ray,One,ray@example.com,East,mia\r\n"
    "sue,Sue,Two,sue@example.com,East,mia\r\n"
    "rep,Rita,Renamed,rep@example.com,North,\r\n"
)


def products(text: str, user, **kwargs):
    return run_import(text.encode(), "products.csv", Mapping.from_dict(PRODUCTS), user=user, **kwargs)


def people(text: str, user, **kwargs):
    return run_import(text.encode(), "people.csv", Mapping.from_dict(PEOPLE), user=user, **kwargs)


def test_it_imports_products_and_a_re_import_updates_by_external_id_or_name(admin_user):
    report = products(PRODUCTS_CSV, admin_user)
    assert report.committed, report.problems
    pro = Product.objects.get(external_id="P-2")
    assert (pro.name, pro.category, pro.series, pro.list_price) == (
        "CRM Pro",
        "Licences",
        "Cloud",
        Decimal("2400.50"),
    )
    assert Product.objects.get(name="Onboarding").series == ""
    assert ChangeLog.objects.for_object(pro).get().action == "created"

    renamed = PRODUCTS_CSV.replace("CRM Pro,Licences,Cloud", "CRM Pro 2,Licences,Cloud 2")
    again = products(renamed, admin_user)
    assert (again.created, again.updated, again.unchanged) == (0, 1, 2)
    pro.refresh_from_db()
    assert (pro.name, pro.series) == ("CRM Pro 2", "Cloud 2")
    assert Product.objects.count() == 3


def test_a_product_without_an_external_id_is_matched_by_name(admin_user):
    old = ProductFactory(name="CRM Basic", category="Old", list_price=Decimal("1"))
    report = products(PRODUCTS_CSV.replace("P-1,", ",", 1), admin_user)
    assert report.committed, report.problems
    old.refresh_from_db()
    assert (old.category, old.list_price, old.external_id) == ("Licences", Decimal("1200.00"), None)
    assert Product.objects.count() == 3


def test_a_bad_product_row_writes_nothing_and_names_its_row_and_column(admin_user):
    bad = PRODUCTS_CSV.replace("800", "eight hundred") + "P-4,crm basic,Licences,,5\r\n"
    report = products(bad, admin_user)
    assert not report.committed
    assert not Product.objects.exists()
    found = {(p.row, p.column) for p in report.problems}
    assert (4, "Price") in found
    assert (5, "Product") in found
    assert any("row 2" in p.reason for p in report.problems if p.row == 5)


def test_it_imports_people_teams_and_managers(admin_user, rep, team):
    report = people(PEOPLE_CSV, admin_user)
    assert report.committed, report.problems
    assert (report.created, report.updated) == (3, 1)
    User = get_user_model()
    ray = User.objects.get(username="ray")
    assert (ray.first_name, ray.email, ray.has_usable_password()) == ("Ray", "ray@example.com", False)
    east = Team.objects.get(name="East")
    mia = User.objects.get(username="mia")
    assert east.manager == mia
    assert list(east.managers.all()) == [mia]
    assert set(east.members.values_list("username", flat=True)) == {"ray", "sue"}
    assert mia.groups.filter(name=MANAGERS_GROUP).exists()
    assert ray.groups.filter(name=REPS_GROUP).exists()
    rep.refresh_from_db()
    assert (rep.first_name, rep.last_name) == ("Rita", "Renamed")
    assert team.members.filter(pk=rep.pk).exists()
    assert ChangeLog.objects.for_object(east).filter(action="created").exists()

    again = people(PEOPLE_CSV, admin_user)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)


def test_a_manager_named_for_an_existing_team_becomes_a_co_manager(admin_user, manager, rep, team):
    boss = RepFactory(username="boss")
    report = people("Login,First,Last,Email,Team,Manager\r\nrep,,,,North,boss\r\n", admin_user)
    assert report.committed, report.problems
    assert team.managers.filter(pk=boss.pk).exists()
    team.refresh_from_db()
    assert team.manager == manager  # the primary manager stays


def test_a_bad_people_row_writes_nothing_and_names_its_row_and_column(admin_user):
    bad = (
        "Login,First,Last,Email,Team,Manager\r\n"
        "ray,Ray,One,not-an-email,East,nobody\r\n"
        "sue,Sue,Two,sue@example.com,West,\r\n"
        "bad name!,X,Y,,,\r\n"
    )
    report = people(bad, admin_user)
    assert not report.committed
    found = {(p.row, p.column) for p in report.problems}
    assert (2, "Email") in found
    assert (3, "Team") in found  # a new team without a manager
    assert (4, "Login") in found
    assert not get_user_model().objects.filter(username__in=["ray", "sue"]).exists()
    assert not Team.objects.exists()


def test_only_an_admin_imports_people(manager, team):
    report = people(PEOPLE_CSV, manager)
    assert not report.committed
    assert "Only an admin may import people." in report.problems[0].reason
    assert not get_user_model().objects.filter(username="ray").exists()


def kinds_offered(client) -> list[str]:
    return [k for k, _label in client.get("/imports/").context["form"].fields["kind"].choices]


def test_the_import_page_does_not_offer_people_to_a_manager(client, manager, team, admin_user):
    client.force_login(manager)
    assert "people" not in kinds_offered(client)
    assert "products" in kinds_offered(client)
    upload = SimpleUploadedFile("people.csv", PEOPLE_CSV.encode(), content_type="text/csv")
    response = client.post("/imports/", {"kind": "people", "file": upload})
    assert response.status_code == 200
    assert response.context["form"].errors["kind"]
    client.force_login(admin_user)
    assert "people" in kinds_offered(client)


def test_the_command_imports_people_as_an_admin_and_refuses_a_manager(tmp_path, manager, team):
    data = tmp_path / "people.csv"
    data.write_text(PEOPLE_CSV)
    mapping = tmp_path / "people.json"
    mapping.write_text(json.dumps(PEOPLE))
    with pytest.raises(CommandError):
        call_command("import_data", "people", str(data), "--mapping", str(mapping), "--user", "manager")
    assert not get_user_model().objects.filter(username="ray").exists()
    call_command("import_data", "people", str(data), "--mapping", str(mapping))
    assert get_user_model().objects.filter(username="ray").exists()
