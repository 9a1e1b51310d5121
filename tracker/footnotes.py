"""Numbered source notes for a printed page: each source once, numbered in the order the page first cites it.

The State page puts a SourceNotes in its context; the source_line macro
(templates/jinja2/includes/source.html, imported with the page context) asks it
for a source's number as it renders (so the numbers follow the reading order)
and templates/jinja2/includes/source_notes.html lists them at the end. On screen the numbers and
the list are hidden; in print they replace the long "Source: …" texts (site.css).
"""


class SourceNotes:
    def __init__(self):
        self.sources = []
        self._numbers = {}

    def __bool__(self):
        # True even before the first note, so that templates can test for it.
        return True

    def number(self, source):
        """The note number of ``source``, given a new one the first time it is cited."""
        key = source.pk if source.pk is not None else id(source)
        if key not in self._numbers:
            self.sources.append(source)
            self._numbers[key] = len(self.sources)
        return self._numbers[key]
