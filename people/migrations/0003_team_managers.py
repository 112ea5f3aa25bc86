# A team may have several managers. Each team's primary manager becomes the first of its managers,
# so whoever managed a team before still does after the move.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def copy_manager_into_managers(apps, schema_editor):
    Team = apps.get_model("people", "Team")
    Through = Team.managers.through
    db = schema_editor.connection.alias
    rows = [
        Through(team_id=team_id, user_id=manager_id)
        for team_id, manager_id in Team.objects.using(db).values_list("pk", "manager_id")
    ]
    Through.objects.using(db).bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0002_team_tables"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="team",
            name="managers",
            field=models.ManyToManyField(
                blank=True,
                related_name="co_managed_teams",
                to=settings.AUTH_USER_MODEL,
                verbose_name="managers",
            ),
        ),
        migrations.AlterField(
            model_name="team",
            name="manager",
            field=models.ForeignKey(
                help_text="The primary manager; co-managers see and plan for the team alike.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="managed_teams",
                to=settings.AUTH_USER_MODEL,
                verbose_name="manager",
            ),
        ),
        migrations.RunPython(copy_manager_into_managers, migrations.RunPython.noop),
    ]
