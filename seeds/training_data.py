"""Demo tables of the 2026 regional training programme: catalogue, sessions, people.

Modelled on a real regional plan (about seventy training days a year for the staff
of the missions locales): reception, the CEJ and the PACEA, i-milo, motivational
interviewing, young people's mental health, housing, mobility, discrimination,
management for directors, GDPR, professional stance, violence prevention, QVCT.
Dates are ISO strings, money whole euros; ``seeds.training_demo`` turns them into
``date`` and ``Decimal`` and registers people through the real seat logic. "Today"
is 23 November 2026, as in the rest of the demo.
"""

from __future__ import annotations

from typing import Any

#: The demo's "today": sessions before it are held, registrations never happen after it.
TODAY = "2026-11-23"

#: Funder of the trainings (``seeds.funding_data.FUNDERS["opco"]``), when it exists.
FUNDER_KEY = "opco"

#: Programme action (2026, axis 2) a training belongs to, by title; others go to the
#: first one, the regional training programme itself.
DEFAULT_ACTION = "Programme régional de formation 2026"

C, A, D, S, P, E, X = ("conseiller", "accueil", "direction", "assistant", "projet",
                       "encadrement", "autre")


def training(key: str, title: str, *, objectives: str, content: str, audience: tuple,
             days: str, hours: str, modality: str, provider: str, trainer: str, cost: int,
             prerequisites: str = "", action: str = DEFAULT_ACTION) -> dict[str, Any]:
    return {"key": key, "title": title, "objectives": objectives, "content": content,
            "audience": list(audience), "days": days, "hours": hours, "modality": modality,
            "provider": provider, "trainer": trainer, "cost": cost,
            "prerequisites": prerequisites, "action": action}


TRAININGS: list[dict[str, Any]] = [
    training(
        "accueil", "Accueillir les publics : premier accueil, écoute et orientation",
        objectives="Réussir le premier contact avec un jeune et sa famille ; qualifier la "
                   "demande ; orienter vers le bon interlocuteur ; gérer l'attente et "
                   "l'accueil téléphonique.",
        content="Jour 1 : les enjeux du premier accueil, la communication verbale et non "
                "verbale, l'écoute active. Jour 2 : qualifier la demande, l'accueil "
                "téléphonique et numérique, études de cas apportées par les participants.",
        audience=(A, S, C), days="2", hours="14", modality="presentiel",
        provider="Trajectoires Formation", trainer="Nadia Ferreira", cost=310),
    training(
        "cej", "Contrat d'engagement jeune : accompagnement intensif et sorties positives",
        objectives="Maîtriser le cadre du CEJ (15 à 20 heures d'activité par semaine, "
                   "allocation, engagements) ; construire un parcours intensif ; mobiliser "
                   "les partenaires pour des sorties en emploi ou en formation.",
        content="Le cadre réglementaire et ses évolutions ; le diagnostic et le plan "
                "d'action ; l'intensité de l'accompagnement au quotidien ; la relation avec "
                "France Travail ; les sorties positives et leur justification.",
        audience=(C, E), days="2", hours="14", modality="presentiel",
        provider="Institut Horizons Jeunesse", trainer="Éric Lamothe", cost=340,
        prerequisites="Accompagner des jeunes depuis au moins six mois."),
    training(
        "pacea", "PACEA : construire et sécuriser le parcours contractualisé",
        objectives="Articuler les phases du PACEA ; mobiliser l'allocation à bon escient ; "
                   "tracer les engagements et les étapes dans le dossier du jeune.",
        content="Le parcours contractualisé d'accompagnement vers l'emploi et l'autonomie : "
                "phases, durée, allocation, articulation avec le CEJ ; cas pratiques.",
        audience=(C,), days="1", hours="7", modality="presentiel",
        provider="Institut Horizons Jeunesse", trainer="Éric Lamothe", cost=180),
    training(
        "imilo", "i-milo : saisie du parcours et qualité des données (Parcours saisie)",
        objectives="Saisir un parcours complet et juste dans i-milo ; comprendre ce que "
                   "deviennent les données (indicateurs, financements) ; corriger les "
                   "anomalies les plus fréquentes.",
        content="Deux demi-journées à distance : la fiche jeune et les événements ; les "
                "dispositifs, les propositions et les situations ; les requêtes utiles au "
                "quotidien ; exercices sur une base de démonstration.",
        audience=(C, S, A), days="1", hours="7", modality="distanciel",
        provider="ARML Nouvelle-Aquitaine (équipe SI)", trainer="Mathieu Darrigrand",
        cost=0, action="Appui au système d'information Parcours / i-milo"),
    training(
        "motiv", "Entretien motivationnel : les fondamentaux",
        objectives="Comprendre l'ambivalence ; pratiquer les outils de l'entretien "
                   "motivationnel (questions ouvertes, valorisation, reflets, résumés) ; "
                   "susciter le discours-changement chez les jeunes accompagnés.",
        content="Trois jours alternant apports et mises en situation filmées : l'esprit de "
                "l'approche, les quatre processus, le discours-changement, la gestion de la "
                "dissonance.",
        audience=(C, E), days="3", hours="21", modality="presentiel",
        provider="Motiv'Action Conseil", trainer="Sylvie Brunet", cost=590),
    training(
        "sante", "Santé mentale des jeunes : repérer, accueillir, orienter",
        objectives="Repérer les signes de souffrance psychique ; adopter une posture "
                   "d'écoute sans se substituer au soin ; connaître le réseau local "
                   "(maisons des adolescents, CMP, points d'accueil écoute jeunes).",
        content="Troubles fréquents chez les 16-25 ans ; crise suicidaire : repérer et "
                "réagir ; construire l'orientation avec le jeune ; prendre soin de soi en "
                "tant que professionnel·le.",
        audience=(C, A, E), days="2", hours="14", modality="presentiel",
        provider="Psycom'Ouest Formation", trainer="Dr Hélène Carrère", cost=380),
    training(
        "logement", "Accès au logement des jeunes : dispositifs et partenariats",
        objectives="Connaître les dispositifs (FSL, Visale, Loca-Pass, résidences jeunes "
                   "actifs, intermédiation locative) ; monter une demande ; travailler avec "
                   "les bailleurs et le SIAO.",
        content="Panorama des aides et des solutions ; la demande de logement social ; "
                "l'urgence et l'hébergement ; témoignages de partenaires.",
        audience=(C, P), days="1", hours="7", modality="presentiel",
        provider="Habitat Jeunes Formation", trainer="Olivier Daguerre", cost=170),
    training(
        "mobilite", "Mobilité des jeunes : diagnostic et solutions en territoire rural",
        objectives="Réaliser un diagnostic mobilité ; mobiliser les aides (permis, "
                   "location, covoiturage solidaire) ; s'appuyer sur les plateformes "
                   "mobilité.",
        content="Matin en salle : freins et outils de diagnostic. Après-midi à distance : "
                "présentation des plateformes mobilité du territoire et des aides de la "
                "Région.",
        audience=(C, P), days="1", hours="7", modality="mixte",
        provider="Mobilités Solidaires Nouvelle-Aquitaine", trainer="Julie Peyrot", cost=160),
    training(
        "discrim", "Prévenir les discriminations dans l'accompagnement et l'accès à l'emploi",
        objectives="Connaître le cadre juridique (critères, Défenseur des droits) ; repérer "
                   "les discriminations vécues par les jeunes ; réagir face à une offre ou un "
                   "employeur discriminant.",
        content="Le droit de la non-discrimination ; stéréotypes et biais ; études de cas "
                "d'offres d'emploi ; construire une réponse d'équipe.",
        audience=(C, A, P, E, D), days="2", hours="14", modality="presentiel",
        provider="Égalité Conseil Formation", trainer="Karima Ouali", cost=350),
    training(
        "management", "Manager une équipe en mission locale (parcours des directeurs)",
        objectives="Piloter une équipe dans un contexte de forte évolution des dispositifs ; "
                   "conduire les entretiens professionnels ; prévenir les risques "
                   "psychosociaux ; déléguer.",
        content="Trois jours : le rôle de manager et ses postures ; l'entretien "
                "professionnel et le plan de développement des compétences ; le dialogue "
                "social et la prévention des RPS.",
        audience=(D, E), days="3", hours="21", modality="presentiel",
        provider="Cap Management Associés", trainer="François Mendiboure", cost=720,
        action="Parcours management et GRH des directeurs",
        prerequisites="Exercer une fonction de direction ou d'encadrement."),
    training(
        "rgpd", "RGPD en mission locale : protéger les données des jeunes",
        objectives="Appliquer les principes du RGPD au quotidien (finalité, minimisation, "
                   "durées de conservation) ; répondre à une demande d'accès ; réagir à une "
                   "violation de données.",
        content="Une demi-journée à distance : les principes, le registre des traitements, "
                "les droits des personnes, les bons réflexes (messagerie, partage de "
                "documents, i-milo).",
        audience=(D, S, E, C), days="0.5", hours="3.5", modality="distanciel",
        provider="Data Conformité Sud-Ouest", trainer="Thomas Verdier", cost=90),
    training(
        "posture", "Posture professionnelle et distance relationnelle",
        objectives="Trouver la juste distance avec les jeunes accompagnés ; poser un cadre ; "
                   "gérer ses émotions ; savoir passer le relais.",
        content="Analyse de situations vécues ; le cadre et ses limites ; la relation "
                "d'aide ; la prévention de l'usure professionnelle.",
        audience=(C, A), days="2", hours="14", modality="presentiel",
        provider="Trajectoires Formation", trainer="Nadia Ferreira", cost=310),
    training(
        "violences", "Prévenir et gérer les situations de tension et de violence à l'accueil",
        objectives="Identifier les signes précurseurs ; désamorcer une situation tendue ; "
                   "organiser l'accueil pour prévenir les incidents ; accompagner l'équipe "
                   "après un incident.",
        content="Mécanismes de l'agressivité ; techniques verbales de désescalade ; "
                "mises en situation ; procédures et soutien de l'équipe.",
        audience=(A, C, S), days="2", hours="14", modality="presentiel",
        provider="Prévention & Médiation Formation", trainer="Marc Lescure", cost=330),
    training(
        "qvt", "Qualité de vie et des conditions de travail : démarche QVCT en équipe",
        objectives="Conduire une démarche QVCT participative ; animer des espaces de "
                   "discussion sur le travail ; relier QVCT et prévention des RPS.",
        content="Matin en salle : méthode et outils (ARACT). Après-midi à distance : "
                "retours d'expérience du cluster QVT / RPS du réseau.",
        audience=(D, E, P), days="1", hours="7", modality="mixte",
        provider="ARACT Nouvelle-Aquitaine", trainer="Anne-Sophie Larrieu", cost=200,
        action="Cluster QVT / RPS : 2e vague, 7 missions locales, 3 sessions"),
    training(
        "entreprises", "Relation entreprises : prospecter et fidéliser les employeurs",
        objectives="Construire un plan de prospection ; présenter l'offre de service de la "
                   "mission locale aux employeurs ; préparer et suivre une mise en relation.",
        content="Connaître le tissu économique local ; l'entretien employeur ; la "
                "méthode de recrutement par simulation ; le suivi dans l'emploi.",
        audience=(C, P), days="2", hours="14", modality="presentiel",
        provider="Institut Horizons Jeunesse", trainer="Sébastien Hourcade", cost=330),
    training(
        "integration", "Prise de poste : comprendre le réseau des missions locales",
        objectives="Connaître l'histoire, les missions et l'offre de service des missions "
                   "locales ; situer son poste dans le réseau régional et national.",
        content="Une journée pour les nouveaux salariés : le réseau, les financeurs, les "
                "dispositifs, les outils communs et l'ARML.",
        audience=(C, A, S, P, E, X), days="1", hours="7", modality="presentiel",
        provider="ARML Nouvelle-Aquitaine", trainer="Camille Moreau", cost=0),
]

#: Place of a session (address), by city key.
PLACES = {
    "bordeaux": "ARML Nouvelle-Aquitaine, salle de formation, 14 quai des Chartrons, "
                "33000 Bordeaux",
    "pau": "Mission locale Pau Pyrénées, salle Aspe, 9 rue Carnot, 64000 Pau",
    "limoges": "Espace associatif Beaubreuil, 3 allée Fabre d'Églantine, 87280 Limoges",
    "poitiers": "Mission locale d'insertion du Poitou, 2 rue de la Tranchée, "
                "86000 Poitiers",
    "la-rochelle": "Maison des associations, 32 rue de la Trinette, 17000 La Rochelle",
    "perigueux": "Mission locale du Grand Périgueux, 1 boulevard Bertran de Born, "
                 "24000 Périgueux",
    "agen": "Centre de congrès, salle Garonne, 10 avenue du Midi, 47000 Agen",
    "visio": "",
}
ACCESS = {
    "bordeaux": "Tram B, arrêt Chartrons. Stationnement payant quai des Chartrons.",
    "pau": "À 10 minutes à pied de la gare (funiculaire). Parking Clemenceau.",
    "limoges": "Bus ligne 4, arrêt Beaubreuil. Parking gratuit sur place.",
    "poitiers": "Bus ligne 1, arrêt Tranchée. Parking de la Mérigotte à proximité.",
    "la-rochelle": "À 15 minutes à pied de la gare. Parking de l'Encan.",
    "perigueux": "À 5 minutes à pied de la gare. Parking Montaigne.",
    "agen": "À 10 minutes à pied de la gare. Parking gratuit du centre de congrès.",
    "visio": "Lien de connexion envoyé avec la convocation ; tester sa caméra et son micro "
             "la veille.",
}


def session(training_key: str, days: tuple[str, ...], city: str, capacity: int, *,
            opens: str, closes: str, demand: int, minimum: int = 6,
            quota: int | None = None, cancel: int = 0, halves: str = "both",
            offer_days: int | None = None, cancelled: str = "", local: tuple = (),
            satisfaction: float = 4.3) -> dict[str, Any]:
    """One session: ``days`` (ISO dates), ``halves`` 'both', 'matin' or 'apres_midi';
    ``demand`` registration requests, ``cancel`` confirmed seats cancelled before the
    session; ``local`` mission locale codes whose staff register first (demo accounts);
    ``cancelled`` the reason if the session was called off."""
    return {"training": training_key, "days": days, "city": city, "capacity": capacity,
            "minimum": minimum, "quota": quota, "opens": opens, "closes": closes,
            "demand": demand, "cancel": cancel, "halves": halves, "offer_days": offer_days,
            "cancelled": cancelled, "local": local, "satisfaction": satisfaction}


LIBOURNE, PAU = "33005", "64001"

SESSIONS: list[dict[str, Any]] = [
    session("accueil", ("2026-01-20", "2026-01-21"), "bordeaux", 14, opens="2025-11-17",
            closes="2026-01-09", demand=13, local=(LIBOURNE,)),
    session("imilo", ("2026-01-27", "2026-01-29"), "visio", 16, halves="matin",
            opens="2025-12-01", closes="2026-01-20", demand=15, cancel=1),
    session("motiv", ("2026-02-03", "2026-02-04", "2026-02-05"), "pau", 12, quota=2,
            opens="2025-12-01", closes="2026-01-23", demand=12, local=(PAU,),
            satisfaction=4.7),
    session("cej", ("2026-02-10", "2026-02-11"), "poitiers", 14, opens="2025-12-08",
            closes="2026-01-30", demand=12, cancel=1),
    session("management", ("2026-02-24", "2026-02-25", "2026-02-26"), "bordeaux", 10,
            minimum=5, quota=1, opens="2025-12-15", closes="2026-02-13", demand=9,
            satisfaction=4.5),
    session("sante", ("2026-03-10", "2026-03-11"), "limoges", 14, opens="2026-01-12",
            closes="2026-02-27", demand=14, local=(LIBOURNE,), satisfaction=4.8),
    session("pacea", ("2026-03-19",), "la-rochelle", 14, opens="2026-01-19",
            closes="2026-03-09", demand=11),
    session("rgpd", ("2026-03-24",), "visio", 16, halves="apres_midi", minimum=4,
            opens="2026-02-02", closes="2026-03-17", demand=14, satisfaction=3.9),
    session("posture", ("2026-04-07", "2026-04-08"), "perigueux", 12, opens="2026-02-09",
            closes="2026-03-27", demand=11),
    session("discrim", ("2026-04-14", "2026-04-15"), "bordeaux", 14, opens="2026-02-16",
            closes="2026-04-03", demand=12, cancel=1, local=(PAU,)),
    session("logement", ("2026-04-28",), "pau", 12, opens="2026-03-02", closes="2026-04-17",
            demand=9),
    session("violences", ("2026-05-19", "2026-05-20"), "poitiers", 12, opens="2026-03-16",
            closes="2026-05-08", demand=12, satisfaction=4.6),
    session("mobilite", ("2026-05-28",), "limoges", 12, opens="2026-03-30",
            closes="2026-05-18", demand=8, satisfaction=3.6),
    # full, with a waitlist that moved when two people cancelled
    session("motiv", ("2026-06-02", "2026-06-03", "2026-06-04"), "bordeaux", 12, quota=2,
            opens="2026-04-01", closes="2026-05-22", demand=16, cancel=2,
            local=(LIBOURNE,), satisfaction=4.7),
    session("entreprises", ("2026-06-16", "2026-06-17"), "agen", 14, opens="2026-04-13",
            closes="2026-06-05", demand=10),
    session("qvt", ("2026-06-25",), "bordeaux", 12, minimum=5, opens="2026-04-20",
            closes="2026-06-15", demand=9),
    session("imilo", ("2026-07-02", "2026-07-03"), "visio", 16, halves="matin",
            opens="2026-05-04", closes="2026-06-25", demand=14, local=(PAU,)),
    session("integration", ("2026-09-15",), "bordeaux", 16, opens="2026-06-29",
            closes="2026-09-08", demand=15, local=(LIBOURNE,), satisfaction=4.5),
    session("accueil", ("2026-09-22", "2026-09-23"), "limoges", 14, opens="2026-07-06",
            closes="2026-09-11", demand=12),
    session("cej", ("2026-09-29", "2026-09-30"), "pau", 14, opens="2026-07-13",
            closes="2026-09-18", demand=13, cancel=1, local=(PAU,)),
    # full, with a waitlist that moved when one person cancelled
    session("sante", ("2026-10-06", "2026-10-07"), "poitiers", 14, opens="2026-07-20",
            closes="2026-09-25", demand=18, cancel=1, satisfaction=4.8),
    # called off for lack of registrations
    session("violences", ("2026-10-13", "2026-10-14"), "limoges", 12, opens="2026-08-24",
            closes="2026-10-02", demand=3,
            cancelled="Nombre d'inscrits insuffisant (3 pour un minimum de 6) : la session "
                      "est reportée au premier semestre 2027 ; les inscrits sont prioritaires."),
    session("management", ("2026-10-13", "2026-10-14", "2026-10-15"), "bordeaux", 10,
            minimum=5, quota=1, opens="2026-08-24", closes="2026-10-02", demand=10,
            local=(LIBOURNE,), satisfaction=4.4),
    session("discrim", ("2026-10-20", "2026-10-21"), "la-rochelle", 14, opens="2026-08-31",
            closes="2026-10-09", demand=11),
    session("pacea", ("2026-11-05",), "perigueux", 14, opens="2026-09-14",
            closes="2026-10-26", demand=12, local=(PAU,)),
    session("rgpd", ("2026-11-10",), "visio", 16, halves="apres_midi", minimum=4,
            opens="2026-09-21", closes="2026-11-03", demand=12, satisfaction=4.0),
    session("posture", ("2026-11-17", "2026-11-18"), "bordeaux", 12, opens="2026-09-28",
            closes="2026-11-06", demand=12, cancel=1, local=(LIBOURNE,)),
    # upcoming: below its minimum a week before it starts, registrations closed
    session("logement", ("2026-11-26",), "bordeaux", 12, opens="2026-10-05",
            closes="2026-11-16", demand=4),
    # upcoming and full: a waitlist, one cancellation already promoted
    session("accueil", ("2026-12-01", "2026-12-02"), "pau", 14, quota=2, opens="2026-10-05",
            closes="2026-11-24", demand=20, cancel=1, local=(PAU, LIBOURNE)),
    session("imilo", ("2026-12-03", "2026-12-04"), "visio", 16, halves="matin",
            opens="2026-10-12", closes="2026-11-26", demand=10, local=(LIBOURNE,)),
    # upcoming and full: a freed seat is offered for 5 days to the first person waiting
    session("motiv", ("2026-12-08", "2026-12-09", "2026-12-10"), "la-rochelle", 12,
            quota=2, opens="2026-10-12", closes="2026-11-30", demand=17, cancel=1,
            offer_days=5, local=(LIBOURNE, PAU)),
    session("sante", ("2026-12-15", "2026-12-16"), "bordeaux", 14, opens="2026-10-19",
            closes="2026-12-04", demand=9, local=(PAU,)),
    session("qvt", ("2026-12-17",), "perigueux", 12, minimum=5, opens="2026-11-02",
            closes="2026-12-08", demand=5),
]

#: Half-day hours: (starts, ends).
HALF_DAYS = {"matin": ("09:00", "12:30"), "apres_midi": ("13:30", "17:00")}

STAFF_FIRST = ["Amélie", "Antoine", "Aurore", "Baptiste", "Bérénice", "Cédric", "Chloé",
               "Damien", "Delphine", "Élodie", "Emma", "Fabien", "Fatima", "Florian", "Gaëlle",
               "Grégory", "Inès", "Jérôme", "Justine", "Kévin", "Laetitia", "Lucas", "Maëlle",
               "Manon", "Mathilde", "Maxime", "Mélanie", "Nicolas", "Noémie", "Pauline",
               "Pierre", "Romain", "Samia", "Sarah", "Sébastien", "Solène", "Thomas", "Vanessa",
               "Vincent", "Yann", "Yasmine", "Zoé", "Hugo", "Léa", "Malik", "Estelle"]
STAFF_LAST = ["Arrieta", "Barthe", "Bessière", "Bonnet", "Bouchet", "Brousse", "Cazaux",
              "Chabert", "Charpentier", "Delmas", "Descamps", "Dumas", "Duprat", "Fabre",
              "Gaillard", "Garcia", "Gonzalez", "Guillot", "Hamdi", "Lafargue", "Lagarde",
              "Laporte", "Lasserre", "Leroy", "Marty", "Meunier", "Mora", "Navarro", "Nicolas",
              "Olivier", "Pereira", "Perret", "Picard", "Renaud", "Rey", "Robin", "Roche",
              "Sanchez", "Soulé", "Tessier", "Vidal", "Barbier", "Castagné", "Dauga"]

#: Staff of each mission locale by job (besides the director, taken from the network).
STAFF_JOBS = [C, C, C, C, C, C, A, A, S, P, E]

#: Free comments of the evaluations (not every trainee writes one).
COMMENTS_GOOD = [
    "Très bonne formation, concrète et directement utile au quotidien.",
    "Formatrice à l'écoute, beaucoup d'échanges entre missions locales : merci.",
    "Les mises en situation étaient le point fort de ces journées.",
    "Des outils que je vais pouvoir réutiliser dès lundi avec les jeunes.",
    "Rencontrer des collègues d'autres départements est très enrichissant.",
    "Contenu dense mais bien rythmé ; supports clairs.",
    "J'aurais aimé une journée de plus pour approfondir les cas pratiques.",
]
COMMENTS_MIXED = [
    "Le lieu était difficile d'accès en transports en commun.",
    "Un peu trop théorique le premier jour, beaucoup mieux ensuite.",
    "La salle était trop petite pour le nombre de participants.",
    "Problèmes de connexion en début de séance, dommage.",
    "Les horaires ne tiennent pas compte des trajets depuis les territoires ruraux.",
]
