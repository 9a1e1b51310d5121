"""Profile public pages in-process, uncached: where the time of one request goes.

    DATABASE_URL=sqlite:///… .venv/bin/python tools/profile_pages.py /states/ /deadlines/
    DATABASE_URL=sqlite:///… .venv/bin/python tools/profile_pages.py --profile /states/

Without --profile it prints the median time of --samples requests per page (after
one warm-up request); with it, the cProfile of those requests, the top functions by
cumulative and by own time. Use a scratch database (tools/benchmark.py builds them);
the page cache is switched off here, so every request is rendered.
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
os.environ.setdefault("PUBLIC_CACHE", "false")
os.environ.setdefault("LOG_LEVEL", "ERROR")
os.environ.setdefault("AXES_ENABLED", "false")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=30)
    options = parser.parse_args()

    import django

    django.setup()
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    for path in options.paths:
        response = client.get(path)
        if response.status_code != 200:
            sys.exit(f"{path}: {response.status_code}")
        times = []
        profile = cProfile.Profile() if options.profile else None
        for _ in range(options.samples):
            start = time.perf_counter()
            if profile:
                profile.enable()
            client.get(path)
            if profile:
                profile.disable()
            times.append((time.perf_counter() - start) * 1000)
        print(f"{path}: median {statistics.median(times):.1f} ms, min {min(times):.1f} ms", flush=True)
        if profile:
            stats = pstats.Stats(profile).strip_dirs()
            stats.sort_stats("cumulative").print_stats(options.top)
            stats.sort_stats("tottime").print_stats(options.top)


if __name__ == "__main__":
    main()
