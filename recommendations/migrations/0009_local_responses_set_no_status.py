"""A local response (an update concerning one organisation) no longer sets the
recommendation's own status (#17): status, date, first assessment and update count are
derived again from the national assessments alone, and superseded_on chains each stream
(national, or one organisation's) separately. Only recommendations with a local response
can change; the in-force indexes become partial on national assessments."""

from django.conf import settings
from django.db import migrations, models

NEVER_ASSESSED = 5


def derive_again(apps, schema_editor):
    Recommendation = apps.get_model("recommendations", "Recommendation")
    ProgressUpdate = apps.get_model("recommendations", "ProgressUpdate")
    affected = ProgressUpdate.objects.filter(concerns__isnull=False).values("recommendation_id")
    for rec in Recommendation.objects.filter(pk__in=affected):
        history = list(
            ProgressUpdate.objects.filter(recommendation=rec)
            .order_by("assessed_on", "created", "id")
            .values_list("id", "assessed_on", "assessed_precision", "rag", "superseded_on", "concerns_id")
        )
        following, last_in_stream = {}, {}
        for pk, assessed_on, _, _, _, stream in reversed(history):
            following[pk] = last_in_stream.get(stream)
            last_in_stream[stream] = assessed_on
        for pk, _, _, _, superseded_on, _ in history:
            if superseded_on != following[pk]:
                ProgressUpdate.objects.filter(pk=pk).update(superseded_on=following[pk])
        national = [row for row in history if row[5] is None]
        if national:
            fields = {
                "status": national[-1][3],
                "status_date": national[-1][1],
                "status_date_precision": national[-1][2],
                "first_assessed_on": national[0][1],
            }
        else:
            fields = {
                "status": NEVER_ASSESSED,
                "status_date": None,
                "status_date_precision": "day",
                "first_assessed_on": None,
            }
        Recommendation.objects.filter(pk=rec.pk).update(update_count=len(national), **fields)


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0008_owner_names"),
        ("reports", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(derive_again, migrations.RunPython.noop, elidable=True),
        migrations.RemoveIndex(
            model_name="progressupdate",
            name="update_in_force_from_idx",
        ),
        migrations.RemoveIndex(
            model_name="progressupdate",
            name="update_in_force_until_idx",
        ),
        migrations.AddIndex(
            model_name="progressupdate",
            index=models.Index(
                condition=models.Q(("concerns__isnull", True)),
                fields=["assessed_on"],
                include=("superseded_on", "rag"),
                name="update_in_force_from_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="progressupdate",
            index=models.Index(
                condition=models.Q(("concerns__isnull", True)),
                fields=["superseded_on"],
                include=("assessed_on", "rag"),
                name="update_in_force_until_idx",
            ),
        ),
    ]
