"""The six stages of the sales process, the two role groups and the lost reasons every installation
starts with."""

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
LOST_REASONS = [
    # name, Chinese name, order, needs a note
    ("Price too high", "价格太高", 10, False),
    ("Chose a competitor", "选择了竞争对手", 20, False),
    ("No budget", "没有预算", 30, False),
    ("No decision", "迟迟不做决定", 40, False),
    ("Bad timing", "时机不对", 50, False),
    ("Product does not fit", "产品不符合需求", 60, False),
    ("Other", "其他", 100, True),
]


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


def create_lost_reasons(apps) -> None:
    """Create the default lost reasons that are missing (admins edit the list afterwards)."""
    LostReason = apps.get_model("sales", "LostReason")
    for name, local_name, order, needs_note in LOST_REASONS:
        LostReason.objects.get_or_create(
            name=name, defaults={"local_name": local_name, "order": order, "needs_note": needs_note}
        )
