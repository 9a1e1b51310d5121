#!/usr/bin/env python3
"""One-word tasks for a fresh checkout: ``python3 dev.py serve`` and ``python3 dev.py test``.

Each task first makes sure the virtual environment in ``.venv`` exists and has
the pinned requirements (it reinstalls only when requirements.txt changed), so
nothing but Python 3.11+ is needed beforehand. Every step is idempotent:
``serve`` migrates and loads the shipped data only into an empty database, so
running it again never loses an editor's work.

Tasks:
  serve [ADDRESS:PORT]   set up, then serve the site (default 127.0.0.1:8000)
  test [PYTEST ARGS]     set up, then run the whole test suite (one worker per core)
  setup                  only set up the environment and the database
  manage ARGS            run manage.py inside the environment
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
REQUIREMENTS = ROOT / "requirements.txt"
STAMP = VENV / ".requirements.sha256"


def venv_python():
    scripts = "Scripts" if os.name == "nt" else "bin"
    return VENV / scripts / ("python.exe" if os.name == "nt" else "python")


def run(*args, **kwargs):
    print("+", " ".join(str(a) for a in args), flush=True)
    return subprocess.run([str(a) for a in args], cwd=ROOT, check=True, **kwargs)


def ensure_environment():
    if sys.version_info < (3, 11):
        sys.exit("Python 3.11 or newer is needed (found %d.%d)." % sys.version_info[:2])
    if not venv_python().exists():
        print(f"Creating the virtual environment in {VENV.name}/ …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text().strip() != wanted:
        run(venv_python(), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", REQUIREMENTS)
        STAMP.write_text(wanted + "\n")


def manage(*args):
    return run(venv_python(), "manage.py", *args)


def setup_database():
    manage("migrate", "--noinput")
    manage("load_shipped_data")


def main(argv):
    task = argv[1] if len(argv) > 1 else "help"
    rest = argv[2:]
    if task not in ("serve", "test", "setup", "manage"):
        print(__doc__)
        return 0 if task in ("help", "-h", "--help") else 2
    ensure_environment()
    try:
        if task == "serve":
            setup_database()
            address = rest[0] if rest else os.getenv("ADDRESS", "127.0.0.1:8000")
            print(f"Serving on http://{address}/ (Ctrl-C to stop)", flush=True)
            manage("runserver", address)
        elif task == "test":
            run(venv_python(), "-m", "pytest", *rest)
        elif task == "setup":
            setup_database()
        elif task == "manage":
            manage(*rest)
    except subprocess.CalledProcessError as error:
        return error.returncode
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
