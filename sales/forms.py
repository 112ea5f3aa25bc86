"""Forms of the deal and activity pages: they validate and normalise; views call the model verbs.

Every choice of a record (customer, deal, owner) comes from ``visible_to(user)``, so a form can
never offer, or accept, another rep's record.
"""

from decimal import Decimal

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Div, Field, Layout, Row
from django import forms
from django.core import signing
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.filters import MAX_ID
from crm.forms import autofocus_first, limit_choices, picker_search
from customers.models import Contact, Customer
from history.versions import VersionedFormMixin
from people.forms import OwnerChoiceField, offer_owners
from sales.deal_batch import MAX_DEALS, Picked
from sales.models import (
    Activity,
    Deal,
    LostReason,
    Product,
    Stage,
    contact_customer_error,
    deal_customer_error,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

# The deal fields an edit may change; stage, status and probability have their own actions.
EDITABLE = (
    "title",
    "customer",
    "owner",
    "amount",
    "opened_on",
    "expected_close",
    "channel",
    "product",
    "contact",
)
# What the stale-edit message also reports, although the edit form does not change it.
WATCHED = (*EDITABLE, "stage", "status", "probability")


def _probability(**kwargs) -> forms.DecimalField:
    """A deal's probability in per cent, optional: without one the stage's default applies."""
    return forms.DecimalField(
        label=_("Probability (%)"),
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
        required=False,
        **kwargs,
    )


class CustomerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class ProductChoiceField(forms.ModelChoiceField):
    """Products whose options carry their list price, which the deal form copies into the amount."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.widget = ProductSelect()


class ProductSelect(forms.Select):
    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-list-price"] = str(instance.list_price)
        return option


class DealChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.title} · {obj.customer.name}"


class DealForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    customer = CustomerChoiceField(label=_("Customer"), queryset=Customer.objects.none())
    owner = OwnerChoiceField(label=_("Owner"), queryset=Customer.objects.none(), empty_label=None)
    amount = forms.DecimalField(
        label=_("Amount"), min_value=Decimal("0"), max_digits=14, decimal_places=2, initial=Decimal("0")
    )
    opened_on = forms.DateField(label=_("Opened on"), widget=DATE, initial=timezone.localdate)
    expected_close = forms.DateField(label=_("Expected close"), widget=DATE, required=False)
    channel = forms.CharField(
        label=_("Channel"),
        max_length=100,
        required=False,
        help_text=_("Left empty, the deal takes the customer's channel."),
    )
    product = ProductChoiceField(label=_("Product"), queryset=Product.objects.none(), required=False)
    contact = forms.ModelChoiceField(
        label=_("Contact"),
        queryset=Contact.objects.none(),
        required=False,
        help_text=_("The person at the customer the deal is with."),
    )

    def __init__(self, *args, user, deal: Deal | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        # The deal's own customer stays acceptable even if another rep owns it (a manager may have
        # opened the deal on a teammate's customer); only a change of customer must be visible.
        customers = Customer.objects.visible_to(user)
        if deal is not None:
            customers = customers | Customer.objects.filter(pk=deal.customer_id)
        self.fields["customer"].queryset = customers.only("pk", "name").order_by("name", "pk")
        limit_choices(self, "customer", "customers:customer_options")
        products = Product.objects.visible_to(user)
        keep = Q(pk=deal.product_id) if deal is not None and deal.product_id else Q(pk__in=[])
        self.fields["product"].queryset = products.filter(Q(active=True) | keep)
        self.fields["product"].widget.attrs["data-fills-amount"] = "id_amount"
        self._offer_contacts(user, deal)
        offer_owners(self, user)
        self.fields["amount"].widget.attrs.update({"step": "0.01", "min": "0"})
        autofocus_first(self)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def _offer_contacts(self, user, deal: Deal | None) -> None:
        """Any visible contact is accepted (then checked against the customer); the select lists
        those of the chosen customer, and choosing another customer reloads them (htmx)."""
        contacts = Contact.objects.visible_to(user)
        if deal is not None and deal.contact_id:
            contacts = contacts | Contact.objects.filter(pk=deal.contact_id)
        field = self.fields["contact"]
        field.queryset = contacts.select_related("customer").order_by("name", "pk")
        chosen = self["customer"].value()
        chosen = str(chosen or "")
        # Only an id a database integer can hold; anything else shows no contacts (and fails validation).
        known = chosen.isdigit() and int(chosen) <= MAX_ID
        shown = field.queryset.filter(customer=int(chosen)) if known else Contact.objects.none()
        field.widget.choices = [("", field.empty_label)] + [(c.pk, c.name) for c in shown]
        self.fields["customer"].widget.attrs.update(
            {
                "hx-get": reverse("customers:contact_options"),
                "hx-trigger": "change",
                "hx-target": "#id_contact",
                "hx-swap": "innerHTML",
            }
        )

    def clean_title(self) -> str:
        return " ".join(self.cleaned_data["title"].split())

    def clean_channel(self) -> str:
        return " ".join(self.cleaned_data["channel"].split())

    def clean(self) -> dict:
        data = super().clean()
        opened, close = data.get("opened_on"), data.get("expected_close")
        if opened and close and close < opened:
            self.add_error("expected_close", _("The expected close cannot be before the deal opened."))
        if error := contact_customer_error(data.get("contact"), data.get("customer")):
            self.add_error("contact", error)
        return data

    def chosen_owner(self):
        return self.cleaned_data.get("owner") or self.user

    def layout(self, *rows: Row, hidden: tuple[str, ...] = ()) -> Layout:
        """Title and customer, the form's own ``rows``, then owner (if offered), channel and product."""
        customer = Column(
            "customer", picker_search("customer", "customers:customer_options"), css_class="col-md-5"
        )
        return Layout(
            Row(Column("title", css_class="col-md-7"), customer),
            *rows,
            _thirds(*[n for n in ("owner", "channel", "product") if n in self.fields]),
            Row(Column("contact", css_class="col-md-5")),
            *hidden,
        )


def _thirds(*names: str) -> Row:
    """A row of fields a third of the width each."""
    return Row(*[Column(n, css_class="col-md-4") for n in names])


class DealCreateForm(DealForm):
    stage = forms.ModelChoiceField(
        label=_("Stage"),
        queryset=Stage.objects.open(),
        required=False,
        empty_label=None,
        help_text=_("Where the deal enters the pipeline."),
    )
    probability = _probability(help_text=_("Leave empty to use the stage's default."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper.layout = self.layout(
            _thirds("amount", "stage", "probability"), _thirds("opened_on", "expected_close")
        )


class DealEditForm(DealForm):
    """Carries the version the user saw and a signed copy of the values, to spot a stale edit."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    original = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        row = _thirds("amount", "opened_on", "expected_close")
        self.helper.layout = self.layout(row, hidden=("version", "original"))

    @staticmethod
    def initial_for(deal: Deal) -> dict:
        initial = {
            name: getattr(deal, f"{name}_id" if name in ("customer", "owner", "product", "contact") else name)
            for name in EDITABLE
        }
        return {**initial, "version": deal.version, "original": sign_values(deal)}

    def clean_original(self) -> dict:
        try:
            return signing.loads(self.cleaned_data["original"], salt=_SALT)
        except signing.BadSignature as exc:
            raise forms.ValidationError(_("The form was damaged; open the deal again.")) from exc

    def changes(self, original: dict) -> dict:
        """The fields the user changed compared with the copy they opened, as model values."""
        return {
            name: self.cleaned_data[name]
            for name in EDITABLE
            if name in self.fields and not same_value(original.get(name, ""), self.cleaned_data.get(name))
        }


_SALT = "sales.deal-edit"


def _text(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "pk"):
        return str(value.pk)
    if isinstance(value, Decimal):
        return str(value.normalize()) if value == value.to_integral() else str(value)
    return str(value)


def deal_values(deal: Deal) -> dict[str, str]:
    values = {}
    for name in WATCHED:
        field = Deal._meta.get_field(name)
        value = getattr(deal, field.attname)
        values[name] = _text(Decimal(value) if isinstance(value, Decimal) else value)
    return values


def sign_values(deal: Deal) -> str:
    return signing.dumps(deal_values(deal), salt=_SALT)


def same_value(text: str, value) -> bool:
    if isinstance(value, Decimal):
        try:
            return bool(text) and Decimal(text) == value
        except ArithmeticError:
            return False
    return text == _text(value)


class VersionForm(forms.Form):
    """The version of the deal the user saw: an action on an older copy is refused."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class MoveForm(forms.Form):
    stage = forms.ModelChoiceField(label=_("Stage"), queryset=Stage.objects.all(), to_field_name="key")
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class LostReasonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: LostReason) -> str:
        return obj.display_name


class LostReasonForm(forms.Form):
    """Why a deal was lost, from the list; the board's lost zone sends only this (it always acts on
    the latest copy). A reason such as "Other" needs the note."""

    reason = LostReasonChoiceField(
        label=_("Why was it lost?"),
        queryset=LostReason.objects.active(),
        empty_label=_("Choose a reason"),
        error_messages={
            "required": _("Say why the deal was lost."),
            "invalid_choice": _("Choose one of the reasons in the list."),
        },
    )
    note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_note(self) -> str:
        return self.cleaned_data["note"].strip()

    def clean(self) -> dict:
        data = super().clean()
        reason = data.get("reason")
        if reason is not None and reason.needs_note and not data.get("note"):
            self.add_error(
                "note", _("“%(reason)s” needs a note that says more.") % {"reason": reason.display_name}
            )
        return data

    def first_error(self) -> str:
        return next(iter(self.errors.values()))[0]


class LostForm(LostReasonForm):
    """The reason and the version the user saw, from the deal's page."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class PickedDealsField(forms.Field):
    """The ticked rows of the deal list, each ``<id>:<version>`` (the copy the user saw)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list:
        picked = {}
        for text in value or ():
            pk, _sep, version = str(text).partition(":")
            if not (pk.isdigit() and version.isdigit() and len(pk) < 19 and len(version) < 10):
                raise forms.ValidationError(_("The selection was damaged; reload the list."))
            picked.setdefault(int(pk), Picked(int(pk), int(version)))
        if len(picked) > MAX_DEALS:
            raise forms.ValidationError(
                _("Select at most %(n)s deals at a time.") % {"n": MAX_DEALS}, code="max"
            )
        return list(picked.values())

    def validate(self, value) -> None:
        if self.required and not value:
            raise forms.ValidationError(_("Select at least one deal."), code="required")


class DealBatchForm(forms.Form):
    """What the deal list's action bar sends: the ticked deals, the action and what it needs."""

    ACTIONS = (
        ("move", _("Move to stage")),
        ("won", _("Mark won")),
        ("lost", _("Mark lost")),
        ("reassign", _("Reassign")),
    )

    deals = PickedDealsField()
    action = forms.ChoiceField(label=_("Action"), choices=ACTIONS)
    stage = forms.ModelChoiceField(
        label=_("Stage"), queryset=Stage.objects.all(), to_field_name="key", required=False
    )
    owner = OwnerChoiceField(label=_("Owner"), queryset=Customer.objects.none(), required=False)
    reason = forms.CharField(label=_("Why was it lost?"), max_length=2000, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        offer_owners(self, user)
        if "owner" in self.fields:
            self.fields["owner"].required = False
        self.fields["action"].choices = [
            (k, v) for k, v in self.ACTIONS if k != "reassign" or "owner" in self.fields
        ]

    def clean(self) -> dict:
        data = super().clean()
        action = data.get("action")
        needs = {"move": "stage", "reassign": "owner", "lost": "reason"}.get(action)
        if needs == "reason":
            data["reason"] = " ".join((data.get("reason") or "").split())
        if needs and not data.get(needs) and not self.has_error(needs):
            message = {
                "stage": _("Choose the stage to move the deals to."),
                "owner": _("Choose who takes the deals over."),
                "reason": _("Say why the deals were lost."),
            }[needs]
            self.add_error(needs, message)
        return data


class ReopenForm(forms.Form):
    """Put a won or lost deal back in an open stage, from the copy the user saw."""

    stage = forms.ModelChoiceField(
        label=_("Back to stage"),
        queryset=Stage.objects.open(),
        to_field_name="key",
        error_messages={"invalid_choice": _("Reopen the deal in an open stage.")},
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ProbabilityForm(forms.Form):
    probability = _probability()
    clear = forms.BooleanField(required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("clear") and data.get("probability") is None and "probability" not in self.errors:
            self.add_error("probability", _("Enter a probability, or reset it to the stage's default."))
        return data


class ActivityForm(VersionedFormMixin, forms.ModelForm):
    """Log a call, meeting, email or note (done now), or plan a task with a due date."""

    done = forms.BooleanField(
        label=_("Already done"), required=False, initial=True, help_text=_("Untick to plan it for later.")
    )
    deal = DealChoiceField(label=_("Deal"), queryset=Deal.objects.none(), required=False)
    customer = CustomerChoiceField(label=_("Customer"), queryset=Customer.objects.none(), required=False)

    class Meta:
        model = Activity
        fields = [
            "kind",
            "subject",
            "deal",
            "customer",
            "due_at",
            "remind_before",
            "done",
            "outcome",
            "notes",
        ]
        widgets = {"due_at": DATETIME, "notes": forms.Textarea(attrs={"rows": 3})}
        labels = {"due_at": _("Due")}

    def __init__(
        self,
        *args,
        user,
        deal: Deal | None = None,
        customer: Customer | None = None,
        compact: bool = False,
        autofocus: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        if "remind_before" in self.fields:
            # The empty choice reads as what it means, and the help says when, not in what unit.
            field = self.fields["remind_before"]
            field.choices = [("", _("No reminder")), *[c for c in field.choices if c[0] != ""]]
            field.help_text = _("An email and a notification to the owner, before the due time.")
        self.user = user
        self.fields["due_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"]
        if deal is not None:
            # Logged from a deal's page: the deal and its customer are given, not chosen.
            self.fixed = {"deal": deal, "customer": deal.customer}
        elif customer is not None:
            self.fixed = {"customer": customer}
        else:
            self.fixed = {}
        for name in self.fixed:
            del self.fields[name]
        self._limit_choices(customer)
        if self.instance.pk:
            self.fields["done"].initial = self.instance.is_done
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = self._layout(compact)
        self.helper.layout.fields.extend(["version", "original"])
        if autofocus:
            autofocus_first(self)

    def _limit_choices(self, customer: Customer | None) -> None:
        """Offer only visible records: open deals (of ``customer``, if given) and visible customers."""
        if "deal" in self.fields:
            # An activity already on a closed deal keeps it when edited; new links go to open deals.
            keep = Q(pk=self.instance.deal_id) if self.instance.deal_id else Q(pk__in=[])
            deals = (
                Deal.objects.visible_to(self.user)
                .filter(Q(status=Deal.Status.OPEN) | keep)
                .select_related("customer")
                .order_by("title", "pk")
            )
            if customer is not None:
                deals = deals.filter(customer=customer)
            self.fields["deal"].queryset = deals
            limit_choices(self, "deal", "sales:deal_options")
        if "customer" in self.fields:
            self.fields["customer"].queryset = (
                Customer.objects.visible_to(self.user).only("pk", "name").order_by("name", "pk")
            )
            limit_choices(self, "customer", "customers:customer_options")
            if "deal" in self.fields:
                # Choosing a customer reloads the deal select with that customer's open deals.
                self.fields["customer"].widget.attrs.update(
                    {
                        "hx-get": reverse("sales:deal_options"),
                        "hx-trigger": "change",
                        "hx-target": "#" + self["deal"].auto_id,
                        "hx-swap": "innerHTML",
                    }
                )

    def _layout(self, compact: bool) -> Layout:
        if compact:
            # A narrow side column: one field per row reads better than squeezed columns.
            return Layout(*[n for n in self.fields if n != "done"], Field("done"))
        return Layout(
            Row(Column("kind", css_class="col-md-3"), Column("subject", css_class="col-md-9")),
            Row(
                *[
                    Column(n, picker_search(n, url, also=also), css_class="col-md-6")
                    for n, url, also in (
                        ("deal", "sales:deal_options", "#id_customer" if "customer" in self.fields else ""),
                        ("customer", "customers:customer_options", ""),
                    )
                    if n in self.fields
                ]
            ),
            Row(
                Column("due_at", css_class="col-md-3"),
                Column("remind_before", css_class="col-md-3"),
                Column(Div(Field("done"), css_class="pt-md-4"), css_class="col-md-2"),
                Column("outcome", css_class="col-md-4"),
            ),
            "notes",
        )

    def clean_subject(self) -> str:
        return " ".join(self.cleaned_data["subject"].split())

    def clean(self) -> dict:
        data = super().clean()
        for name, value in self.fixed.items():
            data[name] = value
        deal, customer = data.get("deal"), data.get("customer")
        if deal is not None and customer is None:
            data["customer"] = deal.customer
        elif error := deal_customer_error(deal, customer):
            self.add_error("customer", error)
        if (
            deal is None
            and customer is None
            and not self.has_error("deal")
            and not self.has_error("customer")
        ):
            self.add_error("deal", _("Link the activity to a deal or a customer."))
        if data.get("kind") == Activity.Kind.TASK and not data.get("done") and not data.get("due_at"):
            self.add_error("due_at", _("A task needs a due date."))
        if data.get("remind_before") is not None and not data.get("due_at"):
            self.add_error("remind_before", _("A reminder needs a due time."))
        return data

    def _post_clean(self) -> None:
        # The fixed deal/customer are not form fields; put them on the instance before validation.
        for name in ("deal", "customer"):
            if name in self.cleaned_data:
                setattr(self.instance, name, self.cleaned_data[name])
        if not self.instance.owner_id:
            self.instance.owner = self.user
        if self.instance.deal_id is None and self.instance.customer_id is None:
            # clean() already said so on the field; the model's check would only repeat it.
            return
        super()._post_clean()

    def save(self, commit: bool = True) -> Activity:
        activity = super().save(commit=False)
        done = self.cleaned_data.get("done")
        if done and activity.done_at is None:
            activity.done_at = timezone.now()
        elif not done:
            activity.done_at = None
        if commit:
            activity.save()
        return activity


class ActivityDoneForm(forms.Form):
    outcome = forms.CharField(label=_("Outcome"), max_length=300, required=False)

    def clean_outcome(self) -> str:
        return " ".join(self.cleaned_data["outcome"].split())


class PlanCellForm(forms.Form):
    """One cell of the plans page: the quotas and the ratios M and P of a plan."""

    revenue_quota = forms.DecimalField(
        label=_("Revenue quota"),
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
        required=False,
        error_messages={"min_value": _("A quota cannot be negative.")},
    )
    activities_quota = forms.IntegerField(
        label=_("Activities quota"),
        min_value=0,
        max_value=2_000_000_000,
        required=False,
        error_messages={"min_value": _("A quota cannot be negative.")},
    )
    target_ratio = forms.DecimalField(
        label=_("Target ratio (M)"),
        min_value=Decimal("0"),
        max_digits=8,
        decimal_places=4,
        error_messages={
            "required": _("Enter the target ratio M."),
            "min_value": _("M cannot be negative."),
        },
    )
    activity_ratio = forms.DecimalField(
        label=_("Activity ratio (P)"),
        min_value=Decimal("0"),
        max_digits=8,
        decimal_places=4,
        error_messages={
            "required": _("Enter the activity ratio P."),
            "min_value": _("P cannot be negative."),
        },
    )
