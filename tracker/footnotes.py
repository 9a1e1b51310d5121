"""Numbered source notes for a printed page: each source once, numbered in the order the page first cites it.

The State page puts a SourceNotes in its context; the source_line macro
(templates/jinja2/includes/source.html, imported with the page context) asks it
for a source's number as it renders (so the numbers follow the reading order)
and templates/jinja2/includes/source_notes.html lists them at the end. On screen the numbers and
the list are hidden; in print they replace the long "Source: …" texts (site.css).
"""

import contextlib


class SourceNotes:
    def __init__(self):
        self.sources = []
        self._numbers = {}
        self._recorders = []

    def __bool__(self):
        # True even before the first note, so that templates can test for it.
        return True

    def number(self, source):
        """The note number of ``source``, given a new one the first time it is cited."""
        key = source.pk if source.pk is not None else id(source)
        for cited in self._recorders:
            cited.append(source)
        if key not in self._numbers:
            self.sources.append(source)
            self._numbers[key] = len(self.sources)
        return self._numbers[key]

    def state(self):
        """What decides the next numbers: the sources numbered so far, in order."""
        return tuple(self._numbers)

    @contextlib.contextmanager
    def recording(self):
        """Collect the sources cited meanwhile, in order (a kept part of the page: tracker.derived)."""
        cited = []
        self._recorders.append(cited)
        try:
            yield cited
        finally:
            # Recordings nest (a kept table of kept rows): the last one begun ends first.
            self._recorders.pop()

    def cite(self, sources):
        """Number ``sources`` as if the page had just cited them (a kept part shown again)."""
        for source in sources:
            self.number(source)
