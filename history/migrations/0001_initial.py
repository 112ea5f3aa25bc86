# The change history moves here from the sales app. The table already exists (made by sales' third
# migration), so this only takes the model into this app's state; 0002 renames the table.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("sales", "0004_team_moves_to_people"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ChangeLog",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("object_id", models.PositiveBigIntegerField()),
                        (
                            "action",
                            models.CharField(
                                choices=[("created", "Created"), ("updated", "Updated")],
                                max_length=10,
                                verbose_name="action",
                            ),
                        ),
                        (
                            "changed_at",
                            models.DateTimeField(default=django.utils.timezone.now, verbose_name="when"),
                        ),
                        ("changes", models.JSONField(default=dict, verbose_name="changes")),
                        (
                            "changed_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="who",
                            ),
                        ),
                        (
                            "content_type",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="contenttypes.contenttype",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "change",
                        "verbose_name_plural": "change history",
                        "ordering": ["-changed_at", "-pk"],
                        "db_table": "sales_changelog",
                        "indexes": [
                            models.Index(
                                fields=["content_type", "object_id", "changed_at"],
                                name="sales_chang_content_635cdc_idx",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
