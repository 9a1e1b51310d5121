"""Write a treaty's participations.csv from a saved UN Treaty Collection status page.

    python3 tools/untc_participations.py PAGE.html SOURCE_KEY --keep OLD.csv > fixtures/data/<slug>/participations.csv

(--keep carries over the notes written by hand in the earlier file, for rows the page's end
notes do not annotate.)

The page's participants table is read with tracker.depositary (its table reader and
date parser), finding the columns by their header text, since the columns differ by
treaty: the Mine Ban Convention has no provisional-application column, the Arms Trade
Treaty has one. Participants are matched to fixtures/data/states.csv by name (and the
names in its aliases column). A row in square brackets is a State that has withdrawn:
its notice, the depositary notification and its date come from the page's end note
("On 27 June 2025, the Government of … deposited … a notification of withdrawal (See
depositary notification C.N.360.2025.TREATIES-XXVI-5 of 3 July 2025)"), and so does a
notice whose withdrawal has not yet taken effect. Entry-into-force and withdrawal-effective
dates are never written: the models compute them.
"""

import argparse
import csv
import datetime
import html
import re
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracker import depositary  # noqa: E402  (plain Python: no Django needed)

STATES = ROOT / "fixtures" / "data" / "states.csv"
COLUMNS = [
    "iso2",
    "signature_date",
    "instrument",
    "deposit_date",
    "provisional_application_date",
    "withdrawal_notice_date",
    "withdrawal_notification",
    "withdrawal_notification_date",
    "notes",
    "research_notes",
    "source",
]
DATE = r"\d{1,2} [A-Z][a-z]+ \d{4}"
WITHDRAWAL = re.compile(
    rf"On ({DATE}), the Government of (?:the )?(?:Republic of )?(.+?) deposited with the Secretary-General "
    rf"a notification of withdrawal \(see depositary notification (C\.N\.[\w.-]+) of ({DATE})\)"
    rf"\. The withdrawal (?:took|will take) effect for .+? on ({DATE})",
    re.IGNORECASE,
)


def _names(path=STATES):
    """Folded name (and alias) -> ISO code, from states.csv."""
    names = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for name in [row["name"], *row["aliases"].split(";")]:
                if name.strip():
                    names[depositary.normalise_name(name)] = row["iso2"]
    return names


def _iso(names, name):
    folded = depositary.normalise_name(re.sub(r"\s*\(the\)\s*$", "", name, flags=re.IGNORECASE))
    iso2 = names.get(folded) or names.get(depositary.normalise_name(name))
    if iso2 is None:
        sys.exit(f"No State in states.csv is named {name!r}: add it or an alias there.")
    return iso2


def _column(header, *words):
    for position, text in enumerate(header):
        if any(word in text.lower() for word in words):
            return position
    return None


def _date(text):
    try:
        day, _ = depositary.parse_date(text)
    except ValueError as error:
        sys.exit(f"{error}: is this a UN Treaty Collection status page?")
    return day.isoformat() if day else ""


def read_page(text):
    """Return (rows, withdrawals): the participants table's rows as dicts and the end notes' withdrawals."""
    table = depositary._TableParser()
    table.feed(text)
    header, rows, withdrawals = None, [], {}
    for raw in table.rows:
        cells = [text for text, _footnotes in raw]  # (footnote numbers are kept apart by the reader)
        if header is None:
            if cells and cells[0].lower().startswith("participant"):
                header = [cell.lower() for cell in cells]
                signature = _column(header, "signature")
                provisional = _column(header, "provisional")
                deposit = _column(header, "ratification", "accession")
            continue
        if len(cells) == len(header) and cells[0]:
            name = cells[0]
            deposit_text = cells[deposit]
            mark = deposit_text.replace("]", "").split()[-1] if deposit_text.strip(" []") else ""
            mark = mark if mark.isalpha() else ""  # no mark: the last word is the year
            if mark not in depositary.INSTRUMENT_MARKS:
                sys.exit(f"{name}: unknown instrument mark {mark!r} in {deposit_text!r}.")
            rows.append(
                {
                    "name": name,
                    "signature_date": _date(cells[signature]),
                    "provisional_application_date": _date(cells[provisional]) if provisional else "",
                    "deposit_date": _date(deposit_text),
                    "instrument": depositary.INSTRUMENT_MARKS[mark] if deposit_text.strip(" []") else "",
                    "withdrawn": "[" in "".join(cells[1:]),
                }
            )
        for match in WITHDRAWAL.finditer(" ".join(cells)):
            notice, name, symbol, notified, effective = match.groups()
            withdrawals[depositary.normalise_name(name)] = {
                "withdrawal_notice_date": _date(notice),
                "withdrawal_notification": symbol.rstrip("."),
                "withdrawal_notification_date": _date(notified),
                "effective": effective,
            }
    if header is None or not rows:
        sys.exit("No participants table found: is this a UN Treaty Collection status page?")
    return rows, withdrawals


DECLARATION = re.compile(
    r'InnerPage_(dg\w+?)_ctl\d+_divParticipant"[^>]*>(.*?)</div>\s*'
    r'<div id="[^"]*_divText"[^>]*>(.*?)</div>',
    re.DOTALL,
)


def read_declarations(text):
    """Return [(table, participant, paragraphs)] of the page's declarations and article tables.

    ``table`` is "dgDec" ("Declarations and Reservations") or "dgDecUnderArticle" (declarations
    under an article, e.g. of provisional application); the paragraphs are the depositary's
    text as it shows it, headings ("Upon signature:", "Declaration:") included.
    """
    found = []
    for table, name, body in DECLARATION.findall(text):
        body = re.sub(r"<p class='invisible'>.*?</p>", "", body, flags=re.DOTALL)
        body = re.sub(r"<br\s*/?>|</p>", "\n", body, flags=re.IGNORECASE)
        body = html.unescape(re.sub(r"<[^>]+>", "", body)).replace("\xa0", " ")
        paragraphs = [" ".join(line.split()) for line in body.split("\n")]
        name = re.sub(r"<sup.*?</sup>", "", name, flags=re.DOTALL | re.IGNORECASE)  # footnote marks
        found.append((table, " ".join(name.split()), [p for p in paragraphs if p]))
    return found


def declarations_yaml(text, source, names):
    """The Declarations and Reservations of a status page as declarations.yaml records."""
    out = []
    for table, name, paragraphs in read_declarations(text):
        if table != "dgDec" or not paragraphs:
            continue
        out.append(f"- participation: {_iso(names, name)}\n  kind: declaration\n  text: >-\n")
        blocks = [
            "\n".join(
                textwrap.wrap(
                    p,
                    96,
                    initial_indent="    ",
                    subsequent_indent="    ",
                    break_on_hyphens=False,
                    break_long_words=False,
                )
            )
            for p in paragraphs
        ]
        out.append("\n\n".join(blocks) + "\n")
        out.append(
            f"  source: {source}\n  research_notes: >-\n    UNTC 'Declarations and Reservations', {name}, "
            "written by tools/untc_participations.py --declarations.\n\n"
        )
    return "".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path, help="the saved status page (HTML)")
    parser.add_argument("source", help="the source key of that page, e.g. untc_apmbc")
    parser.add_argument(
        "--keep",
        type=Path,
        help="an earlier participations.csv whose notes and research notes are kept where the page gives none",
    )
    parser.add_argument(
        "--declarations",
        action="store_true",
        help="write the declarations as declarations.yaml records instead",
    )
    args = parser.parse_args(argv)
    if args.declarations:
        sys.stdout.write(declarations_yaml(args.page.read_text(encoding="utf-8"), args.source, _names()))
        return
    kept = {}
    if args.keep and args.keep.exists():
        with args.keep.open(encoding="utf-8", newline="") as handle:
            kept = {row["iso2"]: row for row in csv.DictReader(handle)}
    rows, withdrawals = read_page(args.page.read_text(encoding="utf-8"))
    names = _names()
    out = []
    for row in rows:
        iso2 = _iso(names, row["name"])
        withdrawal = withdrawals.pop(depositary.normalise_name(row["name"]), None)
        if row["withdrawn"] and withdrawal is None:
            sys.exit(f"{row['name']} is in square brackets but no end note gives its withdrawal.")
        record = {key: row.get(key, "") for key in COLUMNS}
        record.update(iso2=iso2, source=args.source)
        if withdrawal:
            record.update({key: withdrawal[key] for key in withdrawal if key != "effective"})
            record["notes"] = (
                f"Deposited a notification of withdrawal on {_words(withdrawal['withdrawal_notice_date'])} "
                f"(depositary notification {withdrawal['withdrawal_notification']} of "
                f"{_words(withdrawal['withdrawal_notification_date'])}). The depositary records that the "
                f"withdrawal takes effect on {withdrawal['effective']}."
            )
            record["research_notes"] = (
                "From the status list's end note. The effective date is computed by the model; "
                "tests/test_three_treaties.py checks that it agrees with the end note's."
            )
        for key in ("notes", "research_notes"):
            record[key] = record[key] or kept.get(iso2, {}).get(key, "")
        out.append(record)
    if withdrawals:
        sys.exit(f"End notes name withdrawals of participants not in the table: {', '.join(withdrawals)}.")
    writer = csv.DictWriter(sys.stdout, COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(out)


def _words(iso):
    return f"{datetime.date.fromisoformat(iso):%-d %B %Y}"


if __name__ == "__main__":
    main()
