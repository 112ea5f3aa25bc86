"""The audit log: every security event is written once, naming who did it and from which address,
and no one can change or remove it."""

import json

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.events import record_security_event
from accounts.models import AuditEvent, AuditLogError, SignInThrottle
from people.visibility import MANAGERS_GROUP, REPS_GROUP
from tests.factories import CustomerFactory, DealFactory, RepFactory

IP = "203.0.113.7"
ADMIN_IP = "198.51.100.4"
PASSWORD = "pw-for-tests-123"  # the factories' password
NEW_PASSWORD = "a-fresh-long-secret-77"


def browser(user=None, ip=IP) -> Client:
    client = Client(REMOTE_ADDR=ip)
    if user is not None:
        client.force_login(user)
    return client


def only(kind: str) -> AuditEvent:
    events = list(AuditEvent.objects.filter(kind=kind))
    assert len(events) == 1, [(e.kind, e.actor_name, e.detail) for e in AuditEvent.objects.all()]
    return events[0]


def test_a_sign_in_is_written_once_with_the_user_and_address(rep):
    assert browser().post(reverse("login"), {"username": "rep", "password": PASSWORD}).status_code == 302
    event = only("signed_in")
    assert (event.actor, event.actor_name, event.ip) == (rep, "rep", IP)


def test_a_failed_sign_in_names_the_account_tried_and_the_address(rep):
    browser().post(reverse("login"), {"username": "rep", "password": "wrong"})
    event = only("sign_in_failed")
    assert (event.actor, event.actor_name, event.ip) == (None, "rep", IP)
    assert "wrong" not in json.dumps(event.detail)


def test_a_lockout_and_the_refusals_after_it_are_written(rep, settings):
    client = browser()
    for _ in range(settings.CRM_LOCKOUT_FAILURES + 2):
        client.post(reverse("login"), {"username": "rep", "password": "wrong"})
    locked = AuditEvent.objects.filter(kind="locked_out")
    # One lockout per counter reaching the limit: the account's and the address's.
    assert sorted(e.detail["note"].split()[0] for e in locked) == ["account", "address"]
    assert {(e.actor_name, e.ip) for e in locked} == {("rep", IP)}
    assert AuditEvent.objects.filter(kind="sign_in_refused", ip=IP).count() == 2
    assert AuditEvent.objects.filter(kind="sign_in_failed").count() == settings.CRM_LOCKOUT_FAILURES


def test_an_admin_lifting_a_lockout_is_written_as_the_admins(rep, admin_user, settings):
    for _ in range(settings.CRM_LOCKOUT_FAILURES):
        browser().post(reverse("login"), {"username": "rep", "password": "wrong"})
    row = SignInThrottle.objects.get(scope="account", key="rep")
    changelist = reverse("admin:accounts_signinthrottle_changelist")
    browser(admin_user, ADMIN_IP).post(changelist, {"action": "unlock", "_selected_action": [row.pk]})
    event = only("unlocked")
    assert (event.actor, event.ip, event.detail["account"]) == (admin_user, ADMIN_IP, "rep")


def test_signing_out_everywhere_is_written(rep):
    browser(rep).post(reverse("accounts:sign_out_everywhere"))
    event = only("signed_out_everywhere")
    assert (event.actor, event.ip) == (rep, IP)


def test_a_password_change_is_written_without_the_password(rep):
    browser(rep).post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    event = only("password_changed")
    assert (event.actor, event.ip) == (rep, IP)
    assert NEW_PASSWORD not in json.dumps(event.detail) and PASSWORD not in json.dumps(event.detail)


def test_a_password_reset_request_names_the_account_but_not_the_address_typed(rep, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    browser().post(reverse("accounts:password_reset"), {"email": rep.email})
    event = only("password_reset_requested")
    assert (event.ip, event.target_type, event.target_id) == (IP, "auth.user", str(rep.pk))
    assert rep.email not in json.dumps(event.detail)


def test_an_api_token_issued_and_ended_is_written(rep):
    client = browser()
    assert client.post("/api/token/", {"username": "rep", "password": PASSWORD}).status_code == 200
    created = only("token_created")
    assert (created.actor, created.ip) == (rep, IP)
    Token.objects.filter(user=rep).delete()
    revoked = only("token_revoked")
    assert revoked.actor == rep


def test_deactivating_a_user_in_the_admin_is_the_admins_doing(rep, admin_user):
    client = browser(admin_user, ADMIN_IP)
    page = client.get(reverse("admin:auth_user_change", args=[rep.pk]))
    data = {k: v for k, v in _admin_form_data(page).items() if k != "is_active"}
    client.post(reverse("admin:auth_user_change", args=[rep.pk]), data)
    event = only("deactivated")
    assert (event.actor, event.ip, event.target_id) == (admin_user, ADMIN_IP, str(rep.pk))


def _admin_form_data(page) -> dict:
    form = page.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or name == "password":
            continue
        if isinstance(value, list):
            data[name] = [str(v) for v in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = str(value)
    for key in ("last_login", "date_joined"):
        value = form[key].value()
        if value:
            data[f"{key}_0"], data[f"{key}_1"] = value.strftime("%Y-%m-%d"), value.strftime("%H:%M:%S")
    return data


def test_making_someone_staff_or_a_manager_is_a_role_change(rep, admin_user):
    client = browser(admin_user, ADMIN_IP)
    page = client.get(reverse("admin:auth_user_change", args=[rep.pk]))
    before = AuditEvent.objects.count()  # the factories' own group memberships
    data = _admin_form_data(page)
    data["is_staff"] = "on"
    data["groups"] = [str(Group.objects.get(name=MANAGERS_GROUP).pk)]
    response = client.post(reverse("admin:auth_user_change", args=[rep.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    events = list(AuditEvent.objects.filter(kind="role_changed").order_by("pk")[before:])
    # The admin's form replaces the groups: the rep group goes, the managers' comes.
    assert [e.detail for e in events] == [
        {"is_staff": [False, True]},
        {"groups_removed": [REPS_GROUP]},
        {"groups_added": [MANAGERS_GROUP]},
    ]
    assert {(e.actor, e.ip, e.target_id) for e in events} == {(admin_user, ADMIN_IP, str(rep.pk))}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_is_written_with_its_filter_and_row_count(rep, fmt):
    for _ in range(3):
        DealFactory(owner=rep, customer__owner=rep)
    DealFactory(owner=RepFactory(), customer__owner=rep)  # not the rep's: not exported
    response = browser(rep).get("/deals/export/", {"format": fmt, "status": "open"})
    b"".join(response.streaming_content)
    event = only("exported")
    assert (event.actor, event.ip) == (rep, IP)
    assert event.detail == {"list": "deals", "format": fmt, "filter": {"status": "open"}, "rows": 3}


def test_an_import_in_the_browser_is_written_with_the_file_and_counts(admin_user):
    client = browser(admin_user, ADMIN_IP)
    text = "Name,Email\nAcme Ltd,acme@example.com\nBeta Ltd,beta@example.com\n"
    client.post(
        reverse("dataio:import_upload"),
        {"kind": "customers", "file": SimpleUploadedFile("people.csv", text.encode(), "text/csv")},
    )
    form = client.get(reverse("dataio:import_map")).context["form"]
    data = {n: (form[n].value() or "") for n in form.fields}
    client.post(reverse("dataio:import_map"), {**data, "preview": "1"})
    assert client.post(reverse("dataio:import_commit")).status_code == 302
    event = only("imported")
    assert (event.actor, event.ip) == (admin_user, ADMIN_IP)
    assert (event.detail["kind"], event.detail["file"], event.detail["created"]) == (
        "customers",
        "people.csv",
        2,
    )


def test_a_command_line_import_is_written_with_its_user(tmp_path, admin_user):
    (tmp_path / "m.json").write_text(json.dumps({"kind": "customers", "fields": {"name": "Name"}}))
    (tmp_path / "c.csv").write_text("Name\nAcme Ltd\n")
    call_command(
        "import_data",
        "customers",
        str(tmp_path / "c.csv"),
        "--mapping",
        str(tmp_path / "m.json"),
        "--user",
        "admin",
    )
    event = only("imported")
    assert (event.actor, event.ip, event.detail["rows"]) == (admin_user, "", 1)


def test_the_log_cannot_be_edited_or_deleted(rep):
    event = record_security_event("signed_in", user=rep, ip=IP)
    event.kind = "sign_in_failed"
    with pytest.raises(AuditLogError):
        event.save()
    with pytest.raises(AuditLogError):
        event.delete()
    with pytest.raises(AuditLogError):
        AuditEvent.objects.filter(pk=event.pk).update(kind="x")
    with pytest.raises(AuditLogError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).kind == "signed_in"


def test_admins_read_and_filter_the_log_but_cannot_change_it(rep, admin_user):
    record_security_event("signed_in", user=rep, ip=IP)
    record_security_event("sign_in_failed", username="mallory", ip="192.0.2.66")
    client = browser(admin_user, ADMIN_IP)
    changelist = reverse("admin:accounts_auditevent_changelist")
    html = client.get(changelist, {"kind__exact": "sign_in_failed"}).content.decode()
    assert "mallory" in html and "192.0.2.66" in html
    assert ">rep<" not in html
    event = AuditEvent.objects.get(kind="signed_in")
    assert client.get(reverse("admin:accounts_auditevent_add")).status_code == 403
    assert client.post(reverse("admin:accounts_auditevent_delete", args=[event.pk])).status_code == 403
    change = client.get(reverse("admin:accounts_auditevent_change", args=[event.pk]))
    assert change.status_code == 200 and 'name="kind"' not in change.content.decode()


def test_only_admins_see_the_log(rep, manager, admin_user):
    record_security_event("signed_in", user=rep, ip=IP)
    assert not AuditEvent.objects.visible_to(rep).exists()
    assert not AuditEvent.objects.visible_to(manager).exists()
    assert AuditEvent.objects.visible_to(admin_user).filter(kind="signed_in").count() == 1
    before = AuditEvent.objects.count()
    CustomerFactory(owner=rep)  # an ordinary write records nothing here
    assert AuditEvent.objects.count() == before


def test_a_delete_is_written_with_who_and_what_but_no_values(rep, team):
    customer = CustomerFactory(owner=rep, name="Zanzibar Deletable Ltd")
    api = APIClient(REMOTE_ADDR=IP)
    api.force_authenticate(rep)
    assert api.delete(f"/api/customers/{customer.pk}/").status_code == 204
    event = only("deleted")
    assert (event.actor, event.ip, event.target_type, event.target_id) == (
        rep,
        IP,
        "customers.customer",
        str(customer.pk),
    )
    assert "Zanzibar" not in json.dumps(event.detail)


def test_the_admins_bulk_delete_writes_one_event_per_record(rep, admin_user):
    customers = [CustomerFactory(owner=rep) for _ in range(3)]
    changelist = reverse("admin:customers_customer_changelist")
    client = browser(admin_user, ADMIN_IP)
    client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [c.pk for c in customers], "post": "yes"},
    )
    events = AuditEvent.objects.filter(kind="deleted")
    assert sorted(e.target_id for e in events) == sorted(str(c.pk) for c in customers)
    assert {(e.actor, e.ip) for e in events} == {(admin_user, ADMIN_IP)}


def test_a_command_line_import_without_a_user_names_the_os_account(tmp_path, admin_user):
    import getpass

    mapping = {"kind": "customers", "fields": {"name": "Name", "owner": "Owner"}}
    (tmp_path / "m.json").write_text(json.dumps(mapping))
    (tmp_path / "c.csv").write_text("Name,Owner\nAcme Ltd,admin\n")
    call_command("import_data", "customers", str(tmp_path / "c.csv"), "--mapping", str(tmp_path / "m.json"))
    event = only("imported")
    assert event.actor is None
    assert event.actor_name == f"command line ({getpass.getuser()})"


def test_a_nul_typed_into_a_filter_is_logged_as_a_replacement_character(rep):
    # PostgreSQL keeps no NUL in text or JSON; the export of "?q=a%00c" must still be logged.
    event = record_security_event("exported", user=rep, ip=IP, detail={"filter": {"q": "a\x00c"}})
    event.refresh_from_db()
    assert event.detail["filter"]["q"] == "a\ufffdc"
