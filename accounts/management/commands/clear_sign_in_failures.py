from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts import throttle
from accounts.models import SignInThrottle


class Command(BaseCommand):
    help = "Deletes failed-sign-in counts whose window and lockout are over (run daily, like clearsessions)."

    def handle(self, *args, **options):
        policy = throttle.current_policy()
        deleted, _ = SignInThrottle.objects.expired(timezone.now(), policy.window).delete()
        self.stdout.write(f"Deleted {deleted} expired failed-sign-in counts.")
