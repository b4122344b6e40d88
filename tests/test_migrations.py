import pytest
from django.core.management import call_command

from tests.factories import at_migration

DIMENSIONS = ["Financial management", "Financial sustainability", "Governance and transparency", "Value for money"]


@pytest.mark.django_db
def test_no_missing_migrations():
    """Fails when a model change has no migration."""
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_audit_dimensions_come_from_their_data_migration():
    """The seed creates the same four rows, so only migrating back before 0002 and forward
    again shows that the migration, not the seed, makes them on a fresh database."""
    from recommendations.models import AuditDimension

    with at_migration("recommendations", "0001_initial") as before:
        assert not before.get_model("recommendations", "AuditDimension").objects.exists()
    assert list(AuditDimension.objects.order_by("position").values_list("name", flat=True)) == DIMENSIONS


@pytest.mark.django_db(transaction=True)
def test_roles_come_from_their_data_migration():
    from django.contrib.auth.models import Group

    with at_migration("tracker", None) as before:
        assert not before.get_model("auth", "Group").objects.filter(name__in=["Auditor", "Officer", "Admin"]).exists()
    assert set(Group.objects.values_list("name", flat=True)) >= {"Auditor", "Officer", "Admin"}
