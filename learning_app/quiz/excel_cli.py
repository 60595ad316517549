"""``import-bank`` and ``export-bank``: question banks between Excel and YAML."""

from __future__ import annotations

import re
from pathlib import Path

import click
import yaml

from learning_app.audit.service import record
from learning_app.errors import SheetRejected
from learning_app.extensions import db
from learning_app.quiz.excel import bank_yaml, read_bank_sheet, write_bank_sheet
from learning_app.spreadsheet import display_name


@click.command("import-bank")
@click.argument("sheet", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--bank", "bank_id", required=True, help="bank id, e.g. poverty-basics")
@click.option("--title", required=True, help="bank title, e.g. 脱贫攻坚基础知识")
@click.option("--use", type=click.Choice(["exam", "practice"]), default="exam",
              show_default=True, help="考试题库 (tests only) or 练习题库 (practice only)")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="YAML file to write (default quizzes/banks/<bank>.yaml)")
def import_bank_command(sheet: Path, bank_id: str, title: str, use: str,
                        output: Path | None) -> None:
    """Turn a 题库 XLSX into a bank YAML file; bad rows are listed and nothing is written."""
    if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", bank_id):
        raise click.BadParameter("lowercase letters, digits and hyphens", param_hint="--bank")
    source = display_name(sheet.name)
    try:
        bank = read_bank_sheet(sheet, bank_id, title)
    except SheetRejected as exc:
        record(db.session, "bank_import", target_label=bank_id,
               detail=f"未导入：{source}，{len(exc.problems)}处问题；{exc.problems[0]}",
               after={"bank": bank_id, "file": source, "refused": len(exc.problems)})
        db.session.commit()
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(f"{sheet}: {len(exc.problems)}处问题，未写入任何文件") from None
    if use == "practice":  # exam is the loader's default: the key is written only for practice
        bank = {"bank": bank["bank"], "title": bank["title"], "use": use,
                "questions": bank["questions"]}
    target = output or Path("quizzes") / "banks" / f"{bank_id}.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    # The event is added first and committed once the file is written: it exists
    # exactly when the bank file does (a failed write rolls it back).
    record(db.session, "bank_import", target_label=bank_id,
           detail=f"{bank_id}「{title}」：{len(bank['questions'])}题，来自 {source}，"
                  f"写入 {target}",
           after={"bank": bank_id, "title": title, "use": use, "file": source,
                  "questions": len(bank["questions"]), "output": str(target)})
    try:
        target.write_text(bank_yaml(bank), encoding="utf-8")
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    click.echo(f"{target}: {len(bank['questions'])} questions; run load-quizzes to load them")


@click.command("export-bank")
@click.argument("bank_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def export_bank_command(bank_file: Path, output: Path) -> None:
    """Write a bank YAML file out as a 题库 XLSX for editing in Excel."""
    bank = yaml.safe_load(bank_file.read_text(encoding="utf-8"))
    write_bank_sheet(bank, output)
    click.echo(f"{output}: {len(bank['questions'])} questions")
