"""The three axes and their objectives (``shared/reference/axes.md``), as reference data.

Regions adapt the wording (admins edit titles); codes are stable.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.programme.orm import Axis, Objective

AXES: list[tuple[int, str, list[tuple[str, str]]]] = [
    (1, "Appui aux missions locales dans la mise en œuvre des politiques en faveur de "
        "l'insertion des jeunes et de la lutte contre les discriminations", [
        ("1.1", "L'accès et le maintien des jeunes dans l'emploi"),
        ("1.2", "L'orientation professionnelle et l'accès des jeunes à la formation et à la "
                "qualification"),
        ("1.3", "Le développement de l'autonomie des jeunes (logement, santé, citoyenneté, "
                "mobilité, sport, culture, loisirs)"),
    ]),
    (2, "La structuration, la professionnalisation et la valorisation du réseau", [
        ("2.1", "Le développement des compétences et la professionnalisation"),
        ("2.2", "La dynamique de réseau"),
        ("2.3", "L'appui technique"),
        ("2.4", "Une stratégie et des actions de communication"),
    ]),
    (3, "L'appui au pilotage régional", [
        ("3.1", "La concertation, la coopération et la négociation inter-institutionnelle"),
        ("3.2", "Le suivi et l'évaluation de l'activité des missions locales"),
        ("3.3", "L'observatoire et l'expertise des parcours des jeunes"),
    ]),
]


def ensure_reference(session: Session) -> dict[str, int]:
    """Create missing axes and objectives (never overwrites an edited title).

    Returns ``{objective code: id}``.
    """
    axes = {a.number: a for a in session.scalars(select(Axis))}
    objectives = {o.code: o for o in session.scalars(select(Objective))}
    for number, title, objs in AXES:
        axis = axes.get(number)
        if axis is None:
            axis = Axis(number=number, title=title)
            session.add(axis)
            axes[number] = axis
        for code, obj_title in objs:
            if code not in objectives:
                objectives[code] = Objective(axis=axis, code=code, title=obj_title)
                session.add(objectives[code])
    session.flush()
    return {code: o.id for code, o in objectives.items()}
