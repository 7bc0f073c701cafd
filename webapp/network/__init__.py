from flask import Blueprint

bp = Blueprint("network", __name__, url_prefix="/reseau")

from webapp.network import views  # noqa: E402,F401
