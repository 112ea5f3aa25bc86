from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="SignInThrottle",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "scope",
                    models.CharField(
                        choices=[("account", "Account"), ("address", "Client address")],
                        max_length=10,
                        verbose_name="scope",
                    ),
                ),
                ("key", models.CharField(max_length=150, verbose_name="account or address")),
                ("failures", models.PositiveIntegerField(default=0, verbose_name="failures")),
                ("window_started", models.DateTimeField(verbose_name="counting since")),
                ("locked_at", models.DateTimeField(blank=True, null=True, verbose_name="locked at")),
            ],
            options={
                "verbose_name": "failed sign-ins",
                "verbose_name_plural": "failed sign-ins",
                "ordering": ["-window_started"],
                "constraints": [
                    models.UniqueConstraint(fields=("scope", "key"), name="signinthrottle_scope_key")
                ],
            },
        ),
    ]
