import logging

from django.core.management.base import BaseCommand

from recommendations.seeding import seed


class Command(BaseCommand):
    help = "Load every seed publication, recommendation and assessment from fixtures/ (idempotent)."

    def handle(self, *args, **options):
        # Each seeded assessment is an audit event; listing them all is noise when
        # `dev.py run` starts (the totals are printed below). -v 2 shows them.
        audit_log = logging.getLogger("tracker.audit")
        level = audit_log.level
        if options["verbosity"] < 2:
            audit_log.setLevel(logging.WARNING)
        try:
            result = seed()
        finally:
            audit_log.setLevel(level)
        if not result.changed:
            self.stdout.write("Seed data already loaded: nothing changed.")
            return
        for label, bucket in (("Created", result.created), ("Updated", result.updated)):
            for kind, n in sorted(bucket.items()):
                self.stdout.write(f"{label} {n} {kind}{'' if n == 1 else 's'}")
        self.stdout.write(self.style.SUCCESS("Seed data loaded."))
