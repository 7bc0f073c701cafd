"""Password hashing (Argon2id) and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import CHEAPEST

from models.settings import app_env

MIN_LENGTH = 12
MAX_LENGTH = 128

# The test environment (never a deployment: see models.settings) hashes with the cheapest
# Argon2 parameters so that thousands of test logins stay fast; everywhere else the
# library's recommended defaults apply.
_hasher = PasswordHasher.from_parameters(CHEAPEST) if app_env() == "test" else PasswordHasher()
# Verified when the e-mail is unknown so that both paths cost the same time.
_DUMMY_HASH = _hasher.hash("animareseau-dummy-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problems(password: str, *, email: str = "") -> list[str]:
    """French messages for every way the password breaks the policy (empty if fine)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Le mot de passe doit contenir au moins {MIN_LENGTH} caractères.")
    if len(password) > MAX_LENGTH:
        problems.append(f"Le mot de passe ne peut pas dépasser {MAX_LENGTH} caractères.")
    if email and password.strip().lower() == email.strip().lower():
        problems.append("Le mot de passe ne peut pas être l'adresse e-mail.")
    if password and not password.strip():
        problems.append("Le mot de passe ne peut pas être composé uniquement d'espaces.")
    return problems
