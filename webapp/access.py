"""Every route declares who may see it, with ``@access(action)`` or ``@public``.

The action is a name from ``models.policy.RULES``. ``create_app`` refuses to
start if a view has no declaration, and the authorization matrix test checks
every route against a table of expected outcomes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user

from models import policy
from webapp.extensions import login_manager

PUBLIC = "public"


def access(action: str) -> Callable:
    if action not in policy.RULES:
        raise KeyError(f"Unknown policy action {action!r}")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not policy.can(current_user, action):
                abort(403)
            return view(*args, **kwargs)

        wrapper.access_rule = action  # type: ignore[attr-defined]
        return wrapper

    return decorator


def public(view: Callable) -> Callable:
    view.access_rule = PUBLIC  # type: ignore[attr-defined]
    return view


def ensure(allowed: bool) -> None:
    """Object-level check inside a view: an object out of scope does not exist (404)."""
    if not allowed:
        abort(404)


def undeclared_endpoints(app) -> list[str]:
    return sorted(
        endpoint for endpoint, view in app.view_functions.items()
        if not endpoint.endswith("static") and not hasattr(view, "access_rule")
    )


REAUTH_MESSAGE = ("Opération sensible : confirmez votre mot de passe pour continuer. "
                  "Votre saisie vous attendra sur la page (les fichiers joints sont à "
                  "choisir de nouveau).")


def password_confirmation_needed():
    """None if the user typed their password within the last minutes (sign-in or
    confirmation); else the response that asks for it, then comes back here. A posted
    form is kept (no secret, no file) and filled again on return."""
    from flask import redirect, request, url_for

    from models.accounts.sessions import recently_authenticated
    from webapp.sessions import current_row, keep_form_and_go

    if recently_authenticated(current_row()):
        return None
    if request.method == "POST":
        return keep_form_and_go(url_for("auth.reauthenticate", next=request.path),
                                REAUTH_MESSAGE, "info")
    return redirect(url_for("auth.reauthenticate", next=request.full_path.rstrip("?")))


def recent_password(view: Callable) -> Callable:
    """Place under ``@access``: the whole view asks for a recent password (dangerous
    administration: thresholds, imports, restores, purges)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        return password_confirmation_needed() or view(*args, **kwargs)

    return wrapper
