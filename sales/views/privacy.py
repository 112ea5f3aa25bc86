"""A customer's personal data, for administrators: download it as JSON, or erase it everywhere."""

import json
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from crm.shortcuts import get_visible_or_404
from customers.models import Contact, Customer
from people.visibility import is_admin
from sales.privacy import (
    contact_data,
    erase_contact,
    erase_customer,
    personal_data,
    record_contact_export,
    record_export,
)


class EraseForm(forms.Form):
    confirm = forms.CharField(
        label=gettext_lazy("Type the number shown above to confirm"),
        max_length=20,
        help_text=gettext_lazy("This cannot be undone. Amounts, dates and stages are kept."),
    )

    def __init__(self, *args, number: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.number = number

    def clean_confirm(self) -> str:
        typed = self.cleaned_data["confirm"].strip()
        if typed != str(self.number):
            raise forms.ValidationError(_("Type %(id)s to erase.") % {"id": self.number}, code="mismatch")
        return typed


@dataclass(frozen=True)
class Subject:
    """What differs between a customer's and a contact's privacy pages."""

    name: str  # "customer" or "contact": URL names and the download's file name
    queryset: Callable[[], QuerySet]
    data: Callable
    record_export: Callable
    erase: Callable
    erased: str  # the message, with %(id)s
    back: Callable  # the page to return to after erasing: (record) -> (url name, pk)
    context: Callable  # extra template context: record -> dict


CUSTOMER = Subject(
    name="customer",
    queryset=lambda: Customer.objects.select_related("owner"),
    data=personal_data,
    record_export=record_export,
    erase=erase_customer,
    # The message names the number only: the name is what was just erased.
    erased=gettext_lazy("The personal data of customer %(id)s has been erased."),
    back=lambda customer: ("sales:customer_detail", customer.pk),
    context=lambda customer: {"customer": customer},
)
CONTACT = Subject(
    name="contact",
    queryset=lambda: Contact.objects.select_related("customer"),
    data=contact_data,
    record_export=record_contact_export,
    erase=erase_contact,
    erased=gettext_lazy("The personal data of contact %(id)s has been erased."),
    back=lambda contact: ("sales:customer_detail", contact.customer_id),
    context=lambda contact: {"customer": contact.customer, "contact": contact},
)


def _admins(request: HttpRequest, subject: Subject, pk: int):
    # Another rep's record is a 404 like everywhere; one the user sees but may not erase, a 403.
    record = get_visible_or_404(subject.queryset(), request.user, pk=pk)
    if not is_admin(request.user):
        raise PermissionDenied
    return record


def _page(request: HttpRequest, subject: Subject, record, form: EraseForm, status: int = 200) -> HttpResponse:
    context = {
        **subject.context(record),
        "form": form,
        "number": record.pk,
        "export_url": reverse(f"sales:{subject.name}_privacy_export", args=[record.pk]),
        "erase_url": reverse(f"sales:{subject.name}_erase", args=[record.pk]),
    }
    return render(request, "sales/privacy.html", context, status=status)


def _show(request: HttpRequest, subject: Subject, pk: int) -> HttpResponse:
    record = _admins(request, subject, pk)
    return _page(request, subject, record, EraseForm(number=record.pk))


def _export(request: HttpRequest, subject: Subject, pk: int) -> HttpResponse:
    record = _admins(request, subject, pk)
    data = subject.data(record)
    subject.record_export(record, by=request.user)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    filename = f"{subject.name}-{record.pk}-personal-data.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _erase(request: HttpRequest, subject: Subject, pk: int) -> HttpResponse:
    record = _admins(request, subject, pk)
    form = EraseForm(request.POST, number=record.pk)
    if not form.is_valid():
        return _page(request, subject, record, form, status=400)
    subject.erase(record, by=request.user)
    messages.success(request, subject.erased % {"id": record.pk})
    name, back_pk = subject.back(record)
    return redirect(name, pk=back_pk)


def _views(subject: Subject):
    """The page, the download and the erasure of ``subject``'s personal data, as views."""

    def page(request: HttpRequest, pk: int) -> HttpResponse:
        return _show(request, subject, pk)

    def export(request: HttpRequest, pk: int) -> HttpResponse:
        return _export(request, subject, pk)

    def erase(request: HttpRequest, pk: int) -> HttpResponse:
        return _erase(request, subject, pk)

    return (
        login_required(require_safe(page)),
        login_required(require_safe(export)),
        login_required(require_POST(erase)),
    )


customer_privacy, customer_privacy_export, customer_erase = _views(CUSTOMER)
contact_privacy, contact_privacy_export, contact_erase = _views(CONTACT)
