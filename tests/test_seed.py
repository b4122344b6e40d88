"""`manage.py seed`: idempotent, and faithful to the five source documents.

Expected figures below were counted by hand from the documents in
fixtures/seeds/ (copies of shared/seeds/), independently of the fixtures.
"""

import html
import re
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command

from recommendations.models import (
    ClosureEvent,
    Owner,
    ProgressUpdate,
    Recommendation,
    RecommendationLink,
    Response,
    Status,
)
from reports.models import Publisher, Report

pytestmark = pytest.mark.django_db

SEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "seeds"

R2006 = "community-planning-initial-review-2006"
SOA2012 = "statement-of-ambition-2012"
R2013 = "improving-community-planning-2013"
TAI2014 = "turning-ambition-into-action-2014"
R2016 = "community-planning-update-2016"
INV2016 = "inverclyde-alliance-response-2016"
IMPACT2018 = "community-planning-update-impact-2018"

# Inverclyde's paper: the Board's two "Note the contents ..." items are not audit recommendations.
RECOMMENDATIONS_PER_REPORT = {R2006: 21, SOA2012: 0, R2013: 15, TAI2014: 1, R2016: 13, INV2016: 0, IMPACT2018: 0}
# 2014: one narrative per 2013 recommendation. Inverclyde's paper is its response, not an
# assessment (test_inverclyde_board_paper_is_its_response). 2018: 11 ratings (row 1 rates three parts, the
# "test of change" row two grouped recommendations) + one narrative on three CPP recs.
UPDATES_PUBLISHED_IN = {TAI2014: 15, IMPACT2018: 14}

# Every rating the 2018 impact report publishes: (2016 recommendation number, rating, part rated).
PUBLISHED_RATINGS_2018 = sorted(
    [
        (7, Status.GREEN, ""),  # clarify performance expectations (statutory guidance)
        (1, Status.GREEN, "Route map for improving community planning"),
        (1, Status.AMBER, "How the impact of these changes will be assessed"),
        (2, Status.GREEN, ""),  # locally tailored national programme of improvement support
        (3, Status.GREEN, ""),  # good practice identified and shared
        (4, Status.GREEN, ""),  # national forum (OEPB)
        (5, Status.RED, ""),  # 'test of change' ...
        (6, Status.RED, ""),  # ... and its evaluation, grouped in one row
        (8, Status.AMBER, ""),  # streamline national performance frameworks
        (9, Status.GREEN, ""),  # views of local communities
        (10, Status.AMBER, ""),  # climate and culture of local autonomy
    ]
)
CURRENT_2016 = {
    1: Status.AMBER,  # its latest assessment rates the impact-assessment part Amber
    2: Status.GREEN,
    3: Status.GREEN,
    4: Status.GREEN,
    5: Status.RED,
    6: Status.RED,
    7: Status.GREEN,
    8: Status.AMBER,
    9: Status.GREEN,
    10: Status.AMBER,
    11: Status.NOT_RATED,
    12: Status.NOT_RATED,
    13: Status.NOT_RATED,
}

CPP_COUNCIL_AREAS = [
    "Aberdeen City", "Aberdeenshire", "Angus", "Argyll and Bute", "City of Edinburgh", "Clackmannanshire",
    "Dumfries and Galloway", "Dundee City", "East Ayrshire", "East Dunbartonshire", "East Lothian",
    "East Renfrewshire", "Falkirk", "Fife", "Glasgow City", "Highland", "Inverclyde", "Midlothian", "Moray",
    "Na h-Eileanan Siar", "North Ayrshire", "North Lanarkshire", "Orkney Islands", "Perth and Kinross",
    "Renfrewshire", "Scottish Borders", "Shetland Islands", "South Ayrshire", "South Lanarkshire", "Stirling",
    "West Dunbartonshire", "West Lothian",
]  # fmt: skip


def snapshot():
    """Everything seed writes, as comparable values."""
    return {
        "reports": sorted(Report.objects.values_list("slug", "title", "published", "published_precision", "kind")),
        "owners": sorted(Owner.objects.values_list("slug", "name", "kind", "former_names", "all_cpps")),
        "recommendations": sorted(
            Recommendation.objects.values_list(
                "report__slug", "number", "theme", "text", "status", "status_date", "update_count", "modified"
            )
        ),
        "owner_links": sorted(Recommendation.owners.through.objects.values_list("recommendation_id", "owner_id")),
        "typed_links": sorted(RecommendationLink.objects.values_list("source_key", "earlier_id", "later_id", "kind")),
        "closures": sorted(
            ClosureEvent.objects.values_list("source_key", "recommendation_id", "reason", "effective_on")
        ),
        "updates": sorted(
            ProgressUpdate.objects.values_list("source_key", "recommendation_id", "rag", "assessed_on", "summary")
        ),
        "responses": sorted(
            Response.objects.values_list("source_key", "recommendation_id", "organisation_id", "progress", "text")
        ),
    }


def _empty_database():
    """Remove the seed data the test database starts with (rolled back after the test)."""
    ClosureEvent.objects.all().delete()
    Response.objects.all().delete()
    ProgressUpdate.objects.all().delete()
    Recommendation.objects.all().delete()
    Report.objects.update(follows_up=None)
    Report.objects.all().delete()
    Publisher.objects.all().delete()
    Owner.objects.all().delete()


def test_seed_twice_into_an_empty_database_changes_nothing():
    _empty_database()
    assert Recommendation.objects.count() == ProgressUpdate.objects.count() == Owner.objects.count() == 0
    call_command("seed", verbosity=0)
    first = snapshot()
    call_command("seed", verbosity=0)
    assert snapshot() == first
    assert len(first["recommendations"]) == 50
    assert len(first["updates"]) == 29
    assert len(first["responses"]) == 3


def test_seed_command_reports_nothing_changed_the_second_time(capsys):
    _empty_database()
    call_command("seed")
    assert "Created 50 recommendations" in capsys.readouterr().out
    call_command("seed")
    assert "nothing changed" in capsys.readouterr().out


def test_counts_per_publication(seeded):
    for slug, expected in RECOMMENDATIONS_PER_REPORT.items():
        assert Recommendation.objects.filter(report__slug=slug).count() == expected, slug
    published_in = Counter(ProgressUpdate.objects.values_list("published_in__slug", flat=True))
    assert dict(published_in) == UPDATES_PUBLISHED_IN


def test_publication_dates_keep_the_precision_the_sources_give(seeded):
    shown = {r.slug: r.published_display for r in Report.objects.all()}
    assert shown == {
        R2006: "June 2006",
        SOA2012: "January 2012",
        R2013: "March 2013",
        TAI2014: "November 2014",
        R2016: "3 March 2016",
        INV2016: "13 June 2016",
        IMPACT2018: "July 2018",
    }


def test_follow_up_chain(seeded):
    follows = dict(Report.objects.values_list("slug", "follows_up__slug"))
    assert follows[TAI2014] == R2013
    assert follows[R2016] == TAI2014
    assert follows[INV2016] == R2016
    assert follows[IMPACT2018] == R2016


def test_every_rating_the_2018_impact_report_publishes(seeded):
    rated = ProgressUpdate.objects.filter(published_in__slug=IMPACT2018).exclude(rag=Status.NOT_RATED)
    assert sorted((u.recommendation.number, u.rag, u.part) for u in rated) == PUBLISHED_RATINGS_2018
    assert all(u.recommendation.report.slug == R2016 for u in rated)
    assert {u.assessed_display for u in ProgressUpdate.objects.filter(published_in__slug=IMPACT2018)} == {"July 2018"}


def test_narrative_only_assessments_carry_no_rating(seeded):
    # The 2014 summary and the Inverclyde paper give no ratings at all.
    for slug in (TAI2014,):
        assert set(ProgressUpdate.objects.filter(published_in__slug=slug).values_list("rag", flat=True)) == {
            Status.NOT_RATED
        }
    # The 2018 narrative on the three CPP recommendations is not rated either.
    cpp_2018 = ProgressUpdate.objects.filter(published_in__slug=IMPACT2018, recommendation__number__in=[11, 12, 13])
    assert cpp_2018.count() == 3
    assert set(cpp_2018.values_list("rag", flat=True)) == {Status.NOT_RATED}
    # Nothing is rated except what the 2018 report rates.
    assert ProgressUpdate.objects.exclude(rag=Status.NOT_RATED).count() == len(PUBLISHED_RATINGS_2018)


def test_current_status_of_the_2016_recommendations(seeded):
    current = dict(Recommendation.objects.filter(report__slug=R2016).values_list("number", "status"))
    assert current == CURRENT_2016
    assert Counter(current.values()) == {Status.GREEN: 5, Status.AMBER: 3, Status.RED: 2, Status.NOT_RATED: 3}


def test_recommendations_without_assessment_are_never_assessed(seeded):
    for slug in (R2006,):
        assert set(Recommendation.objects.filter(report__slug=slug).values_list("status", flat=True)) == {
            Status.NEVER_ASSESSED
        }
    assert set(Recommendation.objects.filter(report__slug=R2013).values_list("status", "update_count")) == {
        (Status.NOT_RATED, 1)
    }


def test_grouped_rows_give_each_recommendation_the_assessment(seeded):
    test_of_change = ProgressUpdate.objects.filter(published_in__slug=IMPACT2018, rag=Status.RED)
    assert sorted(test_of_change.values_list("recommendation__number", flat=True)) == [5, 6]
    assert len(set(test_of_change.values_list("summary", flat=True))) == 1


def test_inverclyde_board_paper_is_its_response(seeded):
    """The paper answers 2016 #11-13 in paragraph 5.4 (one sentence each): Inverclyde
    Alliance's response, not an assessment, and no recommendation of its own."""
    assert not ProgressUpdate.objects.filter(published_in__slug=INV2016).exists()
    responses = Response.objects.filter(published_in__slug=INV2016).select_related("recommendation__report")
    assert set(responses.values_list("organisation__name", flat=True)) == {"Inverclyde Alliance"}
    assert sorted(responses.values_list("recommendation__number", flat=True)) == [11, 12, 13]
    assert {r.recommendation.report.slug for r in responses} == {R2016}
    assert {r.responded_display for r in responses} == {"13 June 2016"}
    assert {r.progress_label for r in responses} == {"In progress"}
    assert "workshop on leadership" in responses.get(recommendation__number=13).text
    assert not Recommendation.objects.filter(text__contains="Note the contents of this report").exists()
    paper = Report.objects.get(slug=INV2016)
    assert paper.kind == Report.Kind.LOCAL_RESPONSE
    assert [p.name for p in paper.publishers.all()] == ["Inverclyde Alliance"]


def test_evidence_references_are_structured_data(seeded):
    rec = Recommendation.objects.get(report__slug=R2013, number=1)
    update = rec.updates.get()
    assert update.evidence == [
        {"section": "", "paragraphs": ["10"], "page": 11},
        {"section": "", "paragraphs": ["23", "24"], "page": 14},
    ]
    assert update.evidence_display == ["Paragraph 10, page 11", "Paragraphs 23 and 24, page 14"]
    assert "Paragraph 10" not in update.summary


def test_owners_32_cpps_and_former_names(seeded):
    cpps = Owner.objects.filter(kind=Owner.Kind.CPP, all_cpps=False)
    assert sorted(cpps.values_list("council_area", flat=True)) == CPP_COUNCIL_AREAS
    assert Owner.objects.get(council_area="Inverclyde").name == "Inverclyde Alliance"
    assert Owner.objects.get(all_cpps=True).name == "Community Planning Partnerships"
    assert "Scottish Executive" in Owner.objects.get(name="Scottish Government").former_name_list


def test_addressees(seeded):
    def owners(slug, number):
        return set(Recommendation.objects.get(report__slug=slug, number=number).owners.values_list("name", flat=True))

    assert owners(R2016, 1) == {"Scottish Government", "COSLA"}
    assert owners(R2016, 8) == {"Scottish Government"}
    assert owners(R2016, 12) == {"Community Planning Partnerships"}
    assert owners(R2013, 15) == {"Improvement Service", "Scottish Government"}
    assert owners(R2006, 1) == {"Scottish Government", "Community Planning Partnerships"}


def test_audit_dimensions_where_stated(seeded):
    def dims(number):
        rec = Recommendation.objects.get(report__slug=R2016, number=number)
        return set(rec.audit_dimensions.values_list("slug", flat=True))

    assert dims(4) == {"governance-and-transparency"}
    assert dims(3) == {"value-for-money"}
    assert dims(5) == dims(8) == {"governance-and-transparency", "value-for-money"}
    assert dims(11) == set()


def test_themes_of_the_2013_recommendations(seeded):
    themes = list(Recommendation.objects.filter(report__slug=R2013).order_by("number").values_list("theme", flat=True))
    assert themes == (
        ["Strong shared leadership"] * 3
        + ["Governance and accountability"] * 3
        + ["Clear priorities for improvement and use of resources"] * 3
        + ["Community engagement and empowerment"] * 2
        + ["Improvement support and capacity building"] * 4
    )


def test_bullets_are_kept_as_lines(seeded):
    rec = Recommendation.objects.get(report__slug=R2013, number=4)
    assert rec.text.count("\n- ") == 4
    assert "- successfully mobilising resources towards agreed goals" in rec.text


DEBRIS = re.compile(r"<[a-zA-Z/!]|&[#a-zA-Z0-9]+;|\(PDF\)|\]\(#\)|\\\(")


def _text_fields():
    for r in Report.objects.all():
        yield f"report {r.slug}", [r.title, r.short_title, r.summary]
    for o in Owner.objects.all():
        yield f"owner {o.slug}", [o.name, o.former_names, o.description]
    for rec in Recommendation.objects.select_related("report"):
        yield f"recommendation {rec}", [rec.text, rec.theme]
    for u in ProgressUpdate.objects.all():
        yield f"update {u.source_key}", [u.summary, u.part]


def test_no_html_or_link_debris_in_any_text_field(seeded):
    for label, values in _text_fields():
        for value in values:
            assert not DEBRIS.search(value), f"{label}: {DEBRIS.search(value).group()!r} in {value[:80]!r}"


def _normalise(text: str) -> str:
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    text = re.sub(r"\[([^\]]*)\]\(#\)", r"\1", text).replace("\\(", "(").replace("\\)", ")")
    return re.sub(r"\s+", " ", text.replace("•", " ")).strip()


def test_every_line_of_seeded_text_appears_in_its_source_document(seeded):
    """Faithfulness: text was copied, not retyped. Each paragraph or bullet must
    appear verbatim (modulo whitespace and markup) in one of the sources."""
    sources = " ".join(_normalise(path.read_text(encoding="utf-8")) for path in sorted(SEEDS.glob("*.txt")))
    assert len(sources) > 50_000
    texts = [(str(rec), rec.text) for rec in Recommendation.objects.all()]
    texts += [(update.source_key, update.summary) for update in ProgressUpdate.objects.all()]
    checked = 0
    for label, text in texts:
        for line in text.splitlines():
            line = _normalise(line.removeprefix("- "))
            if line:
                assert line in sources, f"{label}: {line!r}"
                checked += 1
    assert checked > 150
