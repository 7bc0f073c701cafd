"""PDF documents built with reportlab on the shared toolkit of ``webapp.pdf.document``
(embedded Vera fonts, French typography, "Page X sur Y", reproducible bytes)."""
