"""The six stages of the sales process and the two role groups every installation starts with."""

from decimal import Decimal

STAGES = [
    # key, name, Chinese name, order, kind, default probability
    ("lead", "Lead", "领入", 1, "open", Decimal("10")),
    ("understand", "Understand", "了解", 2, "open", Decimal("25")),
    ("choose", "Choose", "选择", 3, "open", Decimal("60")),
    ("buy", "Buy", "购买", 4, "won", Decimal("100")),
    ("use", "Use", "使用", 5, "after_sale", Decimal("100")),
    ("maintain", "Maintain", "维护", 6, "after_sale", Decimal("100")),
]
GROUPS = ["Sales reps", "Sales managers"]


def create_defaults(apps) -> None:
    """Create the default stages and groups that are missing; ``apps`` is a model registry."""
    Stage = apps.get_model("sales", "Stage")
    for key, name, local_name, order, kind, probability in STAGES:
        Stage.objects.get_or_create(
            key=key,
            defaults={
                "name": name,
                "local_name": local_name,
                "order": order,
                "kind": kind,
                "default_probability": probability,
            },
        )
    Group = apps.get_model("auth", "Group")
    for name in GROUPS:
        Group.objects.get_or_create(name=name)
