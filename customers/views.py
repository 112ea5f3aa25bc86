"""Customer and contact forms, and the customer picker's search. The customer list and page,
which show deals and sales too, are composed in the sales app.

Customers and contacts are loaded through ``visible_to(user)``: another rep's customer is a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from crm.forms import PICKER_LIMIT
from crm.shortcuts import get_visible_or_404
from customers.forms import ContactForm, CustomerForm
from customers.models import Contact, Customer
from history.versions import StaleVersion


@login_required
def customer_create(request: HttpRequest) -> HttpResponse:
    form = CustomerForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        customer = form.save()
        messages.success(request, _("Customer “%(name)s” created.") % {"name": customer.name})
        return redirect(customer)
    return render(request, "customers/customer_form.html", {"form": form, "customer": None})


@login_required
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_visible_or_404(Customer.objects.select_related("owner"), request.user, pk=pk)
    form = CustomerForm(request.POST or None, instance=customer, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            customer = form.save()
        except StaleVersion as stale:
            context = {"form": form, "customer": stale.current, "stale_lines": form.stale(stale.current)}
            return render(request, "customers/customer_form.html", context, status=409)
        messages.success(request, _("Customer saved."))
        return redirect(customer)
    return render(request, "customers/customer_form.html", {"form": form, "customer": customer})


@login_required
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact.objects.visible_to(request.user).select_related("customer"), pk=pk)
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        try:
            form.save()
        except StaleVersion as stale:
            context = {"form": form, "contact": stale.current, "stale_lines": form.stale(stale.current)}
            return render(request, "customers/contact_form.html", context, status=409)
        messages.success(request, _("Contact saved."))
        return redirect(contact.customer)
    return render(request, "customers/contact_form.html", {"form": form, "contact": contact})


@login_required
def customer_options(request: HttpRequest) -> HttpResponse:
    """The ``<option>``s of the visible customers matching ``?customer_q=`` (the forms' pickers)."""
    text = request.GET.get("customer_q", "").replace("\x00", "")[:200]
    qs = Customer.objects.visible_to(request.user).search(text).only("pk", "name").order_by("name", "pk")
    rows = list(qs[: PICKER_LIMIT + 1])
    context = {"options": [(c.pk, c.name) for c in rows[:PICKER_LIMIT]], "more": len(rows) > PICKER_LIMIT}
    return render(request, "customers/partials/customer_options.html", context)


@login_required
def contact_options(request: HttpRequest) -> HttpResponse:
    """The ``<option>``s of the visible contacts of the customer ``?customer=`` (the deal form's
    contact select, reloaded when the customer changes); none without a customer."""
    customer = request.GET.get("customer", "")
    contacts = Contact.objects.none()
    if customer.isdigit() and len(customer) < 19:
        contacts = Contact.objects.visible_to(request.user).filter(customer_id=int(customer))
    rows = list(contacts.only("pk", "name").order_by("name", "pk")[: PICKER_LIMIT + 1])
    context = {
        "options": [(c.pk, c.name) for c in rows[:PICKER_LIMIT]],
        "more": len(rows) > PICKER_LIMIT,
        "none_label": _("No contacts at this customer") if customer else "",
    }
    return render(request, "customers/partials/customer_options.html", context)
