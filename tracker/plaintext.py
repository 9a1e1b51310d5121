"""Text that every download can carry: no control characters, no spreadsheet formulas.

Pure functions, used by the public downloads and the admin's audit CSV alike.
"""

import re

# Characters no download carries: C0 controls but tab and newline, DEL, C1 controls.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# A cell starting with one of these is a formula to a spreadsheet (OWASP, "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMULA_CHARACTERS = frozenset(FORMULA_START)


def plain(text):
    """``text`` without control characters (other than tab and newline); other values unchanged."""
    return CONTROL.sub("", text) if isinstance(text, str) else text


def safe_cell(value):
    """A CSV cell a spreadsheet shows as text: a leading ' before =, +, -, @, tab or CR, as OWASP recommends."""
    text = plain("" if value is None else str(value))
    return "'" + text if text and text[0] in FORMULA_CHARACTERS else text


def normalise_newlines(text):
    """``text`` with a browser's CR LF (and a lone CR) as LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if isinstance(text, str) else text


def control_character(text):
    """The first control character of ``text`` other than tab and newline, as 'U+000C', or None."""
    found = CONTROL.search(text) if isinstance(text, str) else None
    return f"U+{ord(found.group()):04X}" if found else None
