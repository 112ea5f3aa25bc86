from django.urls import path
from django.views.decorators.http import require_safe

from sales.views import (
    activities,
    board,
    contacts,
    customers,
    dashboard,
    deal_batch,
    deals,
    home,
    plans,
    privacy,
    records,
)

app_name = "sales"

# Pages that only show data answer GET and HEAD; anything else is a 405, not a silent re-render.

urlpatterns = [
    path("", require_safe(home.my_day), name="home"),
    path("dashboard/", require_safe(dashboard.dashboard), name="dashboard"),
    path("pipeline/", require_safe(board.pipeline), name="pipeline"),
    path("pipeline/columns/<slug:key>/", require_safe(board.board_column), name="board_column"),
    path("pipeline/deals/<int:pk>/move/", board.move_deal, name="board_move"),
    path("pipeline/deals/<int:pk>/lost/", board.mark_lost, name="board_lost"),
    path("pipeline/deals/<int:pk>/reopen/", board.reopen_deal, name="board_reopen"),
    path("customers/", require_safe(customers.customer_list), name="customer_list"),
    path("customers/<int:pk>/", require_safe(customers.customer_detail), name="customer_detail"),
    path("customers/<int:pk>/contacts/", customers.contact_create, name="contact_create"),
    path("customers/contacts/<int:pk>/", require_safe(contacts.contact_detail), name="contact_detail"),
    path("customers/<int:pk>/privacy/", privacy.customer_privacy, name="customer_privacy"),
    path(
        "customers/<int:pk>/privacy/export/", privacy.customer_privacy_export, name="customer_privacy_export"
    ),
    path("customers/<int:pk>/privacy/erase/", privacy.customer_erase, name="customer_erase"),
    path("customers/contacts/<int:pk>/privacy/", privacy.contact_privacy, name="contact_privacy"),
    path(
        "customers/contacts/<int:pk>/privacy/export/",
        privacy.contact_privacy_export,
        name="contact_privacy_export",
    ),
    path("customers/contacts/<int:pk>/privacy/erase/", privacy.contact_erase, name="contact_erase"),
    path("customers/<int:pk>/activities/", customers.customer_log_activity, name="customer_log_activity"),
    path("deals/", require_safe(deals.deal_list), name="deal_list"),
    path("deals/new/", deals.deal_create, name="deal_create"),
    path("deals/batch/", deal_batch.deal_batch, name="deal_batch"),
    path("deals/options/", require_safe(deals.deal_options), name="deal_options"),
    path("deals/<int:pk>/", require_safe(deals.deal_detail), name="deal_detail"),
    path("deals/<int:pk>/edit/", deals.deal_edit, name="deal_edit"),
    path("deals/<int:pk>/move/", deals.deal_move, name="deal_move"),
    path("deals/<int:pk>/won/", deals.deal_won, name="deal_won"),
    path("deals/<int:pk>/lost/", deals.deal_lost, name="deal_lost"),
    path("deals/<int:pk>/reopen/", deals.deal_reopen, name="deal_reopen"),
    path("deals/<int:pk>/probability/", deals.deal_probability, name="deal_probability"),
    path("deals/<int:pk>/activities/", deals.deal_log_activity, name="deal_log_activity"),
    path("activities/", require_safe(activities.activity_list), name="activity_list"),
    path("activities/new/", activities.activity_create, name="activity_create"),
    path("activities/<int:pk>/edit/", activities.activity_edit, name="activity_edit"),
    path("activities/<int:pk>/done/", activities.activity_done, name="activity_done"),
    path("sales-records/", require_safe(records.salesrecord_list), name="salesrecord_list"),
    path("plans/", require_safe(plans.plans), name="plans"),
    path("plans/copy-forward/", plans.plan_copy_forward, name="plan_copy_forward"),
    path("plans/reps/<int:rep_id>/cell/", plans.plan_rep_cell, name="plan_rep_cell"),
    path("plans/teams/<int:team_id>/cell/", plans.plan_team_cell, name="plan_team_cell"),
]
