"""Dashboard sign-in against the same users table, password check and policy."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import streamlit as st

from dashboard.data import session_scope
from models import policy
from models.accounts.orm import User
from models.accounts.services import authenticate
from models.audit import set_actor

MAX_ATTEMPTS = 5
LOCK_SECONDS = 60


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


def current_principal() -> Principal | None:
    """The signed-in user, re-read on every run: a deactivated account is signed out."""
    user_id = st.session_state.get("user_id")
    if user_id is None:
        return None
    with session_scope() as session:
        user = session.get(User, user_id)
        if user is None or not user.active or user.session_epoch != st.session_state.get("epoch"):
            for key in ("user_id", "epoch", "principal"):
                st.session_state.pop(key, None)
            return None
        return Principal(user.id, user.full_name, str(user.role), user.mission_locale_id)


class _Throttle:
    """Failed sign-ins per e-mail, shared by every browser session of this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, list[float]] = {}

    def blocked(self, email: str) -> bool:
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._failures.get(email, []) if now - t < LOCK_SECONDS]
            self._failures[email] = recent
            return len(recent) >= MAX_ATTEMPTS

    def fail(self, email: str) -> None:
        with self._lock:
            self._failures.setdefault(email, []).append(time.monotonic())

    def clear(self, email: str) -> None:
        with self._lock:
            self._failures.pop(email, None)


@st.cache_resource
def _throttle() -> _Throttle:
    return _Throttle()


def login_form() -> None:
    st.title("Animaréseau · Tableaux de bord")
    st.caption("Connectez-vous avec votre compte Animaréseau "
               "(mêmes identifiants que l'application).")
    with st.form("login"):
        email = st.text_input("Adresse e-mail", key="login_email")
        password = st.text_input("Mot de passe", type="password", key="login_password")
        submitted = st.form_submit_button("Se connecter", type="primary", key="login_submit")
    if not submitted:
        return
    key = (email or "").strip().lower()
    throttle = _throttle()
    if throttle.blocked(key):
        st.error("Trop de tentatives. Patientez une minute avant de réessayer.")
        return
    with session_scope() as session:
        set_actor(session, None, via="dashboard")
        user = authenticate(session, email, password)
        if user is not None:
            st.session_state.update(user_id=user.id, epoch=user.session_epoch)
    if user is None:
        throttle.fail(key)
        st.error("Adresse e-mail ou mot de passe incorrect, ou compte désactivé.")
        return
    throttle.clear(key)
    st.rerun()


def logout() -> None:
    for key in ("user_id", "epoch", "principal"):
        st.session_state.pop(key, None)
    st.rerun()
