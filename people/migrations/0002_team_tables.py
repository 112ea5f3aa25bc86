# The team tables take this app's names, and the content type of teams (which admin log entries and
# change history point at) follows the model, so every row is kept and still found.

from django.db import migrations


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label="people", model="team").exists():
        ContentType.objects.using(db).filter(app_label="sales", model="team").update(app_label="people")


def restore_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    ContentType.objects.using(db).filter(app_label="people", model="team").update(app_label="sales")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("people", "0001_initial"),
        ("sales", "0004_team_moves_to_people"),
    ]

    operations = [
        migrations.AlterModelTable(name="team", table=None),
        migrations.RunPython(move_content_type, restore_content_type),
    ]
