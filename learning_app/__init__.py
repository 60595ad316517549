"""The learning app: organizations, members, credit hours, tests, reports.

``create_app`` builds the Flask app; every domain is one blueprint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from learning_app import ids, input_guard, security_headers, settings
from learning_app.credits.rules import format_hours
from learning_app.db import configure_engine
from learning_app.extensions import csrf, db, login_manager, migrate
from learning_app.json_body import SafeJSONProvider

ROOT = Path(__file__).resolve().parents[1]


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(ROOT / "instance"), static_url_path="/app/static")
    ids.install(app.url_map)  # before any route: ids that fit the columns
    app.json = SafeJSONProvider(app)
    app.config.from_mapping(settings.load(Path(app.instance_path), ROOT))
    if overrides:
        app.config.update(overrides)
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS",
                          settings.engine_options(app.config["SQLALCHEMY_DATABASE_URI"]))

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)

    from learning_app import models  # noqa: F401  (register the tables)
    from learning_app.admin.members import bp as admin_members_bp
    from learning_app.admin.orgs import bp as admin_orgs_bp
    from learning_app.audit.views import bp as audit_bp
    from learning_app.auth.activation_views import bp as activation_bp
    from learning_app.auth.views import bp as auth_bp
    from learning_app.content.site import bp as site_bp
    from learning_app.content.views import bp as content_bp
    from learning_app.demo.cli import bp as demo_bp
    from learning_app.errors import register_error_handlers
    from learning_app.imports.views import bp as admin_imports_bp
    from learning_app.me.views import bp as me_bp
    from learning_app.newsroom.views import bp as newsroom_bp
    from learning_app.ops.cli import bp as ops_bp
    from learning_app.quiz.admin_views import bp as quiz_admin_bp
    from learning_app.quiz.api import bp as quiz_api_bp
    from learning_app.quiz.pages import bp as quiz_pages_bp
    from learning_app.reading.api import bp as reading_bp
    from learning_app.reports.api import bp as reports_api_bp
    from learning_app.reports.views import bp as reports_bp
    from learning_app.trainings.views import bp as admin_trainings_bp

    for blueprint in (auth_bp, me_bp, reading_bp, admin_orgs_bp, admin_members_bp,
                      admin_trainings_bp, admin_imports_bp, quiz_api_bp, content_bp, site_bp,
                      quiz_admin_bp, quiz_pages_bp, reports_bp, reports_api_bp, demo_bp,
                      audit_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(activation_bp)
    app.register_blueprint(ops_bp)  # commands only: backup, restore
    app.register_blueprint(newsroom_bp)
    register_error_handlers(app)
    security_headers.init_app(app)
    input_guard.init_app(app)
    app.jinja_env.filters["hours"] = format_hours
    if app.config.get("PROXY_FIX"):
        # Behind nginx: take the client address from X-Forwarded-For (throttling).
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)  # type: ignore[method-assign]
    return app
