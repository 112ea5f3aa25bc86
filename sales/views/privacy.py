"""A customer's personal data, for administrators: download it as JSON, or erase it everywhere."""

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from crm.shortcuts import get_visible_or_404
from customers.models import Customer
from people.visibility import is_admin
from sales.privacy import erase_customer, personal_data, record_export


class EraseForm(forms.Form):
    confirm = forms.CharField(
        label=gettext_lazy("Type the customer's number to confirm"),
        max_length=20,
        help_text=gettext_lazy("This cannot be undone. Amounts, dates and stages are kept."),
    )

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer

    def clean_confirm(self) -> str:
        typed = self.cleaned_data["confirm"].strip()
        if typed != str(self.customer.pk):
            raise forms.ValidationError(
                _("Type %(id)s to erase this customer.") % {"id": self.customer.pk}, code="mismatch"
            )
        return typed


def _admins_customer(request: HttpRequest, pk: int) -> Customer:
    # Another rep's customer is a 404 like everywhere; one the user sees but may not erase, a 403.
    customer = get_visible_or_404(Customer.objects.select_related("owner"), request.user, pk=pk)
    if not is_admin(request.user):
        raise PermissionDenied
    return customer


def _page(request: HttpRequest, customer: Customer, form: EraseForm, status: int = 200) -> HttpResponse:
    return render(request, "sales/customer_privacy.html", {"customer": customer, "form": form}, status=status)


@login_required
@require_safe
def customer_privacy(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _admins_customer(request, pk)
    return _page(request, customer, EraseForm(customer=customer))


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
    form = EraseForm(request.POST, customer=customer)
    if not form.is_valid():
        return _page(request, customer, form, status=400)
    erase_customer(customer, by=request.user)
    # The message names the number only: the name is what was just erased.
    done = _("The personal data of customer %(id)s has been erased.") % {"id": customer.pk}
    messages.success(request, done)
    return redirect("sales:customer_detail", pk=customer.pk)
