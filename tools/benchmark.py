#!/usr/bin/env python3
"""Load-test the public pages against the static-file limit, on SQLite and PostgreSQL side by side.

For each database it serves the site with gunicorn (2 workers, production
settings: DEBUG off, a SECRET_KEY, ALLOWED_HOSTS=127.0.0.1, no SSL redirect)
on 127.0.0.1 and measures with wrk (8 connections), for every public page,
filtered lists and the pages other parts of the site add when they exist:

* uncached: the page cache off (PUBLIC_CACHE_SECONDS=0), every request rendered,
  from the rows and parts each worker keeps for the data's version (tracker/derived.py),
  as for any new filter combination of a version already read;
* cold, in-process and one request at a time: nothing kept either (DERIVED_MEMO=false),
  as for the first request after an edit;
* cached: the page cache on and warm;
* static: the same bytes, saved into STATIC_ROOT and served by whitenoise
  from the same server: the limit a page can approach.

Two instances (1 worker each) sharing one Redis page cache are measured next:
a page rendered through one is served by the other (checked by X-Cache): read from
Redis on its first request there, then from that worker's kept copy (tracker/caching.py,
StoredPageApplication), the data's version still checked on every request.
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
    python tools/benchmark.py --only sqlite --parts pages --pages states deadlines

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
    # Filtered lists: each combination is its own page, rendered on its first request.
    ("states-africa-parties", "/states/?status=party&region=africa", "html"),
    ("states-as-of", "/states/?as_of=2015-06-01", "html"),
    ("deadlines-ccm", "/deadlines/?treaty=ccm", "html"),
]
# Pages other parts of the site add; measured when the server has them (200), else listed as absent.
OPTIONAL_PAGES = [
    ("pledges", "/pledges/", "html"),
    ("reports", "/reports/", "html"),
    ("meeting", "/meetings/ccm-2msp/", "html"),
    ("deadlines-apmbc", "/deadlines/?treaty=apmbc", "html"),
    ("map", "/map.svg?treaty=apmbc", "svg"),
    ("api-states", "/api/v1/states?region=africa", "json"),
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
    """gunicorn on 127.0.0.1 (2 workers), production settings, the page cache on or off.

    ``cache_url`` (a Redis address) makes the page cache shared, as between the
    instances of a deployment on several machines; by default it is per worker.
    """

    def __init__(self, url, cached, cache_url="", workers=2):
        self.env = {
            **SERVER_ENV,
            "DATABASE_URL": url,
            "PUBLIC_CACHE_SECONDS": "600" if cached else "0",
            "CACHE_URL": cache_url,
        }
        self.workers = workers
        self.port = free_port()
        self.process = None

    def __enter__(self):
        args = [
            str(Path(python()).with_name("gunicorn")),
            "tracker.wsgi:application",
            "--workers",
            str(self.workers),
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

    def open(self, path):
        # One name for every instance, as behind a load balancer (the page cache keys on it).
        return urllib.request.urlopen(
            urllib.request.Request(self.url(path), headers={"Host": HOST}), timeout=30
        )

    def get(self, path):
        with self.open(path) as response:
            return response.read()

    def cache_header(self, path):
        with self.open(path) as response:
            return response.headers.get("X-Cache")

    def serves(self, path):
        try:
            self.get(path)
            return True
        except urllib.error.HTTPError:
            return False


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
    args = [
        "wrk",
        "-t1",
        f"-c{options.connections}",
        f"-d{duration}s",
        "--latency",
        "-H",
        f"Host: {HOST}",
        url,
    ]
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
        present = [(page, path, kind) for page, path, kind in OPTIONAL_PAGES if server.serves(path)]
        absent = [path for _, path, _ in OPTIONAL_PAGES if (path not in {p for _, p, _ in present})]
        if absent:
            print(f"(not on this site, not measured: {', '.join(absent)})")
        paths += present
        if options.pages:
            paths = [p for p in paths if any(part in p[1] for part in options.pages)]
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
            for _ in range(10):  # both workers keep what they derived for this version
                server.get(path)
            results[page]["uncached"] = wrk(server.url(path), options)
    alone = service_times(url, [path for _, path, _ in paths], options)
    for page, path, _ in paths:
        results[page]["alone"] = alone[path]
    print_pages(name, results)
    return results


def redis_reachable(cache_url):
    host, _, port = cache_url.removeprefix("redis://").split("/")[0].partition(":")
    try:
        with socket.create_connection((host, int(port or 6379)), timeout=1):
            return True
    except OSError:
        return False


def measure_instances(name, url, iso2, options):
    """Two instances (1 worker each) sharing a Redis page cache: each serves what the other rendered."""
    if not redis_reachable(options.redis_url):
        print(f"\n(two instances not measured: no Redis at {options.redis_url})")
        return {}
    import redis

    paths = [(page, path.format(iso2=iso2)) for page, path, _ in PAGES[:8]]
    results = {}
    redis.Redis.from_url(options.redis_url).flushdb()
    with (
        Server(url, cached=True, cache_url=options.redis_url, workers=1) as a,
        Server(url, cached=True, cache_url=options.redis_url, workers=1) as b,
    ):
        for page, path in paths:
            first, second = a.cache_header(path), b.cache_header(path)
            if (first, second) != ("miss", "hit"):
                raise RuntimeError(
                    f"{path}: expected a miss through A then a hit through B, got {first}, {second}"
                )
            results[page] = {"path": path, "b": wrk(b.url(path), options)}
            results[page]["static"] = wrk(
                b.url(f"/static/benchmark/{page.replace('.', '-')}.{PAGE_KINDS[page]}"), options
            )
    print(f"\n### {name}: two instances sharing the page cache in Redis (1 worker each)\n")
    print("| page | static req/s (B) | B serving A's page, req/s | shared ÷ static | p50 / p99 ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for r in results.values():
        (srps, _, _), (brps, b50, b99) = r["static"], r["b"]
        print(f"| `{r['path']}` | {srps:,.0f} | {brps:,.0f} | {brps / srps:.2f}× | {b50:.1f} / {b99:.1f} |")
    return results


PAGE_KINDS = {page: kind for page, _, kind in PAGES + OPTIONAL_PAGES}


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
    # Nothing kept from one request to the next: the cost of the first request after an edit.
    env = {"PUBLIC_CACHE_SECONDS": "0", "DERIVED_MEMO": "false", "ALLOWED_HOSTS": "testserver"}
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
        "| page | static req/s | cached req/s | cached ÷ static | cached p50 / p99 ms "
        "| uncached req/s | uncached ÷ static | uncached p50 / p99 ms | cold, alone: median / p90 ms |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results.values():
        (srps, _, _), (crps, c50, c99), (urps, u50, u99) = r["static"], r["cached"], r["uncached"]
        a50, a90 = r["alone"]
        print(
            f"| `{r['path']}` | {srps:,.0f} | {crps:,.0f} | {crps / srps:.2f}× | {c50:.1f} / {c99:.1f} "
            f"| {urps:,.0f} | {urps / srps:.2f}× | {u50:.1f} / {u99:.1f} | {a50:.1f} / {a90:.1f} |"
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
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument(
        "--redis-url", default="redis://127.0.0.1:6379/14", help="the shared cache for the two-instance run"
    )
    parser.add_argument("--saves", type=int, default=100, help="saves per timing round")
    parser.add_argument("--samples", type=int, default=40, help="requests per page for the in-process times")
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--sqlite-dir", default="/tmp/tracker-bench")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--rebuild", action="store_true", help="build the databases again")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument(
        "--parts",
        nargs="+",
        choices=["pages", "instances", "history", "saves"],
        default=["pages", "instances", "history", "saves"],
        help="what to measure (default: all of it)",
    )
    parser.add_argument(
        "--pages",
        nargs="+",
        metavar="PART",
        help="measure only the pages whose address contains one of these",
    )
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
        report[name] = {}
        if "pages" in options.parts:
            report[name]["pages"] = measure_pages(name, sizes["large"], iso2, options)
        if "instances" in options.parts:
            report[name]["instances"] = measure_instances(name, sizes["large"], iso2, options)
        if "history" in options.parts:
            report[name]["history"] = measure_history(name, sizes, iso2, options)
        if "saves" in options.parts:
            report[name]["saves"] = measure_saves(name, sizes["large"], options)
    if options.json:
        Path(options.json).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
