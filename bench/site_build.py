"""Site build time with site_builder against a bare mkdocs-material baseline.

Generates N synthetic column articles (Chinese text, spread over monthly
issues) in a temporary copy of the project, then times two cold builds:

* ours: the project's mkdocs.yml (site_builder: validation, indexes, tags,
  booklets with QR codes, feeds, manifest, pruned navigation);
* baseline: mkdocs-material + search with the same settings and the same
  pruned navigation, over the same articles plus plain hand-written issue
  index pages, without site_builder.

    python bench/site_build.py --n 1000

The last line is one JSON object: {"n", "ours_s", "baseline_s", "ratio"}.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from site_builder.navigation import NAV_ISSUES

ROOT = Path(__file__).resolve().parents[1]
# The build day, pinned. The committed registry may list ids of articles dated
# later: a build before their day treats them as scheduled, not as gone.
TODAY = dt.date(2026, 12, 1)
CATEGORIES = ["knowledge", "measures", "cases"]
DEPARTMENTS = ["县乡村振兴局", "县农业农村局", "县人社局", "县医保局", "县住建局", "县委组织部"]
TAGS = ["精准扶贫", "产业扶贫", "就业帮扶", "教育帮扶", "健康帮扶", "住房安全", "防返贫监测",
        "村集体经济", "消费帮扶", "三会一课", "主题党日", "四议两公开", "党员教育"]
SENTENCES = [
    "村党支部要把防止返贫动态监测作为经常性工作，做到早发现、早干预、早帮扶。",
    "帮扶责任人每月至少入户走访一次，看收入、看住房、看饮水、看就医就学。",
    "产业发展要因地制宜，依托合作社带动农户，让群众稳定分享产业增值收益。",
    "村级集体经济收益的分配方案，须按照“四议两公开”的程序民主决策。",
    "脱贫劳动力外出务工的，可按规定申请一次性交通补助和稳岗补贴。",
    "义务教育阶段要落实控辍保学责任，确保适龄儿童不因贫失学辍学。",
    "参加城乡居民基本医疗保险的脱贫人口，住院费用按规定享受倾斜支付。",
    "党员要带头参加“三会一课”和主题党日活动，认真学习政策、宣传政策。",
    "危房改造要先鉴定后改造，鉴定为C级、D级的住房要按规定纳入改造。",
    "消费帮扶把农产品卖出去，把群众的钱袋子鼓起来，是一条长久之计。",
]


def synthetic_article(rng: random.Random, number: int, day: dt.date) -> tuple[str, str]:
    article_id = f"synthetic-{number:06d}"
    paragraphs = [
        "".join(rng.choice(SENTENCES) for _ in range(rng.randint(3, 6)))
        for _ in range(rng.randint(3, 6))
    ]
    body = "\n\n".join(paragraphs[:2]) + "\n\n## 具体做法\n\n" + "\n\n".join(paragraphs[2:])
    meta = {
        "title": f"学习专题第{number}篇：{rng.choice(SENTENCES)[:14]}",
        "date": day,
        "category": CATEGORIES[number % 3],
        "department": rng.choice(DEPARTMENTS),
        "tags": rng.sample(TAGS, 2),
        "id": article_id,
    }
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
    return article_id, f"---\n{front}---\n\n{body}\n"


def months_back(count: int) -> list[str]:
    year, month = 2026, 11
    out = []
    for _ in range(count):
        out.append(f"{year}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out


def generate(project: Path, n: int, months: int, seed: int) -> dict[str, list[str]]:
    """Add N articles to the project copy; register their ids as published."""
    rng = random.Random(seed)
    content = project / "content"
    issues: dict[str, list[str]] = {}
    registry_lines = []
    issue_names = months_back(months)
    for number in range(n):
        issue = issue_names[number % months]
        year, month = map(int, issue.split("-"))
        day = dt.date(year, month, 1 + number % 28)
        day = min(day, TODAY)
        article_id, text = synthetic_article(rng, number, day)
        folder = content / "column" / issue
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{article_id}.md").write_text(text, encoding="utf-8")
        issues.setdefault(issue, []).append(article_id)
        registry_lines.append(f"{article_id}\tcolumn/{issue}/{article_id}.md\n")
    with (content / ".article-ids").open("a", encoding="utf-8") as registry:
        registry.writelines(registry_lines)
    return issues


def make_baseline(project: Path, issues: dict[str, list[str]]) -> Path:
    """Same content and theme, no site_builder; issue pages written by hand."""
    base = project.parent / "baseline"
    shutil.copytree(project / "content", base / "content")
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8").replace(
        "!ENV", "").replace("!!python/object/apply:pymdownx.slugs.slugify", ""))
    search = next(p for p in config["plugins"] if isinstance(p, dict) and "search" in p)
    config["plugins"] = [search]
    config["site_url"] = "http://127.0.0.1:8000/"
    toc = next(e for e in config["markdown_extensions"] if isinstance(e, dict) and "toc" in e)
    toc["toc"].pop("slugify", None)
    content = base / "content"
    issue_names = sorted(set(issues) | {p.name for p in (content / "column").iterdir()},
                         reverse=True)
    for issue in issue_names:
        folder = content / "column" / issue
        links = "\n".join(f"- [{p.stem}]({p.name})" for p in sorted(folder.glob("*.md")))
        (folder / "index.md").write_text(f"# {issue}\n\n{links}\n", encoding="utf-8")
    archive = "\n".join(f"- [{issue}]({issue}/index.md)" for issue in issue_names)
    (content / "column" / "index.md").write_text(f"# 专栏\n\n{archive}\n", encoding="utf-8")
    (content / "column" / "archive.md").write_text(f"# 往期\n\n{archive}\n", encoding="utf-8")
    for section in ("policy", "news"):
        folder = content / section
        links = "\n".join(f"- [{p.stem}]({p.name})" for p in sorted(folder.glob("*.md")))
        (folder / "index.md").write_text(f"# {section}\n\n{links}\n", encoding="utf-8")
    # The same pruned navigation as site_builder's: sections, recent issues, archive.
    column_nav: list[object] = ["column/index.md"]
    column_nav += [{issue: f"column/{issue}/index.md"} for issue in issue_names[:NAV_ISSUES]]
    column_nav.append({"往期回顾": "column/archive.md"})
    config["nav"] = [{"首页": "index.md"}, {"政策解读": "policy/index.md"},
                     {"脱贫攻坚专栏": column_nav}, {"工作动态": "news/index.md"}]
    (base / "mkdocs.yml").write_text(yaml.safe_dump(config, allow_unicode=True),
                                     encoding="utf-8")
    return base


def timed_build(project: Path, env: dict[str, str]) -> float:
    shutil.rmtree(project / "site", ignore_errors=True)
    shutil.rmtree(project / ".cache", ignore_errors=True)  # cold: no QR cache
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q"], cwd=project,
                            env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"build failed in {project}:\n{result.stderr[-3000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="synthetic articles")
    parser.add_argument("--months", type=int, default=60, help="monthly issues to spread over")
    parser.add_argument("--repeat", type=int, default=1, help="builds each; the best counts")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    env = dict(os.environ, SITE_TODAY=TODAY.isoformat(), SITE_PREVIEW="false",
               NO_MKDOCS_2_WARNING="1")
    env.pop("SITE_REGISTRY", None)  # new ids go into the temporary copy's registry
    with tempfile.TemporaryDirectory(prefix="dj-bench-") as tmp:
        project = Path(tmp) / "ours"
        shutil.copytree(ROOT / "content", project / "content")
        shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
        issues = generate(project, args.n, args.months, args.seed)
        baseline = make_baseline(project, issues)
        ours_times, base_times = [], []
        for _ in range(args.repeat):  # interleaved, so drift hits both alike
            base_times.append(timed_build(baseline, env))
            ours_times.append(timed_build(project, env))
        pages = sum(1 for _ in (project / "site").rglob("index.html"))
        base_pages = sum(1 for _ in (baseline / "site").rglob("index.html"))
    ours, base = min(ours_times), min(base_times)
    print(f"articles: {args.n} synthetic over {args.months} issues (+ the real content)")
    print(f"ours:     {ours:7.2f} s  ({pages} pages)  runs: {[round(t, 2) for t in ours_times]}")
    print(f"baseline: {base:7.2f} s  ({base_pages} pages)  runs: "
          f"{[round(t, 2) for t in base_times]}")
    print(f"ratio:    {ours / base:7.3f}")
    print(json.dumps({"n": args.n, "ours_s": round(ours, 2), "baseline_s": round(base, 2),
                      "ratio": round(ours / base, 3)}))


if __name__ == "__main__":
    main()
