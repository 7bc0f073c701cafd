"""Landing page: what this dashboard offers the signed-in user."""

import streamlit as st

from models.accounts.roles import Role

user = st.session_state["principal"]

st.title("Tableaux de bord")
st.text(f"Bonjour {user.full_name}.")  # a name is text, never Markdown
if user.can("network.view"):
    lines = ["- **Réseau** : les missions locales de la région par département."]
    if user.can("programme.overview"):
        lines.append("- **Programme** : l'avancement du programme régional d'animation par "
                     "axe et objectif, le budget prévu et réalisé, le temps de l'équipe (ETP) "
                     "et les livrables en retard.")
    if user.can("funding.plan"):
        lines.append("- **Financements** : qui finance le programme, versements attendus et "
                     "reçus, taux d'exécution des conventions et prochaines échéances.")
    if user.can("training.stats"):
        lines.append("- **Formations** : sessions réalisées, stagiaires, remplissage, absences, "
                     "participation par mission locale et par fonction, satisfaction.")
    if user.can("councils.stats"):
        lines.append("- **Conseils et projets** : réunions tenues, présence des directeurs par "
                     "réunion et par mission locale, décisions par statut et en retard, "
                     "projets collectifs par phase.")
    if user.can("quality.region"):
        lines.append("- **Qualité des données** : contrôle des extractions Parcours à la charte "
                     "régionale de saisie, score et classement des missions locales, règles "
                     "les plus enfreintes.")
    lines.append("- **Observatoire** : les jeunes accompagnés par mission locale, département "
                 "et région, protégés par le secret statistique.")
    st.markdown("\n".join(lines))
elif user.can("quality.view"):
    st.markdown("- **Qualité des données** : le contrôle des extractions Parcours de votre "
                "mission locale à la charte régionale de saisie, son score dans le temps et "
                "ses anomalies par règle.")
elif Role(user.role) is Role.FINANCEUR:
    st.info(
        "Les tableaux de bord servent au pilotage du réseau par l'ARML et son comité de "
        "pilotage ; aucun n'est ouvert aux financeurs. Vos conventions, leurs versements, "
        "leur exécution et vos échéances de rapport sont dans l'application web, rubrique "
        "« Financements »."
    )
else:
    st.info(
        "Aucun tableau de bord n'est encore ouvert à votre profil. Les résultats de votre "
        "mission locale (qualité des données, formations) y figureront prochainement ; "
        "en attendant, retrouvez vos informations dans l'application web."
    )
