"""Absolute links for outside the app (e-mails): always from ``PUBLIC_BASE_URL``.

``url_for(..., _external=True)`` takes the host from the request's Host header, which
anyone can forge: a personal link (an evaluation token) would then be mailed pointing to
a foreign site. Links that leave the app are built here instead, and only here.
"""

from __future__ import annotations

from flask import current_app, has_request_context, request, url_for


def public_url(endpoint: str, **values) -> str:
    """``PUBLIC_BASE_URL`` + the route's path (the base already holds any path prefix)."""
    path = url_for(endpoint, **values)
    root = request.script_root if has_request_context() else ""
    if root and path.startswith(root):
        path = path[len(root):]
    return current_app.config["PUBLIC_BASE_URL"] + path
