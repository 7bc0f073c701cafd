"""Password hashing (Argon2id) and the password policy."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import CHEAPEST
from zxcvbn import zxcvbn

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


# Words an attacker tries first here, beside zxcvbn's own (English) dictionaries: French
# favourites and the words of this network. The user's own e-mail and name are added per call.
FRENCH_CONTEXT = (
    "motdepasse", "mot de passe", "azerty", "bonjour", "soleil", "doudou", "chouchou",
    "loulou", "jetaime", "coucou", "chocolat", "princesse", "amour", "liberte", "france",
    "paris", "marseille", "bordeaux", "toulouse", "lyon", "nantes", "lille", "poitiers",
    "limoges", "pau", "bayonne", "mission", "locale", "missionlocale", "missions", "arml",
    "animareseau", "animation", "reseau", "jeunes", "jeunesse", "insertion", "emploi",
    "region", "nouvelle", "aquitaine", "parcours", "milo", "formation", "conseiller",
    "janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout", "septembre",
    "octobre", "novembre", "decembre", "lundi", "mardi", "mercredi", "jeudi", "vendredi",
    "samedi", "dimanche", "secret", "bienvenue", "admin", "administrateur", "demo",
)
#: zxcvbn's score (0–4) a password must reach: 4, at least 10¹⁰ guesses (3 would let any
#: three-part password through, "Bordeaux2026!!" included)
MIN_SCORE = 4
_HINTS = {
    "dictionary": "il contient un mot courant, un prénom, ou votre nom ou adresse",
    "spatial": "il contient une suite de touches du clavier (azerty, qsdf…)",
    "sequence": "il contient une suite évidente (abcd, 1234…)",
    "repeat": "il contient des répétitions (aaaa, 123123…)",
    "date": "il contient une date ou une année",
    "regex": "il contient une date ou une année",
}


def _context(email: str, full_name: str) -> list[str]:
    words = [*FRENCH_CONTEXT]
    local = (email or "").split("@")[0]
    for text in (email, local, full_name):
        words += [w for w in re.split(r"[^\w]+", (text or "").lower()) if len(w) >= 3]
        if text:
            words.append(text.lower())
    return words


def password_problems(password: str, *, email: str = "", full_name: str = "") -> list[str]:
    """French messages for every way the password breaks the policy (empty if fine).

    Length at least 12, no composition rule; refused when zxcvbn (with French words, the
    person's e-mail and name as context) finds it guessable (OWASP ASVS 2.1.1–2.1.9).
    """
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Le mot de passe doit contenir au moins {MIN_LENGTH} caractères.")
    if len(password) > MAX_LENGTH:
        problems.append(f"Le mot de passe ne peut pas dépasser {MAX_LENGTH} caractères.")
    if email and password.strip().lower() == email.strip().lower():
        problems.append("Le mot de passe ne peut pas être l'adresse e-mail.")
    if password and not password.strip():
        problems.append("Le mot de passe ne peut pas être composé uniquement d'espaces.")
    if problems:
        return problems
    # zxcvbn's cost grows with the length; 100 characters are plenty to judge.
    result = zxcvbn(password[:100], user_inputs=_context(email, full_name))
    if result["score"] < MIN_SCORE:
        patterns = []
        for match in result.get("sequence", []):
            hint = _HINTS.get(match.get("pattern", ""))
            if hint and hint not in patterns:
                patterns.append(hint)
        why = f" : {'; '.join(patterns)}" if patterns else ""
        problems.append(
            f"Ce mot de passe est trop facile à deviner{why}. Choisissez plutôt une phrase "
            "de plusieurs mots sans lien avec vous ni avec l'ARML, par exemple quatre mots "
            "pris au hasard séparés par des tirets.")
    return problems
