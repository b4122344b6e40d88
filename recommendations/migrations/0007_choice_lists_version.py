"""The token that tells each process when the table filter's choice lists may have
changed (recommendations.choice_lists), with its one row."""

import uuid

from django.db import migrations, models


def create_token(apps, schema_editor):
    apps.get_model("recommendations", "ChoiceListsVersion").objects.create(pk=1, token=uuid.uuid4().hex)


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0006_in_force_history"),
    ]

    operations = [
        migrations.CreateModel(
            name="ChoiceListsVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token", models.CharField(max_length=32)),
            ],
            options={
                "verbose_name": "choice lists version",
            },
        ),
        migrations.RunPython(create_token, migrations.RunPython.noop),
    ]
