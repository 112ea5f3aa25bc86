# The change history now lives in the history app. Nothing changes in the database.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0004_team_moves_to_people"),
        ("history", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ChangeLog")],
            database_operations=[],
        ),
    ]
