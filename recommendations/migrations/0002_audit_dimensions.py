from django.db import migrations

# The four audit dimensions of the Code of Audit Practice (2016).
DIMENSIONS = [
    ("financial-management", "Financial management"),
    ("financial-sustainability", "Financial sustainability"),
    ("governance-and-transparency", "Governance and transparency"),
    ("value-for-money", "Value for money"),
]


def create_dimensions(apps, schema_editor):
    AuditDimension = apps.get_model("recommendations", "AuditDimension")
    for position, (slug, name) in enumerate(DIMENSIONS, start=1):
        AuditDimension.objects.update_or_create(slug=slug, defaults={"name": name, "position": position})


def remove_dimensions(apps, schema_editor):
    apps.get_model("recommendations", "AuditDimension").objects.filter(slug__in=[s for s, _ in DIMENSIONS]).delete()


class Migration(migrations.Migration):
    dependencies = [("recommendations", "0001_initial")]
    operations = [migrations.RunPython(create_dimensions, remove_dimensions)]
