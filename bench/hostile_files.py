"""Hostile spreadsheets: how long each takes to be refused, and at what memory.

Builds each hostile file of tests/app/hostile_helpers.py (the zip bomb at the
testers' 900 MB) in a temp folder, then reads it through the import's reader
(``imports.readers.read_table``, web limits) in a fresh Python process, which
reports the seconds to the refusal and its peak memory (ru_maxrss) above what
the process held before reading. For scale, the same for a real 100,000-member
roster (bench/import_members.py's file), which must be read, not refused.

    python bench/hostile_files.py [--only zip_bomb,blank_rows]

One line per file, then one JSON line per file: {"file", "packed_mb",
"seconds", "cpu_seconds", "peak_mb_above_start", "outcome"}. The time budget
is wall-clock: on a busy machine the real roster comes closer to it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.app.hostile_helpers builds the files

from tests.app import hostile_helpers as hostile  # noqa: E402

BOMBS = {
    "zip_bomb": lambda path: hostile.zip_bomb(path, unpacked=900 * 1024 * 1024),
    "lying_bomb": hostile.lying_bomb,
    "ratio_bomb": lambda path: hostile.zip_bomb(path, unpacked=120 * 1024 * 1024),
    "shared_strings_bomb": hostile.shared_strings_bomb,
    "blank_rows": hostile.blank_rows,
    "far_row": hostile.far_row,
    "claimed_rows": hostile.claimed_rows,
    "wide_row": hostile.wide_row,
    "entity_bomb": hostile.entity_bomb,
    "traversal": hostile.traversal,
    "not_a_zip": hostile.not_a_zip,
    "big_cell": hostile.big_cell,
}

# Runs in a fresh process so that ru_maxrss is this file's alone.
PROBE = """
import json, resource, sys, time
from learning_app.errors import SheetRejected
from learning_app.imports.readers import read_table
data = open(sys.argv[1], "rb").read()
start_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start, cpu = time.perf_counter(), time.process_time()
try:
    table = read_table(data, sys.argv[1])
    outcome = f"read: {len(table.rows)} rows"
except SheetRejected as exc:
    outcome = "refused: " + str(exc.problems[0])
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - start_rss) / 1024
print(json.dumps({"seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3),
                  "peak_mb_above_start": round(peak),
                  "outcome": outcome}, ensure_ascii=False))
"""


def roster(path: Path) -> Path:
    sys.path.insert(0, str(ROOT / "bench"))
    from import_members import MEMBER_HEADER, member_rows, org_rows, write_xlsx

    units = [row[0] for row in org_rows() if row[0] != "QC"]
    write_xlsx(path, MEMBER_HEADER, member_rows(100_000, units))
    return path


def measure(name: str, path: Path) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True,
                          text=True, cwd=ROOT, timeout=600, check=True)
    figures = json.loads(done.stdout)
    return {"file": name, "packed_mb": round(path.stat().st_size / 1e6, 1), **figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated file names")
    args = parser.parse_args()
    wanted = [name for name in args.only.split(",") if name] or [*BOMBS, "roster_100k"]
    figures = []
    with tempfile.TemporaryDirectory(prefix="hostile-bench-") as tmp:
        for name in wanted:
            build = roster if name == "roster_100k" else BOMBS[name]
            path = build(Path(tmp) / f"{name}.xlsx")
            figure = measure(name, path)
            figures.append(figure)
            print(f"{name:20} {figure['packed_mb']:6} MB  {figure['seconds']:7.2f} s "
                  f"(CPU {figure['cpu_seconds']:6.2f} s)  "
                  f"+{figure['peak_mb_above_start']:4} MB  {figure['outcome'][:70]}", flush=True)
    for figure in figures:
        print(json.dumps(figure, ensure_ascii=False))


if __name__ == "__main__":
    main()
