"""Adds deterministic synthetic data at scale to a database, for the benchmarks.

    .venv/bin/python bench/generate_synthetic.py --recommendations 100000 --updates 1000000 --force

Was ``manage.py generate_synthetic``; it lives beside the benchmarks now, so that the
domain app ships no benchmark tooling. Same options, same refusals: a Django management
command (``Command``) run from this script, which sets Django up first (DATABASE_URL
chooses the database, as for manage.py). Tests call it with
``call_command(Command(), ...)``.
"""

import os
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

ROOT = Path(__file__).resolve().parent.parent


class Command(BaseCommand):
    help = (
        "Add deterministic synthetic reports, owners, recommendations and progress history for benchmarking "
        "(bench/pages.py). Refuses when synthetic data is already present unless --reset; never touches other data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--recommendations", type=int, default=100_000, help="How many (default 100,000).")
        parser.add_argument("--updates", type=int, default=None, help="Progress updates in all (default 10 each).")
        parser.add_argument("--reports", type=int, default=None, help="Default: one per 25 recommendations.")
        parser.add_argument(
            "--extra-owners", type=int, default=80, help="Synthetic owners added to the seeded 41 (default 80)."
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed: the same seed gives the same data.")
        parser.add_argument(
            "--reset", action="store_true", help="Delete the synthetic data already present first (only that)."
        )
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off (never in production).")

    def handle(self, *args, recommendations, updates, reports, extra_owners, seed, reset, force, **options):
        from bench import synthetic  # needs the app registry, ready by now

        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to add synthetic data while DEBUG is off: it is for benchmark databases only. "
                "Use --force if this really is one."
            )
        if recommendations < 1 or (updates is not None and updates < 0) or (reports is not None and reports < 1):
            raise CommandError("--recommendations and --reports must be at least 1, --updates at least 0.")
        if synthetic.exists():
            if not reset:
                raise CommandError(
                    "This database already holds synthetic data. Use --reset to replace it "
                    "(only rows marked synthetic are deleted)."
                )
            deleted = synthetic.reset()
            self.stdout.write("Deleted " + ", ".join(f"{n:,} {label}" for label, n in deleted.items() if n))
        updates = recommendations * 10 if updates is None else updates

        def progress(result):
            share = result.recommendations / recommendations
            bar = "#" * round(30 * share)
            self.stdout.write(
                f"\r[{bar:<30}] {result.recommendations:,}/{recommendations:,} recommendations, "
                f"{result.updates:,} updates, {result.seconds:.0f} s",
                ending="",
            )
            self.stdout.flush()

        result = synthetic.generate(
            recommendations=recommendations,
            updates=updates,
            reports=reports,
            extra_owners=extra_owners,
            seed=seed,
            progress=progress,
        )
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(
                f"Added {result.reports:,} reports, {result.owners:,} owners, {result.recommendations:,} "
                f"recommendations and {result.updates:,} progress updates in {result.seconds:.1f} s."
            )
        )


def main(argv: list[str]) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
    import django

    django.setup()
    # Django's own handling: --help, CommandError as a one-line message and exit status 1.
    Command().run_from_argv(["python", "bench/generate_synthetic.py", *argv])


if __name__ == "__main__":
    main(sys.argv[1:])
