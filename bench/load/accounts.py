"""Load-test accounts and the plan the Locust users follow, made inside the load
database (run by bench/load/run.py through ``manage.py shell``).

50 readers (half auditors, half officers of different organisations) and 5
auditors who post updates. One password hash is shared by all of them: hashing
55 passwords would take longer than the short load test itself.
"""

import json
import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from recommendations.models import Owner, Recommendation
from reports.models import Report
from tracker.roles import AUDITOR, OFFICER


def create(*, readers: int, posters: int, password: str) -> None:
    """Create the accounts and print the plan (JSON) on stdout."""
    User = get_user_model()
    hashed = make_password(password)
    auditor_group, _ = Group.objects.get_or_create(name=AUDITOR)
    officer_group, _ = Group.objects.get_or_create(name=OFFICER)
    organisations = list(Owner.objects.filter(all_cpps=False).order_by("name"))
    reader_names, officer_names, poster_names = [], [], []
    for i in range(readers):
        user = User.objects.create(username=f"load-reader-{i:02d}", password=hashed)
        if i % 2:
            user.groups.add(officer_group)
            user.organisations.set([organisations[i % len(organisations)]])
            officer_names.append(user.username)
        else:
            user.groups.add(auditor_group)
        reader_names.append(user.username)
    for i in range(posters):
        user = User.objects.create(username=f"load-auditor-{i}", password=hashed)
        user.groups.add(auditor_group)
        poster_names.append(user.username)
    plan = {
        "readers": reader_names,
        "officers": officer_names,
        "posters": poster_names,
        # Publications every reader may open (a local response is its organisation's alone), and
        # the reports the table's filter offers (those with recommendations of their own).
        "reports": list(
            Report.objects.exclude(kind=Report.Kind.LOCAL_RESPONSE).order_by("slug").values_list("slug", flat=True)
        ),
        "table_reports": list(
            Report.objects.filter(recommendations__isnull=False)
            .distinct()
            .order_by("slug")
            .values_list("slug", flat=True)
        ),
        "owners": [o.slug for o in organisations],
        "recommendations": list(Recommendation.objects.order_by("pk").values_list("pk", flat=True)),
    }
    json.dump(plan, sys.stdout)
