"""Personal data held about one customer: exported as one JSON document, or erased everywhere.

What counts as personal, what erasure does to each field, and what it keeps are written down in
``docs/privacy.md``; ``PERSONAL_FIELDS`` below is that page's table. In short: the customer's and
their contacts' identifying values, and the free text written about them (activity notes, deal
titles and lost reasons, sales-record notes), go from the rows themselves, from their change
history and from any other text column that repeats them; amounts, dates, stages and owners stay,
so every total still adds up. The erasure is recorded in the audit log with counts, never values.
"""

import json
import re
from dataclasses import asdict, dataclass

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import CharField, Q, TextField, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.events import record_security_event
from accounts.models import AuditEvent
from customers.models import Contact, Customer
from history.models import ChangeLog
from sales.dashboard.cache import forget_cached_overviews
from sales.models import Activity, CustomerSuggestion, Deal, SalesRecord

ERASED = "[erased]"
# Shorter values (a two-letter name, a four-digit phone extension) would match too much unrelated
# text in the sweep; they are still erased from the customer's own rows and their history.
SWEEP_MIN_LENGTH = 5

PERSONAL_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Customer: ("name", "email", "phone", "website", "address", "notes", "external_id"),
    Contact: ("name", "title", "email", "phone"),
    Deal: ("title", "lost_note"),
    Activity: ("subject", "notes", "outcome"),
    SalesRecord: ("note",),
}
# The values looked for in every other text column: the ones that identify the person. A deal
# title or an activity subject ("Renewal 2025") may be anybody's, and a website or a company's name
# is shared by everyone who works there, so other rows keep theirs.
IDENTIFYING_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Customer: ("email", "phone", "address", "notes"),
    Contact: ("name", "email", "phone"),
}
# Tables the sweep leaves alone: encoded session data, Django's own catalogue of models, and the
# CRM's users (a colleague may share a customer's name; their account is not the customer's).
SWEEP_SKIPPED_APPS = {"sessions", "contenttypes", "auth"}


@dataclass(frozen=True)
class Erasure:
    customer_id: int
    contacts: int
    deals: int
    activities: int
    sales_records: int
    history_rows: int
    other_rows: int


@dataclass(frozen=True)
class _Rows:
    """The ids of the customer's rows, by model, including deleted ones known only from history."""

    ids: dict[type[models.Model], set[int]]

    def history(self):
        match = Q(pk__in=[])
        types = ContentType.objects.get_for_models(*self.ids)
        for model, ids in self.ids.items():
            if ids:
                match |= Q(content_type=types[model], object_id__in=ids)
        return ChangeLog.objects.filter(match)


def _rows_of(customer: Customer) -> _Rows:
    deals = set(Deal.objects.filter(customer=customer).values_list("pk", flat=True))
    ids = {
        Customer: {customer.pk},
        Contact: set(customer.contacts.values_list("pk", flat=True)),
        Deal: deals,
        Activity: set(
            Activity.objects.filter(Q(customer=customer) | Q(deal__in=deals)).values_list("pk", flat=True)
        ),
        SalesRecord: set(
            SalesRecord.objects.filter(Q(customer=customer) | Q(deal__in=deals)).values_list("pk", flat=True)
        ),
    }
    # Rows deleted earlier live on in their history, which names the customer (or the deal) they
    # belonged to: history keeps a foreign key as the id in text, [old, new].
    types = ContentType.objects.get_for_models(*ids)
    owners = {"customer": {str(customer.pk)}, "deal": {str(pk) for pk in deals}}
    for model in (Contact, Deal, Activity, SalesRecord):
        match = Q(pk__in=[])
        for field, values in owners.items():
            if not any(f.name == field for f in model._meta.concrete_fields) or not values:
                continue
            for side in (0, 1):
                match |= Q(**{f"changes__{field}__{side}__in": values})
        ids[model] |= set(
            ChangeLog.objects.filter(match, content_type=types[model]).values_list("object_id", flat=True)
        )
    return _Rows(ids)


def _values(obj: models.Model, names: tuple[str, ...]) -> dict:
    return {name: getattr(obj, name) for name in names}


def _customer_entry(customer: Customer) -> dict:
    return {
        "id": customer.pk,
        **_values(customer, PERSONAL_FIELDS[Customer]),
        "kind": customer.kind,
        "industry": customer.industry,
        "region": customer.region,
        "channel": customer.channel,
        "need": customer.need,
        "owner": customer.owner.get_username(),
        "created_at": customer.created_at,
    }


def _deal_entry(d: Deal) -> dict:
    return {
        "id": d.pk,
        **_values(d, PERSONAL_FIELDS[Deal]),
        "amount": d.amount,
        "stage": d.stage.key,
        "status": d.status,
        "opened_on": d.opened_on,
        "expected_close": d.expected_close,
        "closed_on": d.closed_on,
    }


def _activity_entry(a: Activity) -> dict:
    return {
        "id": a.pk,
        "kind": a.kind,
        **_values(a, PERSONAL_FIELDS[Activity]),
        "deal": a.deal_id,
        "due_at": a.due_at,
        "done_at": a.done_at,
    }


def _record_entry(r: SalesRecord) -> dict:
    return {"id": r.pk, **_values(r, PERSONAL_FIELDS[SalesRecord]), "amount": r.amount, "sold_on": r.sold_on}


def _history_entries(rows: "_Rows", *, with_record: bool) -> list[dict]:
    """The change-history rows of ``rows``, oldest first; ``with_record`` names each row's model."""
    history = rows.history().select_related("content_type", "changed_by").order_by("changed_at", "pk")
    return [
        {
            **({"record": row.content_type.model} if with_record else {}),
            "id": row.object_id,
            "action": row.action,
            "when": row.changed_at,
            "who": row.changed_by.get_username() if row.changed_by else None,
            "changes": row.changes,
        }
        for row in history
    ]


def personal_data(customer: Customer) -> dict:
    """Everything personal held about ``customer``, with the figures that give it meaning."""
    rows = _rows_of(customer)
    deals = Deal.objects.filter(pk__in=rows.ids[Deal]).select_related("stage").order_by("pk")
    activities = Activity.objects.filter(pk__in=rows.ids[Activity]).order_by("pk")
    records = SalesRecord.objects.filter(pk__in=rows.ids[SalesRecord]).order_by("pk")
    return {
        "customer": _customer_entry(customer),
        "contacts": [
            {"id": c.pk, **_values(c, PERSONAL_FIELDS[Contact]), "is_primary": c.is_primary}
            for c in customer.contacts.order_by("pk")
        ],
        "deals": [_deal_entry(d) for d in deals],
        "activities": [_activity_entry(a) for a in activities],
        "sales_records": [_record_entry(r) for r in records],
        "history": _history_entries(rows, with_record=True),
    }


def _identifying_values(customer: Customer, rows: _Rows) -> set[str]:
    """The customer's identifying values now and as history remembers them (an earlier email)."""
    found = {customer.name} if customer.kind == Customer.Kind.PERSON else set()
    for model, names in IDENTIFYING_FIELDS.items():
        for values in model._base_manager.filter(pk__in=rows.ids[model]).values_list(*names):
            found.update(v for v in values if v)
    fields = {**IDENTIFYING_FIELDS}
    if customer.kind == Customer.Kind.PERSON:
        fields[Customer] = ("name", *fields[Customer])
    by_type = {ContentType.objects.get_for_model(m).pk: names for m, names in fields.items()}
    for row in rows.history().filter(content_type_id__in=by_type).only("content_type_id", "changes"):
        for name in by_type[row.content_type_id]:
            found.update(v for v in row.changes.get(name, []) if v)
    return {v for v in found if len(v) >= SWEEP_MIN_LENGTH}


def _erase_history(rows: _Rows) -> int:
    personal = {ContentType.objects.get_for_model(m).pk: names for m, names in PERSONAL_FIELDS.items()}
    changed = []
    for row in rows.history().only("content_type_id", "changes"):
        names = personal.get(row.content_type_id, ())
        changes = {
            name: [ERASED if v else "" for v in pair] if name in names else pair
            for name, pair in row.changes.items()
        }
        if changes != row.changes:
            row.changes = changes
            changed.append(row)
    ChangeLog.objects.bulk_update(changed, ["changes"], batch_size=500)
    return len(changed)


def _erase_other_notes(rows: _Rows) -> int:
    """Free text (``TextField``) in any other table's rows that belong to the customer's records,
    such as notes kept with a deal's stage changes: written about the customer, so erased."""
    owners = {Customer: rows.ids[Customer], Deal: rows.ids[Deal], Activity: rows.ids[Activity]}
    skipped = {*PERSONAL_FIELDS, ChangeLog, AuditEvent}
    changed = 0
    for model in apps.get_models():
        if model in skipped or model._meta.proxy or not model._meta.managed:
            continue
        notes = [f for f in model._meta.concrete_fields if isinstance(f, TextField) and not f.choices]
        links = [f for f in model._meta.concrete_fields if f.is_relation and f.related_model in owners]
        if not notes or not links:
            continue
        belongs = Q(pk__in=[])
        for link in links:
            belongs |= Q(**{f"{link.name}__in": owners[link.related_model]})
        for note in notes:
            # A queryset update: ledgers such as stage changes refuse edits through save().
            changed += (
                model._base_manager.filter(belongs).exclude(**{note.name: ""}).update(**{note.name: ERASED})
            )
    return changed


def _scrub(value, pattern: re.Pattern):
    """``value`` (text, or JSON made of lists, dicts and text) with every match replaced."""
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, list):
        return [_scrub(v, pattern) for v in value]
    if isinstance(value, dict):
        return {_scrub(k, pattern): _scrub(v, pattern) for k, v in value.items()}
    return value


def _text_columns():
    for model in apps.get_models():
        if model._meta.app_label in SWEEP_SKIPPED_APPS or model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, CharField | TextField | models.JSONField) and not field.choices:
                yield model, field


def _sweep(values: set[str]) -> int:
    """Replace ``values`` wherever else they are written: notes about other customers, the admin's
    own log, export filters in the audit log, anything. One query per text column that holds none."""
    if not values:
        return 0
    pattern = re.compile("|".join(re.escape(v) for v in sorted(values, key=len, reverse=True)), re.IGNORECASE)
    changed = 0
    for model, field in _text_columns():
        if isinstance(field, models.JSONField):
            # JSON is kept as text with non-ASCII escaped on some databases: look for both spellings.
            column = Cast(field.name, TextField())
            spellings = values | {json.dumps(v)[1:-1] for v in values}
        else:
            column, spellings = models.F(field.name), values
        match = Q(pk__in=[])
        for value in spellings:
            match |= Q(_text__icontains=value)
        manager = model._base_manager
        for pk, current in manager.annotate(_text=column).filter(match).values_list("pk", field.attname):
            scrubbed = _scrub(current, pattern)
            if scrubbed == current:
                continue
            if model is AuditEvent:
                AuditEvent.objects.filter(pk=pk).redact(scrubbed)
            else:
                # An update, not save(): the erased text must not be copied into a history row.
                manager.filter(pk=pk).update(**{field.attname: scrubbed})
            changed += 1
    return changed


@transaction.atomic
def erase_customer(customer: Customer, *, by) -> Erasure:
    """Erase ``customer``'s personal data everywhere, keeping the sales figures; see the module."""
    rows = _rows_of(customer)
    identifying = _identifying_values(customer, rows)
    pk = customer.pk

    Customer.objects.filter(pk=pk).update(
        name=_("Erased customer %(id)s") % {"id": pk},
        email="",
        phone="",
        website="",
        address="",
        notes="",
        external_id=None,
        updated_at=timezone.now(),
        # A page still open on the old values must not write them back (lost-update protection).
        version=models.F("version") + 1,
    )
    # A queryset delete, not each contact's delete(): that would copy every value into history.
    contacts, _counts = Contact.objects.filter(customer_id=pk).delete()
    deals = Deal.objects.filter(pk__in=rows.ids[Deal])
    deals.update(
        title=Concat(Value(_("Deal") + " "), Cast("pk", CharField())),
        version=models.F("version") + 1,
        updated_at=timezone.now(),
    )
    deals.exclude(lost_note="").update(lost_note=ERASED)
    activities = Activity.objects.filter(pk__in=rows.ids[Activity]).update(
        subject=ERASED, notes="", outcome="", version=models.F("version") + 1
    )
    records = SalesRecord.objects.filter(pk__in=rows.ids[SalesRecord]).update(note="")
    CustomerSuggestion.objects.filter(customer_id=pk).delete()

    history_rows = _erase_history(rows)
    other_rows = _erase_other_notes(rows) + _sweep(identifying)
    forget_cached_overviews()
    erasure = Erasure(
        customer_id=pk,
        contacts=contacts,
        deals=len(rows.ids[Deal]),
        activities=activities,
        sales_records=records,
        history_rows=history_rows,
        other_rows=other_rows,
    )
    record_security_event("privacy_erased", user=by, target=customer, detail=asdict(erasure))
    return erasure


def record_export(customer: Customer, *, by) -> None:
    record_security_event("privacy_exported", user=by, target=customer)


@dataclass(frozen=True)
class ContactErasure:
    contact_id: int
    customer_id: int
    history_rows: int
    other_rows: int


def contact_data(contact: Contact) -> dict:
    """Everything held about one contact: their fields and their change history."""
    rows = _Rows({Contact: {contact.pk}})
    return {
        "contact": {
            "id": contact.pk,
            "customer": contact.customer_id,
            **_values(contact, PERSONAL_FIELDS[Contact]),
            "is_primary": contact.is_primary,
        },
        "history": _history_entries(rows, with_record=False),
    }


@transaction.atomic
def erase_contact(contact: Contact, *, by) -> ContactErasure:
    """Erase one contact (a person at a company customer) everywhere; the customer stays."""
    rows = _Rows({Contact: {contact.pk}})
    identifying = {v for v in _values(contact, IDENTIFYING_FIELDS[Contact]).values() if v}
    for row in rows.history().only("changes"):
        for name in IDENTIFYING_FIELDS[Contact]:
            identifying.update(v for v in row.changes.get(name, []) if v)
    identifying = {v for v in identifying if len(v) >= SWEEP_MIN_LENGTH}
    pk, customer_id = contact.pk, contact.customer_id
    # A queryset delete, not delete(): that would copy every value into history.
    Contact.objects.filter(pk=pk).delete()
    erasure = ContactErasure(
        contact_id=pk,
        customer_id=customer_id,
        history_rows=_erase_history(rows),
        other_rows=_sweep(identifying),
    )
    record_security_event(
        "privacy_erased", user=by, target_type=Contact._meta.label_lower, target_id=pk, detail=asdict(erasure)
    )
    return erasure


def record_contact_export(contact: Contact, *, by) -> None:
    record_security_event("privacy_exported", user=by, target=contact)
