# The change-history table and its index take this app's names, and the content type of the change
# log (which its permissions point at) follows the model, so every row is kept and still found.
# A deleted record now leaves a row too.

from django.db import migrations, models


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label="history", model="changelog").exists():
        ContentType.objects.using(db).filter(app_label="sales", model="changelog").update(app_label="history")


def restore_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    ContentType.objects.using(db).filter(app_label="history", model="changelog").update(app_label="sales")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("history", "0001_initial"),
        ("sales", "0005_changelog_moves_to_history"),
    ]

    operations = [
        migrations.AlterModelTable(name="changelog", table=None),
        migrations.RenameIndex(
            model_name="changelog",
            new_name="changelog_target_idx",
            old_name="sales_chang_content_635cdc_idx",
        ),
        migrations.AlterField(
            model_name="changelog",
            name="action",
            field=models.CharField(
                choices=[("created", "Created"), ("updated", "Updated"), ("deleted", "Deleted")],
                max_length=10,
                verbose_name="action",
            ),
        ),
        migrations.RunPython(move_content_type, restore_content_type),
    ]
