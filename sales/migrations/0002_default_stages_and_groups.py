from django.db import migrations

from sales.defaults import create_defaults


def forwards(apps, schema_editor):
    create_defaults(apps)


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
