"""How long `flask import csv` takes to import 100,000 ideas, with votes and comments.

Issue 19 asks that importing 100,000 ideas finishes in minutes, not hours. This script
writes a seeded CSV in our format (ideas.csv, comments.csv), prepares an empty database
with one company and its owner, then times the command an operator would run:

    .venv/bin/python bench/import_bench.py --database-url sqlite:////tmp/cocreate-import-bench.db
    .venv/bin/python bench/import_bench.py \\
        --database-url postgresql://postgres@127.0.0.1/cocreate_import_bench

The database is emptied first (its name must contain "bench").
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade

from bench.generate import make_app, reset
from bench.shared import app_env, dialect_of, venv_bin, workdir
from forum.accounts import services as accounts
from forum.companies import services as companies

WORDS = [
    "descale", "reminder", "grinder", "quieter", "recipe", "share", "export", "invoice",
    "dark", "mode", "shortcut", "offline", "sync", "widget", "calendar", "timer", "schedule",
    "brew", "milk", "froth", "pressure", "app", "notification", "firmware", "update",
    "bluetooth", "voice", "filter", "water", "tank"]
STATUSES = ["", "", "", "under review", "planned", "in progress", "shipped", "declined"]
SLUG = "importbench"


def write_files(folder: Path, ideas: int, people: int, seed: int) -> tuple[Path, Path]:
    """ideas.csv and comments.csv: `ideas` ideas by `people` addresses, 0 to 8 voters
    each, and a comment on every fourth idea."""
    rng = random.Random(seed)
    start = datetime(2022, 1, 1)
    ideas_path, comments_path = folder / "ideas.csv", folder / "comments.csv"
    with ideas_path.open("w", newline="") as ideas_file, \
            comments_path.open("w", newline="") as comments_file:
        idea_rows, comment_rows = csv.writer(ideas_file), csv.writer(comments_file)
        idea_rows.writerow(["ref", "title", "body", "author_email", "status", "tags",
                            "created_at", "voter_emails"])
        comment_rows.writerow(["idea_ref", "author_email", "body", "created_at"])
        for number in range(1, ideas + 1):
            words = rng.sample(WORDS, 4)
            created = start + timedelta(minutes=rng.randrange(60 * 24 * 900))
            voters = {f"person{rng.randrange(people)}@example.com"
                      for _ in range(rng.randrange(9))}
            idea_rows.writerow([
                number, f"{' '.join(words).capitalize()} (idea {number})",
                f"It would help to **{words[0]}** the {words[1]}.\n\n- {words[2]}\n- {words[3]}",
                f"person{rng.randrange(people)}@example.com", rng.choice(STATUSES),
                "; ".join(rng.sample(WORDS[:12], rng.randrange(3))),
                created.isoformat() + "Z", "; ".join(sorted(voters))])
            if number % 4 == 0:
                comment_rows.writerow([number, f"person{rng.randrange(people)}@example.com",
                                       f"Yes, {rng.choice(WORDS)} please.",
                                       (created + timedelta(days=1)).isoformat() + "Z"])
    return ideas_path, comments_path


def prepare(url: str) -> None:
    """An empty, migrated database with a company and its owner."""
    if dialect_of(url) == "sqlite":
        reset(url)
    app = make_app(url)
    with app.app_context():
        if dialect_of(url) == "postgresql":
            reset(url)
        upgrade()
        admin = accounts.register("benchadmin", "benchadmin@example.com", "bench-password",
                                  site_admin=True, email_confirmed=True)
        owner = accounts.register("benchowner", "benchowner@example.com", "bench-password",
                                  email_confirmed=True)
        companies.create_company(admin, name="Import Bench", slug=SLUG, owner=owner)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="sqlite:////tmp/cocreate-import-bench.db")
    parser.add_argument("--ideas", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    folder = workdir(args.database_url)
    ideas_path, comments_path = write_files(folder, args.ideas, args.people, args.seed)
    prepare(args.database_url)
    command = [venv_bin("flask"), "import", "csv", SLUG, str(ideas_path), "--comments",
               str(comments_path), "--yes"]
    print("$", " ".join(command), flush=True)
    started = time.perf_counter()
    subprocess.run(command, env=app_env(args.database_url), check=True)  # noqa: S603
    took = time.perf_counter() - started
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    # On a shared machine the wall time says more about the neighbours than the import:
    # the CPU time the command used is printed beside it.
    print(f"{args.ideas:,} ideas imported into {dialect_of(args.database_url)} in "
          f"{took:.1f} s ({args.ideas / took:,.0f} ideas/s), the command's whole run; "
          f"it used {used.ru_utime + used.ru_stime:.1f} s of CPU.")


if __name__ == "__main__":
    main()
