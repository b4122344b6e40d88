import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_missing_migrations():
    """Fails when a model change has no migration."""
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db
def test_roles_and_audit_dimensions_come_from_data_migrations():
    from django.contrib.auth.models import Group

    from recommendations.models import AuditDimension

    assert set(Group.objects.values_list("name", flat=True)) >= {"Auditor", "Officer", "Admin"}
    assert list(AuditDimension.objects.values_list("name", flat=True)) == [
        "Financial management",
        "Financial sustainability",
        "Governance and transparency",
        "Value for money",
    ]
