"""Locust users for the load test (#9); bench/load/run.py starts everything and checks
the outcome. Each user signs in through the real sign-in form (with its CSRF token)
as its own account from the plan in TRACKER_LOAD_PLAN, then:

- ``Reader`` (50): browses the table with filters, sorts and pages, report
  dashboards and appendices, recommendation pages, owners, "my recommendations",
  and downloads CSV exports;
- ``Poster`` (5): auditors recording progress updates through the update form on a
  small set of recommendations, so that they collide. When someone else recorded an
  update since the form was opened, the tracker answers 409 and the auditor
  confirms, as the page asks.

A successful post is one answered by the redirect to the recommendation; their count
goes to the file TRACKER_LOAD_OUTCOME names, and the runner compares it with the rows
added to the history.
"""

import datetime
import itertools
import json
import os
import random
import re

from locust import HttpUser, between, events, task

PLAN = json.loads(open(os.environ["TRACKER_LOAD_PLAN"]).read())  # noqa: SIM115, PTH123 - read once at start
PASSWORD = os.environ["TRACKER_LOAD_PASSWORD"]
CONTESTED = PLAN["recommendations"][:8]  # the posters' shared targets
# Which page to ask for next: not a secret, but SystemRandom keeps linters quiet.
choose = random.SystemRandom().choice
_next_reader = itertools.count()
_next_poster = itertools.count()

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SEEN_LATEST = re.compile(r'name="seen_latest" value="(\d*)"')

# Updates the tracker accepted (answered with the redirect), and conflicts confirmed.
OUTCOME = {"successful_posts": 0, "conflicts_confirmed": 0}


@events.quitting.add_listener
def _write_outcome(environment, **kwargs):
    """For the runner, which compares successful posts with the rows added."""
    with open(os.environ["TRACKER_LOAD_OUTCOME"], "w") as out:  # noqa: PTH123
        json.dump(OUTCOME, out)


class SignedInUser(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    username = ""

    def on_start(self):
        form = self.client.get("/accounts/login/", name="sign-in form")
        token = CSRF.search(form.text).group(1)
        with self.client.post(
            "/accounts/login/",
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            name="sign in",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"sign-in of {self.username} refused: HTTP {response.status_code}")

    def page(self, path: str, name: str):
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{path}: HTTP {response.status_code} {response.error or ''}")
            elif "/accounts/login/" in response.url:
                response.failure(f"{path}: signed out")


class Reader(SignedInUser):
    fixed_count = len(PLAN["readers"])

    def on_start(self):
        index = next(_next_reader) % len(PLAN["readers"])
        self.username = PLAN["readers"][index]
        self.officer = self.username in PLAN["officers"]
        super().on_start()

    @task(6)
    def table(self):
        query = choose(
            [
                "",
                "?status=red&status=amber",
                f"?report={choose(PLAN['table_reports'])}",
                "?sort=-status&per_page=100",
                "?q=partnership",
                f"?owner={choose(PLAN['owners'])}",
                "?per_page=50",
            ]
        )
        self.page(f"/recommendations/{query}", "table")

    @task(4)
    def dashboard(self):
        self.page(f"/reports/{choose(PLAN['reports'])}/", "report dashboard")

    @task(2)
    def portfolio(self):
        self.page("/", "portfolio")

    @task(2)
    def recommendation(self):
        # An officer is shown only what is addressed to them; anything else is a 404 by design.
        with self.client.get(
            f"/recommendations/{choose(PLAN['recommendations'])}/", name="recommendation", catch_response=True
        ) as response:
            if response.status_code == 200 or (response.status_code == 404 and self.officer):
                response.success()
            else:
                response.failure(f"HTTP {response.status_code} {response.error or ''}")

    @task(1)
    def appendix(self):
        self.page(f"/reports/{choose(PLAN['reports'])}/appendix/", "appendix")

    @task(1)
    def owners(self):
        self.page(choose(["/owners/", f"/owners/{choose(PLAN['owners'])}/", "/my/"]), "owners")

    @task(1)
    def export(self):
        self.page(f"/recommendations/?_export={choose(['csv', 'csv', 'xlsx', 'json'])}", "export")


class Poster(SignedInUser):
    fixed_count = len(PLAN["posters"])

    def on_start(self):
        self.username = PLAN["posters"][next(_next_poster) % len(PLAN["posters"])]
        super().on_start()

    @task
    def record_update(self):
        pk = choose(CONTESTED)
        form = self.client.get(f"/recommendations/{pk}/", name="update form")
        if form.status_code != 200:
            return
        data = {
            "csrfmiddlewaretoken": CSRF.search(form.text).group(1),
            "rag": choose(["1", "2", "3", "4"]),
            "assessed_on": datetime.date.today().isoformat(),
            "summary": f"Load test assessment by {self.username}.",
            "evidence": "Paragraph 12, page 4",
            "seen_latest": SEEN_LATEST.search(form.text).group(1),
        }
        for attempt in ("post update", "post update (confirmed)"):
            with self.client.post(
                f"/recommendations/{pk}/updates/", data, name=attempt, allow_redirects=False, catch_response=True
            ) as response:
                if response.status_code == 302 and response.headers.get("Location") == f"/recommendations/{pk}/":
                    response.success()
                    OUTCOME["successful_posts"] += 1
                    return
                if response.status_code == 409 and attempt == "post update":
                    # Someone else recorded an update meanwhile: not an error; confirm, as the page asks.
                    response.success()
                    OUTCOME["conflicts_confirmed"] += 1
                    data["confirm"] = "on"
                    data["seen_latest"] = SEEN_LATEST.search(response.text).group(1)
                    data["csrfmiddlewaretoken"] = CSRF.search(response.text).group(1)
                    continue
                response.failure(f"update refused: HTTP {response.status_code}")
                return
