# Products imported from a catalogue keep its series and its id, so a re-import updates them.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0006_next_best_product_recommendations"),
    ]

    operations = [
        migrations.AddField(
            model_name="product",
            name="series",
            field=models.CharField(blank=True, max_length=100, verbose_name="series"),
        ),
        migrations.AddField(
            model_name="product",
            name="external_id",
            field=models.CharField(
                blank=True, max_length=100, null=True, unique=True, verbose_name="external id"
            ),
        ),
    ]
