"""Each update's superseded_on (the next update's date assessed) and each recommendation's
first_assessed_on, so that "as at" counts over the whole database read two indexed ranges
instead of every recommendation's history (BENCHMARKS.md, fourth round). Filled for the
rows already there in one statement each (window functions: PostgreSQL, SQLite 3.25+;
UPDATE ... FROM: SQLite 3.33+)."""

from django.conf import settings
from django.db import migrations, models

FILL_SUPERSEDED = """
UPDATE recommendations_progressupdate SET superseded_on = following.next_on
FROM (
    SELECT id, LEAD(assessed_on) OVER (
        PARTITION BY recommendation_id ORDER BY assessed_on, created, id
    ) AS next_on
    FROM recommendations_progressupdate
) AS following
WHERE recommendations_progressupdate.id = following.id AND following.next_on IS NOT NULL
"""

FILL_FIRST_ASSESSED = """
UPDATE recommendations_recommendation SET first_assessed_on = (
    SELECT MIN(assessed_on) FROM recommendations_progressupdate
    WHERE recommendations_progressupdate.recommendation_id = recommendations_recommendation.id
)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0005_stored_search_document"),
        ("reports", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="progressupdate",
            name="update_assessed_on_idx",
        ),
        migrations.AddField(
            model_name="progressupdate",
            name="superseded_on",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="recommendation",
            name="first_assessed_on",
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.RunSQL(FILL_SUPERSEDED, migrations.RunSQL.noop, elidable=True),
        migrations.RunSQL(FILL_FIRST_ASSESSED, migrations.RunSQL.noop, elidable=True),
        migrations.AddIndex(
            model_name="progressupdate",
            index=models.Index(
                fields=["assessed_on"], include=("superseded_on", "rag"), name="update_in_force_from_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="progressupdate",
            index=models.Index(
                fields=["superseded_on"], include=("assessed_on", "rag"), name="update_in_force_until_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="recommendation",
            index=models.Index(fields=["first_assessed_on"], include=("report",), name="rec_first_assessed_idx"),
        ),
        migrations.AddConstraint(
            model_name="progressupdate",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("superseded_on__isnull", True), ("superseded_on__gte", models.F("assessed_on")), _connector="OR"
                ),
                name="update_superseded_after_assessed",
            ),
        ),
    ]
