# Reopening deals and lost reasons from a managed list.
#
# A deal's free-text lost reason becomes its lost note; each lost deal gets the reason of the list
# whose name its text is, or "Other" with the text kept as the note, so no text is lost. History
# rows that recorded the text under the old field name move to the note too. A deal may now have
# several sales records: its sale, the entry that reverses it when the deal is reopened, and a new
# sale if it is won again; only one sale stands at a time.

import django.db.models.deletion
from django.db import migrations, models

from sales.defaults import create_lost_reasons


def lost_reasons_from_text(apps, schema_editor):
    create_lost_reasons(apps)
    LostReason = apps.get_model("sales", "LostReason")
    Deal = apps.get_model("sales", "Deal")
    by_name = {}
    for reason in LostReason.objects.all():
        by_name.setdefault(reason.name.casefold(), reason)
        if reason.local_name:
            by_name.setdefault(reason.local_name.casefold(), reason)
    other = LostReason.objects.filter(needs_note=True).order_by("order", "pk").first()
    lost = list(Deal.objects.filter(status="lost").only("pk", "lost_note"))
    for deal in lost:
        text = deal.lost_note.strip()
        match = by_name.get(text.casefold())
        if match is not None:
            deal.lost_reason = match
            deal.lost_note = ""
        else:
            deal.lost_reason = other
    Deal.objects.bulk_update(lost, ["lost_reason", "lost_note"], batch_size=2000)
    # The history of the text, recorded as "lost_reason", is now the history of the note.
    ContentType = apps.get_model("contenttypes", "ContentType")
    ChangeLog = apps.get_model("history", "ChangeLog")
    deal_type = ContentType.objects.filter(app_label="sales", model="deal").first()
    if deal_type is None:
        return
    rows = list(ChangeLog.objects.filter(content_type=deal_type, changes__has_key="lost_reason"))
    for row in rows:
        row.changes = {("lost_note" if k == "lost_reason" else k): v for k, v in row.changes.items()}
    ChangeLog.objects.bulk_update(rows, ["changes"], batch_size=2000)


def lost_text_back(apps, schema_editor):
    Deal = apps.get_model("sales", "Deal")
    lost = list(Deal.objects.filter(status="lost").select_related("lost_reason"))
    for deal in lost:
        if deal.lost_reason is not None and not deal.lost_note:
            deal.lost_note = deal.lost_reason.name
    Deal.objects.bulk_update(lost, ["lost_note"], batch_size=2000)
    ContentType = apps.get_model("contenttypes", "ContentType")
    ChangeLog = apps.get_model("history", "ChangeLog")
    deal_type = ContentType.objects.filter(app_label="sales", model="deal").first()
    if deal_type is None:
        return
    rows = list(ChangeLog.objects.filter(content_type=deal_type, changes__has_key="lost_note"))
    for row in rows:
        changes = {k: v for k, v in row.changes.items() if k != "lost_reason"}
        row.changes = {("lost_reason" if k == "lost_note" else k): v for k, v in changes.items()}
    ChangeLog.objects.bulk_update(rows, ["changes"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("history", "0002_changelog_table"),
        ("sales", "0013_deal_contact"),
    ]

    operations = [
        migrations.CreateModel(
            name="LostReason",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100, unique=True, verbose_name="name")),
                ("local_name", models.CharField(blank=True, max_length=100, verbose_name="Chinese name")),
                (
                    "needs_note",
                    models.BooleanField(
                        default=False,
                        help_text="Losing a deal for this reason asks for a note that says more, as “Other” does.",
                        verbose_name="needs a note",
                    ),
                ),
                (
                    "active",
                    models.BooleanField(
                        default=True,
                        help_text="Only active reasons are offered; deals lost for an inactive one keep it.",
                        verbose_name="active",
                    ),
                ),
                ("order", models.PositiveSmallIntegerField(default=0, verbose_name="order")),
            ],
            options={
                "verbose_name": "lost reason",
                "verbose_name_plural": "lost reasons",
                "ordering": ["order", "name"],
            },
        ),
        migrations.RenameField(model_name="deal", old_name="lost_reason", new_name="lost_note"),
        migrations.AlterField(
            model_name="deal",
            name="lost_note",
            field=models.TextField(blank=True, verbose_name="lost note"),
        ),
        migrations.AddField(
            model_name="deal",
            name="lost_reason",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="deals",
                to="sales.lostreason",
                verbose_name="lost reason",
            ),
        ),
        migrations.RunPython(lost_reasons_from_text, lost_text_back),
        migrations.AddField(
            model_name="stagechange",
            name="note",
            field=models.CharField(
                blank=True, db_default="", default="", max_length=500, verbose_name="note"
            ),
        ),
        migrations.AddField(
            model_name="salesrecord",
            name="reversed_on",
            field=models.DateField(blank=True, null=True, verbose_name="reversed on"),
        ),
        migrations.AddField(
            model_name="salesrecord",
            name="reverses",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reversal",
                to="sales.salesrecord",
                verbose_name="reverses",
            ),
        ),
        migrations.AlterField(
            model_name="salesrecord",
            name="deal",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="sales_records",
                to="sales.deal",
                verbose_name="deal",
            ),
        ),
        migrations.AddConstraint(
            model_name="salesrecord",
            constraint=models.UniqueConstraint(
                condition=models.Q(("reversed_on__isnull", True), ("reverses__isnull", True)),
                fields=("deal",),
                name="one_sale_in_force_per_deal",
            ),
        ),
        migrations.AddConstraint(
            model_name="salesrecord",
            constraint=models.CheckConstraint(
                condition=models.Q(("reverses__isnull", True), ("amount__lte", 0), _connector="OR"),
                name="reversal_takes_back_the_amount",
            ),
        ),
    ]
