"""Who may write what through the API; who may *see* what is always ``visible_to`` in the querysets."""

from rest_framework import permissions

from people.visibility import is_admin, is_manager, is_manager_or_admin


class PlansAreWrittenByManagers(permissions.BasePermission):
    """Everyone reads the plans that cover them; only managers and admins set targets."""

    message = "Only managers and admins can change sales plans."

    def has_permission(self, request, view) -> bool:
        # Edits of one plan are judged on the plan, after the lookup: another rep's plan is a 404.
        if request.method != "POST":
            return True
        user = request.user
        return bool(user and user.is_authenticated and is_manager_or_admin(user))

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        user = request.user
        if is_admin(user):
            return True
        if not is_manager(user):
            return False
        # A manager sees the company plan and plans of teams they belong to, but changes only
        # the plans of the teams they manage and of the reps in them.
        if obj.team_id is not None:
            return obj.team.is_managed_by(user)
        if obj.rep_id is not None:
            return obj.rep.sales_teams.managed_by(user).exists()
        return False
