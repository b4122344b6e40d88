"""The series' links and closures, seeded from the sources only (#20): each is stated by a
sentence of a seed document, quoted with its reference in fixtures/README.md."""

from pathlib import Path

import pytest

from recommendations.models import ClosureEvent, Recommendation, RecommendationLink

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "fixtures" / "seeds"
README = (ROOT / "fixtures" / "README.md").read_text(encoding="utf-8")


def _flat(text: str) -> str:
    return " ".join(text.replace("<p>", " ").replace("</p>", " ").split())


SOURCES = _flat(" ".join(path.read_text(encoding="utf-8") for path in SEEDS.glob("*.txt")))


def test_the_2014_summary_has_its_own_recommendation(seeded):
    rec = Recommendation.objects.get(report__slug="turning-ambition-into-action-2014", number=1)
    assert rec.text.startswith("CPPs need to make sure that local community planning arrangements are clear")
    assert [o.slug for o in rec.owners.all()] == ["community-planning-partnerships"]
    assert RecommendationLink.objects.filter(
        later=rec, earlier__report__slug="improving-community-planning-2013", earlier__number=8, kind="follows_up"
    ).exists()


def test_the_national_community_planning_groups_recommendations_are_closed_as_superseded(seeded):
    closed = Recommendation.objects.exclude(closed_reason="").order_by("report__published", "number")
    assert [(r.report.slug, r.number, r.closed_reason) for r in closed] == [
        ("improving-community-planning-2013", 2, "superseded"),
        ("improving-community-planning-2013", 13, "superseded"),
    ]
    for event in ClosureEvent.objects.all():
        assert event.source.slug == "community-planning-update-impact-2018"
        assert "this guidance supersedes the Statement of Ambition from 2012 and work of the National" in event.note
        assert event.effective_display == "December 2016"


def test_every_seeded_link_and_closure_is_quoted_from_a_source_in_the_readme(seeded):
    keys = set(RecommendationLink.objects.exclude(source_key=None).values_list("source_key", flat=True))
    keys |= set(ClosureEvent.objects.exclude(source_key=None).values_list("source_key", flat=True))
    assert keys and RecommendationLink.objects.filter(source_key=None).count() == 0
    assert ClosureEvent.objects.filter(source_key=None).count() == 0
    section = README.split("## Links and closures", 1)[1]
    for key in keys:
        assert f"`{key}`" in section, key
    quotes = [line[2:].strip() for line in section.splitlines() if line.startswith("> ")]
    assert len(quotes) >= 2
    for quote in quotes:
        assert _flat(quote.strip('“”"')) in SOURCES, quote[:80]


def test_the_chain_page_shows_the_seeded_link(auditor_client, seeded):
    page = " ".join(auditor_client.get("/recommendations/repeated/").content.decode().split())
    assert "Improving community planning (2013), recommendation 8 and 1 linked" in page
    assert "Follows up Improving community planning (2013), recommendation 8" in page
