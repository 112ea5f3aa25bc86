"""The shared machinery of an import: reading mapped cells as typed values, and finding references.

Each kind (customers.py, deals.py, ...) converts rows with ``Row`` and resolves owners, customers,
products, deals and teams through ``Lookup`` objects that query the database once per file, not
once per row.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.text import slugify
from django.utils.translation import gettext as _

from customers.models import Contact, Customer
from dataio.imports.fields import FieldDef, field_defs
from dataio.imports.mapping import FieldMap, Mapping
from dataio.imports.readers import Table
from dataio.imports.report import Problem
from dataio.imports.values import (
    parse_bool,
    parse_date,
    parse_datetime,
    parse_int,
    parse_money,
    parse_percent,
    parse_period,
    parse_ratio,
)
from history.models import record_created_in_bulk
from people.models import Team
from people.visibility import REPS_GROUP, is_admin, visible_owners
from sales.models import Deal, Product

CHUNK = 5000
_PARSERS = {
    "money": parse_money,
    "percent": parse_percent,
    "ratio": parse_ratio,
    "int": parse_int,
    "period": parse_period,
}


class Context:
    """What every row of one import shares: the user, the mapping, the table and the lookups."""

    def __init__(self, *, user, mapping: Mapping, table: Table, progress=None):
        self.user = user
        # Called with the number of rows checked so far (a background import shows it).
        self.progress = progress
        self.mapping = mapping
        self.table = table
        self.defs = field_defs(mapping.kind)
        self.index = {h: i for i, h in enumerate(table.headers)}
        self.admin = user is None or is_admin(user)
        self._allowed_owner_ids: set[int] | None = None
        self.lookups: dict[str, Lookup] = {}
        for name, fm in mapping.fields.items():
            ftype = self.defs[name].type
            if ftype in LOOKUPS:
                self.lookups[name] = LOOKUPS[ftype](self, fm)

    def may_own(self, user_id: int) -> bool:
        """Whether the importing user may import records owned by ``user_id``."""
        if self.admin:
            return True
        if self._allowed_owner_ids is None:
            self._allowed_owner_ids = set(
                get_user_model().objects.filter(pk__in=visible_owners(self.user)).values_list("pk", flat=True)
            )
        return user_id in self._allowed_owner_ids

    def rows(self) -> Iterable["Row"]:
        for number, cells in self.table.rows:
            yield Row(self, number, cells)

    def collect_keys(self) -> None:
        """Gather every referenced key first, so each lookup queries the database once."""
        for row in self.rows():
            for name in self.lookups:
                row.ref_key(name)


@dataclass
class Row:
    ctx: Context
    number: int
    cells: list[str]
    problems: list[Problem] = field(default_factory=list)

    def column(self, name: str) -> str:
        fm = self.ctx.mapping.fields.get(name)
        return fm.column_label if fm and fm.columns else str(self.ctx.defs[name].label)

    def problems_for(self, name: str) -> bool:
        column = self.column(name)
        return any(p.column == column for p in self.problems)

    def fail(self, name: str, reason: str) -> None:
        self.problems.append(Problem(self.number, self.column(name) if name else "", str(reason)))

    def text(self, name: str) -> str:
        """The cell text for field ``name`` after joining, translating and defaulting."""
        fm: FieldMap | None = self.ctx.mapping.fields.get(name)
        if fm is None:
            return ""
        parts = []
        for column in fm.columns:
            i = self.ctx.index.get(column)
            if i is not None and i < len(self.cells):
                part = self.cells[i].strip()
                if part:
                    parts.append(part)
        value = fm.join.join(parts)
        if fm.values:
            value = _translate(fm.values, value)
        return value or fm.default

    def mapped_value(self, name: str):
        """``value(name)`` if the mapping fills field ``name``; ``None`` for a field it leaves out."""
        return self.value(name) if name in self.ctx.mapping.fields else None

    def value(self, name: str):
        """The typed value of field ``name``; ``None`` when blank or when it fails (failure noted)."""
        fdef: FieldDef = self.ctx.defs[name]
        text = self.text(name)
        if fdef.type == "bool":
            try:
                return parse_bool(text, self.ctx.mapping.booleans)
            except ValueError as exc:
                self.fail(name, str(exc))
                return None
        if not text:
            if fdef.required:
                self.fail(name, _("A value is required."))
            return None
        try:
            return self._convert(fdef, text)
        except ValueError as exc:
            self.fail(name, str(exc))
            return None

    def _convert(self, fdef: FieldDef, text: str):
        if fdef.type in ("text", "email"):
            if fdef.max_length and len(text) > fdef.max_length:
                raise ValueError(_("Longer than %(n)s characters.") % {"n": fdef.max_length})
            if fdef.type == "email":
                try:
                    validate_email(text)
                except ValidationError as exc:
                    raise ValueError(_("“%(t)s” is not an email address.") % {"t": text}) from exc
            return text
        if fdef.type in _PARSERS:
            return _PARSERS[fdef.type](text)
        if fdef.type in ("date", "datetime"):
            fm = self.ctx.mapping.fields[fdef.name]
            formats = fm.date_formats or self.ctx.mapping.date_formats
            return (parse_date if fdef.type == "date" else parse_datetime)(text, formats)
        if fdef.type == "choice":
            folded = text.casefold()
            if folded not in fdef.choices:
                raise ValueError(
                    _("“%(t)s” is not one of %(c)s; add it to the mapping's values.")
                    % {"t": text, "c": ", ".join(fdef.choices)}
                )
            return folded
        if fdef.type in LOOKUPS:
            return self.ctx.lookups[fdef.name].find(self, fdef.name, text)
        return text  # stage: checked by the deal importer, which knows the stages

    def ref_key(self, name: str) -> None:
        """Note the reference in this row so the lookup can fetch all of them in one go."""
        if name in self.ctx.lookups:
            text = self.text(name)
            if text:
                self.ctx.lookups[name].want(text)


def _translate(values: dict[str, str], text: str) -> str:
    if text in values:
        return values[text]
    folded = text.casefold()
    for source, target in values.items():
        if source.casefold() == folded:
            return target
    return text


class Lookup:
    """Finds referenced rows by a key, in bulk; with ``missing: create`` it plans new rows instead."""

    noun = ""

    def __init__(self, ctx: Context, fm: FieldMap):
        self.ctx = ctx
        self.match = fm.match
        self.create = fm.missing == "create"
        self.wanted: set[str] = set()
        self.found: dict[str, object] = {}
        self.ambiguous: set[str] = set()
        self.new: dict[str, object] = {}
        self.loaded = False

    @staticmethod
    def norm(key: str) -> str:
        return key.strip().casefold()

    def want(self, key: str) -> None:
        self.wanted.add(key)

    def find(self, row: Row, name: str, key: str):
        if not self.loaded:
            self.load()
            self.loaded = True
        k = self.norm(key)
        if k in self.ambiguous:
            row.fail(name, _("More than one %(noun)s matches “%(key)s”.") % {"noun": self.noun, "key": key})
            return None
        obj = self.found.get(k) or self.new.get(k)
        if obj is None and self.create:
            obj = self.plan_new(row, name, key)
            if obj is not None:
                self.new[k] = obj
        if obj is None and not row.problems_for(name):
            row.fail(name, _("No %(noun)s “%(key)s” was found.") % {"noun": self.noun, "key": key})
        return obj

    def _index(self, objects: Iterable, key) -> None:
        for obj in objects:
            k = self.norm(key(obj))
            if k in self.found and self.found[k].pk != obj.pk:
                self.ambiguous.add(k)
            self.found[k] = obj

    def load(self) -> None:
        raise NotImplementedError

    def plan_new(self, row: Row, name: str, key: str):
        return None

    def created(self) -> list:
        return [obj for obj in self.new.values() if obj.pk is None]


class UserLookup(Lookup):
    noun = _("user")

    def load(self) -> None:
        # The team is a few hundred people at most, so matching in Python keeps it case-insensitive.
        users = get_user_model().objects.only("pk", "username", "email", "first_name", "last_name")
        key = {
            "username": lambda u: u.username,
            "email": lambda u: u.email or f"\0{u.pk}",
            "name": lambda u: f"{u.first_name} {u.last_name}".strip() or f"\0{u.pk}",
        }[self.match]
        self._index(users, key)

    def plan_new(self, row: Row, name: str, key: str):
        if not self.ctx.admin:
            row.fail(name, _("No user “%(key)s”; only an admin may add users by importing.") % {"key": key})
            return None
        User = get_user_model()
        if self.match == "email":
            user = User(username=key[:150], email=key)
        elif self.match == "name":
            first, _sep, last = key.partition(" ")
            user = User(
                username=slugify(key)[:150] or key[:150], first_name=first[:150], last_name=last[:150]
            )
        else:
            user = User(username=key[:150])
        # A placeholder for a person from the old system: no password until an admin sets one.
        user.set_unusable_password()
        return user

    def save_new(self) -> int:
        users = self.created()
        User = get_user_model()
        taken = set(
            User.objects.filter(username__in=[u.username for u in users]).values_list("username", flat=True)
        )
        for user in users:
            base, n = user.username, 1
            while user.username in taken:
                n += 1
                user.username = f"{base[:140]}-{n}"
            taken.add(user.username)
        User.objects.bulk_create(users)
        group = Group.objects.filter(name=REPS_GROUP).first()
        if group and users:
            group.user_set.add(*users)
        return len(users)


class CustomerLookup(Lookup):
    noun = _("customer")

    def load(self) -> None:
        field_name = "name" if self.match == "name" else "external_id"
        keys = sorted(self.wanted)
        qs = Customer.objects.visible_to(self.ctx.user) if self.ctx.user else Customer.objects.all()
        for i in range(0, len(keys), CHUNK):
            part = qs.filter(**{f"{field_name}__in": keys[i : i + CHUNK]}).select_related("owner")
            self._index(part, lambda c: getattr(c, field_name))

    def plan_new(self, row: Row, name: str, key: str):
        # The new customer belongs to the row's owner; the kind importer fills that in.
        return Customer(name=key[:200], owner_id=None)

    def save_new(self) -> int:
        customers = self.created()
        Customer.objects.bulk_create(customers, batch_size=1000)
        record_created_in_bulk(customers)
        return len(customers)


class ProductLookup(Lookup):
    noun = _("product")

    def load(self) -> None:
        self._index(Product.objects.only("pk", "name"), lambda p: p.name)

    def plan_new(self, row: Row, name: str, key: str):
        return Product(name=key[:200])

    def save_new(self) -> int:
        products = self.created()
        Product.objects.bulk_create(products)
        record_created_in_bulk(products)
        return len(products)


class DealLookup(Lookup):
    noun = _("deal")

    def load(self) -> None:
        keys = sorted(self.wanted)
        qs = Deal.objects.visible_to(self.ctx.user) if self.ctx.user else Deal.objects.all()
        for i in range(0, len(keys), CHUNK):
            part = qs.filter(external_id__in=keys[i : i + CHUNK]).select_related("customer", "owner")
            self._index(part, lambda d: d.external_id)


class TeamLookup(Lookup):
    noun = _("team")

    def load(self) -> None:
        self._index(Team.objects.only("pk", "name", "manager_id"), lambda t: t.name)


LOOKUPS = {
    "user": UserLookup,
    "customer": CustomerLookup,
    "product": ProductLookup,
    "deal": DealLookup,
    "team": TeamLookup,
}


def existing_by_external_id(model, ids: Iterable[str], fields: list[str] | None = None) -> dict[str, object]:
    """Rows already in the database for these external ids, whoever owns them (checked later)."""
    ids = sorted(set(ids))
    out = {}
    for i in range(0, len(ids), CHUNK):
        qs = model.objects.filter(external_id__in=ids[i : i + CHUNK])
        if fields:
            qs = qs.only(*fields)
        out.update({obj.external_id: obj for obj in qs})
    return out


def clean_external_id(row: Row, seen: dict[str, int]) -> str | None:
    ext = row.value("external_id") if "external_id" in row.ctx.mapping.fields else None
    if ext:
        ext = re.sub(r"\s+", " ", ext)
        if ext in seen:
            row.fail("external_id", _("The same external id is on row %(n)s.") % {"n": seen[ext]})
        else:
            seen[ext] = row.number
    return ext or None


def contacts_by_customer(customer_ids: Iterable[int]) -> dict[int, list[Contact]]:
    """The contacts of these customers, by customer id, read in a few queries however many there are."""
    ids = sorted({pk for pk in customer_ids if pk is not None})
    out: dict[int, list[Contact]] = {}
    for i in range(0, len(ids), CHUNK):
        for contact in Contact.objects.filter(customer_id__in=ids[i : i + CHUNK]).order_by("pk"):
            out.setdefault(contact.customer_id, []).append(contact)
    return out


def match_contacts(contacts: Iterable[Contact], text: str) -> list[Contact]:
    """The contacts ``text`` names: those with that email, else those with that name (case aside)."""
    folded = text.casefold()
    contacts = list(contacts)
    found = [c for c in contacts if c.email and c.email.casefold() == folded]
    return found or [c for c in contacts if c.name.casefold() == folded]
