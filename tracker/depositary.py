"""Reading the depositary's status list (UN Treaty Collection, MTDSG) into plain rows.

The UN Treaty Collection publishes each treaty's participants as an HTML page
and as an XML file (``…/MTDSG/Volume II/Chapter XXVI/XXVI-6.en.xml``): one row
per participant with the signature date, for some treaties the provisional
application ("n"), and the deposit date followed by the instrument's mark
("a" accession, "A" acceptance, "AA" approval, "d" succession, none for
ratification). A row in square brackets is a State that has withdrawn; a
footnote number after a name points to an end note (a declaration, a
territorial application, a notification of withdrawal). Older scrapes of the
page exist as CSV files with the same columns.

Columns are found by their header's text, never by position: the Mine Ban
Convention's list has no provisional-application column, the CCM's and the
ATT's have one. This module only parses: ``read()`` turns a file's bytes into a
``StatusList`` or raises ``DepositaryFormatError`` with one sentence.
Comparing it with the tracker is ``tracker.reconciliation``'s job.
"""

import csv
import datetime
import html
import io
import re
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from html.entities import name2codepoint
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

KINDS = ("xml", "html", "csv")

_DATE = re.compile(r"(\d{1,2})\s+([A-Za-z]{3})[a-z]*\.?\s+(\d{4})\s*([a-zA-Z]{0,2})(?![a-zA-Z])")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1
    )
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_COUNTS = re.compile(r"Signatories\s*:\s*(\d+)\.?\s*Parties\s*:\s*(\d+)", re.IGNORECASE)
_AS_AT = re.compile(r"status\s+as\s+at\s*:?\s*(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", re.IGNORECASE)
_LONG_DATE = r"\d{1,2}\s+[A-Z][a-z]+\s+\d{4}"
_WITHDRAWAL = re.compile(
    rf"On\s+(?P<notice>{_LONG_DATE}),\s+the\s+Government\s+of\s+.{{1,120}}?\s+"
    r"(?:deposited\s+with|notified)\s+the\s+Secretary-General\s+(?:a|of\s+its|its)\s+"
    r"(?:notification|instrument)\s+of\s+withdrawal"
    rf"(?:\s*\((?:see\s+)?depositary\s+notification\s+(?P<cn>C\.N\.[\w.\s-]+?)\s+of\s+(?P<cn_date>{_LONG_DATE})\))?",
    re.IGNORECASE | re.DOTALL,
)


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
    footnotes: tuple = ()
    # From the end notes: the notice of withdrawal, its C.N. notification and that one's date.
    withdrawal_notice_date: datetime.date | None = None
    withdrawal_notification: str = ""
    withdrawal_notification_date: datetime.date | None = None
    # The other end notes about this participant (declarations, territorial applications).
    notes: list = field(default_factory=list)


@dataclass
class StatusList:
    rows: list
    kind: str
    title: str = ""
    as_at: datetime.date | None = None
    # The header's counts ("Signatories : 107. Parties : 112"), where the list gives them.
    signatories: int | None = None
    parties: int | None = None


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
        return _date(*map(int, iso.groups()), text), ""
    match = _DATE.search(text)
    if not match:
        raise ValueError(f"not a date: {text!r}")
    day, month, year, mark = match.groups()
    month_number = _MONTHS.get(month.lower()[:3])
    if month_number is None:
        raise ValueError(f"unknown month in {text!r}")
    return _date(int(year), month_number, int(day), text), mark


def _date(year, month, day, text):
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise ValueError(f"not a date: {text!r}") from None


def decode(data):
    """The file's text: UTF-8 if it is, else Windows-1252 (what 'iso-8859-1' files really hold).

    Control characters other than tabs and line breaks are dropped.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    return _CONTROL.sub("", text)


def sniff(text):
    """'xml', 'html' or 'csv', from what the text starts with."""
    head = text[:2000].lstrip().lower()
    if head.startswith("<?xml") and "<html" not in head:
        return "xml"
    if head.startswith(("<!doctype html", "<html")) or "<table" in text[:200000].lower():
        return "html"
    if head.startswith("<"):
        return "xml"
    return "csv"


def read(data, kind=""):
    """Parse a status list's bytes (XML, HTML or CSV; ``kind`` empty to tell by the content)."""
    if not data or not data.strip():
        raise DepositaryFormatError("The file is empty.")
    text = decode(data)
    found = sniff(text)
    if kind and kind != found:
        names = {"xml": "the depositary's XML", "html": "an HTML page", "csv": "a CSV file"}
        raise DepositaryFormatError(
            f"This file is {names[found]}, not {names[kind]}: choose its kind or let the tracker tell."
        )
    return {"xml": parse_xml, "html": parse_html_list, "csv": parse_csv_list}[found](text)


def parse(text):
    """Parse a status list given as HTML or CSV text; return its rows (kept for older callers)."""
    if sniff(text) == "xml":
        return parse_xml(text).rows
    if sniff(text) == "html":
        return parse_html(text)
    return parse_csv(text)


# --- columns by their header's text ---------------------------------------------------


def _columns(header):
    """Map 'name', 'signature', 'provisional', 'deposit' to the index of their column."""
    columns = {}
    for index, cell in enumerate(header):
        text = cell.lower()
        if (text.startswith("participant") or text in ("name", "participantname")) and "name" not in columns:
            columns["name"] = index
        elif "provisional" in text:
            columns["provisional"] = index
        elif any(
            word in text for word in ("ratification", "accession", "acceptance", "approval", "succession")
        ):
            columns["deposit"] = index
        elif text.startswith("signature") or text.startswith("definitive signature"):
            columns["signature"] = index
    if "name" not in columns or "deposit" not in columns:
        raise DepositaryFormatError(
            "The participants table needs a 'Participant' column and an instrument column "
            "('Ratification, Accession(a)…'): is this the treaty's status list?"
        )
    return columns


def _row_from_cells(cells, line, columns=None, footnotes=()):
    if columns is None:
        columns = {"name": 0, "signature": 1, "provisional": 2, "deposit": 3}

    def cell(key):
        index = columns.get(key)
        return cells[index] if index is not None and index < len(cells) else ""

    name, footnotes = _split_footnotes(cell("name"), footnotes)
    dates = [cell(key) for key in ("signature", "provisional", "deposit")]
    withdrawn = any(c.strip().startswith("[") for c in dates if c.strip())
    row = DepositaryRow(name=name, withdrawn=withdrawn, line=line, footnotes=footnotes)
    try:
        row.signature_date, _ = parse_date(_strip_marker(dates[0]))
        row.provisional_application_date, _ = parse_date(_strip_marker(dates[1]))
        row.deposit_date, mark = parse_date(_strip_marker(dates[2]))
    except ValueError as error:
        raise DepositaryFormatError(f"Row {line} ({name or 'no name'}): {error}.") from None
    if mark not in INSTRUMENT_MARKS:
        raise DepositaryFormatError(f"Row {line} ({row.name}): unknown instrument mark {mark!r}.")
    row.instrument = INSTRUMENT_MARKS[mark] if row.deposit_date else ""
    return row


def _split_footnotes(name, footnotes=()):
    """'Lithuania3' or 'Lithuania 3, 4' → ('Lithuania', ('3', '4')), with the markers found apart."""
    name = " ".join(name.split())
    match = re.search(r"(?<=[^\d\s,])\s*(\d{1,3}(?:\s*,\s*\d{1,3})*)\s*$", name)
    found = list(footnotes)
    if match:
        found += re.findall(r"\d+", match.group(1))
        name = name[: match.start()].rstrip()
    return name.strip(), tuple(dict.fromkeys(found))


def _strip_marker(text):
    # A footnote number glued after a date's mark: '24 Mar 2011 a 3' → '24 Mar 2011 a'.
    return re.sub(r"(\d{4}\s*[a-zA-Z]{0,2})\s*\d{1,3}\s*(\]?)\s*$", r"\1\2", (text or "").strip())


def _attach_notes(rows, notes):
    """Give each row the end notes its footnote numbers point to; read withdrawals from them."""
    for row in rows:
        for number in row.footnotes:
            note = notes.get(number)
            if not note:
                continue
            match = _WITHDRAWAL.search(note)
            if match:
                row.withdrawal_notice_date, _ = parse_date(match["notice"])
                if match["cn"]:
                    row.withdrawal_notification = re.sub(r"\s+", "", match["cn"])
                    row.withdrawal_notification_date, _ = parse_date(match["cn_date"])
                rest = (note[: match.start()] + note[match.end() :]).strip()
                if re.search(r"notif|declar|apply|applica", rest[:200], re.IGNORECASE) and len(rest) > 40:
                    row.notes.append(rest)
            else:
                row.notes.append(note)
    return rows


def _text_only(fragment):
    text = re.sub(r"<br\s*/?>", "\n", fragment, flags=re.IGNORECASE)
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    return "\n".join(" ".join(line.split()) for line in text.splitlines()).strip()


# --- HTML -----------------------------------------------------------------------------


class _TableParser(HTMLParser):
    """Collects the cells of every table row as text, with superscript footnote numbers apart."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows, self._row, self._cell, self._sup, self._skip = [], None, None, [], 0

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell, self._sup = [], []
        elif tag == "sup":
            self._skip += 1

    def handle_endtag(self, tag):
        if tag == "sup" and self._skip:
            self._skip -= 1
        elif tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(
                (" ".join("".join(self._cell).split()), tuple(re.findall(r"\d+", " ".join(self._sup))))
            )
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            (self._sup if self._skip else self._cell).append(data)


def parse_html(text):
    """Return the participant rows of a saved UN Treaty Collection status page."""
    return parse_html_list(text).rows


def parse_html_list(text):
    if "</html>" not in text[-5000:].lower() and "<html" in text[:5000].lower():
        raise DepositaryFormatError("The page is cut short (it does not end with </html>): save it again.")
    parser = _TableParser()
    parser.feed(text)
    rows, columns = [], None
    for number, cells in enumerate(parser.rows, start=1):
        texts = [c[0] for c in cells]
        if texts and texts[0].lower().startswith("participant"):
            columns = _columns(texts)
            continue
        if columns is None:
            continue
        if len(cells) > columns["deposit"] and texts[columns["name"]]:
            rows.append(_row_from_cells(texts, number, columns, cells[columns["name"]][1]))
        elif rows:
            break
    if not rows:
        raise DepositaryFormatError(
            "No participants table found: is this the treaty's UN Treaty Collection status page?"
        )
    notes = {}
    for fragment in re.findall(r'class="divNotesAll"[^>]*>(.*?)</div>', text, re.IGNORECASE | re.DOTALL):
        number = re.match(r"\s*<a name=['\"]?(\d+)", fragment, re.IGNORECASE)
        if number:
            notes[number.group(1)] = _text_only(re.sub(r"^\s*<a[^>]*>\d+</a>", "", fragment))
    title = re.search(r'_tcTreaty"[^>]*>(.*?)</', text, re.IGNORECASE | re.DOTALL)
    as_at = _AS_AT.search(text)
    counts = _COUNTS.search(text)
    return StatusList(
        rows=_attach_notes(rows, notes),
        kind="html",
        signatories=int(counts[1]) if counts else None,
        parties=int(counts[2]) if counts else None,
        title=re.sub(r"^\d+\.\s*", "", _text_only(title.group(1))) if title else "",
        as_at=datetime.date(int(as_at[3]), int(as_at[2]), int(as_at[1])) if as_at else None,
    )


# --- CSV ------------------------------------------------------------------------------


def parse_csv(text):
    """Return the participant rows of a CSV scrape (Participant, Signature, Provisional…, Ratification…)."""
    return parse_csv_list(text).rows


def parse_csv_list(text):
    message = (
        "The CSV must start with the columns Participant, Signature and the instrument column "
        "('Ratification, Accession(a)…'), as on the depositary's page."
    )
    try:
        reader = csv.reader(io.StringIO(text))
        header = next(reader, None)
        if not header or not header[0].strip().lower().startswith("participant") or len(header) < 2:
            raise DepositaryFormatError(message)
        columns = _columns(header)
        rows = [
            _row_from_cells(cells, number, columns)
            for number, cells in enumerate(reader, start=2)
            if any(c.strip() for c in cells)
        ]
    except csv.Error:
        raise DepositaryFormatError(message) from None
    if not rows:
        raise DepositaryFormatError("The CSV has its header but no participant below it.")
    return StatusList(rows=rows, kind="csv")


# --- XML ------------------------------------------------------------------------------

_XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}


def _xml_safe(text):
    """Repair what real status files get wrong: HTML entities, a bare '&', the encoding declaration."""
    if re.search(r"<!ENTITY", text[:5000], re.IGNORECASE):
        raise DepositaryFormatError("The XML declares entities, which a status list never does: refused.")
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)

    def entity(match):
        name = match.group(1)
        if name in _XML_ENTITIES or name.startswith("#"):
            return match.group(0)
        if name in name2codepoint:
            return chr(name2codepoint[name])
        return "&amp;" + match.group(0)[1:]

    text = re.sub(r"&(#\d+|#x[0-9a-fA-F]+|[A-Za-z][\w.-]*);", entity, text)
    return re.sub(r"&(?!(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z][\w.-]*);)", "&amp;", text)


def _local(tag):
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _cell_text(element):
    """A cell's text and the footnote numbers of its superscript / note-reference children."""
    parts, notes = [element.text or ""], []
    for child in element:
        if any(word in _local(child.tag) for word in ("sup", "note", "ref", "fn")):
            notes += re.findall(r"\d+", "".join(child.itertext()))
        else:
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    return " ".join("".join(parts).split()), tuple(notes)


def parse_xml(text):
    """Return the status list of the depositary's XML file, whatever its table's element names."""
    try:
        root = ET.fromstring(_xml_safe(text))
    except ET.ParseError as error:
        line = error.position[0] if getattr(error, "position", None) else "?"
        raise DepositaryFormatError(
            f"The XML is broken near line {line} (is the file cut short?): nothing was read."
        ) from None
    if _local(root.tag) == "html":
        raise DepositaryFormatError("This is an HTML page, not the depositary's XML.")
    # Rows: any element with two or more children that hold only text (and footnote marks),
    # the header row being the one whose first cell says 'Participant'.
    candidates = [el for el in root.iter() if len(el) >= 2 and not any(len(g) for c in el for g in c)]
    header_index = next(
        (i for i, el in enumerate(candidates) if _cell_text(el[0])[0].lower().startswith("participant")),
        None,
    )
    rows = []
    if header_index is not None:
        header = candidates[header_index]
        columns = _columns([_cell_text(c)[0] for c in header])
        cell_tag = header[0].tag
        for number, element in enumerate(candidates[header_index + 1 :], start=header_index + 2):
            if element[0].tag != cell_tag or len(element) <= columns["name"]:
                continue
            cells = [_cell_text(c) for c in element]
            texts = [c[0] for c in cells]
            if texts[columns["name"]]:
                rows.append(_row_from_cells(texts, number, columns, cells[columns["name"]][1]))
    else:
        # No header row: records whose elements are named after the columns
        # (<Participant><Name>…</Name><Signature>…</Signature><Ratification>…</Ratification>).
        for number, element in enumerate(candidates, start=1):
            try:
                columns = _columns([_local(child.tag) for child in element])
            except DepositaryFormatError:
                continue
            cells = [_cell_text(c) for c in element]
            texts = [c[0] for c in cells]
            if texts[columns["name"]]:
                rows.append(_row_from_cells(texts, number, columns, cells[columns["name"]][1]))
    if not rows:
        raise DepositaryFormatError(
            "No participants table found in the XML: is this the treaty's status list?"
        )
    notes = {}
    for element in root.iter():
        if "note" in _local(element.tag) and len(element) == 0 or _local(element.tag) in ("endnote", "note"):
            body = " ".join("".join(element.itertext()).split())
            number = element.get("id") or element.get("number") or element.get("n")
            match = re.match(r"(\d+)\s*(.*)", body, re.DOTALL)
            if number and number.isdigit():
                notes.setdefault(number, body)
            elif match:
                notes.setdefault(match.group(1), match.group(2))
    title = next(
        (" ".join("".join(el.itertext()).split()) for el in root.iter() if _local(el.tag) == "title"), ""
    )
    as_at = _AS_AT.search(" ".join(root.itertext()))
    counts = _COUNTS.search(" ".join(root.itertext()))
    return StatusList(
        rows=_attach_notes(rows, notes),
        kind="xml",
        signatories=int(counts[1]) if counts else None,
        parties=int(counts[2]) if counts else None,
        title=title,
        as_at=datetime.date(int(as_at[3]), int(as_at[2]), int(as_at[1])) if as_at else None,
    )
