"""The web console (issue 8): server-rendered pages over the same services as the API.

Each console area is a blueprint in ``marketplace/web/pages/``; :func:`register` installs them
with the pieces every page shares: sessions (:mod:`.session`), CSRF (:mod:`.csrf`), security
headers (:mod:`.security`), languages (:mod:`.i18n`) and HTML error pages (:mod:`.errors`).
"""

from __future__ import annotations

from flask import Flask

__all__ = ["register"]


def register(app: Flask) -> None:
    from marketplace.web import filters, i18n, security
    from marketplace.web.core import bp as core_bp
    from marketplace.web.pages import blueprints

    i18n.install(app)
    filters.install(app)
    security.install(app)
    app.register_blueprint(core_bp)
    for bp in blueprints():
        app.register_blueprint(bp)
