"""Load the seed publications in fixtures/ (format: fixtures/README.md).

Idempotent: owners, publications and recommendations are matched by slug and
(report, number) and saved only when something differs; assessments carry a
stable source key and are appended once, through the one service that creates
progress updates. All-or-nothing: one transaction.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from recommendations.models import (
    AuditDimension,
    ClosureEvent,
    Owner,
    ProgressUpdate,
    Recommendation,
    RecommendationLink,
    Response,
    Status,
)
from recommendations.services import (
    closure_event_create,
    progress_update_create,
    recommendation_link_create,
    response_create,
)
from reports.models import Publisher, Report
from tracker.dates import parse_partial_date

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"

# The four audit dimensions of the Code of Audit Practice; a data migration
# creates them too, but seed must not depend on a database never flushed.
AUDIT_DIMENSIONS = [
    ("financial-management", "Financial management"),
    ("financial-sustainability", "Financial sustainability"),
    ("governance-and-transparency", "Governance and transparency"),
    ("value-for-money", "Value for money"),
]


@dataclass
class SeedResult:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, outcome: str) -> None:
        bucket = self.created if outcome == "created" else self.updated
        bucket[kind] = bucket.get(kind, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def _upsert(model, lookup: dict, values: dict, result: SeedResult, kind: str):
    """Create, or update only the fields that differ, and record what happened."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
        obj.full_clean()
        obj.save()
        result.count(kind, "created")
        return obj
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.full_clean()
        obj.save()
        result.count(kind, "updated")
    return obj


def _set_m2m(manager, objects, result: SeedResult, kind: str) -> None:
    wanted = {o.pk for o in objects}
    if set(manager.values_list("pk", flat=True)) != wanted:
        manager.set(objects)
        result.count(kind, "updated")


def load_fixtures(directory: Path = FIXTURES_DIR) -> tuple[list[dict], list[dict]]:
    owners = json.loads((directory / "owners.json").read_text(encoding="utf-8"))
    publications = [
        json.loads(path.read_text(encoding="utf-8")) for path in sorted((directory / "publications").glob("*.json"))
    ]
    publications.sort(key=lambda p: (parse_partial_date(p["published"])[0], p["slug"]))
    return owners, publications


@transaction.atomic
def seed(directory: Path = FIXTURES_DIR) -> SeedResult:
    owners_data, publications = load_fixtures(directory)
    result = SeedResult()

    owners: dict[str, Owner] = {}
    for data in owners_data:
        owner = _upsert(
            Owner,
            {"slug": data["slug"]},
            {
                "name": data["name"],
                "kind": data["kind"],
                "abbreviation": data.get("abbreviation", ""),
                "former_names": "\n".join(data.get("former_names", [])),
                "description": data.get("description", ""),
                "council_area": data.get("council_area", ""),
                "all_cpps": data.get("all_cpps", False),
            },
            result,
            "owner",
        )
        owners[owner.name] = owner

    dimensions = {
        slug: AuditDimension.objects.get_or_create(slug=slug, defaults={"name": name, "position": position})[0]
        for position, (slug, name) in enumerate(AUDIT_DIMENSIONS, start=1)
    }
    reports: dict[str, Report] = {}
    recommendations: dict[str, Recommendation] = {}

    for pub in publications:
        published, precision = parse_partial_date(pub["published"])
        report = _upsert(
            Report,
            {"slug": pub["slug"]},
            {
                "title": pub["title"],
                "short_title": pub["short_title"],
                "published": published,
                "published_precision": precision,
                "kind": pub["kind"],
                "url": pub.get("url", ""),
                "summary": pub.get("summary", ""),
            },
            result,
            "report",
        )
        publishers = [Publisher.objects.get_or_create(name=name)[0] for name in pub["publishers"]]
        _set_m2m(report.publishers, publishers, result, "report publisher list")
        reports[report.slug] = report

        for rec in pub["recommendations"]:
            recommendation = _upsert(
                Recommendation,
                {"report": report, "number": rec["number"]},
                {"theme": rec.get("theme", ""), "text": rec["text"]},
                result,
                "recommendation",
            )
            _set_m2m(
                recommendation.owners, [owners[name] for name in rec["owners"]], result, "recommendation owner list"
            )
            _set_m2m(
                recommendation.audit_dimensions,
                [dimensions[slug] for slug in rec.get("audit_dimensions", [])],
                result,
                "recommendation dimension list",
            )
            recommendations[f"{report.slug}#{rec['number']}"] = recommendation

    # Second pass: links between publications and between recommendations.
    for pub in publications:
        report = reports[pub["slug"]]
        follows_up = reports[pub["follows_up"]] if pub.get("follows_up") else None
        if report.follows_up_id != (follows_up.pk if follows_up else None):
            report.follows_up = follows_up
            report.save(update_fields=["follows_up", "modified"])
            result.count("report", "updated")
        for rec in pub["recommendations"]:
            recommendation = recommendations[f"{pub['slug']}#{rec['number']}"]
            earlier = [recommendations[ref] for ref in rec.get("carries_forward", [])]
            _set_m2m(recommendation.carries_forward, earlier, result, "recommendation links")
            for link in rec.get("links", []):
                if not RecommendationLink.objects.filter(source_key=link["key"]).exists():
                    recommendation_link_create(
                        earlier=recommendations[link["earlier"]],
                        later=recommendation,
                        kind=link["kind"],
                        note=link.get("note", ""),
                        source_key=link["key"],
                    )
                    result.count("typed link", "created")

    # Assessments, in publication then document order, appended once each.
    existing_keys = set(ProgressUpdate.objects.exclude(source_key=None).values_list("source_key", flat=True))
    for pub in publications:
        concerns = owners[pub["concerns"]] if pub.get("concerns") else None
        for assessment in pub.get("assessments", []):
            assessed_on, precision = parse_partial_date(assessment["assessed_on"])
            targets = assessment["recommendations"]
            for ref in targets:
                key = assessment["key"] if len(targets) == 1 else f"{assessment['key']}:{ref}"
                if key in existing_keys:
                    continue
                rag = assessment.get("rag")
                progress_update_create(
                    recommendation=recommendations[ref],
                    rag=Status.from_slug(rag) if rag else Status.NOT_RATED,
                    summary=assessment["summary"],
                    assessed_on=assessed_on,
                    assessed_precision=precision,
                    evidence=assessment.get("evidence", []),
                    part=assessment.get("part", ""),
                    published_in=reports[pub["slug"]],
                    concerns=concerns,
                    source_key=key,
                )
                result.count("progress update", "created")

    # Closures a publication states (each once, by its key), after the assessments they follow.
    for pub in publications:
        for closure in pub.get("closures", []):
            if ClosureEvent.objects.filter(source_key=closure["key"]).exists():
                continue
            effective_on, precision = parse_partial_date(closure["effective_on"])
            closure_event_create(
                recommendation=recommendations[closure["recommendation"]],
                action=ClosureEvent.Action.CLOSE,
                reason=closure["reason"],
                effective_on=effective_on,
                effective_precision=precision,
                note=closure["note"],
                superseded_by=recommendations[closure["superseded_by"]] if closure.get("superseded_by") else None,
                superseded_by_title=closure.get("superseded_by_title", ""),
                source=reports[pub["slug"]],
                evidence=closure.get("evidence", []),
                source_key=closure["key"],
            )
            result.count("closure", "created")
    # Organisations' own responses (a CPP's board paper), appended once each.
    existing_responses = set(Response.objects.exclude(source_key=None).values_list("source_key", flat=True))
    for pub in publications:
        for response in pub.get("responses", []):
            responded_on, precision = parse_partial_date(response["responded_on"])
            targets = response["recommendations"]
            for ref in targets:
                key = response["key"] if len(targets) == 1 else f"{response['key']}:{ref}"
                if key in existing_responses:
                    continue
                response_create(
                    recommendation=recommendations[ref],
                    organisation=owners[response["organisation"]],
                    progress=response["progress"],
                    text=response["text"],
                    responded_on=responded_on,
                    responded_precision=precision,
                    evidence=response.get("evidence", []),
                    published_in=reports[pub["slug"]],
                    source_key=key,
                )
                result.count("response", "created")
    return result
