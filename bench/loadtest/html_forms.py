"""The form reader of the load test's users, apart from the locustfile.

Importing locust monkey-patches the whole process with gevent (threads become greenlets,
sockets cooperative): the tests read this module without ever importing locust, so the
rest of the suite keeps real threads in the same pytest process.
"""

from __future__ import annotations

from html.parser import HTMLParser


class _Forms(HTMLParser):
    """The fields of every <form> of a page: [(action, [(name, value), …]), …]."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []
        self._select: str | None = None
        self._multiple = False
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append((a.get("action") or "", []))
        if not self.forms:
            return
        fields = self.forms[-1][1]
        if tag == "input" and a.get("name") and "disabled" not in a:
            kind = (a.get("type") or "text").lower()
            if kind in {"checkbox", "radio"}:
                if "checked" in a:
                    fields.append((a["name"], a.get("value") or "on"))
            elif kind not in {"submit", "button", "file", "image", "reset"}:
                fields.append((a["name"], a.get("value") or ""))
        elif tag == "select" and a.get("name"):
            self._select, self._options = a["name"], []
            self._multiple = "multiple" in a
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value") or "", "selected" in a))
        elif tag == "textarea" and a.get("name"):
            self._textarea, self._text = a["name"], []

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if not self.forms:
            return
        fields = self.forms[-1][1]
        if tag == "select" and self._select is not None:
            chosen = [v for v, selected in self._options if selected]
            if not chosen and self._options and not self._multiple:
                chosen = [self._options[0][0]]
            fields.extend((self._select, v) for v in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            fields.append((self._textarea, text[1:] if text.startswith("\n") else text))
            self._textarea = None


def form_with(html: str, field: str) -> list[tuple[str, str]] | None:
    parser = _Forms()
    parser.feed(html)
    for _action, fields in parser.forms:
        if any(name == field for name, _ in fields):
            return fields
    return None
