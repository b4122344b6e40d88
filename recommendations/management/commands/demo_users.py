from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from recommendations.models import Owner
from tracker.roles import ADMIN, AUDITOR, OFFICER

# Documented in README.md. Never use these accounts outside a local demo.
DEMO_PASSWORD = "demo-tracker-2026"  # noqa: S105 - a documented demo password

DEMO_USERS = [
    # username, full name, role, organisation (owner slug)
    ("auditor", "Alex Auditor", AUDITOR, None),
    ("officer-inverclyde", "Isla Officer (Inverclyde Alliance)", OFFICER, "inverclyde-alliance"),
    ("officer-scotgov", "Sandy Officer (Scottish Government)", OFFICER, "scottish-government"),
    ("admin", "Ada Admin", ADMIN, None),
]


class Command(BaseCommand):
    help = "Create the demo accounts listed in README.md (refuses when DEBUG is off unless --force)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Create demo accounts even with DEBUG off.")

    @transaction.atomic
    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to create demo accounts with a known password while DEBUG is off. "
                "Use --force if you really mean to (never in production)."
            )
        User = get_user_model()
        for username, full_name, role, owner_slug in DEMO_USERS:
            first, _, last = full_name.partition(" ")
            user, created = User.objects.get_or_create(username=username)
            user.first_name, user.last_name = first, last
            user.is_staff = user.is_superuser = role == ADMIN
            user.is_active = True
            user.set_password(DEMO_PASSWORD)
            user.save()
            user.groups.set([Group.objects.get_or_create(name=role)[0]])
            if owner_slug:
                try:
                    user.organisations.set([Owner.objects.get(slug=owner_slug)])
                except Owner.DoesNotExist:
                    raise CommandError(f"Owner {owner_slug!r} does not exist: run `manage.py seed` first.") from None
            self.stdout.write(f"{'Created' if created else 'Updated'} {username} ({role})")
        self.stdout.write(self.style.SUCCESS(f"Demo accounts ready; the password is {DEMO_PASSWORD!r}."))
