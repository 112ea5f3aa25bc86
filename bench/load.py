"""Load test of the whole deployment: several gunicorn instances behind one address, driven by Locust.

Starts ``--instances`` gunicorn processes (``crm.wsgi``, ``--workers`` each, DEBUG off, sessions and
cache in Redis) on free loopback ports, puts a small round-robin TCP balancer in front of them (each
new client connection goes to the next instance), waits for ``/health/`` through the balancer, runs
``bench/locustfile.py`` headless against it and prints Locust's figures from its CSV files.

    .venv/bin/pip install -r requirements-bench.txt
    .venv/bin/python bench/load.py                       # the data already in crm_bench100
    .venv/bin/python bench/load.py --seed --deals 100000 # seed first (rewrites the demo rows)

Budget (issue 14): 20 users for 3 minutes against 2 instances x 4 workers at 100k deals, aggregated
p95 under 800 ms and no failures. See docs/load-test.md.
"""

import argparse
import asyncio
import contextlib
import csv
import itertools
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = ROOT / "bench" / "locustfile.py"
TMP = Path(tempfile.gettempdir())
P95_BUDGET_MS = 800
STEADY_AFTER_SECONDS = 60
RESERVED_CONNECTIONS = 3  # PostgreSQL's superuser_reserved_connections default
# Settings a caller's shell may carry that would change what is measured.
INHERITED_SETTINGS = (
    "DB_POOL_SIZE",
    "DB_CONN_MAX_AGE",
    "DATABASE_REPLICA_URL",
    "HTTPS",
    "TRUSTED_PROXY_COUNT",
    "SESSION_COOKIE_SECURE",
    "CSRF_TRUSTED_ORIGINS",
    "CRM_DASHBOARD_CACHE_SECONDS",
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/crm_bench100",
        help="PostgreSQL database the app servers use",
    )
    parser.add_argument("--deals", type=int, default=100_000, help="deals to seed with --seed")
    parser.add_argument(
        "--seed",
        action="store_true",
        help="migrate, then seed_demo --deals N --customers N/10 --reset (rewrites the demo rows)",
    )
    parser.add_argument("--no-migrate", action="store_true", help="skip manage.py migrate")
    parser.add_argument("--users", type=int, default=20, help="Locust users")
    parser.add_argument("--spawn-rate", type=float, default=5, help="users started per second")
    parser.add_argument("--time", default="3m", help="run time, Locust's format (30s, 3m, 1h)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers per instance")
    parser.add_argument("--instances", type=int, default=2, help="gunicorn instances")
    parser.add_argument(
        "--pool-size",
        type=int,
        default=0,
        help="DB_POOL_SIZE per worker (0: off, one kept connection per sync worker)",
    )
    parser.add_argument(
        "--redis-url", default="redis://127.0.0.1:6379/14", help="Redis for sessions and the cache"
    )
    parser.add_argument(
        "--with-worker",
        action="store_true",
        help="also run manage.py worker (it writes heartbeats, snapshots and digests to the database)",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=3,
        help="sign-in page requests per worker before the run, so no worker starts cold (0: none)",
    )
    parser.add_argument("--csv", default=str(TMP / "locust_run"), help="Locust's CSV prefix")
    parser.add_argument("--logs", default=str(TMP / "load_logs"), help="folder for the processes' logs")
    args = parser.parse_args(argv)
    if args.users < 1 or args.workers < 1 or args.instances < 1 or args.pool_size < 0:
        parser.error("--users, --workers and --instances must be at least 1, --pool-size at least 0")
    if run_seconds(args.time) is None:
        parser.error(f"--time {args.time!r}: use e.g. 30s, 3m, 1h30m")
    return args


def run_seconds(text: str) -> int | None:
    """Seconds in a Locust run time ("90", "30s", "3m", "1h30m"), None if unreadable."""
    if text.isdigit():
        return int(text)
    parts = re.fullmatch(r"(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?", text.strip())
    if not parts or not any(parts.groups()):
        return None
    hours, minutes, seconds = (int(part or 0) for part in parts.groups())
    return hours * 3600 + minutes * 60 + seconds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the balancer -------------------------------------------------------------------------------


class Balancer:
    """Round-robin TCP proxy on a loopback port, its asyncio loop in a thread of its own."""

    def __init__(self, backends: list[tuple[str, int]]) -> None:
        self.backends = backends
        self.port = free_port()
        self.connections = [0] * len(backends)
        self.refused = 0
        self._tasks: set[asyncio.Task] = set()  # the loop only holds weak references to them
        self._next = itertools.cycle(range(len(backends)))
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server: asyncio.Server | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="balancer", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None or self._server is None:
            raise RuntimeError(f"the balancer did not start: {self._error!r}")

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._serve, "127.0.0.1", self.port, backlog=512)
            )
        except BaseException as error:  # reported to start()
            self._error = error
            self._ready.set()
            return
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._server.close()
            tasks = asyncio.all_tasks(self._loop)
            for task in tasks:
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            self._loop.close()

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        index = next(self._next)
        host, port = self.backends[index]
        try:
            backend_reader, backend_writer = await asyncio.open_connection(host, port)
        except OSError:
            self.refused += 1
            client_writer.close()
            return
        self.connections[index] += 1
        # The request may be half-closed by the client; the exchange ends when the backend is done.
        upstream = asyncio.ensure_future(self._pipe(client_reader, backend_writer))
        self._tasks.add(upstream)
        upstream.add_done_callback(self._tasks.discard)
        try:
            await self._pipe(backend_reader, client_writer)
        finally:
            upstream.cancel()
            for writer in (client_writer, backend_writer):
                writer.close()

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()
        except (ConnectionError, OSError):
            pass


# --- processes ----------------------------------------------------------------------------------


class Processes:
    """Child processes, each in a session of its own, stopped together however the run ends."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.children: list[tuple[str, subprocess.Popen, Path]] = []

    def start(self, name: str, command: list[str], env: dict) -> subprocess.Popen:
        log = self.logs / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(  # noqa: S603 - our own commands, no shell
                command,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches this script, which stops them in order
            )
        self.children.append((name, process, log))
        return process

    def check_alive(self) -> None:
        for name, process, log in self.children:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{tail(log)}")

    def stop(self, process: subprocess.Popen, timeout: float = 20) -> None:
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
            except ProcessLookupError:
                pass
        # gunicorn's workers live in the master's group: make sure none outlives it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)

    def stop_all(self) -> None:
        for _, process, _ in reversed(self.children):
            self.stop(process)


def cpu_seconds(process: subprocess.Popen) -> float:
    """CPU time (user + system) of a process and its children so far, 0 if unknown."""
    try:
        import psutil  # installed with locust

        parent = psutil.Process(process.pid)
        total = 0.0
        for each in [parent, *parent.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                times = each.cpu_times()
                total += times.user + times.system
        return total
    except Exception:  # a diagnostic only (psutil missing, a process gone)
        return 0.0


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def manage(env: dict, *arguments: str) -> None:
    command = [sys.executable, "manage.py", *arguments]
    print("$", " ".join(command[1:]), flush=True)
    subprocess.run(command, cwd=ROOT, env=env, check=True)  # noqa: S603 - manage.py, no shell


# --- checks -------------------------------------------------------------------------------------


def check_connections(database_url: str, needed: int) -> None:
    """Refuse to start when the app servers' connections would not fit PostgreSQL's max_connections."""
    import psycopg

    with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1)) as connection:
        limit = int(connection.execute("show max_connections").fetchone()[0])
        in_use = connection.execute("select count(*) from pg_stat_activity").fetchone()[0]
    room = limit - RESERVED_CONNECTIONS - in_use
    print(
        f"PostgreSQL: max_connections {limit}, {in_use} in use, the app servers need up to {needed}",
        flush=True,
    )
    if needed > room:
        raise SystemExit(
            f"Not enough connections: {needed} needed, {room} free. Use fewer --workers/--instances, "
            "a smaller --pool-size, or raise max_connections (README: Connections)."
        )


def count_deals(database_url: str) -> int:
    import psycopg

    with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1)) as connection:
        return connection.execute("select count(*) from sales_deal").fetchone()[0]


def wait_until_healthy(base: str, processes: Processes, timeout: float = 120) -> dict:
    """/health/ through the balancer: 200, or 503 with only the background worker missing."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        processes.check_alive()
        try:
            with urllib.request.urlopen(f"{base}/health/", timeout=10) as response:  # noqa: S310 - http://127.0.0.1
                return json.load(response)
        except urllib.error.HTTPError as error:
            body = error.read()
            last = f"{error.code} {body[:300]!r}"
            if error.code == 503:
                try:
                    state = json.loads(body)
                except ValueError:
                    state = {}
                if state.get("database") == "ok" and state.get("cache") == "ok":
                    return state  # serving; only the worker's heartbeat is missing
        except (urllib.error.URLError, OSError) as error:
            last = str(error)
        time.sleep(0.5)
    raise RuntimeError(f"{base}/health/ did not answer in {timeout:.0f} s: {last}")


def warm_up(base: str, requests: int, concurrency: int) -> float:
    """GET the sign-in page so every worker has loaded the URLs, middleware and templates."""

    def fetch(_: int) -> None:
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{base}/accounts/login/", timeout=60):  # noqa: S310
            pass

    started = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(fetch, range(requests)))
    return time.monotonic() - started


class LoadSampler:
    """The machine's 1-minute load average every few seconds while the run lasts."""

    def __init__(self, every: float = 5) -> None:
        self.every = every
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="loadavg", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.samples.append(os.getloadavg()[0])

    def __enter__(self) -> "LoadSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(self.every + 1)


# --- results ------------------------------------------------------------------------------------


def steady_windows(history_path: Path) -> list[float]:
    """The aggregated p95 of each 10-second window once the users have signed in (full history)."""
    if not history_path.exists():
        return []
    with history_path.open(newline="") as f:
        rows = [row for row in csv.DictReader(f) if row["Name"] == "Aggregated"]
    if not rows:
        return []
    start = int(rows[0]["Timestamp"])
    windows = []
    for row in rows:
        if int(row["Timestamp"]) - start >= STEADY_AFTER_SECONDS and row["95%"] not in ("", "N/A", "0"):
            windows.append(float(row["95%"]))
    return windows


def report(prefix: str) -> bool:
    """Print Locust's figures from ``<prefix>_stats.csv``; True when within the budget."""
    stats_path = Path(f"{prefix}_stats.csv")
    with stats_path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    aggregated = next((row for row in rows if row["Name"] == "Aggregated"), None)
    if aggregated is None:
        raise RuntimeError(f"{stats_path} has no Aggregated row")

    def ms(row: dict, column: str) -> str:
        value = row.get(column, "") or "N/A"
        try:
            return f"{float(value):.0f}"
        except ValueError:
            return value

    width = max(len(f"{row['Type']} {row['Name']}") for row in rows)
    print(f"\n{'request':<{width}}  {'count':>7} {'fail':>5} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}")
    for row in rows:
        label = "Aggregated" if row is aggregated else f"{row['Type']} {row['Name']}"
        if row is aggregated:
            print("-" * (width + 40))
        print(
            f"{label:<{width}}  {row['Request Count']:>7} {row['Failure Count']:>5} "
            f"{ms(row, '50%'):>7} {ms(row, '95%'):>7} {ms(row, 'Max Response Time'):>7}"
        )

    total = int(aggregated["Request Count"])
    failures = int(aggregated["Failure Count"])
    p95 = float(aggregated["95%"]) if aggregated["95%"] not in ("", "N/A") else float("inf")
    print(
        f"\ntotal requests {total}, failures {failures}, aggregated p95 {p95:.0f} ms, "
        f"{float(aggregated['Requests/s']):.1f} requests/s"
    )

    windows = steady_windows(Path(f"{prefix}_stats_history.csv"))
    if windows:
        print(
            f"after the first {STEADY_AFTER_SECONDS} s (sign-ins done), p95 over 10-second windows: "
            f"median {sorted(windows)[len(windows) // 2]:.0f} ms, max {max(windows):.0f} ms "
            f"({len(windows)} samples; for reading the tail, not the budget)"
        )

    failures_path = Path(f"{prefix}_failures.csv")
    if failures and failures_path.exists():
        with failures_path.open(newline="") as f:
            for row in csv.DictReader(f):
                print(f"  failed {row['Occurrences']}x {row['Method']} {row['Name']}: {row['Error'][:200]}")

    passed = total > 0 and failures == 0 and p95 < P95_BUDGET_MS
    verdict = "PASS" if passed else "FAIL"
    print(f"{verdict}: budget p95 < {P95_BUDGET_MS} ms and no failures")
    return passed


# --- the run ------------------------------------------------------------------------------------


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    logs = Path(args.logs)
    logs.mkdir(parents=True, exist_ok=True)

    env = {key: value for key, value in os.environ.items() if key not in INHERITED_SETTINGS}
    env.update(
        DJANGO_SETTINGS_MODULE="crm.settings",
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        PYTHONUNBUFFERED="1",
    )
    if args.pool_size:
        env["DB_POOL_SIZE"] = str(args.pool_size)

    connections = args.instances * args.workers * max(1, args.pool_size) + (1 if args.with_worker else 0)
    check_connections(args.database_url, connections)

    if not args.no_migrate or args.seed:
        manage(env, "migrate", "--noinput", "-v", "0")
    if args.seed:
        customers = str(max(1, args.deals // 10))
        manage(env, "seed_demo", "--deals", str(args.deals), "--customers", customers, "--reset")

    print(f"{count_deals(args.database_url)} deals in the database", flush=True)

    processes = Processes(logs)
    balancer: Balancer | None = None
    load_before = os.getloadavg()
    try:
        backends = []
        for number in range(1, args.instances + 1):
            port = free_port()
            processes.start(
                f"gunicorn-{number}",
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "crm.wsgi",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    str(args.workers),
                    "--timeout",
                    "60",
                    "--backlog",
                    "256",
                ],
                env,
            )
            backends.append(("127.0.0.1", port))
        if args.with_worker:
            processes.start("worker", [sys.executable, "manage.py", "worker"], env)

        balancer = Balancer(backends)
        balancer.start()
        base = f"http://127.0.0.1:{balancer.port}"
        ports = ", ".join(str(port) for _, port in backends)
        print(
            f"{args.instances} gunicorn instance(s) x {args.workers} workers on ports {ports}, "
            f"DB_POOL_SIZE {args.pool_size or 'off'}; balancer {base}",
            flush=True,
        )
        health = wait_until_healthy(base, processes)
        if health.get("status") != "ok":
            print(
                f"/health/: database {health.get('database')}, cache {health.get('cache')}, "
                f"worker {health.get('worker', {}).get('state')} (no manage.py worker runs; --with-worker "
                "starts one)",
                flush=True,
            )
        if args.warmup:
            count = args.warmup * args.instances * args.workers
            took = warm_up(base, count, args.instances * args.workers)
            print(f"warm-up: {count} GET /accounts/login/ in {took:.1f} s (not counted)", flush=True)
        # The health checks went round the instances; the run's counts start from zero.
        balancer.connections = [0] * len(backends)
        balancer.refused = 0

        for suffix in ("stats", "stats_history", "failures", "exceptions"):
            Path(f"{args.csv}_{suffix}.csv").unlink(missing_ok=True)
        command = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "-u",
            str(args.users),
            "-r",
            f"{args.spawn_rate:g}",
            "-t",
            args.time,
            "--host",
            base,
            "--csv",
            args.csv,
            "--only-summary",
            "--csv-full-history",  # the history's percentiles then cover the last 10 seconds
            "--stop-timeout",
            "10",
        ]
        print("$", " ".join(command[1:]), flush=True)
        print(f"load average before: {' '.join(f'{x:.2f}' for x in load_before)}", flush=True)
        servers = [process for name, process, _ in processes.children if name.startswith("gunicorn")]
        cpu_before = sum(cpu_seconds(process) for process in servers)
        started = time.monotonic()
        with LoadSampler() as sampler:
            locust = processes.start("locust", command, env)
            limit = run_seconds(args.time) + 120
            while locust.poll() is None:
                if time.monotonic() - started > limit:
                    raise RuntimeError(f"locust still running after {limit} s")
                for name, process, log in processes.children:
                    if process is not locust and process.poll() is not None:
                        raise RuntimeError(f"{name} exited with {process.returncode} mid-run:\n{tail(log)}")
                time.sleep(1)
        elapsed = time.monotonic() - started
        server_cpu = sum(cpu_seconds(process) for process in servers) - cpu_before
        load_after = os.getloadavg()
        if locust.returncode not in (0, 1):  # 1: the run had failures
            raise RuntimeError(f"locust exited with {locust.returncode}:\n{tail(logs / 'locust.log')}")
        print(f"locust ran {elapsed:.0f} s; log {logs / 'locust.log'}")
        samples = sampler.samples or [load_after[0]]
        print(
            f"load average (1 min) during the run: min {min(samples):.2f}, "
            f"mean {sum(samples) / len(samples):.2f}, max {max(samples):.2f}; "
            f"after: {' '.join(f'{x:.2f}' for x in load_after)} on {os.cpu_count()} CPUs"
        )
        print(f"gunicorn CPU during the run: {server_cpu:.0f} s, {server_cpu / elapsed:.2f} cores on average")
        print(
            "connections per instance: "
            + ", ".join(
                f"{port}: {count}" for (_, port), count in zip(backends, balancer.connections, strict=True)
            )
            + (f"; {balancer.refused} refused" if balancer.refused else "")
        )
        return 0 if report(args.csv) else 1
    except KeyboardInterrupt:
        print("\ninterrupted; stopping everything", file=sys.stderr)
        return 130
    except (RuntimeError, OSError, subprocess.CalledProcessError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        processes.stop_all()
        if balancer is not None:
            balancer.stop()


if __name__ == "__main__":
    sys.exit(main())
