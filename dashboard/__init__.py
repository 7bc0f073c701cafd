"""Animaréseau dashboards (Streamlit): read-only views over the same database."""
