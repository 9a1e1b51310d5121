"""Reading the depositary's status list (UN Treaty Collection, MTDSG) into plain rows.

The UN Treaty Collection publishes each treaty's participants as an HTML page:
one row per participant with the signature date, the provisional application
("n") and the deposit date followed by the instrument's mark ("a" accession,
"A" acceptance, "AA" approval, "d" succession, none for ratification). A row
in square brackets is a State that has withdrawn. Older scrapes of the same
page exist as CSV files with the same columns.

This module only parses: it turns either form into ``DepositaryRow`` values
and matches participant names to States. Comparing them with the tracker is
the ``reconcile_depositary`` command's job.
"""

import csv
import datetime
import io
import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser

INSTRUMENT_MARKS = {
    "": "ratification",
    "a": "accession",
    "A": "acceptance",
    "AA": "approval",
    "d": "succession",
}

# Names an older status list (or a spreadsheet) may use for a State, mapped to today's.
FORMER_NAMES = {
    "swaziland": "eswatini",
    "cape verde": "cabo verde",
    "czech republic": "czechia",
    "former yugoslav republic of macedonia": "north macedonia",
    "st vincent and the grenadines": "saint vincent and the grenadines",
    "st kitts and nevis": "saint kitts and nevis",
    "st lucia": "saint lucia",
    "netherlands": "netherlands kingdom of the",
    "turkey": "turkiye",
    "bolivia": "bolivia plurinational state of",
    "holy see vatican city state": "holy see",
}

_DATE = re.compile(r"(\d{1,2})\s+([A-Za-z]{3})[a-z]*\.?\s+(\d{4})\s*([a-zA-Z]{0,2})")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1
    )
}


class DepositaryFormatError(ValueError):
    """The file is not a status list this module can read."""


@dataclass
class DepositaryRow:
    name: str
    signature_date: datetime.date | None = None
    provisional_application_date: datetime.date | None = None
    deposit_date: datetime.date | None = None
    instrument: str = ""
    withdrawn: bool = False
    line: int = 0


def normalise_name(name):
    """Fold a State's name for matching: no accents, case, punctuation, footnote marks or 'the'."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z ]+", " ", text.lower().replace("'", ""))
    words = text.split()
    if words and words[0] == "the" and len(words) > 2:
        words = words[1:]
    folded = " ".join(words)
    return FORMER_NAMES.get(folded, folded)


def parse_date(text):
    """Parse '3 Dec 2008', ' 2 Sep 2014 a' or '2008-12-03'; return (date or None, mark)."""
    text = (text or "").replace("\xa0", " ").strip().strip("[]").strip()
    if not text:
        return None, ""
    iso = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
    if iso:
        return datetime.date(*map(int, iso.groups())), ""
    match = _DATE.search(text)
    if not match:
        raise ValueError(f"not a date: {text!r}")
    day, month, year, mark = match.groups()
    month_number = _MONTHS.get(month.lower()[:3])
    if month_number is None:
        raise ValueError(f"unknown month in {text!r}")
    return datetime.date(int(year), month_number, int(day)), mark


class _TableParser(HTMLParser):
    """Collects the cells of every table row, as text, with superscript footnote numbers dropped."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows, self._row, self._cell, self._skip = [], None, None, 0

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._row = []
        elif tag == "td" and self._row is not None:
            self._cell = []
        elif tag == "sup":
            self._skip += 1

    def handle_endtag(self, tag):
        if tag == "sup" and self._skip:
            self._skip -= 1
        elif tag == "td" and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None and not self._skip:
            self._cell.append(data)


def _row_from_cells(cells, line):
    name, signature, provisional, deposit = (cells + ["", "", "", ""])[:4]
    withdrawn = any(c.strip().startswith("[") for c in (signature, provisional, deposit) if c.strip())
    row = DepositaryRow(name=name.strip(), withdrawn=withdrawn, line=line)
    try:
        row.signature_date, _ = parse_date(signature)
        row.provisional_application_date, _ = parse_date(provisional)
        row.deposit_date, mark = parse_date(deposit)
    except ValueError as error:
        raise DepositaryFormatError(f"Row {line} ({name.strip() or 'no name'}): {error}.") from None
    if mark not in INSTRUMENT_MARKS:
        raise DepositaryFormatError(f"Row {line} ({row.name}): unknown instrument mark {mark!r}.")
    row.instrument = INSTRUMENT_MARKS[mark] if row.deposit_date else ""
    return row


def parse_html(text):
    """Return the participant rows of a saved UN Treaty Collection status page."""
    parser = _TableParser()
    parser.feed(text)
    rows, in_table = [], False
    for number, cells in enumerate(parser.rows, start=1):
        if cells and cells[0].lower().startswith("participant"):
            in_table = True
            continue
        if in_table and len(cells) >= 4 and cells[0]:
            rows.append(_row_from_cells(cells, number))
        elif in_table and rows and len(cells) < 4:
            break
    if not rows:
        raise DepositaryFormatError(
            "No participants table found: is this the treaty's UN Treaty Collection status page?"
        )
    return rows


def parse_csv(text):
    """Return the participant rows of a CSV scrape (Participant, Signature, Provisional…, Ratification…)."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header or not header[0].strip().lower().startswith("participant") or len(header) < 4:
        raise DepositaryFormatError(
            "The CSV must start with the columns Participant, Signature, Provisional application, and the "
            "instrument column, as on the depositary's page."
        )
    return [_row_from_cells(cells, number) for number, cells in enumerate(reader, start=2) if any(cells)]


def parse(text):
    """Parse a status list given as HTML or CSV text."""
    if "<table" in text[:200000].lower():
        return parse_html(text)
    return parse_csv(text)
