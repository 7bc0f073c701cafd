from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from webapp.admin import views, views_access_log, views_outbox, views_tasks  # noqa: E402,F401
