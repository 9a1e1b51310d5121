#!/usr/bin/env python3
"""Load-test the public pages against the static-file limit, on SQLite and PostgreSQL side by side.

For each database it serves the site with gunicorn (2 workers, production
settings: DEBUG off, a SECRET_KEY, ALLOWED_HOSTS=127.0.0.1, no SSL redirect)
on 127.0.0.1 and measures with wrk, for /, /states/, a State's page,
/changes/ and /states.json:

* uncached: the page cache off (PUBLIC_CACHE_SECONDS=0), every request rendered;
* cached: the page cache on and warm;
* static: the same bytes, saved into STATIC_ROOT and served by whitenoise
  from the same server: the limit a page can approach.

It then compares the history pages (/changes/, a State's history, the feed)
at --small-rows and --history-rows history rows, and times Participation
saves with and without their history row. Results go to stdout as Markdown
tables; docs/performance.md has a run and the commands.

The databases are built on first use (migrate, load_shipped_data,
generate_data) and reused afterwards; --rebuild builds them again. Only
127.0.0.1 is ever requested, for --duration seconds per address.

    python tools/benchmark.py                               # both databases, 1,000,000 rows
    python tools/benchmark.py --history-rows 100000 --duration 5
    python tools/benchmark.py --only sqlite

Needs wrk (Debian: apt-get install -y wrk) and gunicorn (requirements.txt).
"""

import argparse
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # never anything else
MAX_DURATION = 30
# The five pages of the brief first, then the other public pages.
PAGES = [
    ("dashboard", "/", "html"),
    ("states", "/states/", "html"),
    ("state", "/states/{iso2}/", "html"),
    ("changes", "/changes/", "html"),
    ("states.json", "/states.json", "json"),
    ("states.csv", "/states.csv", "csv"),
    ("state-history", "/states/{iso2}/history/", "html"),
    ("deadlines", "/deadlines/", "html"),
    ("deadlines.ics", "/deadlines.ics", "ics"),
    ("working-groups", "/working-groups/", "html"),
    ("meetings", "/meetings/", "html"),
    ("feed", "/changes/feed/", "xml"),
]
HISTORY_PAGES = [
    ("changes", "/changes/"),
    ("state history", "/states/{iso2}/history/"),
    ("feed", "/changes/feed/"),
]
SERVER_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "benchmark-only-" + "x" * 50,
    "ALLOWED_HOSTS": HOST,
    "SECURE_SSL_REDIRECT": "false",
    "AXES_ENABLED": "false",
    "LOG_LEVEL": "ERROR",
}


def python():
    return sys.executable


def run(args, env=None, **kwargs):
    return subprocess.run(args, cwd=ROOT, env={**os.environ, **(env or {})}, check=True, **kwargs)


# --- databases ---------------------------------------------------------------------


def database_urls(options):
    urls = {}
    if options.only in (None, "sqlite"):
        folder = Path(options.sqlite_dir)
        folder.mkdir(parents=True, exist_ok=True)
        urls["SQLite"] = {
            size: f"sqlite:///{folder / f'bench-{rows}.sqlite3'}"
            for size, rows in (("large", options.history_rows), ("small", options.small_rows))
        }
    if options.only in (None, "postgres"):
        base = options.postgres_url.rstrip("/")
        urls["PostgreSQL"] = {
            size: f"{base}/bench_{rows}"
            for size, rows in (("large", options.history_rows), ("small", options.small_rows))
        }
    return urls


def prepare(url, rows, rebuild):
    """Create the database with the shipped data and ``rows`` generated history rows, once."""
    exists = database_exists(url)
    if exists and not rebuild:
        return
    print(f"  building {url} with {rows:,} history rows …", flush=True)
    drop_database(url)
    create_database(url)
    env = {"DATABASE_URL": url, "DEBUG": "true"}
    run([python(), "manage.py", "migrate", "--noinput", "-v0"], env=env)
    run([python(), "manage.py", "load_shipped_data"], env=env, stdout=subprocess.DEVNULL)
    run([python(), "tools/generate_data.py", "--yes", "--history-rows", str(rows)], env=env)


def database_exists(url):
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///")).exists()
    name = url.rsplit("/", 1)[1]
    query = f"SELECT 1 FROM pg_database WHERE datname = '{name}'"
    return psql(url, query).strip() == "1"


def drop_database(url):
    if url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    else:
        psql(url, f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}"')


def create_database(url):
    if not url.startswith("sqlite:///"):
        psql(url, f'CREATE DATABASE "{url.rsplit("/", 1)[1]}"')


def psql(url, sql):
    """Run ``sql`` on the server of ``url``, connected to its maintenance database."""
    import psycopg

    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        cursor = connection.execute(sql)
        rows = cursor.fetchall() if sql.startswith("SELECT") else []
    return "\n".join(str(row[0]) for row in rows)


def busiest_state(url):
    """The State with the most history: the hardest State page and State history page."""
    code = (
        "from django.db.models import Count;"
        "from tracker.models import Participation, State;"
        "row = Participation.history.values('state_id').annotate(n=Count('history_id')).order_by('-n').first();"
        "print(State.objects.get(pk=row['state_id']).iso2.lower())"
    )
    return django_eval(url, code)


def django_eval(url, code, env=None):
    """Run ``code`` in a fresh process with Django set up on ``url`` (production settings); return its stdout."""
    script = (
        f"import django, os; os.environ['DJANGO_SETTINGS_MODULE']='tracker.settings'; django.setup()\n{code}"
    )
    env = {**SERVER_ENV, "DATABASE_URL": url, **(env or {})}
    return run([python(), "-c", script], env=env, capture_output=True, text=True).stdout.strip()


# --- the server ---------------------------------------------------------------------


class Server:
    """gunicorn with 2 workers on 127.0.0.1, production settings, the page cache on or off."""

    def __init__(self, url, cached):
        self.env = {**SERVER_ENV, "DATABASE_URL": url, "PUBLIC_CACHE_SECONDS": "600" if cached else "0"}
        self.port = free_port()
        self.process = None

    def __enter__(self):
        args = [
            str(Path(python()).with_name("gunicorn")),
            "tracker.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"{HOST}:{self.port}",
            "--log-level",
            "error",
        ]
        self.process = subprocess.Popen(args, cwd=ROOT, env={**os.environ, **self.env})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self.get("/static/benchmark/ready.txt")
                return self
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)

    def url(self, path):
        return f"http://{HOST}:{self.port}{path}"

    def get(self, path):
        with urllib.request.urlopen(self.url(path), timeout=30) as response:
            return response.read()


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def collect_static(pages):
    """collectstatic, then the pages' bodies into STATIC_ROOT/benchmark/ (whitenoise reads it at start)."""
    run([python(), "manage.py", "collectstatic", "--noinput", "-v0"], env=SERVER_ENV)
    folder = ROOT / "staticfiles" / "benchmark"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ready.txt").write_text("ok\n")
    for name, body, extension in pages:
        (folder / f"{name}.{extension}").write_bytes(body)


def wrk(url, options):
    """Return (requests per second, p50 ms, p99 ms) from a wrk run against ``url``."""
    assert url.startswith(f"http://{HOST}:"), url
    duration = min(options.duration, MAX_DURATION)
    args = ["wrk", "-t1", f"-c{options.connections}", f"-d{duration}s", "--latency", url]
    output = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in output:
        raise RuntimeError(f"errors from {url}:\n{output}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    return rps, latency(output, "50%"), latency(output, "99%")


def latency(output, percentile):
    value, unit = re.search(rf"^\s+{percentile}\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


# --- measurements -----------------------------------------------------------------


def measure_pages(name, url, iso2, options):
    print(f"\n(load average before {name}: {' '.join(f'{x:.2f}' for x in os.getloadavg())})", flush=True)
    paths = [(page, path.format(iso2=iso2), kind) for page, path, kind in PAGES]
    with Server(url, cached=True) as server:
        bodies = [(page.replace(".", "-"), server.get(path), kind) for page, path, kind in paths]
    collect_static(bodies)
    results = {}
    with Server(url, cached=True) as server:
        for (page, path, _), (static_name, _, kind) in zip(paths, bodies, strict=True):
            for _ in range(10):  # warm both workers' caches
                server.get(path)
            cached = wrk(server.url(path), options)
            static = wrk(server.url(f"/static/benchmark/{static_name}.{kind}"), options)
            results[page] = {"path": path, "cached": cached, "static": static}
    with Server(url, cached=False) as server:
        for page, path, _ in paths:
            server.get(path)
            results[page]["uncached"] = wrk(server.url(path), options)
    alone = service_times(url, [path for _, path, _ in paths], options)
    for page, path, _ in paths:
        results[page]["alone"] = alone[path]
    print_pages(name, results)
    return results


def measure_history(name, urls, iso2, options):
    results = {}
    paths = [(page, path.format(iso2=iso2)) for page, path in HISTORY_PAGES]
    for size in ("small", "large"):
        with Server(urls[size], cached=False) as server:
            for page, path in paths:
                server.get(path)
                results.setdefault(page, {"path": path})[size] = wrk(server.url(path), options)
        alone = service_times(urls[size], [path for _, path in paths], options)
        for page, path in paths:
            results[page][f"{size} alone"] = alone[path]
    print_history(name, results, options)
    return results


SERVICE_TIME = """
import statistics, time
from django.test import Client
client = Client()
for path in __PATHS__:
    for _ in range(3):
        client.get(path)
    times = []
    for _ in range(__N__):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
    assert response.status_code == 200, path
    times.sort()
    print(path, statistics.median(times), times[int(len(times) * 0.9)])
"""


def service_times(url, paths, options):
    """Return {path: (median, p90) ms} of uncached requests made one at a time, in-process.

    No server and no load tool share the CPU with the page: this is the
    page's own cost, which load on the machine disturbs far less than wrk's.
    """
    code = SERVICE_TIME.replace("__PATHS__", repr(paths)).replace("__N__", str(options.samples))
    env = {"PUBLIC_CACHE_SECONDS": "0", "ALLOWED_HOSTS": "testserver"}
    output = django_eval(url, code, env)
    times = {}
    for line in output.splitlines():
        path, median, p90 = line.split()
        times[path] = (float(median), float(p90))
    return times


SAVE_COST = """
import time
from django.db import transaction
from tracker.models import Participation
participation = Participation.objects.exclude(deposit_date=None).select_related("treaty").order_by("pk").first()
def saves(n, history):
    started = time.perf_counter()
    for i in range(n):
        participation.notes = f"benchmark {i}"
        if not history:
            participation.skip_history_when_saving = True
        participation.save()
        if not history:
            del participation.skip_history_when_saving
    return (time.perf_counter() - started) / n * 1000
with transaction.atomic():
    saves(20, True); saves(20, False)  # warm up
    times = {"with": [], "without": []}
    for _ in range(5):
        times["with"].append(saves(__N__, True))
        times["without"].append(saves(__N__, False))
    transaction.set_rollback(True)
print(min(times["with"]), min(times["without"]))
"""


def measure_saves(name, url, options):
    """Time Participation.save() with and without its history row (rolled back afterwards)."""
    output = django_eval(url, SAVE_COST.replace("__N__", str(options.saves)))
    with_history, without = (float(x) for x in output.split())
    print(
        f"\n{name}: Participation.save() {with_history:.2f} ms with history, {without:.2f} ms without "
        f"({with_history / without:.2f}×, target ≤ 1.5×)"
    )
    return with_history, without


# --- reporting --------------------------------------------------------------------


def print_pages(name, results):
    print(f"\n### {name}: pages against the static-file limit\n")
    print(
        "| page | static req/s | cached req/s | static ÷ cached | cached p50 / p99 ms "
        "| uncached req/s | uncached p50 / p99 ms | uncached alone: median / p90 ms |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results.values():
        (srps, _, _), (crps, c50, c99), (urps, u50, u99) = r["static"], r["cached"], r["uncached"]
        a50, a90 = r["alone"]
        print(
            f"| `{r['path']}` | {srps:,.0f} | {crps:,.0f} | {srps / crps:.2f}× | {c50:.1f} / {c99:.1f} "
            f"| {urps:,.0f} | {u50:.1f} / {u99:.1f} | {a50:.1f} / {a90:.1f} |"
        )


def print_history(name, results, options):
    small, large = f"{options.small_rows:,}", f"{options.history_rows:,}"
    print(f"\n### {name}: history pages at {small} and {large} history rows (uncached)\n")
    print(
        f"| page | wrk p50 / p99 ms at {small} | at {large} | alone, median ms at {small} | at {large} "
        "| large ÷ small (alone) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for r in results.values():
        (_, s50, s99), (_, l50, l99) = r["small"], r["large"]
        (a_small, _), (a_large, _) = r["small alone"], r["large alone"]
        print(
            f"| `{r['path']}` | {s50:.1f} / {s99:.1f} | {l50:.1f} / {l99:.1f} | {a_small:.1f} | {a_large:.1f} "
            f"| {a_large / a_small:.2f} |"
        )


def proc_field(path, name):
    with open(path) as lines:
        return next((line.split(":", 1)[1].strip() for line in lines if line.startswith(name)), "?")


def print_machine(urls):
    cpu = proc_field("/proc/cpuinfo", "model name")
    memory = proc_field("/proc/meminfo", "MemTotal").split()[0]
    code = "import django, sqlite3; print(django.__version__, sqlite3.sqlite_version)"
    django_version, sqlite_version = run(
        [python(), "-c", code], capture_output=True, text=True
    ).stdout.split()
    print("### Machine\n")
    print(
        f"- CPUs: {os.cpu_count()} ({cpu}); RAM: {int(memory) / 1024 / 1024:.1f} GiB; {platform.platform()}"
    )
    print(f"- Python {platform.python_version()}, Django {django_version}, SQLite {sqlite_version}")
    if "PostgreSQL" in urls:
        print(f"- {psql(urls['PostgreSQL']['large'], 'SELECT version()').split(' on ')[0]}")
    gunicorn = run([str(Path(python()).with_name("gunicorn")), "--version"], capture_output=True, text=True)
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split(" [")[0]
    print(f"- {gunicorn.stdout.strip()}, 2 sync workers; {wrk_version}")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--history-rows", type=int, default=1_000_000)
    parser.add_argument("--small-rows", type=int, default=1_000)
    parser.add_argument(
        "--duration", type=int, default=5, help=f"seconds per address (at most {MAX_DURATION})"
    )
    parser.add_argument(
        "--connections", type=int, default=2, help="wrk connections (default: one per worker)"
    )
    parser.add_argument("--saves", type=int, default=100, help="saves per timing round")
    parser.add_argument("--samples", type=int, default=40, help="requests per page for the in-process times")
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--sqlite-dir", default="/tmp/tracker-bench")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--rebuild", action="store_true", help="build the databases again")
    parser.add_argument("--json", help="also write the results to this file")
    options = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: install it (Debian: apt-get install -y wrk) and run this again.")
    if not Path(python()).with_name("gunicorn").exists():
        sys.exit("gunicorn is missing: pip install -r requirements.txt")

    urls = database_urls(options)
    print("Preparing the databases (reused when they exist) …", flush=True)
    for sizes in urls.values():
        prepare(sizes["large"], options.history_rows, options.rebuild)
        prepare(sizes["small"], options.small_rows, options.rebuild)
    print_machine(urls)
    collect_static([])  # the manifest, which pages need with DEBUG off
    report = {}
    for name, sizes in urls.items():
        iso2 = busiest_state(sizes["large"])
        report[name] = {
            "pages": measure_pages(name, sizes["large"], iso2, options),
            "history": measure_history(name, sizes, iso2, options),
            "saves": measure_saves(name, sizes["large"], options),
        }
    if options.json:
        Path(options.json).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
