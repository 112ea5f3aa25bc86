import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from automation.models import Notification
from customers.models import Contact, Customer
from people.models import Team
from people.visibility import MANAGERS_GROUP, REPS_GROUP
from sales.actions import create_deal
from sales.models import Activity, Deal, LostReason, Product, SalesPlan, SalesRecord, Stage


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pw-for-tests-123")


class RepFactory(UserFactory):
    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create:
            self.groups.add(Group.objects.get(name=REPS_GROUP))


class ManagerFactory(UserFactory):
    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create:
            self.groups.add(Group.objects.get(name=MANAGERS_GROUP))


class AdminFactory(UserFactory):
    is_staff = True
    is_superuser = True


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Team {n}")
    manager = factory.SubFactory(ManagerFactory)

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.add(*extracted)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")
    owner = factory.SubFactory(RepFactory)
    industry = "Software"
    region = "North"
    channel = "Referral"
    need = Decimal("1000.00")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Faker("name")
    email = factory.Faker("email")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Product {n}")
    category = "Licences"
    list_price = Decimal("500.00")


class DealFactory(factory.django.DjangoModelFactory):
    """Builds deals through ``create_deal`` so each one has its pipeline-entry stage change."""

    class Meta:
        model = Deal

    customer = factory.SubFactory(CustomerFactory)
    owner = factory.LazyAttribute(lambda d: d.customer.owner)
    title = factory.Sequence(lambda n: f"Deal {n}")
    amount = Decimal("1000.00")
    stage = None
    opened_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    expected_close = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        owner = kwargs.pop("owner")
        stage = kwargs.pop("stage")
        if isinstance(stage, str):
            stage = Stage.objects.get(key=stage)
        return create_deal(owner=owner, by=owner, stage=stage, **kwargs)


class SalesRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesRecord

    customer = factory.SubFactory(CustomerFactory)
    owner = factory.LazyAttribute(lambda r: r.customer.owner)
    amount = Decimal("100.00")
    sold_on = factory.LazyFunction(timezone.localdate)


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    customer = factory.SubFactory(CustomerFactory)
    owner = factory.LazyAttribute(lambda a: a.customer.owner)
    kind = Activity.Kind.CALL
    subject = factory.Sequence(lambda n: f"Call {n}")


class SalesPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesPlan

    name = factory.Sequence(lambda n: f"Plan {n}")
    period_start = factory.LazyFunction(lambda: timezone.localdate().replace(day=1))
    period_end = factory.LazyAttribute(lambda p: p.period_start + datetime.timedelta(days=90))
    scope = SalesPlan.Scope.COMPANY
    target_ratio = Decimal("0.5")
    activity_ratio = Decimal("0.6")


def lost_reason(name: str = "Other") -> LostReason:
    """One of the seeded lost reasons, "Other" (which needs a note) by default."""
    return LostReason.objects.get(name=name)


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    user = factory.SubFactory(RepFactory)
    text = factory.Sequence(lambda n: f"Reminder: call {n}")
    url = "/activities/"
    created_at = factory.LazyFunction(timezone.now)
    key = factory.Sequence(lambda n: f"test:{n}")
