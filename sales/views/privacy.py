"""A customer's personal data, for administrators: download it as JSON, or erase it everywhere."""

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
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


def _admins_customer(request: HttpRequest, pk: int) -> Customer:
    # Another rep's customer is a 404 like everywhere; one the user sees but may not erase, a 403.
    customer = get_visible_or_404(Customer.objects.select_related("owner"), request.user, pk=pk)
    if not is_admin(request.user):
        raise PermissionDenied
    return customer


def _page(request: HttpRequest, customer: Customer, form: EraseForm, status: int = 200) -> HttpResponse:
    context = {
        "customer": customer,
        "form": form,
        "number": customer.pk,
        "export_url": reverse("sales:customer_privacy_export", args=[customer.pk]),
        "erase_url": reverse("sales:customer_erase", args=[customer.pk]),
    }
    return render(request, "sales/privacy.html", context, status=status)


def _contact_page(request: HttpRequest, contact: Contact, form: EraseForm, status: int = 200) -> HttpResponse:
    context = {
        "customer": contact.customer,
        "contact": contact,
        "form": form,
        "number": contact.pk,
        "export_url": reverse("sales:contact_privacy_export", args=[contact.pk]),
        "erase_url": reverse("sales:contact_erase", args=[contact.pk]),
    }
    return render(request, "sales/privacy.html", context, status=status)


@login_required
@require_safe
def customer_privacy(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _admins_customer(request, pk)
    return _page(request, customer, EraseForm(number=customer.pk))


@login_required
@require_safe
def customer_privacy_export(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _admins_customer(request, pk)
    data = personal_data(customer)
    record_export(customer, by=request.user)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="customer-{customer.pk}-personal-data.json"'
    return response


@login_required
@require_POST
def customer_erase(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _admins_customer(request, pk)
    form = EraseForm(request.POST, number=customer.pk)
    if not form.is_valid():
        return _page(request, customer, form, status=400)
    erase_customer(customer, by=request.user)
    # The message names the number only: the name is what was just erased.
    done = _("The personal data of customer %(id)s has been erased.") % {"id": customer.pk}
    messages.success(request, done)
    return redirect("sales:customer_detail", pk=customer.pk)


def _admins_contact(request: HttpRequest, pk: int) -> Contact:
    contact = get_visible_or_404(Contact.objects.select_related("customer"), request.user, pk=pk)
    if not is_admin(request.user):
        raise PermissionDenied
    return contact


@login_required
@require_safe
def contact_privacy(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _admins_contact(request, pk)
    return _contact_page(request, contact, EraseForm(number=contact.pk))


@login_required
@require_safe
def contact_privacy_export(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _admins_contact(request, pk)
    data = contact_data(contact)
    record_contact_export(contact, by=request.user)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="contact-{contact.pk}-personal-data.json"'
    return response


@login_required
@require_POST
def contact_erase(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _admins_contact(request, pk)
    form = EraseForm(request.POST, number=contact.pk)
    if not form.is_valid():
        return _contact_page(request, contact, form, status=400)
    erase_contact(contact, by=request.user)
    done = _("The personal data of contact %(id)s has been erased.") % {"id": contact.pk}
    messages.success(request, done)
    return redirect("sales:customer_detail", pk=contact.customer_id)
