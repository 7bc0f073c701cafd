"""PDF documents built with reportlab (A4, built-in Helvetica: Latin-1 accents render)."""
