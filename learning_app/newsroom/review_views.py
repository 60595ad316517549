"""The review pages of the newsroom: an article (status, text, trail, what this
member may do now), the reviewers' decisions and edits, diffs, history and
restore, withdrawal (撤稿) and recall (撤回送审).

A page offers only what ``rules.available_actions`` allows this member now; the
service checks again under its lock (someone may have acted meanwhile) and its
refusal is shown on the page, next to the field it concerns, with what was
typed kept.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from learning_app.errors import Refused
from learning_app.extensions import db
from learning_app.models import Member, NewsArticle, NewsRevision
from learning_app.models.types import utcnow
from learning_app.newsroom import draft_form, jobs, review_pages, rules, service
from learning_app.newsroom.access import current_actor, newsroom_required
from learning_app.newsroom.blueprint import bp
from learning_app.newsroom.draft_form import FieldErrors
from learning_app.newsroom.publish import render_markdown, site_today
from site_builder.drafts import check_draft

DECISIONS = ("approve", "sign", "return")
SECRECY = "confirmed"  # the 保密审查 checkbox's value


def _article(pk: int) -> NewsArticle:
    article = db.session.get(NewsArticle, pk)
    if article is None:
        raise Refused(404, "没有找到这篇稿件")
    return article


def _member() -> Member:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _number(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise Refused(400, "请求有误，请刷新页面后重试") from None


def _current(article: NewsArticle) -> NewsRevision:
    revision = db.session.get(NewsRevision, article.current_revision_id)
    if revision is None:
        raise Refused(404, "没有找到这篇稿件的正文")
    return revision


def _preview_url(article: NewsArticle, revision: NewsRevision) -> str | None:
    """The preview page of a revision (draft_views'), once that page exists."""
    if "newsroom.preview" not in current_app.view_functions:
        return None
    return url_for("newsroom.preview", article=article.id, revision=revision.id)


def _done(article: NewsArticle, message: str) -> Any:
    flash(message, "success")
    return redirect(url_for("newsroom.article", article=article.id), 303)


# -- the article page --------------------------------------------------------------------


def _render_article(article: NewsArticle, *, errors: dict[str, str] | None = None,
                    values: MultiDict[str, str] | None = None,
                    confirm_withdraw: str | None = None, status: int = 200) -> Any:
    db.session.expire_all()  # after a refusal: the article as it is now
    article = _article(article.id)
    revision = _current(article)
    facts = service.situation(db.session, article)
    now = utcnow()
    actions = {action.name: action.level
               for action in rules.available_actions(facts, current_actor())}
    names = review_pages.names_of(db.session, {article.created_by, revision.author_id})
    try:
        date = review_pages.chinese_date(rules.article_date(revision.front_matter))
    except Refused:
        date = "（日期有误）"
    page = {
        "article": article, "revision": revision, "facts": facts, "actions": actions,
        "title": revision.front_matter.get("title") or "（无标题）",
        "section": review_pages.section_name(article.section),
        "status": review_pages.status_text(facts), "date": date,
        "author": names.get(article.created_by, ""),
        "revision_author": names.get(revision.author_id, ""),
        "revision_at": review_pages.beijing(revision.created_at),
        "went_live": review_pages.beijing(article.went_live_at),
        "scheduled_for": review_pages.chinese_date(article.publish_on)
        if article.state == "scheduled" else "",
        "site_url": review_pages.site_url(db.session, article),
        "build": review_pages.build_view(db.session, article, now),
        "trail": review_pages.trail_rows(db.session, article, facts.level_names),
        "level_name": rules.level_name(facts, facts.level) if facts.level else "",
        "last_level": facts.levels,
        "needs_reason": "sign" in actions and review_pages.needs_reason(
            db.session, article, revision, now),
        "preview_url": _preview_url(article, revision),
        "has_edit_page": "newsroom.edit" in current_app.view_functions,
        "errors": errors or {}, "values": values or MultiDict(),
        "confirm_withdraw": confirm_withdraw,
    }
    return render_template("newsroom/article.html", **page), status


@bp.get("/<int:article>")
@newsroom_required
def article(article: int) -> Any:
    return _render_article(_article(article))


# -- decisions: approve, 终审签发, return -------------------------------------------------------


def _decision_field(error: Refused, action: str, form: MultiDict[str, str],
                    needs_reason: bool) -> str:
    """Which field a refusal belongs next to: the input it asks for, if that was
    left out (a 400), else the form as a whole."""
    if error.status == 400:
        if action == "return" and not (form.get("comment") or "").strip():
            return "comment"
        if action == "sign" and form.get("secrecy") != SECRECY:
            return "secrecy"
        if action == "sign" and needs_reason and not (form.get("reason") or "").strip():
            return "reason"
    return "decide"


@bp.post("/<int:article>/decide")
@newsroom_required
def decide(article: int) -> Any:
    item = _article(article)
    form = request.form
    action = form.get("action", "")
    if action not in DECISIONS:
        raise Refused(400, "请选择通过、签发或退回修改")
    level, revision_id = _number(form.get("level")), _number(form.get("revision"))
    comment = (form.get("comment") or "").strip()
    now = utcnow()
    names = service.level_names(db.session)
    needs_reason = action == "sign" and review_pages.needs_reason(
        db.session, item, _current(item), now)
    try:
        if action == "approve":
            done = service.approve(db.session, item.id, _member(), level=level,
                                   revision_id=revision_id, now=now, comment=comment or None)
            message = (f"已通过{review_pages.level_label(names, level)}，"
                       f"转{review_pages.level_label(names, done.level)}。")
        elif action == "sign":
            done = service.final_approve(
                db.session, item.id, _member(), level=level, revision_id=revision_id, now=now,
                secrecy_confirmed=form.get("secrecy") == SECRECY,
                backdate_reason=(form.get("reason") or "").strip() or None,
                comment=comment or None,
                publish=lambda session, article, revision: jobs.publish_signed(
                    session, article, revision, now=now))
            message = ("已签发，网站正在更新。" if done.state == "approved" else
                       f"已签发，稿件将于{review_pages.chinese_date(done.publish_on)}自动上线。")
        else:
            service.return_article(db.session, item.id, _member(), level=level,
                                   revision_id=revision_id, comment=comment, now=now)
            message = "已退回修改，您的意见已转给编辑。"
    except Refused as error:
        field = _decision_field(error, action, form, needs_reason)
        return _render_article(item, errors={field: error.message}, values=form,
                               status=error.status)
    return _done(item, message)


# -- recall and withdrawal ------------------------------------------------------------------


@bp.post("/<int:article>/recall")
@newsroom_required
def recall(article: int) -> Any:
    item = _article(article)
    try:
        service.recall(db.session, item.id, _member(), now=utcnow())
    except Refused as error:
        return _render_article(item, errors={"recall": error.message}, status=error.status)
    return _done(item, "已撤回送审，稿件回到草稿，可以继续修改后再送审。")


@bp.post("/<int:article>/withdraw")
@newsroom_required
def withdraw(article: int) -> Any:
    """Two steps: the reason (checked, nothing changed), then a confirmation that
    says what happens; only the confirmed form withdraws."""
    item = _article(article)
    form = request.form
    reason = (form.get("reason") or "").strip()
    try:
        if form.get("confirm") != "yes":
            rules.check_withdraw(service.situation(db.session, item), current_actor(),
                                 reason=reason)
            return _render_article(item, confirm_withdraw=reason)
        now = utcnow()
        service.withdraw(db.session, item.id, _member(), reason=reason, now=now,
                         take_down=lambda session, article, revision: jobs.take_down(
                             session, article, revision, now=now))
    except Refused as error:
        return _render_article(item, errors={"withdraw": error.message}, values=form,
                               status=error.status)
    return _done(item, "已撤稿。页面正在从网站撤下，文章编号不再使用；党员已获得的学时保留。")


# -- the reviewer's edit ----------------------------------------------------------------------


def _render_edit(item: NewsArticle, base: NewsRevision, values: dict[str, str],
                 errors: FieldErrors | None = None, *, status: int = 200) -> Any:
    facts = service.situation(db.session, item)
    return render_template(
        "newsroom/review_edit.html", article=item, base=base, values=values,
        errors=errors or {}, facts=facts, title=base.front_matter.get("title") or "（无标题）",
        level=facts.level, level_name=rules.level_name(facts, facts.level) if facts.level else "",
        first_level=rules.level_name(facts, 1), categories=draft_form.CATEGORIES,
        section=item.section, section_name=review_pages.section_name(item.section),
        # The shared fields (_fields.html) without the editor's scripts: a plain
        # textarea, which the partial supports.
        editor_data={}, comment=request.form.get("comment", "")), status


def _check_text(item: NewsArticle, front_matter: dict[str, Any], body: str) -> FieldErrors:
    """The build's own validator on the edited text, each error by its input
    (``draft_form``: the same form and mapping as the editor's)."""
    try:
        date = rules.article_date(front_matter)
        text = render_markdown(front_matter, body)
    except Refused as error:
        return {"form": [error.message]}
    # Where the file will be: a column article not yet on the site follows its date.
    path = item.path if item.published_revision_id is not None else rules.article_path(
        item.section, item.article_id, date)
    problems = check_draft(text, path=path, content_dir=Path(current_app.config["CONTENT_DIR"]),
                           today=site_today(utcnow()))
    return draft_form.field_errors(problems, text, body)


@bp.route("/<int:article>/review-edit", methods=["GET", "POST"])
@newsroom_required
def review_edit(article: int) -> Any:
    item = _article(article)
    facts = service.situation(db.session, item)
    if request.method == "GET":
        # Only a reviewer at the level the article waits at edits it; anyone else
        # reads the rule's own reason (not in review, not their level, …).
        rules.check_edit(facts, current_actor(), level=facts.level,
                         base_revision_id=facts.current_revision_id or 0)
        base = _current(item)
        return _render_edit(item, base, draft_form.form_values(base.front_matter, base.body))
    form = request.form
    base = db.session.get(NewsRevision, _number(form.get("base")))
    if base is None or base.article_id != item.id:
        raise Refused(404, "没有找到这个版本")
    values = draft_form.read_values(form)
    front_matter, errors = draft_form.front_matter_from(values, item.section,
                                                        article_id=item.article_id)
    errors = errors or _check_text(item, front_matter, values["body"])
    if errors:
        return _render_edit(item, base, values, errors, status=400)
    try:
        revision = service.reviewer_edit(
            db.session, item.id, _member(), level=_number(form.get("level")),
            base_revision_id=base.id, front_matter=front_matter, body=values["body"],
            now=utcnow(), comment=(form.get("comment") or "").strip() or None)
    except Refused as error:
        db.session.expire_all()
        return _render_edit(_article(item.id), base, values, {"form": [error.message]},
                            status=error.status)
    facts = service.situation(db.session, _article(item.id))
    return _done(item, f"已保存为第{revision.number}版，审核从"
                       f"{rules.level_name(facts, 1)}重新开始。")


# -- diff, history, restore ------------------------------------------------------------------


@bp.get("/<int:article>/diff")
@newsroom_required
def diff(article: int) -> Any:
    item = _article(article)
    rows = review_pages.revision_rows(db.session, item)
    by_id = {row.id: row for row in rows}
    new_id = _number(request.args.get("new")) if request.args.get("new") else (
        item.current_revision_id or 0)
    if new_id not in by_id:
        raise Refused(404, "没有找到这个版本")
    if request.args.get("old"):
        old_id = _number(request.args.get("old"))
    else:  # by default: the version before, or the one on the site
        earlier = [row for row in rows if row.number < by_id[new_id].number]
        live = item.published_revision_id
        old_id = live if live is not None and live != new_id else (
            earlier[-1].id if earlier else new_id)
    lines = service.diff(db.session, item.id, old_id, new_id)
    old, new = db.session.get(NewsRevision, old_id), db.session.get(NewsRevision, new_id)
    assert old is not None and new is not None  # service.diff found both
    current = _current(item)
    return render_template(
        "newsroom/diff.html", article=item, rows=rows, old=by_id[old_id], new=by_id[new_id],
        lines=review_pages.diff_rows(lines, old, new),
        title=current.front_matter.get("title") or "（无标题）")


def _render_history(item: NewsArticle, *, errors: dict[int, str] | None = None,
                    values: MultiDict[str, str] | None = None, status: int = 200) -> Any:
    db.session.expire_all()
    item = _article(item.id)
    facts = service.situation(db.session, item)
    actions = {action.name for action in rules.available_actions(facts, current_actor())}
    rows = review_pages.revision_rows(db.session, item)
    return render_template(
        "newsroom/history.html", article=item, rows=rows,
        previous={row.id: before.id for before, row in itertools.pairwise(rows)},
        may_restore="restore" in actions,
        has_preview="newsroom.preview" in current_app.view_functions,
        title=_current(item).front_matter.get("title") or "（无标题）",
        errors=errors or {}, values=values or MultiDict()), status


@bp.get("/<int:article>/history")
@newsroom_required
def history(article: int) -> Any:
    return _render_history(_article(article))


@bp.post("/<int:article>/restore")
@newsroom_required
def restore(article: int) -> Any:
    item = _article(article)
    old_id = _number(request.form.get("revision"))
    try:
        old = db.session.get(NewsRevision, old_id)
        revision = service.restore(db.session, item.id, _member(), revision_id=old_id,
                                   note=(request.form.get("note") or "").strip(), now=utcnow())
    except Refused as error:
        return _render_history(item, errors={old_id: error.message}, values=request.form,
                               status=error.status)
    number = old.number if old is not None else 0
    return _done(item, f"已把第{number}版恢复为第{revision.number}版（草稿）。请送审：它要重新经过"
                       "全部审核，签发上线后才替换网站上的页面。")
