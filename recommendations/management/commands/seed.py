from django.core.management.base import BaseCommand

from recommendations.seeding import seed


class Command(BaseCommand):
    help = "Load every seed publication, recommendation and assessment from fixtures/ (idempotent)."

    def handle(self, *args, **options):
        result = seed()
        if not result.changed:
            self.stdout.write("Seed data already loaded: nothing changed.")
            return
        for label, bucket in (("Created", result.created), ("Updated", result.updated)):
            for kind, n in sorted(bucket.items()):
                self.stdout.write(f"{label} {n} {kind}{'' if n == 1 else 's'}")
        self.stdout.write(self.style.SUCCESS("Seed data loaded."))
