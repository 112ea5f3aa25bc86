"""Load test: reps log activities and move deals, managers watch the dashboard and the metrics API.

    .venv/bin/pip install -r requirements-bench.txt
    .venv/bin/locust -f bench/locustfile.py --headless -u 20 -r 5 -t 3m --host http://127.0.0.1:8000

The demo users sign in (``seed_demo``: rep1, rep2, manager; password demo12345; more reps with
``LOCUST_REPS=rep1,rep2,…``). The run is bounded: without ``-t`` it stops after three minutes, and
it refuses any host but the loopback address, so it cannot be pointed at someone else's server.
"""

import os
import random
import re
from urllib.parse import urlparse

from locust import HttpUser, between, events, task

PASSWORD = os.environ.get("LOCUST_PASSWORD", "demo12345")
REPS = os.environ.get("LOCUST_REPS", "rep1,rep2").split(",")
MANAGERS = os.environ.get("LOCUST_MANAGERS", "manager").split(",")
OPEN_STAGES = ["lead", "understand", "choose"]
PERIODS = ["month", "quarter", "year"]


@events.init.add_listener
def _bounded(environment, **kwargs):
    host = urlparse(environment.host or "").hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"bench/locustfile.py runs against the loopback address only, not {host!r}")
    if environment.parsed_options is not None and not environment.parsed_options.run_time:
        environment.parsed_options.run_time = 180


class SignedIn(HttpUser):
    abstract = True
    usernames: list[str] = []

    def on_start(self) -> None:
        self.username = random.choice(self.usernames)
        page = self.client.get("/accounts/login/", name="sign-in page")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        self.client.post(
            "/accounts/login/",
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            name="sign in",
        )
        self.csrf = self.client.cookies.get("csrftoken", "")

    def post_json(self, url: str, data: dict, name: str):
        return self.client.post(
            url, json=data, headers={"X-CSRFToken": self.csrf, "Referer": self.host}, name=name
        )


class Rep(SignedIn):
    usernames = REPS
    wait_time = between(1, 4)

    def _open_deals(self) -> list[dict]:
        response = self.client.get("/api/deals/?status=open&page_size=50", name="/api/deals/ (open)")
        if response.status_code != 200:
            return []
        body = response.json()
        return body.get("results", body) if isinstance(body, dict) else body

    @task(4)
    def board(self) -> None:
        self.client.get("/pipeline/", name="/pipeline/")

    @task(3)
    def my_day(self) -> None:
        self.client.get("/", name="/ (my day)")

    @task(3)
    def log_activity(self) -> None:
        deals = self._open_deals()
        if deals:
            deal = random.choice(deals)
            self.post_json(
                "/api/activities/",
                {
                    "kind": "call",
                    "subject": "Follow-up call",
                    "deal": deal["id"],
                    "customer": deal["customer"],
                },
                name="/api/activities/ (log)",
            )

    @task(2)
    def move_deal(self) -> None:
        deals = self._open_deals()
        if deals:
            deal = random.choice(deals)
            self.post_json(
                f"/api/deals/{deal['id']}/move/",
                {"stage": random.choice(OPEN_STAGES), "version": deal["version"]},
                name="/api/deals/[id]/move/",
            )

    @task(1)
    def deal_list(self) -> None:
        self.client.get("/deals/?status=open", name="/deals/")


class Manager(SignedIn):
    usernames = MANAGERS
    wait_time = between(2, 6)

    @task(3)
    def dashboard(self) -> None:
        self.client.get(f"/dashboard/?period={random.choice(PERIODS)}", name="/dashboard/")

    @task(1)
    def metrics(self) -> None:
        self.client.get("/api/metrics/", name="/api/metrics/")
