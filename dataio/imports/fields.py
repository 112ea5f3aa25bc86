"""What each kind of import can fill: its fields, their types, and header names to guess from."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

KINDS = ("customers", "deals", "stage_history", "sales", "activities", "plans", "products", "people")
# Kinds only an admin may import (the command line acts as one unless given --user).
ADMIN_KINDS = ("people",)
KIND_LABELS = {
    "customers": _("Customers"),
    "deals": _("Deals"),
    "stage_history": _("Stage history"),
    "sales": _("Sales records"),
    "activities": _("Activities"),
    "plans": _("Sales plans"),
    "products": _("Products"),
    "people": _("People and teams"),
}

# Field types: text, email, money, percent, ratio, int, date, datetime, bool, choice, and the
# references user, customer, product, deal, team and stage, which are looked up in the database.
REFERENCE_TYPES = {"user", "customer", "product", "deal", "team"}
MATCHES = {
    "user": ("username", "email", "name"),
    "customer": ("name", "external_id"),
    "product": ("name",),
    "deal": ("external_id",),
    "team": ("name",),
}


@dataclass(frozen=True)
class FieldDef:
    name: str
    label: str
    type: str = "text"
    required: bool = False
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    help: str = ""


def _ext() -> FieldDef:
    return FieldDef(
        "external_id",
        _("External id"),
        max_length=100,
        aliases=("id", "external id", "ext id", "record id", "source id", "ref", "reference"),
        help=_("The record's id in the source system; a re-import updates the record instead of adding one."),
    )


def _owner() -> FieldDef:
    return FieldDef(
        "owner",
        _("Owner"),
        "user",
        aliases=("owner", "owner id", "rep", "sales rep", "salesperson", "account owner", "assigned to"),
    )


def _customer(required: bool) -> FieldDef:
    return FieldDef(
        "customer",
        _("Customer"),
        "customer",
        required=required,
        aliases=("customer", "customer name", "account", "account id", "account name", "company"),
    )


def _product() -> FieldDef:
    return FieldDef("product", _("Product"), "product", aliases=("product", "product name", "item"))


FIELDS: dict[str, tuple[FieldDef, ...]] = {
    "customers": (
        _ext(),
        FieldDef(
            "name",
            _("Name"),
            required=True,
            max_length=200,
            aliases=("name", "customer", "customer name", "company", "account name"),
        ),
        FieldDef(
            "kind",
            _("Company or person"),
            "choice",
            choices=("company", "person"),
            aliases=("kind", "type", "customer type", "account type"),
        ),
        FieldDef("industry", _("Industry"), max_length=100, aliases=("industry", "sector")),
        FieldDef("region", _("Region"), max_length=100, aliases=("region", "territory", "area", "state")),
        FieldDef(
            "channel",
            _("Channel"),
            max_length=100,
            aliases=("channel", "source", "lead source", "account source"),
        ),
        _owner(),
        FieldDef("email", _("Email"), "email", max_length=254, aliases=("email", "e-mail", "mail")),
        FieldDef("phone", _("Phone"), max_length=50, aliases=("phone", "telephone", "tel", "mobile")),
        FieldDef("website", _("Website"), max_length=200, aliases=("website", "web", "url", "homepage")),
        FieldDef("address", _("Address"), aliases=("address", "billing address", "street")),
        FieldDef("need", _("Need (budget)"), "money", aliases=("need", "budget", "estimated need", "demand")),
        FieldDef("notes", _("Notes"), aliases=("notes", "note", "description", "comments")),
    ),
    "deals": (
        _ext(),
        FieldDef(
            "title",
            _("Title"),
            required=True,
            max_length=200,
            aliases=("title", "name", "deal", "deal name", "opportunity", "opportunity name", "subject"),
        ),
        _customer(required=True),
        _owner(),
        FieldDef("amount", _("Amount"), "money", aliases=("amount", "value", "deal value", "revenue")),
        FieldDef("stage", _("Stage"), "stage", aliases=("stage", "stage name", "pipeline stage")),
        FieldDef(
            "status", _("Status"), "choice", choices=("open", "won", "lost"), aliases=("status", "state")
        ),
        FieldDef("is_won", _("Won (yes/no)"), "bool", aliases=("won", "is won")),
        FieldDef("is_closed", _("Closed (yes/no)"), "bool", aliases=("closed", "is closed")),
        FieldDef("lost_reason", _("Lost reason"), aliases=("lost reason", "loss reason", "reason lost")),
        FieldDef("probability", _("Probability (%)"), "percent", aliases=("probability", "probability %")),
        FieldDef(
            "opened_on",
            _("Opened on"),
            "date",
            aliases=("opened on", "opened", "open date", "created", "created date"),
        ),
        FieldDef(
            "expected_close",
            _("Expected close"),
            "date",
            aliases=("expected close", "expected close date", "close date", "closing date"),
        ),
        FieldDef(
            "closed_on",
            _("Closed on"),
            "date",
            aliases=("closed on", "closed", "closed date", "close date", "date closed"),
        ),
        FieldDef(
            "stage_entered_on",
            _("Entered its stage on"),
            "date",
            aliases=("stage date", "last stage change date", "stage changed on"),
            help=_("When the deal reached its current open stage; the opened-on date when not given."),
        ),
        FieldDef("channel", _("Channel"), max_length=100, aliases=("channel", "source", "lead source")),
        _product(),
        FieldDef(
            "contact",
            _("Contact"),
            max_length=254,
            aliases=("contact", "contact name", "contact email", "contact person"),
            help=_("One of the customer's contacts, by email or name."),
        ),
    ),
    "sales": (
        _ext(),
        _customer(required=False),  # or taken from the deal
        _owner(),
        FieldDef("deal", _("Deal (external id)"), "deal", aliases=("deal", "deal id", "opportunity id")),
        _product(),
        FieldDef(
            "amount", _("Amount"), "money", required=True, aliases=("amount", "value", "revenue", "total")
        ),
        FieldDef(
            "sold_on", _("Sold on"), "date", required=True, aliases=("sold on", "date", "sale date", "sold")
        ),
        FieldDef("note", _("Note"), max_length=300, aliases=("note", "notes", "description")),
    ),
    "activities": (
        _ext(),
        FieldDef(
            "kind",
            _("Type"),
            "choice",
            choices=("call", "meeting", "email", "task", "note"),
            aliases=("type", "kind", "activity type"),
        ),
        FieldDef(
            "subject", _("Subject"), required=True, max_length=200, aliases=("subject", "title", "name")
        ),
        FieldDef("notes", _("Notes"), aliases=("notes", "description", "comments")),
        FieldDef(
            "deal", _("Deal (external id)"), "deal", aliases=("deal", "deal id", "opportunity id", "what id")
        ),
        _customer(required=False),
        _owner(),
        FieldDef("due_at", _("Due"), "datetime", aliases=("due", "due at", "due date", "activity date")),
        FieldDef(
            "done_at", _("Done"), "datetime", aliases=("done at", "completed", "completed at", "done on")
        ),
        FieldDef("done", _("Done (yes/no)"), "bool", aliases=("done", "is done", "is closed", "completed?")),
        FieldDef("outcome", _("Outcome"), max_length=300, aliases=("outcome", "result")),
    ),
    "plans": (
        _ext(),
        FieldDef("name", _("Name"), required=True, max_length=200, aliases=("name", "plan", "plan name")),
        FieldDef(
            "period",
            _("Period"),
            "period",
            aliases=("period", "month", "quarter", "year"),
            help=_("A month, quarter or year (Apr-18, 2018-04, 04/2018, 2018-Q2, 2018): sets start and end."),
        ),
        FieldDef(
            "period_start",
            _("Period start"),
            "date",
            aliases=("period start", "start", "from"),
            help=_("Needed unless a period column gives it."),
        ),
        FieldDef(
            "period_end",
            _("Period end"),
            "date",
            aliases=("period end", "end", "to", "until"),
            help=_("Needed unless a period column gives it."),
        ),
        FieldDef(
            "scope", _("Scope"), "choice", choices=("company", "team", "rep"), aliases=("scope", "level")
        ),
        FieldDef("team", _("Team"), "team", aliases=("team", "team name")),
        FieldDef("rep", _("Rep"), "user", aliases=("rep", "sales rep", "owner", "salesperson")),
        FieldDef("region", _("Region"), max_length=100, aliases=("region", "territory")),
        FieldDef("channel", _("Channel"), max_length=100, aliases=("channel", "source")),
        FieldDef(
            "product_category",
            _("Product category"),
            max_length=100,
            aliases=("product category", "category"),
        ),
        FieldDef(
            "target_ratio", _("Target ratio (M)"), "ratio", required=True, aliases=("target ratio", "m")
        ),
        FieldDef(
            "activity_ratio", _("Activity ratio (P)"), "ratio", required=True, aliases=("activity ratio", "p")
        ),
        FieldDef(
            "revenue_quota", _("Revenue quota"), "money", aliases=("revenue quota", "quota", "revenue target")
        ),
        FieldDef(
            "activities_quota", _("Activities quota"), "int", aliases=("activities quota", "activity quota")
        ),
    ),
}


# One row per stage a deal entered; see dataio/imports/stage_history.py.
FIELDS["stage_history"] = (
    FieldDef(
        "deal",
        _("Deal (external id)"),
        "deal",
        required=True,
        aliases=("deal", "deal id", "opportunity id", "opportunity", "deal external id"),
    ),
    FieldDef(
        "stage",
        _("Stage"),
        "stage",
        required=True,
        aliases=("stage", "stage name", "pipeline stage", "to stage"),
        help=_("A stage key or name; “lost” (or “lost:stage”) for the deal's loss."),
    ),
    FieldDef(
        "entered_at",
        _("Entered at"),
        "datetime",
        required=True,
        aliases=("entered at", "entered on", "created date", "changed at", "date", "stage date"),
    ),
    FieldDef("amount", _("Amount"), "money", aliases=("amount", "value", "deal value")),
    FieldDef("probability", _("Probability (%)"), "percent", aliases=("probability", "probability %")),
    FieldDef(
        "expected_close",
        _("Expected close"),
        "date",
        aliases=("expected close", "close date", "expected close date"),
    ),
    FieldDef(
        "lost_reason",
        _("Lost reason"),
        aliases=("lost reason", "loss reason", "reason lost"),
        help=_("Why the deal was lost, for a path that ends lost."),
    ),
)
FIELDS["products"] = (
    _ext(),
    FieldDef("name", _("Name"), required=True, max_length=200, aliases=("name", "product", "product name")),
    FieldDef("category", _("Category"), max_length=100, aliases=("category", "product category", "family")),
    FieldDef("series", _("Series"), max_length=100, aliases=("series", "product series", "line", "range")),
    FieldDef("list_price", _("List price"), "money", aliases=("list price", "price", "unit price")),
    FieldDef("active", _("Active (yes/no)"), "bool", aliases=("active", "is active", "on sale")),
)
FIELDS["people"] = (
    FieldDef("username", _("Username"), required=True, max_length=150, aliases=("username", "user", "login")),
    FieldDef("first_name", _("First name"), max_length=150, aliases=("first name", "given name", "first")),
    FieldDef("last_name", _("Last name"), max_length=150, aliases=("last name", "surname", "family name")),
    FieldDef("email", _("Email"), "email", max_length=254, aliases=("email", "e-mail", "mail")),
    FieldDef(
        "team",
        _("Team"),
        max_length=100,
        aliases=("team", "team name", "sales team"),
        help=_("The team the person is in; a team of a new name is created."),
    ),
    FieldDef(
        "manager",
        _("Manager (username)"),
        max_length=150,
        aliases=("manager", "manager username", "reports to"),
        help=_("Becomes one of the team's managers; a new team's first manager is its primary manager."),
    ),
)


def field_defs(kind: str) -> dict[str, FieldDef]:
    return {f.name: f for f in FIELDS[kind]}
