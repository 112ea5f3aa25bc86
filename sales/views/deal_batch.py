"""The deal list's action bar: reassign, move, mark lost or win the ticked deals, all or none."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from people.names import display_name
from sales.deal_batch import BatchRefused, apply_batch
from sales.forms import DealBatchForm


def _back(request: HttpRequest) -> str:
    """The list as the user left it (its filters and page), never another site."""
    target = request.POST.get("next", "")
    allowed = url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure())
    list_url = reverse("sales:deal_list")
    return target if allowed and target.startswith(list_url) else list_url


def _done(action: str, count: int, data: dict) -> str:
    if action == "move":
        return ngettext("%(n)s deal moved to %(stage)s.", "%(n)s deals moved to %(stage)s.", count) % {
            "n": count,
            "stage": data["stage"].display_name,
        }
    if action == "reassign":
        return ngettext(
            "%(n)s deal reassigned to %(owner)s.", "%(n)s deals reassigned to %(owner)s.", count
        ) % {"n": count, "owner": display_name(data["owner"])}
    if action == "lost":
        return ngettext("%(n)s deal marked lost.", "%(n)s deals marked lost.", count) % {"n": count}
    return ngettext("%(n)s deal won.", "%(n)s deals won.", count) % {"n": count}


@require_POST
@login_required
def deal_batch(request: HttpRequest) -> HttpResponse:
    form = DealBatchForm(request.POST, user=request.user)
    if not form.is_valid():
        errors = [e for field_errors in form.errors.values() for e in field_errors]
        messages.error(request, _("Nothing changed: %(why)s") % {"why": " ".join(errors)})
        return redirect(_back(request))
    data = form.cleaned_data
    action = data["action"]
    try:
        count = apply_batch(
            request.user,
            data["deals"],
            action,
            owner=data.get("owner"),
            stage=data.get("stage"),
            reason=data.get("reason", ""),
        )
    except BatchRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _done(action, count, data))
    return redirect(_back(request))
