"""Demo tables of the funding: funders, conventions and what they fund in 2025 and 2026.

Modelled on the seed documents: the État (DREETS) and the Région fund the animation
each year (the Région pays 80 % at signature and the balance after the dialogue de
gestion), the FSE+ co-funds a two-year project, the branche (Uniformation, OPCO
Cohésion sociale) funds the regional training actions, the missions locales' dues
fund the pilotage axis as a whole, France Travail values its seconded agent at
45 000 € per FTE, and two local authorities fund a local action. Every action of
both programmes is funded to the euro of its budget (``seeds.programme_data``),
so both plans are balanced. Dates are ISO strings, money whole euros;
``seeds.funding_demo`` turns them into ``date`` and ``Decimal``. "Today" is
23 November 2026, as in the programme demo.
"""

from __future__ import annotations

from typing import Any

#: The demo's "today": payments are never later, late instalments are judged on it.
TODAY = "2026-11-23"

#: France Travail values a seconded agent at this cost per FTE and per year (document 003).
FT_COST_PER_FTE = 45000

# key -> (name, type, contact name, contact e-mail, contact phone, notes)
FUNDERS: dict[str, tuple[str, str, str, str, str, str]] = {
    "dreets": ("DREETS Nouvelle-Aquitaine", "etat", "Bertrand Roux",
               "bertrand.roux@dreets-demo.gouv.fr", "05 56 00 11 22",
               "Pôle 3E, service insertion professionnelle des jeunes."),
    "region": ("Conseil régional Nouvelle-Aquitaine", "region", "Marion Castaing",
               "marion.castaing@region-demo.fr", "05 57 00 33 44",
               "Direction de l'orientation et de l'emploi. Versement de 80 % à la signature, "
               "solde après le dialogue de gestion."),
    "fse": ("Fonds social européen (FSE+)", "fse", "Sophie Larrieu",
            "sophie.larrieu@fse-demo.fr", "05 57 00 55 66",
            "Programme FSE+ 2021-2027, volet déconcentré géré par la DREETS : justification "
            "du temps passé et des dépenses réelles."),
    "opco": ("Uniformation — OPCO Cohésion sociale", "branche", "Karim Haddad",
             "karim.haddad@opco-demo.fr", "05 56 00 77 88",
             "Financement des formations mutualisées de la branche des missions locales."),
    "cotisations": ("Missions locales adhérentes (cotisations)", "missions_locales",
                    "Jean-Pierre Lassalle", "presidence@arml-demo.fr", "",
                    "Cotisations votées en assemblée générale, appelées en début d'année."),
    "ft": ("France Travail Nouvelle-Aquitaine", "france_travail", "Sylvie Andrieu",
           "sylvie.andrieu@francetravail-demo.fr", "05 56 00 99 00",
           "Mise à disposition d'une chargée d'études (0,5 ETP), valorisée 45 000 € par ETP."),
    "cd33": ("Conseil départemental de la Gironde", "departement", "Patrick Lafon",
             "patrick.lafon@gironde-demo.fr", "05 56 00 12 34",
             "Direction de l'insertion : opérations locales d'accès à l'emploi."),
    "pau": ("Communauté d'agglomération Pau Béarn Pyrénées", "commune", "Maylis Etcheverry",
            "maylis.etcheverry@agglo-pau-demo.fr", "05 59 00 56 78",
            "Service développement économique et emploi."),
}

#: The funder the demo ``financeur`` account (Marion Castaing, Région) is bound to.
FINANCEUR_FUNDER = "region"


def conv(key: str, funder: str, reference: str, object_: str, type_: str, amount: int,
         years: tuple[int, int], period: tuple[str, str], *, signed: str | None,
         status: str, conditions: str = "", schedule: tuple = (), payments: tuple = (),
         deadlines: tuple = ()) -> dict[str, Any]:
    """One convention: schedule (label, due, percent), payments (received on, instalment
    position, euros or None for the whole instalment, comment), deadlines (label, due, done)."""
    return {"key": key, "funder": funder, "reference": reference, "object": object_,
            "type": type_, "amount": amount, "years": years, "period": period,
            "signed": signed, "status": status, "conditions": conditions,
            "schedule": schedule, "payments": payments, "deadlines": deadlines}


# Conventions whose first year is 2025 (the FSE+ project runs over 2025 and 2026).
CONVENTIONS_2025: list[dict[str, Any]] = [
    conv("dreets25", "dreets", "DREETS-NA-2025-011",
         "Animation régionale du réseau des missions locales 2025 (convention pluriannuelle "
         "d'objectifs, programmation 2025).", "fonctionnement", 84515, (2025, 2025),
         ("2025-01-01", "2025-12-31"), signed="2025-03-14", status="soldee",
         conditions="Compte rendu financier et bilan qualitatif dans les six mois suivant la "
                    "fin de l'exercice.",
         schedule=(("Avance de 60 % à la signature", "2025-04-15", 60),
                   ("Solde de 40 % sur compte rendu financier", "2026-05-31", 40)),
         payments=(("2025-04-28", 1, None, "Virement DREETS"),
                   ("2026-05-19", 2, None, "Solde après compte rendu financier")),
         deadlines=(("Compte rendu financier 2025", "2026-03-31", "2026-03-24"),
                    ("Bilan qualitatif 2025", "2026-03-31", "2026-03-24"))),
    conv("region25", "region", "CRNA-2025-ARML-0087",
         "Soutien à l'animation régionale des missions locales : programme 2025.",
         "fonctionnement", 63540, (2025, 2025), ("2025-01-01", "2025-12-31"),
         signed="2025-04-03", status="signee",
         conditions="Versement de 80 % à la signature ; solde de 20 % après le dialogue de "
                    "gestion, au vu du bilan et des indicateurs (axes 1, 2 et 3 : 50 / 35 / 15 %).",
         schedule=(("Avance de 80 % à la signature", "2025-04-30", 80),
                   ("Solde de 20 % après le dialogue de gestion", "2026-06-30", 20)),
         payments=(("2025-05-16", 1, None, "Mandat n° 2025-04418"),),
         deadlines=(("Dialogue de gestion 2025 : bilan et indicateurs", "2026-03-31",
                     "2026-03-20"),)),
    conv("fse", "fse", "FSE-NA-2025-00342",
         "Professionnalisation du réseau et observatoire des parcours (projet FSE+ 2025-2026, "
         "priorité 2, objectif spécifique 4a).", "projet", 96730, (2025, 2026),
         ("2025-01-01", "2026-12-31"), signed="2025-06-02", status="signee",
         conditions="Taux d'intervention plafonné à 60 % des dépenses éligibles ; feuilles de "
                    "temps mensuelles signées pour le personnel valorisé ; publicité de l'aide "
                    "européenne sur tous les supports.",
         schedule=(("Avance de 30 % à la signature", "2025-07-15", 30),
                   ("Acompte de 40 % après le bilan intermédiaire", "2026-06-30", 40),
                   ("Solde de 30 % après contrôle de service fait", "2027-09-30", 30)),
         payments=(("2025-07-22", 1, None, "Avance FSE+"),
                   ("2026-07-08", 2, None, "Acompte sur bilan intermédiaire")),
         deadlines=(("Bilan intermédiaire (réalisations 2025)", "2026-03-31", "2026-03-27"),
                    ("Saisie des participants dans Ma démarche FSE", "2027-01-31", None),
                    ("Bilan final et pièces justificatives", "2027-03-31", None))),
    conv("opco25", "opco", "UNIF-2025-FORM-118",
         "Programme régional de formation mutualisé 2025 et actions collectives de "
         "professionnalisation.", "projet", 52000, (2025, 2025), ("2025-01-01", "2025-12-31"),
         signed="2025-02-11", status="soldee",
         conditions="Prise en charge sur justificatifs : feuilles d'émargement et attestations "
                    "de fin de formation.",
         schedule=(("Versement unique sur bilan des formations", "2026-01-31", 100),),
         payments=(("2026-02-12", 1, None, "Règlement sur bilan"),),
         deadlines=(("Bilan pédagogique et financier 2025", "2026-01-15", "2026-01-09"),)),
    conv("cotis25", "cotisations", "COTIS-2025",
         "Cotisations 2025 des missions locales adhérentes (assemblée générale du "
         "12 décembre 2024), affectées à l'appui au pilotage régional.", "fonctionnement",
         7935, (2025, 2025), ("2025-01-01", "2025-12-31"), signed="2024-12-12",
         status="soldee",
         schedule=(("Appel de cotisations 2025", "2025-03-31", 100),),
         payments=(("2025-03-28", 1, 5120, "Premiers règlements (24 missions locales)"),
                   ("2025-04-30", 1, 2315, "Règlements d'avril (13 missions locales)"),
                   ("2025-06-16", 1, 500, "Derniers règlements après relance"))),
    conv("ft25", "ft", "FT-NA-MAD-2025-03",
         "Mise à disposition de Nadia Ferrand, chargée d'études (0,5 ETP), pour "
         "l'observatoire et le système d'information : valorisation 45 000 € par ETP.",
         "mise_a_disposition", 22500, (2025, 2025), ("2025-01-01", "2025-12-31"),
         signed="2025-01-08", status="signee",
         conditions="Contribution en nature : aucun versement. Attestation annuelle du temps "
                    "de mise à disposition.",
         deadlines=(("Attestation de mise à disposition 2025", "2026-01-31", "2026-01-26"),)),
    conv("cd33_25", "cd33", "CD33-INS-2025-052",
         "Opération de recrutement coordonnée des missions locales de la métropole "
         "bordelaise (logistique et transport).", "projet", 3000, (2025, 2025),
         ("2025-03-01", "2025-07-31"), signed="2025-02-24", status="soldee",
         schedule=(("Versement sur bilan de l'opération", "2025-09-30", 100),),
         payments=(("2025-09-18", 1, None, "Mandat départemental"),),
         deadlines=(("Bilan de l'opération", "2025-07-31", "2025-07-11"),)),
]

CONVENTIONS_2026: list[dict[str, Any]] = [
    conv("dreets26", "dreets", "DREETS-NA-2026-014",
         "Animation régionale du réseau des missions locales 2026 (convention pluriannuelle "
         "d'objectifs, programmation 2026).", "fonctionnement", 92820, (2026, 2026),
         ("2026-01-01", "2026-12-31"), signed="2026-02-20", status="signee",
         conditions="Compte rendu financier et bilan qualitatif dans les six mois suivant la "
                    "fin de l'exercice ; point d'étape sur le protocole régional en juin.",
         schedule=(("Avance de 60 % à la signature", "2026-03-31", 60),
                   ("Solde de 40 % sur compte rendu financier", "2027-05-31", 40)),
         payments=(("2026-04-14", 1, None, "Virement DREETS"),),
         deadlines=(("Point d'étape sur le protocole régional", "2026-06-30", "2026-06-18"),
                    ("Compte rendu financier 2026", "2027-03-31", None))),
    conv("dreets26b", "dreets", "DREETS-NA-2026-041",
         "Avenant n° 1 : appui aux missions locales dans le déploiement du Réseau pour "
         "l'emploi.", "projet", 4680, (2026, 2026), ("2026-03-16", "2026-12-31"),
         signed="2026-06-25", status="signee",
         schedule=(("Versement unique à la signature de l'avenant", "2026-09-30", 100),),
         payments=(("2026-10-06", 1, None, "Virement DREETS"),),
         deadlines=(("Guide régional des pratiques", "2027-01-15", None),)),
    conv("region26", "region", "CRNA-2026-ARML-0112",
         "Soutien à l'animation régionale des missions locales : programme 2026.",
         "fonctionnement", 83930, (2026, 2026), ("2026-01-01", "2026-12-31"),
         signed="2026-03-12", status="signee",
         conditions="Versement de 80 % à la signature ; solde de 20 % après le dialogue de "
                    "gestion, au vu du bilan et des indicateurs (axes 1, 2 et 3 : 50 / 35 / 15 %).",
         schedule=(("Avance de 80 % à la signature", "2026-04-30", 80),
                   ("Solde de 20 % après le dialogue de gestion", "2027-06-30", 20)),
         payments=(("2026-04-22", 1, None, "Mandat n° 2026-03127"),),
         deadlines=(("Dialogue de gestion : bilan intermédiaire 2026", "2026-12-15", None),
                    ("Dialogue de gestion 2026 : bilan et indicateurs", "2027-03-31", None))),
    conv("opco26", "opco", "UNIF-2026-FORM-074",
         "Programme régional de formation mutualisé 2026 et parcours des directeurs.",
         "projet", 79980, (2026, 2026), ("2026-01-01", "2026-12-31"),
         signed="2026-02-05", status="signee",
         conditions="Prise en charge sur justificatifs : feuilles d'émargement et attestations "
                    "de fin de formation.",
         schedule=(("Acompte de 50 % après les premières sessions", "2026-06-30", 50),
                   ("Solde de 50 % sur bilan des formations", "2027-01-31", 50)),
         payments=(("2026-07-10", 1, None, "Acompte Uniformation"),),
         deadlines=(("Bilan pédagogique et financier 2026", "2027-01-15", None),)),
    conv("cotis26", "cotisations", "COTIS-2026",
         "Cotisations 2026 des missions locales adhérentes (assemblée générale du "
         "11 décembre 2025), affectées à l'appui au pilotage régional.", "fonctionnement",
         8120, (2026, 2026), ("2026-01-01", "2026-12-31"), signed="2025-12-11",
         status="signee",
         schedule=(("Appel de cotisations 2026", "2026-03-31", 100),),
         payments=(("2026-03-30", 1, 5240, "Premiers règlements (25 missions locales)"),
                   ("2026-05-12", 1, 1960, "Règlements après première relance"))),
    conv("ft26", "ft", "FT-NA-MAD-2026-02",
         "Mise à disposition de Nadia Ferrand, chargée d'études (0,5 ETP), pour "
         "l'observatoire et le système d'information : valorisation 45 000 € par ETP.",
         "mise_a_disposition", 22500, (2026, 2026), ("2026-01-01", "2026-12-31"),
         signed="2026-01-09", status="signee",
         conditions="Contribution en nature : aucun versement. Attestation annuelle du temps "
                    "de mise à disposition.",
         deadlines=(("Attestation de mise à disposition 2026", "2027-01-31", None),)),
    conv("pau26", "pau", "CAPBP-EMP-2026-09",
         "Job datings sectoriels des missions locales du Béarn avec les entreprises du "
         "territoire.", "projet", 2500, (2026, 2026), ("2026-02-01", "2026-10-31"),
         signed="2026-01-27", status="signee",
         schedule=(("Versement sur bilan de l'action", "2026-12-31", 100),),
         deadlines=(("Bilan de l'action", "2026-10-31", None),)),
]

#: year → action title → ((convention key, euros), ...): each action funded to the euro.
ALLOCATIONS: dict[int, dict[str, tuple[tuple[str, int], ...]]] = {
    2025: {
        "Animation régionale du parrainage": (("dreets25", 10000), ("region25", 7000)),
        "Opération de recrutement coordonnée — logistique et transport":
            (("cd33_25", 3000), ("dreets25", 2180)),
        "Accès des jeunes à la formation : articulation avec le SPRO":
            (("region25", 3940), ("ft25", 1040)),
        "Réseau des psychologues en mission locale": (("dreets25", 6000), ("region25", 5260)),
        "Partenariat logement des jeunes (observatoire de l'habitat)": (("dreets25", 4040),),
        "Programme régional de formation 2025":
            (("opco25", 40000), ("fse", 15000), ("region25", 10140)),
        "Démarche de progrès : cadrage et états des lieux": (("fse", 18000), ("dreets25", 18300)),
        "Groupe de travail « professionnalisation des directeurs »":
            (("opco25", 3000), ("dreets25", 2380)),
        "Conseil technique des directeurs": (("dreets25", 9220), ("region25", 9000)),
        "Cluster QVT / RPS : 7 missions locales, 3 sessions":
            (("fse", 12000), ("opco25", 6000), ("region25", 7180)),
        "Rencontres régionales des conseillers": (("opco25", 3000), ("region25", 3740)),
        "Appui au système d'information Parcours / i-milo": (("ft25", 7800), ("dreets25", 11320)),
        "Appui aux dossiers de financement des missions locales": (("dreets25", 4560),),
        "Plan de communication régional": (("region25", 9080), ("dreets25", 8000)),
        "Conférence de presse de l'observatoire": (("ft25", 1560), ("region25", 8200)),
        # axis 3: a quarter of each budget comes from the dues (AXIS_ALLOCATIONS)
        "Préparation et suivi du comité de pilotage": (("dreets25", 5100),),
        "Renouvellement du protocole régional": (("dreets25", 2085),),
        "Tableaux de bord et dialogue de gestion": (("ft25", 5820),),
        "Observatoire régional des parcours des jeunes": (("ft25", 3680), ("fse", 3190)),
        "Charte régionale de saisie Parcours : actualisation":
            (("ft25", 2600), ("dreets25", 1330)),
    },
    2026: {
        "Animation régionale du parrainage 2026": (("dreets26", 9000), ("region26", 7000)),
        "Job datings sectoriels avec les entreprises du Béarn et des Landes":
            (("pau26", 2500), ("dreets26", 2400)),
        "Accès à la formation : partenariat avec la Région": (("region26", 3940), ("ft26", 1040)),
        "Réseau des psychologues en mission locale": (("dreets26", 6000), ("region26", 5180)),
        "Mobilité des jeunes : plateformes mobilité rurales":
            (("dreets26", 2000), ("region26", 1630)),
        "Programme régional de formation 2026":
            (("opco26", 42000), ("fse", 15000), ("region26", 11440)),
        "Formation à la sécurisation financière des missions locales":
            (("opco26", 15000), ("dreets26", 11900)),
        "Démarche de progrès : plans de progrès des 11 missions locales":
            (("fse", 18000), ("dreets26", 11920)),
        "Parcours management et GRH des directeurs": (("opco26", 9000), ("region26", 5550)),
        "Université d'été des conseillers": (("opco26", 6000), ("region26", 7740)),
        "Journée d'intégration des nouveaux directeurs": (("opco26", 2620),),
        "Conseil technique des directeurs": (("dreets26", 9420), ("region26", 9000)),
        "Cluster QVT / RPS : 2e vague, 7 missions locales, 3 sessions":
            (("fse", 13000), ("region26", 13360)),
        "Rencontres régionales des conseillers": (("opco26", 5360), ("region26", 4490)),
        "Séminaire régional des présidents et directeurs": (("dreets26", 8100),),
        "Appui au système d'information Parcours / i-milo": (("ft26", 7800), ("dreets26", 11520)),
        "Appui aux dossiers de financement européens": (("dreets26", 3800),),
        "Plan de communication 2026": (("region26", 7100), ("dreets26", 6000)),
        "Conférence de presse de l'observatoire 2026": (("ft26", 1560), ("region26", 7500)),
        # axis 3: a quarter of each budget comes from the dues (AXIS_ALLOCATIONS)
        "Préparation et suivi du comité de pilotage": (("dreets26", 5100),),
        "Renouvellement du protocole régional": (("dreets26", 2655),),
        "Tableaux de bord et dialogue de gestion": (("ft26", 5820),),
        "Bilan d'activité consolidé du réseau": (("dreets26", 1545),),
        "Observatoire régional des parcours des jeunes": (("ft26", 3160), ("fse", 2540)),
        "Charte de saisie Parcours : contrôles qualité": (("ft26", 2080), ("dreets26", 1460)),
        # added after the copil's validation, funded by an amendment of the DREETS
        "Appui au déploiement du Réseau pour l'emploi": (("dreets26b", 4680), ("ft26", 1040)),
    },
}

#: (year, axis number, convention key, euros): the dues fund the pilotage axis globally.
AXIS_ALLOCATIONS: list[tuple[int, int, str, int]] = [
    (2025, 3, "cotis25", 7935),
    (2026, 3, "cotis26", 8120),
]
