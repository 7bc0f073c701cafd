"""Landing page: what this dashboard offers the signed-in user."""

import streamlit as st

user = st.session_state["principal"]

st.title("Tableaux de bord")
st.write(f"Bonjour {user.full_name}.")
if user.can("network.view"):
    st.markdown(
        "- **Réseau** : les missions locales de la région par département.\n"
        "- Le programme régional d'animation, les financements, les formations et "
        "l'observatoire régional arriveront ici au fil de leur mise en service."
    )
else:
    st.info(
        "Aucun tableau de bord n'est encore ouvert à votre profil. Les résultats de votre "
        "mission locale (qualité des données, formations) y figureront prochainement ; "
        "en attendant, retrouvez vos informations dans l'application web."
    )
