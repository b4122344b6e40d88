"""Deterministic synthetic data at scale, for the benchmark (bench/pages.py, issue #8).

``generate`` adds reports, owners, recommendations (1-4 owners each) and their
progress history, all marked by a ``synthetic-`` slug prefix on their reports
and owners so that ``reset`` can remove exactly them and nothing seeded or
entered by hand. The same seed and scale give the same data.

History is written directly, not through ``services.progress_update_create``
(one row lock and four queries per update would take hours at a million), so
this module keeps the service's invariant itself: each recommendation's
status, status date, precision and update count are those of its latest update
by (date assessed, created, id), which the database's
``recommendation_status_consistent`` constraint partly checks.

Rows are written in batches of whole reports: PostgreSQL's ``COPY`` (about
1,000,000 updates a minute on two cores), elsewhere ``executemany``. One
transaction: a failed run leaves nothing behind.
"""

import csv
import datetime
import io
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction

from recommendations import choice_lists
from recommendations.models import AuditDimension, Owner, ProgressUpdate, Recommendation, Status
from recommendations.owner_names import joined
from reports.models import Publisher, Report
from tracker.dates import DatePrecision

PREFIX = "synthetic-"
PUBLISHER = "Synthetic Audit Office"
FIRST_YEAR = 1996
END = datetime.date(2026, 6, 30)  # fixed, so that the same seed gives the same data on any day
BATCH_RECOMMENDATIONS = 10_000

OwnerLink = Recommendation.owners.through
DimensionLink = Recommendation.audit_dimensions.through

TOPICS = [
    "workforce planning",
    "digital services",
    "community engagement",
    "financial sustainability",
    "data sharing",
    "climate change adaptation",
    "health and social care integration",
    "early intervention",
    "asset management",
    "procurement",
    "performance reporting",
    "risk management",
    "public transport",
    "affordable housing",
    "child poverty",
    "educational attainment",
    "mental health services",
    "local economic development",
    "waste and recycling",
    "cyber security",
    "capital investment",
    "partnership working",
    "outcome measures",
    "service redesign",
    "income generation",
    "drug and alcohol services",
    "fuel poverty",
    "community safety",
    "equalities duties",
    "transformation programmes",
    "budget setting",
    "reserves strategy",
    "shared services",
    "locality planning",
    "participatory budgeting",
    "self-directed support",
    "school estate",
    "road maintenance",
    "employability programmes",
    "homelessness prevention",
]
VERBS = [
    "set out a clear plan for",
    "strengthen its approach to",
    "report publicly on progress with",
    "agree shared priorities for",
    "improve the evidence base on",
    "review the governance of",
    "allocate resources to",
    "involve communities in decisions about",
    "develop measurable targets for",
    "work with partners to improve",
    "publish a timetable for",
    "build leadership capacity in",
]
QUALIFIERS = [
    "within the next twelve months",
    "so that outcomes improve for local people",
    "and monitor the impact on inequalities",
    "drawing on good practice elsewhere",
    "with clear lines of accountability",
    "and report to the board every year",
    "taking account of long-term financial pressures",
    "focusing on prevention",
    "using comparable performance data",
    "in line with national guidance",
]
SUBJECTS = ["The council", "The partnership", "The board", "Partners", "The Scottish Government", "Public bodies"]
THEMES = [
    "Leadership and governance",
    "Use of resources",
    "Financial planning",
    "Partnership working",
    "Performance management",
    "Community empowerment",
    "Workforce",
    "Outcomes and improvement",
    "Scrutiny and accountability",
    "Best value",
    "Data and digital",
    "Equalities",
]
PROGRESS = {
    Status.RED: ["Little progress has been made on", "Work has stalled on", "There is no evidence of action on"],
    Status.AMBER: [
        "Some progress has been made on",
        "Work is under way on",
        "Plans are agreed but not yet in place for",
    ],
    Status.GREEN: ["Good progress has been made on", "The recommendation is implemented for", "Action is complete on"],
    Status.NOT_RATED: ["The board received a report on", "Partners discussed", "A narrative update was given on"],
}
# Markov chain of ratings: where each rating tends to go next (Red, Amber, Green, Not rated).
RATINGS = [Status.RED, Status.AMBER, Status.GREEN, Status.NOT_RATED]
FIRST = [25, 45, 15, 15]
NEXT = {
    Status.RED: [45, 40, 10, 5],
    Status.AMBER: [10, 50, 35, 5],
    Status.GREEN: [2, 10, 85, 3],
    Status.NOT_RATED: [20, 40, 30, 10],
}
EXTRA_OWNER_KINDS = [
    (Owner.Kind.LOCAL_GOVERNMENT_BODY, "council"),
    (Owner.Kind.OTHER_PARTNER, "health board"),
    (Owner.Kind.OTHER_PARTNER, "integration joint board"),
    (Owner.Kind.NATIONAL_GROUP, "national group"),
    (Owner.Kind.IMPROVEMENT_BODY, "improvement body"),
    (Owner.Kind.NATIONAL_GOVERNMENT, "agency"),
]


class SyntheticDataExists(Exception):
    """The database already holds synthetic data; reset it first."""


@dataclass
class Result:
    reports: int = 0
    owners: int = 0
    recommendations: int = 0
    updates: int = 0
    seconds: float = 0.0


def exists() -> bool:
    """Whether synthetic data is present. 2 queries."""
    return (
        Report.objects.filter(slug__startswith=PREFIX).exists()
        or Owner.objects.filter(slug__startswith=PREFIX).exists()
    )


def reset() -> dict[str, int]:
    """Delete every synthetic row (and only those): updates and links of synthetic
    reports' recommendations, the recommendations, the reports, the synthetic owners
    and publisher. Raw DELETEs, as the ORM's collector would load every row first.
    Raises ValueError, deleting nothing, if a synthetic owner is used by data that
    is not synthetic."""
    owners = Owner.objects.filter(slug__startswith=PREFIX)
    links = OwnerLink.objects.filter(owner__slug__startswith=PREFIX)
    if (
        links.exclude(recommendation__report__slug__startswith=PREFIX).exists()
        or ProgressUpdate.objects.filter(concerns__in=owners).exists()
    ):
        raise ValueError("A synthetic owner is used by data that is not synthetic: remove that first.")
    recs = (
        f"SELECT r.id FROM {Recommendation._meta.db_table} r JOIN {Report._meta.db_table} p ON p.id = r.report_id"  # noqa: S608 - table names  # nosec B608
        " WHERE p.slug LIKE %s"
    )
    reports = f"SELECT id FROM {Report._meta.db_table} WHERE slug LIKE %s"  # noqa: S608 - a table name  # nosec B608
    carries = Recommendation.carries_forward.through
    # (what, table, column, the ids to delete), in an order the foreign keys allow.
    deletions = [
        ("progress updates", ProgressUpdate, "recommendation_id", recs),
        ("owner links", OwnerLink, "recommendation_id", recs),
        ("dimension links", DimensionLink, "recommendation_id", recs),
        ("carried-forward links", carries, "from_recommendation_id", recs),
        ("carried-forward links", carries, "to_recommendation_id", recs),
        ("recommendations", Recommendation, "id", recs),
        ("report publishers", Report.publishers.through, "report_id", reports),
        ("reports", Report, "id", reports),
    ]
    deleted: dict[str, int] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        for label, model, column, ids in deletions:
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE {column} IN ({ids})", [PREFIX + "%"])  # noqa: S608 - names from the models  # nosec B608
            deleted[label] = deleted.get(label, 0) + cursor.rowcount
        deleted["owners"] = owners.delete()[1].get(Owner._meta.label, 0)
        Publisher.objects.filter(name=PUBLISHER, reports__isnull=True).delete()
        choice_lists.changed()  # raw DELETEs: no signal says the filter's lists changed
    return deleted


def _weighted(rng: random.Random, weights: list[int]) -> int:
    return rng.choices(range(len(weights)), weights)[0]


def _report_dates(rng: random.Random, n: int) -> list[tuple[datetime.date, str]]:
    """n publication dates spread over FIRST_YEAR..(END - 90 days), oldest first."""
    start = datetime.date(FIRST_YEAR, 1, 1)
    span = (END - datetime.timedelta(days=90) - start).days
    dates = []
    for day in sorted(rng.randrange(span) for _ in range(n)):
        when = start + datetime.timedelta(days=day)
        precision = rng.choices([DatePrecision.DAY, DatePrecision.MONTH, DatePrecision.YEAR], [85, 12, 3])[0]
        if precision == DatePrecision.MONTH:
            when = when.replace(day=1)
        elif precision == DatePrecision.YEAR:
            when = when.replace(month=1, day=1)
        dates.append((when, precision))
    return dates


def _split(total: int, weights: list[float]) -> list[int]:
    """Whole numbers in proportion to ``weights`` that add up to exactly ``total``."""
    whole = sum(weights) or 1.0
    parts, running, given = [], 0.0, 0
    for weight in weights:
        running += weight
        upto = round(total * running / whole)
        parts.append(upto - given)
        given = upto
    return parts


def _update_counts(rng: random.Random, ages: list[int], total: int) -> list[int]:
    """Split exactly ``total`` updates over recommendations whose reports are ``ages``
    days old: older ones have more history; about 1 in 12 has none yet."""
    return _split(
        total, [0.0 if rng.random() < 0.08 else rng.uniform(0.3, 1.7) * min(1.0, 0.2 + age / 1800) for age in ages]
    )


def _history(rng: random.Random, published: datetime.date, count: int) -> list[tuple]:
    """``count`` updates as (assessed_on, precision, rag, created), oldest first: dates
    after publication, a plausible RAG sequence, ``created`` increasing."""
    span = (END - published).days
    dates = []
    for _ in range(count):
        when = published + datetime.timedelta(days=30 + rng.randrange(max(1, span - 30)))
        if rng.random() < 0.1:
            dates.append((when.replace(day=1), DatePrecision.MONTH))
        else:
            dates.append((when, DatePrecision.DAY))
    dates.sort()
    rows, rag = [], None
    for step, (when, precision) in enumerate(dates):
        rag = RATINGS[_weighted(rng, FIRST if rag is None else NEXT[rag])]
        created = datetime.datetime(when.year, when.month, when.day, 12, tzinfo=datetime.UTC)
        rows.append((when, precision, rag, _datetime(created + datetime.timedelta(seconds=step))))
    return rows


def _datetime(value: datetime.datetime):
    """A datetime as the database backend stores it (naive UTC text on SQLite)."""
    return connection.ops.adapt_datetimefield_value(value)


class _Sink:
    """Writes rows to one table: COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self, model, columns: list[str], not_null_text: tuple[str, ...] = ()):
        self.table = model._meta.db_table
        self.columns = columns
        self.not_null_text = not_null_text

    def write(self, cursor, rows: list[tuple]) -> None:
        if not rows:
            return
        columns = ", ".join(self.columns)
        if connection.vendor == "postgresql":
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\n").writerows(rows)
            buffer.seek(0)
            # Unquoted empty CSV fields are NULL; text columns that are never NULL read them as ''.
            force = f", FORCE_NOT_NULL ({', '.join(self.not_null_text)})" if self.not_null_text else ""
            cursor.copy_expert(f"COPY {self.table} ({columns}) FROM STDIN WITH (FORMAT csv{force})", buffer)
        else:
            marks = ", ".join(["%s"] * len(self.columns))
            cursor.executemany(f"INSERT INTO {self.table} ({columns}) VALUES ({marks})", rows)  # noqa: S608  # nosec B608


REC_SINK = _Sink(
    Recommendation,
    [
        "report_id",
        "number",
        "theme",
        "text",
        "status",
        "status_date",
        "status_date_precision",
        "update_count",
        "first_assessed_on",
        "owner_names",
        "created",
        "modified",
    ],
    not_null_text=("theme", "text", "status_date_precision", "owner_names"),
)
UPDATE_SINK = _Sink(
    ProgressUpdate,
    [
        "recommendation_id",
        "assessed_on",
        "assessed_precision",
        "rag",
        "part",
        "summary",
        "evidence",
        "created",
        "superseded_on",
    ],
    not_null_text=("assessed_precision", "part", "summary", "evidence"),
)
OWNER_SINK = _Sink(OwnerLink, ["recommendation_id", "owner_id"])
DIMENSION_SINK = _Sink(DimensionLink, ["recommendation_id", "auditdimension_id"])


def _owners(extra: int) -> tuple[list[int], list[int], dict[int, str]]:
    """(owner ids, selection weights, names by id): the seeded owners (seeding them first when the
    32 CPPs are missing) plus ``extra`` synthetic ones. A few national bodies carry
    much of the load, as in real trackers. 3-5 queries."""
    if Owner.objects.filter(kind=Owner.Kind.CPP, all_cpps=False).count() < 32:
        from recommendations.seeding import seed

        seed()
    kinds = [EXTRA_OWNER_KINDS[i % len(EXTRA_OWNER_KINDS)] for i in range(extra)]
    Owner.objects.bulk_create(
        Owner(name=f"Synthetic {label} {i:03d}", slug=f"{PREFIX}{label.replace(' ', '-')}-{i:03d}", kind=kind)
        for i, (kind, label) in enumerate(kinds, start=1)
    )
    ids, weights, names = [], [], {}
    for pk, kind, all_cpps, name in Owner.objects.order_by("pk").values_list("pk", "kind", "all_cpps", "name"):
        ids.append(pk)
        names[pk] = name
        if all_cpps:
            weights.append(40)
        elif kind == Owner.Kind.CPP:
            weights.append(4)
        elif kind in (Owner.Kind.NATIONAL_GOVERNMENT, Owner.Kind.LOCAL_GOVERNMENT_BODY):
            weights.append(25)
        else:
            weights.append(8)
    return ids, weights, names


def generate(
    *,
    recommendations: int,
    updates: int,
    reports: int | None = None,
    extra_owners: int = 80,
    seed: int = 1,
    progress: Callable[[Result], None] | None = None,
) -> Result:
    """Add ``recommendations`` recommendations with ``updates`` progress updates in
    all, over ``reports`` reports (default: one per 25 recommendations), addressed to
    the seeded owners plus ``extra_owners`` synthetic ones. Raises SyntheticDataExists
    when synthetic data is already present. Calls ``progress`` after each batch."""
    if exists():
        raise SyntheticDataExists("The database already holds synthetic data.")
    started = time.perf_counter()
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    reports = reports or max(1, recommendations // 25)
    result = Result()
    with transaction.atomic():
        owner_ids, owner_weights, owner_names = _owners(extra_owners)
        result.owners = extra_owners
        dimension_ids = list(AuditDimension.objects.order_by("position").values_list("pk", flat=True))
        publisher, _ = Publisher.objects.get_or_create(name=PUBLISHER)

        # Reports, and how many recommendations each has (exactly ``recommendations`` in all).
        dates = _report_dates(rng, reports)
        sizes = _split(recommendations, [rng.uniform(0.2, 1.8) for _ in range(reports)])
        report_objs = Report.objects.bulk_create(
            Report(
                title=f"Synthetic report {i:06d}: {rng.choice(TOPICS)} ({when.year})",
                short_title=f"Synthetic {i:06d} ({when.year})",
                slug=f"{PREFIX}{i:06d}",
                published=when,
                published_precision=precision,
                kind=rng.choice(Report.Kind.values),
            )
            for i, (when, precision) in enumerate(dates, start=1)
        )
        Report.publishers.through.objects.bulk_create(
            Report.publishers.through(report_id=r.pk, publisher_id=publisher.pk) for r in report_objs
        )
        result.reports = len(report_objs)

        per_rec_report = [report for report, size in zip(report_objs, sizes, strict=True) for _ in range(size)]
        counts = _update_counts(rng, [(END - r.published).days for r in per_rec_report], updates)
        sentences = [
            f"{rng.choice(SUBJECTS)} should {rng.choice(VERBS)} {topic} {rng.choice(QUALIFIERS)}."
            for topic in TOPICS
            for _ in range(25)
        ]

        with connection.cursor() as cursor:
            start = 0
            while start < len(report_objs):
                # A batch of whole reports, about BATCH_RECOMMENDATIONS recommendations.
                end, size = start, 0
                while end < len(report_objs) and (size < BATCH_RECOMMENDATIONS or end == start):
                    size += sizes[end]
                    end += 1
                _write_batch(
                    cursor,
                    rng,
                    report_objs[start:end],
                    sizes[start:end],
                    counts[result.recommendations : result.recommendations + size],
                    sentences,
                    owner_ids,
                    owner_weights,
                    owner_names,
                    dimension_ids,
                    result,
                )
                start = end
                result.seconds = time.perf_counter() - started
                if progress:
                    progress(result)
        choice_lists.changed()  # written with COPY: no signal says the filter's lists changed
    if connection.vendor == "postgresql":
        # Fresh statistics for the planner; VACUUM (outside a transaction only) also sets
        # the visibility map that index-only scans, such as the table's count, rely on.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        with connection.cursor() as cursor:
            # Every table written, the small ones too: left to autovacuum, the owners table
            # (121 rows) had no statistics, and the planner took "owners of a kind" for one
            # row (the owner-kind filter: 20 ms -> 190 ms).
            for model in (
                Owner,
                Report,
                Report.publishers.through,
                Recommendation,
                OwnerLink,
                DimensionLink,
                ProgressUpdate,
            ):
                cursor.execute(f"{command} {model._meta.db_table}")
    result.seconds = time.perf_counter() - started
    return result


def _write_batch(
    cursor, rng, reports, sizes, counts, sentences, owner_ids, owner_weights, owner_names, dimension_ids, result
):
    """Recommendations of these reports (with their current status and their owners' names),
    then, once their ids are known, their owners, dimensions and history."""
    now = _datetime(datetime.datetime(END.year, END.month, END.day, tzinfo=datetime.UTC))
    rec_rows, plans = [], []
    index = 0
    for report, size in zip(reports, sizes, strict=True):
        for number in range(1, size + 1):
            topic = rng.randrange(len(TOPICS))
            text = " ".join(
                [sentences[topic * 25 + rng.randrange(25)]] + rng.sample(sentences, rng.choice([0, 1, 1, 2]))
            )
            history = _history(rng, report.published, counts[index])
            index += 1
            if history:
                when, precision, rag, _ = history[-1]
                status = (rag.value, when.isoformat(), precision, len(history), history[0][0].isoformat())
            else:
                status = (Status.NEVER_ASSESSED.value, None, DatePrecision.DAY, 0, None)
            theme = rng.choice(THEMES) if rng.random() < 0.9 else ""
            owners = set(rng.choices(owner_ids, owner_weights, k=1 + _weighted(rng, [50, 30, 15, 5])))
            names = joined(owner_names[owner] for owner in owners)
            rec_rows.append((report.pk, number, theme, text, *status, names, now, now))
            dimensions = rng.sample(dimension_ids, _weighted(rng, [50, 35, 15])) if dimension_ids else []
            plans.append((report.pk, number, TOPICS[topic], owners, dimensions, history))
    REC_SINK.write(cursor, rec_rows)

    ids = dict(
        ((report_id, number), pk)
        for report_id, number, pk in Recommendation.objects.filter(report__in=reports).values_list(
            "report_id", "number", "pk"
        )
    )
    owner_rows, dimension_rows, update_rows = [], [], []
    for report_id, number, topic, owners, dimensions, history in plans:
        pk = ids[(report_id, number)]
        owner_rows.extend((pk, owner) for owner in sorted(owners))
        dimension_rows.extend((pk, dimension) for dimension in dimensions)
        # History is oldest first, in the order (date assessed, created, id) it is written
        # in: each update is superseded on its successor's date (services._refresh_status).
        following = [row[0].isoformat() for row in history[1:]] + [None] if history else []
        for (when, precision, rag, created), superseded_on in zip(history, following, strict=True):
            summary = f"{rng.choice(PROGRESS[rag])} {topic}, {rng.choice(QUALIFIERS)}."
            evidence = (
                json.dumps([{"section": "", "paragraphs": [str(rng.randint(1, 80))], "page": rng.randint(1, 60)}])
                if rng.random() < 0.4
                else "[]"
            )
            update_rows.append(
                (pk, when.isoformat(), precision, rag.value, "", summary, evidence, created, superseded_on)
            )
    OWNER_SINK.write(cursor, owner_rows)
    DIMENSION_SINK.write(cursor, dimension_rows)
    UPDATE_SINK.write(cursor, update_rows)
    result.recommendations += len(rec_rows)
    result.updates += len(update_rows)
