"""Stored plain text's paragraphs and bullet lines shown as real paragraphs and lists, on
every page that shows recommendation text or a progress summary (#18), escaped or sanitised."""

import datetime

import pytest
from django.db import connection
from django.template import Context, Template

from recommendations.models import ProgressUpdate, Recommendation, Status
from tests.factories import add_update
from tests.xss_payloads import PAYLOADS, assert_no_executable_vector
from tracker import richtext

R2016 = "community-planning-update-2016"


def rich(value) -> str:
    return Template("{% load tracker_tags %}{{ value|rich_text }}").render(Context({"value": value}))


def test_paragraphs_and_bullet_runs():
    text = (
        "The Scottish Government should:\n- do one thing\n- do another,\n  over two lines\n\n"
        "Then:\n• first\n•second\nAfter."
    )
    assert rich(text) == (
        "<p>The Scottish Government should:</p>\n"
        "<ul><li>do one thing</li><li>do another, over two lines</li></ul>\n"
        "<p>Then:</p>\n<ul><li>first</li><li>second</li></ul>\n<p>After.</p>"
    )


def test_plain_text_is_escaped_and_not_every_dash_is_a_bullet():
    assert (
        rich('Fish & chips <3 "quoted"\n-5 degrees') == "<p>Fish &amp; chips &lt;3 &quot;quoted&quot;<br>-5 degrees</p>"
    )


@pytest.mark.parametrize("n", range(len(PAYLOADS)))
def test_payload_in_a_bullet_is_never_executable(n):
    html = rich(f"Do this:\n- {PAYLOADS[n]}\n- then\n\n{PAYLOADS[n]}")
    assert_no_executable_vector(html, where=f"payload {n}")
    if not richtext.has_block_markup(PAYLOADS[n]):  # text laid out with <p>s is sanitised as it is
        assert "<li>then</li>" in html


def test_escaped_markup_is_not_unescaped_into_markup():
    # Text that only the sanitiser's unescaping would turn into a script.
    value = "<x>&lt;script&gt;alert(1)&lt;/script&gt;</x>"
    assert "<script" not in str(richtext.render(value))
    assert "<script" not in rich(f"Do:\n- {value}")


@pytest.mark.django_db
def test_bullets_are_lists_on_detail_history_dashboard_and_appendix(auditor_client, auditor, seeded):
    rec = Recommendation.objects.get(report__slug=R2016, number=1)
    add_update(rec, Status.GREEN, datetime.date(2020, 1, 10), "Done:\n- a route map published\n- its steps under way")
    seeded_list = "<p>The Scottish Government and COSLA should:</p>\n<ul><li>set out a clear route map"
    summary_list = "<ul><li>a route map published</li><li>its steps under way</li></ul>"
    pages = {
        "detail": rec.get_absolute_url(),
        "dashboard as at": f"/reports/{R2016}/?as_at=2020-02-01",
        "appendix": f"/reports/{R2016}/appendix/",
    }
    for name, url in pages.items():
        page = auditor_client.get(url).content.decode()
        assert seeded_list in page, name
        assert "\n- set out" not in page, name
    assert summary_list in auditor_client.get(rec.get_absolute_url()).content.decode()  # the history
    assert summary_list in auditor_client.get(pages["appendix"]).content.decode()
    # The 2016 report's own summary, on its dashboard: "examined:\n- the policy context ..."
    assert (
        "<ul><li>the policy context for community planning" in auditor_client.get(f"/reports/{R2016}/").content.decode()
    )


@pytest.mark.django_db
def test_a_payload_written_past_the_sanitiser_stays_inert(auditor_client, seeded):
    """A value that reached the database by another road (raw SQL) is still escaped or
    sanitised on the appendix and the detail page, bullets and all."""
    rec = Recommendation.objects.get(report__slug=R2016, number=2)
    value = "Should:\n- <x>&lt;script&gt;alert(1)&lt;/script&gt;</x>\n- <img src=x onerror=alert(2)>\n- fine"
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {Recommendation._meta.db_table} SET text = %s WHERE id = %s", [value, rec.pk])
    for url in (rec.get_absolute_url(), f"/reports/{R2016}/appendix/"):
        page = auditor_client.get(url).content.decode()
        assert_no_executable_vector(page, where=url)
        assert "<li>fine</li>" in page
    assert ProgressUpdate.objects.exists()
