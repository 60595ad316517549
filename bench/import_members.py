"""Member import speed: N members from CSV and from XLSX into a fresh SQLite database.

Generates a county-shaped organization tree (30 townships x 20 villages
plus county departments) and N members with unique codes and phones, writes
them as a UTF-8 CSV and as an XLSX, and for each format imports them into a
new SQLite database (migrated like production) through the same function
the ``flask import-members`` command uses. The time covers reading the file,
checking every row and writing; the organizations are imported first,
untimed. A second, untimed-in-JSON pass re-imports the same file (all rows
unchanged) to show the idempotent path.

    python bench/import_members.py --n 100000

One JSON line per format, the last line being the last run:
{"n", "format", "seconds", "rows_per_s"}.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import logging
import os
import random
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade
from openpyxl import Workbook

from learning_app import create_app
from learning_app.extensions import db
from learning_app.imports.service import import_file

os.environ.setdefault("SECRET_KEY", "bench-only")  # keep instance/ untouched (read by create_app)

ORG_HEADER = ["组织编码", "组织名称", "组织类别", "上级组织编码", "排序"]
MEMBER_HEADER = ["党员编号", "姓名", "手机号", "所在组织编码", "类别", "免学原因", "状态",
                 "入党日期"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "明华建国秀英德明玉兰志强春梅文军海燕家兴永红桂芳伟丽成刚淑珍晓东"
PHONE_PREFIXES = ("139", "138", "137", "135", "150", "151", "158", "181", "187", "199")
DEPARTMENTS = ("人社局", "农业农村局", "乡村振兴局", "教育局", "卫健局", "住建局", "交通局",
               "水利局", "财政局", "民政局")


def org_rows() -> list[list[str]]:
    rows = [["QC", "中共青川县委", "县委", "", "0"]]
    for t in range(1, 31):
        township = f"QC-T{t:02d}"
        rows.append([township, f"第{t}镇党委", "乡镇党委", "QC", str(t)])
        rows += [[f"{township}-V{v:02d}", f"第{t}镇第{v}村党支部", "村党支部", township, str(v)]
                 for v in range(1, 21)]
    rows += [[f"QC-D{d:02d}", f"县{name}党组", "县直部门党组织", "QC", str(d)]
             for d, name in enumerate(DEPARTMENTS, start=1)]
    return rows


def member_rows(n: int, units: list[str], seed: int = 2026) -> list[list[str]]:
    rng = random.Random(seed)
    rows = []
    for number in range(1, n + 1):
        category = rng.choices(["", "支部书记及班子成员", "入党积极分子"], [90, 7, 3])[0]
        joined = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(23_000))
        rows.append([
            f"QC{number:08d}",
            rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2)))),
            f"{rng.choice(PHONE_PREFIXES)}{number:08d}" if rng.random() < 0.95 else "",
            rng.choice(units),
            category,
            "年老体弱" if rng.random() < 0.03 else "",
            "",
            joined.isoformat(),
        ])
    return rows


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    # utf-8-sig: what Excel writes for "CSV UTF-8", BOM and all.
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)


def write_xlsx(path: Path, header: list[str], rows: list[list[str]]) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("党员")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)


def run(fmt: str, members_file: Path, orgs_file: Path, workdir: Path, n: int) -> dict[str, object]:
    database = workdir / f"bench-{fmt}.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
                      "SECRET_KEY": "bench-only"})
    with app.app_context():
        upgrade()
        import_file(db.session, "orgs", orgs_file)
        start = time.perf_counter()
        result = import_file(db.session, "members", members_file)
        seconds = time.perf_counter() - start
        assert result.added == n, result
        start = time.perf_counter()
        again = import_file(db.session, "members", members_file)
        reimport = time.perf_counter() - start
        assert again.unchanged == n, again
        db.session.remove()
        db.engine.dispose()
    print(f"{fmt}: {n} members imported in {seconds:.2f} s ({n / seconds:,.0f} rows/s); "
          f"re-import, all unchanged: {reimport:.2f} s", flush=True)
    return {"n": n, "format": fmt, "seconds": round(seconds, 3),
            "rows_per_s": round(n / seconds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="members to import")
    parser.add_argument("--formats", default="csv,xlsx", help="comma-separated: csv,xlsx")
    args = parser.parse_args()
    logging.getLogger("alembic").setLevel(logging.WARNING)

    orgs = org_rows()
    units = [row[0] for row in orgs if row[0] != "QC"]
    members = member_rows(args.n, units)
    with tempfile.TemporaryDirectory(prefix="import-bench-") as tmp:
        workdir = Path(tmp)
        orgs_file = workdir / "组织.csv"
        write_csv(orgs_file, ORG_HEADER, orgs)
        files = {"csv": workdir / "党员.csv", "xlsx": workdir / "党员.xlsx"}
        write_csv(files["csv"], MEMBER_HEADER, members)
        write_xlsx(files["xlsx"], MEMBER_HEADER, members)
        sizes = ", ".join(f"{fmt} {path.stat().st_size / 1e6:.1f} MB"
                          for fmt, path in files.items())
        print(f"{len(orgs)} organizations, {args.n} members ({sizes})", flush=True)
        figures = [run(fmt, files[fmt], orgs_file, workdir, args.n)
                   for fmt in args.formats.split(",")]
    for figure in figures:
        print(json.dumps(figure, ensure_ascii=False))


if __name__ == "__main__":
    main()
