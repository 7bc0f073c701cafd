"""Dashboard sign-in: the same users, sessions table, throttle and policy as the web app.

Two ways in: the web app's "Tableaux de bord" link brings a single-use ``jeton`` that
opens a dashboard session bound to the web session (logging out of the web app ends it);
or the login form, with the password. Either way the session is a ``user_session`` row,
checked on every interaction: closed, idle or too old, it signs the user out.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from dashboard.data import session_scope
from models import policy
from models.accounts import sessions
from models.accounts.orm import User
from models.accounts.signin import sign_in
from models.accounts.throttle import ThrottleSettings
from models.audit import set_actor
from models.settings import secret_key, session_cookie_name

STATE_KEYS = ("user_id", "epoch", "session_token", "principal")


@dataclass(frozen=True)
class Principal:
    """What a page needs to know about the signed-in user (no ORM object in the state)."""

    id: int
    full_name: str
    role: str
    mission_locale_id: int | None
    active: bool = True
    is_authenticated: bool = True

    def can(self, action: str, obj=None) -> bool:
        return policy.can(self, action, obj)


def _client() -> tuple[str, str]:
    try:
        ip = st.context.ip_address
        agent = st.context.headers.get("User-Agent", "")
    except Exception:  # noqa: BLE001 - no browser behind (AppTest): nothing to record
        ip, agent = "", ""
    return (ip if isinstance(ip, str) else "", agent if isinstance(agent, str) else "")


def _web_session_token() -> str | None:
    """The web app's session token, when this browser sends its cookie here (same host:
    one origin behind the proxy, or both apps on one machine)."""
    try:
        raw = st.context.cookies.get(session_cookie_name())
    except Exception:  # noqa: BLE001 - no browser behind (AppTest)
        return None
    return sessions.cookie_token(raw if isinstance(raw, str) else None, secret_key())


def _forget(notice: str | None = None) -> None:
    for key in STATE_KEYS:
        st.session_state.pop(key, None)
    if notice:
        st.session_state["login_notice"] = notice


def _redeem(jeton: str) -> None:
    """Exchange the web app's sign-on token for a dashboard session, once."""
    ip, agent = _client()
    with session_scope() as session:
        set_actor(session, None, via="dashboard")
        opened = sessions.redeem_sign_on(session, jeton, sessions.Timeouts.from_env(),
                                         ip=ip, user_agent=agent,
                                         browser_session=_web_session_token())
        if opened is not None:
            row, token = opened
            st.session_state.update(user_id=row.user_id, session_token=token,
                                    epoch=session.get(User, row.user_id).session_epoch)
    if opened is None:
        _forget("Ce lien d'ouverture des tableaux de bord a expiré ou a déjà servi. "
                "Connectez-vous ci-dessous, ou rouvrez les tableaux de bord depuis "
                "l'application.")


def current_principal() -> Principal | None:
    """The signed-in user, checked on every run against the session row: a closed,
    idle or too old session, or a deactivated account, signs the user out."""
    jeton = st.query_params.get("jeton")
    if jeton:
        del st.query_params["jeton"]  # out of the address bar (and of the history)
        _forget()
        _redeem(jeton)
    token = st.session_state.get("session_token")
    if token is None:
        return None
    with session_scope() as session:
        set_actor(session, None, via="dashboard")
        row, reason = sessions.find_live(session, token, sessions.Timeouts.from_env())
        if row is None or row.user_id is None:
            _forget({"idle": "Votre session a expiré après une période d'inactivité.",
                     "absolute": "Votre session a atteint sa durée maximale.",
                     "closed": None}.get(reason or "", "Votre session a été fermée."))
            return None
        user = session.get(User, row.user_id)
        if user.session_epoch != st.session_state.get("epoch"):  # password changed meanwhile
            sessions.close(session, row, "mot de passe changé")
            _forget("Votre session a été fermée.")
            return None
        sessions.touch(row)
        return Principal(user.id, user.full_name, str(user.role), user.mission_locale_id)


def login_form() -> None:
    st.title("Animaréseau · Tableaux de bord")
    notice = st.session_state.pop("login_notice", None)
    if notice:
        st.info(notice)
    st.caption("Connectez-vous avec votre compte Animaréseau "
               "(mêmes identifiants que l'application).")
    with st.form("login"):
        email = st.text_input("Adresse e-mail", key="login_email")
        password = st.text_input("Mot de passe", type="password", key="login_password")
        submitted = st.form_submit_button("Se connecter", type="primary", key="login_submit")
    if not submitted:
        return
    ip, agent = _client()
    with session_scope() as session:
        set_actor(session, None, via="dashboard")
        outcome = sign_in(session, email or "", password or "", ip=ip,
                          settings=ThrottleSettings.from_env())
        if outcome.user is not None:
            set_actor(session, outcome.user, via="dashboard")
            row, token = sessions.open_session(session, outcome.user, via="dashboard", ip=ip,
                                               user_agent=agent)
            st.session_state.update(user_id=outcome.user.id, session_token=token,
                                    epoch=outcome.user.session_epoch)
    if outcome.user is None:
        st.error(outcome.error)
        return
    st.rerun()


def logout() -> None:
    token = st.session_state.get("session_token")
    if token:
        with session_scope() as session:
            set_actor(session, None, via="dashboard")
            row, _ = sessions.find_live(session, token, sessions.Timeouts.from_env())
            if row is not None:
                sessions.close(session, row, "déconnexion")
    _forget("Vous êtes déconnecté·e des tableaux de bord.")
    st.rerun()
