"""French error pages; nothing a browser sends produces a bare 500."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from models.errors import NotFound
from webapp.extensions import db

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Requête invalide", "La demande envoyée n'a pas pu être comprise."),
    403: ("Accès refusé", "Votre compte n'a pas accès à cette page. Si vous pensez que c'est "
          "une erreur, contactez l'équipe d'animation de l'ARML."),
    404: ("Page introuvable", "Cette page n'existe pas ou n'est pas accessible avec votre compte."),
    405: ("Méthode non autorisée", "Cette adresse ne s'utilise pas de cette façon."),
    413: ("Fichier trop volumineux", "La demande envoyée dépasse la taille autorisée. "
          "Raccourcissez le texte saisi ou envoyez un fichier plus petit, puis réessayez."),
    429: ("Trop de tentatives", "Trop de tentatives en peu de temps. Patientez une minute "
          "avant de réessayer."),
    500: ("Erreur interne", "Une erreur inattendue s'est produite ; elle a été enregistrée. "
          "Vos données n'ont pas été modifiées. Réessayez dans un instant."),
}


def _page(code: int, detail: str | None = None):
    title, message = MESSAGES.get(code, (f"Erreur {code}", "Une erreur s'est produite."))
    return render_template("errors/error.html", code=code, title=title,
                           message=detail or message), code


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        db.session.rollback()
        return _page(400, "Le formulaire a expiré ou son jeton de sécurité (CSRF) est absent. "
                          "Rechargez la page puis envoyez-le de nouveau.")

    @app.errorhandler(NotFound)
    def _not_found(error: NotFound):
        db.session.rollback()
        return _page(404)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        db.session.rollback()
        if error.code is None or error.code < 400:
            return error
        return _page(error.code)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        db.session.rollback()
        log.exception("unhandled error")
        return _page(500)
