"""Each recommendation's owners' names, sorted and joined with "; " (recommendations.owner_names):
the exports read them from the row instead of a query per 2,000 rows, and the table sorts
"Addressed to" on an index instead of a subquery per row (BENCHMARKS.md, fifth round).
Filled for the rows already there with the same join as the keeper's, in Python (the sort
is Python's, as the exports' was)."""

import django.db.models.functions.text
from django.db import migrations, models

BATCH = 2000


def fill(apps, schema_editor):
    Recommendation = apps.get_model("recommendations", "Recommendation")
    link = Recommendation.owners.through
    names: dict[int, list[str]] = {}
    for rec_id, name in link.objects.values_list("recommendation_id", "owner__name").iterator(chunk_size=BATCH):
        names.setdefault(rec_id, []).append(name)
    rows = [Recommendation(pk=pk, owner_names="; ".join(sorted(owners))) for pk, owners in names.items()]
    Recommendation.objects.bulk_update(rows, ["owner_names"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0007_choice_lists_version"),
        ("reports", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="recommendation",
            name="owner_names",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="recommendation",
            index=models.Index(
                django.db.models.functions.text.Left("owner_names", 100), models.F("id"), name="rec_owner_names_idx"
            ),
        ),
    ]
