"""The dashboard pages (run by ``st.navigation`` in dashboard/app.py) and what they share."""

from __future__ import annotations

import pandas as pd
import streamlit as st


def chart_data(frame: pd.DataFrame, what: str) -> None:
    """The figures of the chart just above, as a table under a fold.

    A Plotly chart is a picture to a screen reader and cannot be read with the keyboard:
    its figures are given as a real HTML table (``st.table``: row and column headers), the
    text alternative of a complex image (RGAA 1.6). The first column heads the rows; the
    values are already formatted in French.
    """
    with st.expander(f"Données du graphique : {what}"):
        st.table(frame.set_index(frame.columns[0]))
