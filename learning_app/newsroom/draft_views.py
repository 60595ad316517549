"""Writing articles in the app: a new draft, the editor, autosave, the preview,
submission, and photos and PDFs (在线采编's editor's pages).

The views parse the form, ask ``service`` (the workflow's transactions) and
``site_builder.drafts.check_draft`` (the build's own checks), and show each
answer next to the input it concerns (``draft_form.field_errors``). A revision is
made only when the person presses 保存; typing in between goes to their autosave
buffer (``autosave``) and the browser's localStorage (static/newsroom/editor.js).

A draft is checked exactly as it will be published: ``publish.render_markdown``
writes the same file publishing will write, at ``article.path``, for the site's
today (``publish.site_today``).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path, PurePosixPath
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from learning_app.errors import Refused
from learning_app.extensions import db
from learning_app.ids import parse_id
from learning_app.models import Article, NewsArticle, NewsMedia, NewsRevision
from learning_app.models.newsroom import SECTIONS
from learning_app.models.types import TZ, utcnow
from learning_app.newsroom import (
    autosave,
    draft_form,
    media,
    preview,
    publish,
    review_pages,
    rules,
    service,
)
from learning_app.newsroom.access import newsroom_editor_required, newsroom_required
from learning_app.newsroom.blueprint import bp
from learning_app.newsroom.draft_form import FieldErrors
from learning_app.newsroom.words import FIELD_LABELS as WORD_LABELS
from learning_app.newsroom.words import SensitiveWordsFound
from site_builder.drafts import check_draft

ID_PREFIXES = {"column": "zhuanlan", "news": "xinwen", "policy": "zhengce"}
MEDIA_NAME = re.compile(r"^[0-9a-f]{16}\.(jpg|png|pdf)$")  # media.store_beside's names
MEDIA_TYPES = {"jpg": "image/jpeg", "png": "image/png", "pdf": "application/pdf"}
MAX_PDF_TITLE = 150


# -- helpers ---------------------------------------------------------------------------


def _article(article_id: int) -> NewsArticle:
    article = db.session.get(NewsArticle, article_id)
    if article is None:
        abort(404)
    return article


def _revision(article: NewsArticle, revision_id: int | None) -> NewsRevision:
    revision = db.session.get(NewsRevision, revision_id) if revision_id else None
    if revision is None or revision.article_id != article.id:
        abort(404)
    return revision


def _content_dir() -> Path:
    return Path(current_app.config["CONTENT_DIR"])


def _today() -> dt.date:
    return publish.site_today(utcnow())


def _live(article: NewsArticle) -> bool:
    return article.published_revision_id is not None and article.state != "withdrawn"


def _write_refusal(article: NewsArticle) -> Refused | None:
    """Why the signed-in member may not write this article now (None: they may)."""
    try:
        rules.check_write(service.situation(db.session, article),
                          service.actor_of(db.session, current_user._get_current_object()))
    except Refused as refusal:
        return refusal
    return None


def _check(article: NewsArticle, front_matter: dict[str, Any], body: str) -> FieldErrors:
    """The build's verdict on this text at the article's path, by input."""
    try:
        text = publish.render_markdown(front_matter, body)
    except Refused as refusal:
        return {"form": [refusal.message]}
    errors = check_draft(text, path=article.path, content_dir=_content_dir(), today=_today())
    return draft_form.field_errors(errors, text, body)


def _needs_correction_note(article: NewsArticle, current: NewsRevision) -> bool:
    """A live article whose text doesn't yet carry a new 更正说明 entry: the next
    save starts the correction and must say what it corrects."""
    if not _live(article):
        return False
    live = _revision(article, article.published_revision_id)
    return not (set(rules.correction_entries(current.body))
                - set(rules.correction_entries(live.body)))


def _local_time(moment: dt.datetime) -> str:
    """A naive UTC moment as Beijing's hh:mm."""
    return moment.replace(tzinfo=dt.UTC).astimezone(TZ).strftime("%H:%M")


def _render_edit(article: NewsArticle, values: dict[str, str], *,
                 errors: FieldErrors | None = None, status: int = 200,
                 base_revision_id: int | None = None, hits: list[Any] | None = None,
                 notice: str | None = None, restored: autosave.Buffer | None = None,
                 correction_note: str = "") -> Any:
    current = _revision(article, article.current_revision_id)
    saved = draft_form.form_values(current.front_matter, current.body)
    buffer = None if restored else autosave.load(db.session, article.id, current_user.id)
    # Offered only over the saved text: a page showing typed text (a refused save)
    # or a restored buffer offers nothing on top of it.
    showing_saved = all(values.get(key, "") == saved[key] for key in saved)
    offer = buffer if showing_saved and autosave.differs(buffer, saved) else None
    base_number = None
    if restored is not None and restored.base_revision_id != current.id:
        base = db.session.get(NewsRevision, restored.base_revision_id)
        base_number = base.number if base is not None else None
    levels = service.level_names(db.session)
    context = {
        "article": article, "current": current, "values": values, "errors": errors or {},
        "section": article.section, "sections": SECTIONS, "labels": draft_form.LABELS,
        "categories": draft_form.CATEGORIES,
        "status_label": rules.status_label(article.state, _live(article)),
        "live": _live(article), "needs_note": _needs_correction_note(article, current),
        "correction_note": correction_note,
        "base_revision_id": base_revision_id or current.id,
        "offer": offer, "offer_time": _local_time(offer.saved_at) if offer else None,
        "restored": restored, "restored_base_number": base_number,
        "showing_saved": showing_saved,
        "hits": draft_form.hits_by_field(hits, values) if hits else [],
        "hit_list": hits or [], "hits_labels": WORD_LABELS, "notice": notice,
        "first_level": levels[0] if levels else None,
        # Returned: the reviewer's comments above the text they are about.
        "trail": (review_pages.trail_rows(db.session, article, levels)
                  if article.state == "returned" else []),
        "error_count": draft_form.count(errors or {}),
        "editor_data": {
            "autosave-url": url_for("newsroom.autosave", article=article.id),
            "local-key": f"newsroom-draft-{article.id}-{current_user.id}",
            "base-revision": str(base_revision_id or current.id),
            "buffer-hash": (autosave.fingerprint({**offer.front_matter, "body": offer.body})
                            if offer else ""),
            "hits": ",".join(f"{hit.start}-{hit.end}" for hit in hits or ()
                             if hit.field == "body"),
        },
        "upload_url": url_for("newsroom.upload", article=article.id),
    }
    return render_template("newsroom/edit.html", **context), status


def _suggested_ids(today: dt.date) -> dict[str, str]:
    """A free id per section, e.g. xinwen-20261202 (then -2, -3…): a starting point;
    the hint asks for the title's pinyin."""
    suggestions = {}
    for section, prefix in ID_PREFIXES.items():
        base = f"{prefix}-{today:%Y%m%d}"
        taken = set(db.session.scalars(select(NewsArticle.article_id).where(
            NewsArticle.article_id.like(f"{base}%"))))
        taken |= set(db.session.scalars(select(Article.id).where(Article.id.like(f"{base}%"))))
        candidate, number = base, 1
        while candidate in taken:
            number += 1
            candidate = f"{base}-{number}"
        suggestions[section] = candidate
    return suggestions


# -- a new article ---------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@newsroom_editor_required
def new() -> Any:
    today = _today()
    suggestions = _suggested_ids(today)
    if request.method == "GET":
        values = {key: "" for key in (*draft_form.FIELDS, "body")}
        values["date"] = today.isoformat()
        return render_template("newsroom/new.html", values=values, errors={}, section="news",
                               article_id=suggestions["news"], suggestions=suggestions,
                               labels=draft_form.LABELS, categories=draft_form.CATEGORIES,
                               sections=SECTIONS)
    section = request.form.get("section", "")
    article_id = request.form.get("article_id", "").strip().lower()
    values = draft_form.read_values(request.form)
    errors: FieldErrors = {}
    if section not in SECTIONS:
        errors["section"] = ["请选择栏目"]
    if not service.ID_PATTERN.fullmatch(article_id) or len(article_id) > 80:
        errors["id"] = ["文章编号只能用小写英文字母、数字和连字符（-），不能以连字符开头或结尾，"
                        "例如 chungeng-dongyuan"]
    front_matter, field_errors = draft_form.front_matter_from(
        values, section, article_id=article_id)
    errors = draft_form.merge(errors, field_errors)
    if not errors:
        # The id is for good (credits hang on it): what the build would say about it,
        # and about the other fields of this page, is said now.
        path = rules.article_path(section, article_id, rules.article_date(front_matter))
        try:
            if publish.content_file(_content_dir(), path).exists():
                # A hand-written file there: the check would read the draft in its
                # place, and publishing would overwrite it.
                raise Refused(409, f"网站上已有文章使用编号 {article_id}，请换一个")
            text = publish.render_markdown(front_matter, "")
            found = check_draft(text, path=path, content_dir=_content_dir(), today=today)
            errors = {field: messages for field, messages in
                      draft_form.field_errors(found, text, "").items() if field != "form"}
        except Refused as refusal:
            errors = {"id" if refusal.status == 409 else "form": [refusal.message]}
    if not errors:
        try:
            article = service.create_article(
                db.session, current_user._get_current_object(), section=section,
                article_id=article_id, front_matter=front_matter, body="", now=utcnow())
        except Refused as refusal:
            errors = {"id" if refusal.status == 409 else "form": [refusal.message]}
        else:
            flash("稿件已建立，请撰写正文。正文写好后点“保存”，再“送审”。", "ok")
            return redirect(url_for("newsroom.edit", article=article.id), 303)
    return render_template("newsroom/new.html", values=values, errors=errors,
                           section=section if section in SECTIONS else "news",
                           article_id=article_id, suggestions=suggestions,
                           labels=draft_form.LABELS, categories=draft_form.CATEGORIES,
                           sections=SECTIONS), 400


# -- the editor ------------------------------------------------------------------------


@bp.route("/<int:article>/edit", methods=["GET", "POST"])
@newsroom_editor_required
def edit(article: int) -> Any:
    item = _article(article)
    refusal = _write_refusal(item)
    if refusal is not None:
        flash(refusal.message, "error")
        return redirect(url_for("newsroom.article", article=item.id), 303)
    if request.method == "GET":
        return _edit_page(item)
    if request.form.get("discard"):
        autosave.clear(db.session, item.id, current_user.id)
        flash("已放弃未保存的内容。", "ok")
        return redirect(url_for("newsroom.edit", article=item.id), 303)
    return _save(item)


def _edit_page(item: NewsArticle) -> Any:
    current = _revision(item, item.current_revision_id)
    values = draft_form.form_values(current.front_matter, current.body)
    if request.args.get("restore"):
        buffer = autosave.load(db.session, item.id, current_user.id)
        if buffer is not None:
            values = {**values, **{key: draft_form.as_text(value)
                                   for key, value in buffer.front_matter.items()
                                   if key in draft_form.FIELDS}, "body": buffer.body}
            return _render_edit(item, values, restored=buffer)
    return _render_edit(item, values)


def _save(item: NewsArticle) -> Any:
    values = draft_form.read_values(request.form)
    base_revision_id = parse_id(request.form.get("base_revision_id"))
    note = " ".join(request.form.get("correction_note", "").split())
    current = _revision(item, item.current_revision_id)
    front_matter, errors = draft_form.front_matter_from(values, item.section,
                                                        article_id=item.article_id)
    if _needs_correction_note(item, current) and not note:
        errors["correction_note"] = ["稿件已在网站上，修改即是更正：请写明更正了什么，"
                                     "会以“更正说明”附在文章开头"]
    if errors:
        return _render_edit(item, values, errors=errors, status=400,
                            base_revision_id=base_revision_id, correction_note=note)
    member = current_user._get_current_object()
    try:
        revision = service.save_draft(
            db.session, item.id, member, base_revision_id=base_revision_id or 0,
            front_matter=front_matter, body=values["body"], now=utcnow(),
            correction_note=note if _live(item) and note else None)
    except Refused as refusal:  # someone saved meanwhile (409), or the state moved on
        db.session.expire_all()
        item = _article(item.id)
        return _render_edit(item, values, errors={"form": [refusal.message]},
                            status=refusal.status, base_revision_id=base_revision_id,
                            correction_note=note)
    autosave.clear(db.session, item.id, member.id)
    db.session.expire_all()
    item = _article(item.id)
    changed = revision.id != base_revision_id
    said = f"已保存为第{revision.number}版。" if changed else "内容没有改动，没有生成新版本。"
    errors = _check(item, dict(revision.front_matter), revision.body)
    if errors:
        notice = (f"{said}还有{draft_form.count(errors)}处问题，"
                  "改好后才能送审（见各栏下方的红字）。")
        return _render_edit(item, draft_form.form_values(revision.front_matter, revision.body),
                            errors=errors, notice=notice)
    flash(said + "可以继续修改，或“送审”。", "ok")
    return redirect(url_for("newsroom.edit", article=item.id), 303)


# -- autosave --------------------------------------------------------------------------


def _json_error(refusal: Refused) -> Response:
    db.session.rollback()
    response = jsonify(error=refusal.message)
    response.status_code = refusal.status
    return response


# The endpoint is newsroom.autosave; the function's own name would shadow the module.
@bp.post("/<int:article>/autosave", endpoint="autosave")
@newsroom_editor_required
def autosave_view(article: int) -> Any:
    """JSON ``{base_revision_id, front_matter: {field: text}, body}`` → the buffer is
    kept; the answer says when, and whether someone saved a newer revision."""
    if (request.content_length or 0) > autosave.MAX_REQUEST_BYTES:
        return _json_error(Refused(413, autosave.TOO_LARGE))
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _json_error(Refused(400, "自动保存的内容格式不正确"))
    base = data.get("base_revision_id")
    base_id = parse_id(str(base)) if isinstance(base, (int, str)) else None
    if base_id is None:
        return _json_error(Refused(400, "自动保存的内容格式不正确"))
    now = utcnow()
    try:
        current = autosave.store(db.session, article, current_user._get_current_object(),
                                 base_revision_id=base_id, front_matter=data.get("front_matter"),
                                 body=data.get("body"), now=now)
    except Refused as refusal:
        return _json_error(refusal)
    moved = current.id != base_id
    answer: dict[str, Any] = {"saved_at": _local_time(now), "moved": moved,
                              "current_number": current.number}
    if moved:
        answer["message"] = (f"稿件已被他人修改（现为第{current.number}版）。您的内容已暂存，"
                             "请复制您的修改，刷新页面后再保存。")
    return jsonify(answer)



# -- submission ------------------------------------------------------------------------


@bp.post("/<int:article>/submit")
@newsroom_editor_required
def submit(article: int) -> Any:
    """送审 the saved revision named by the form: refused, next to the fields, while
    the build would refuse the text or it carries a 错敏词."""
    item = _article(article)
    current = _revision(item, item.current_revision_id)
    values = draft_form.form_values(current.front_matter, current.body)
    revision_id = parse_id(request.form.get("revision_id"))
    if revision_id != current.id:
        return _render_edit(item, values, status=409, errors={"form": [
            f"稿件已有更新的版本（第{current.number}版），请查看后再送审"]})
    errors = _check(item, dict(current.front_matter), current.body)
    if errors:
        notice = f"还有{draft_form.count(errors)}处问题，不能送审。请按各栏下方的红字修改并保存。"
        return _render_edit(item, values, errors=errors, status=400, notice=notice)
    try:
        service.submit(db.session, item.id, current_user._get_current_object(),
                       revision_id=current.id, now=utcnow())
    except SensitiveWordsFound as found:
        db.session.rollback()
        notice = f"稿件含有{len(found.hits)}处错敏词，不能送审。请逐一修改并保存后再送审。"
        return _render_edit(item, values, status=400, hits=found.hits, notice=notice)
    levels = service.level_names(db.session)
    flash(f"已送审第{current.number}版，等待{levels[0] if levels else '审核'}。", "ok")
    return redirect(url_for("newsroom.article", article=item.id), 303)


# -- preview ---------------------------------------------------------------------------


@bp.get("/<int:article>/preview", endpoint="preview")
@newsroom_required
def preview_page(article: int) -> Any:
    """The draft as the site will show it (``?revision=<id>``, or ``?draft=1`` for
    the person's autosaved typing), for the edit page's frame: no script runs in it."""
    item = _article(article)
    buffer = autosave.load(db.session, item.id, current_user.id) \
        if request.args.get("draft") else None
    if buffer is not None:
        front_matter, _errors = draft_form.front_matter_from(
            buffer.front_matter, item.section, article_id=item.article_id)
        body = buffer.body
        label = f"未保存的内容（{_local_time(buffer.saved_at)}自动保存）"
    else:
        raw = request.args.get("revision")
        revision = _revision(item, parse_id(raw) if raw else item.current_revision_id)
        front_matter, body = dict(revision.front_matter), revision.body
        label = f"第{revision.number}版"
    try:
        text = publish.render_markdown(front_matter, body)
    except Refused:
        text = ""
    base = url_for("newsroom.media_file", article=item.id, name="x")[:-1]
    context = preview.page_context(text=text, body=body, path=item.path,
                                   title=str(front_matter.get("title") or ""), today=_today(),
                                   site_dir=Path(current_app.config["SITE_DIR"]),
                                   media_base=base)
    response = make_response(render_template("newsroom/preview.html", label=label, **context))
    # Framed by the edit page: same origin only, and nothing in it may run.
    response.headers["Content-Security-Policy"] = preview.PREVIEW_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


# -- photos and PDFs -------------------------------------------------------------------


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _stored_media(item: NewsArticle, data: bytes, filename: str, alt: str
                  ) -> tuple[NewsMedia, str, str]:
    """Check, clean and store the upload beside the article; (row, markdown, note)."""
    note = ""
    if data.startswith(b"%PDF-"):
        title = " ".join(alt.split())
        if not title:
            raise Refused(400, "请填写附件名称：它是文章里下载链接的文字，如“2026年帮扶名单”。")
        if len(title) > MAX_PDF_TITLE:
            raise Refused(400, f"附件名称最多 {MAX_PDF_TITLE} 个字。")
        clean: media.CleanImage | media.CleanPdf = media.check_pdf(data, filename)
        stored = media.store_beside(_content_dir(), item.path, clean)
        markdown = media.pdf_markdown(title, stored)
        width = height = None
    else:
        title = media.require_alt(alt)  # before the work of decoding the photo
        image = media.sanitize_image(data, filename)
        clean = image
        stored = media.store_beside(_content_dir(), item.path, image)
        markdown = media.image_markdown(title, stored)
        width, height = image.width, image.height
        if image.animated:
            note = "动图只保留了第一帧。"
    row = NewsMedia(article_id=item.id, kind=clean.kind,
                    path=(PurePosixPath(item.path).parent / stored).as_posix(), alt=title,
                    width=width, height=height, size=clean.size,
                    uploaded_by=current_user.id, created_at=utcnow())
    db.session.add(row)
    db.session.commit()
    return row, markdown, note


@bp.post("/<int:article>/media")
@newsroom_editor_required
def upload(article: int) -> Any:
    """A photo (or PDF) for the article: multipart ``file`` and ``alt``. JSON for the
    editor's button (the Markdown to insert), a redirect with a message without JS."""
    item = _article(article)
    back = url_for("newsroom.edit", article=item.id) + "#upload"
    try:
        refusal = _write_refusal(item)
        if refusal is not None:
            raise refusal
        upload_file = request.files.get("file")
        if upload_file is None or not upload_file.filename:
            raise Refused(400, "请选择要上传的照片或 PDF 文件。")
        limit = max(media.MAX_IMAGE_BYTES, media.MAX_PDF_BYTES)
        data = upload_file.stream.read(limit + 1)  # over the limit: refused by the checks
        row, markdown, note = _stored_media(item, data, upload_file.filename,
                                            request.form.get("alt", ""))
    except Refused as refusal:
        db.session.rollback()
        if _wants_json():
            return _json_error(refusal)
        flash(refusal.message, "error")
        return redirect(back, 303)
    what = "照片" if row.kind == "image" else "附件"
    if _wants_json():
        return jsonify(markdown=markdown, kind=row.kind, note=note,
                       url=url_for("newsroom.media_file", article=item.id,
                                   name=PurePosixPath(row.path).relative_to(
                                       PurePosixPath(item.path).parent).as_posix()),
                       message=f"{what}已上传并插入正文。{note}")
    flash(f"{what}已上传。{note}请把下面这一行复制到正文中要放{what}的地方，然后保存：{markdown}",
          "ok")
    return redirect(back, 303)


def _media_path(item: NewsArticle, name: str) -> Path | None:
    """The stored file ``name`` (``<article>-files/<hash>.<ext>``, as the Markdown
    names it) of this article, or None: nothing outside its own media folder."""
    parts = PurePosixPath(name).parts
    article_path = PurePosixPath(item.path)
    if (len(parts) != 2 or parts[0] != f"{article_path.stem}-files"
            or not MEDIA_NAME.fullmatch(parts[1])):
        return None
    root = _content_dir().resolve()
    candidates = [article_path.parent / parts[0] / parts[1]]
    # A column draft follows its date to another month's folder; its files stay
    # where they were uploaded, which the media rows remember.
    candidates += [PurePosixPath(path) for path in db.session.scalars(
        select(NewsMedia.path).where(NewsMedia.article_id == item.id,
                                     NewsMedia.path.like(f"%/{parts[0]}/{parts[1]}")))]
    for candidate in candidates:
        target = (root / candidate).resolve()
        if target.is_relative_to(root) and target.is_file():
            return target
    return None


@bp.get("/<int:article>/media/<path:name>")
@newsroom_required
def media_file(article: int, name: str) -> Any:
    item = _article(article)
    target = _media_path(item, name)
    if target is None:
        abort(404)
    extension = target.suffix.lstrip(".")
    return send_file(target, mimetype=MEDIA_TYPES[extension], max_age=0,
                     as_attachment=extension == "pdf", download_name=target.name)
