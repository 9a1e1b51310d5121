"""Date formats for the admin's forms: ISO 8601 first, so that 03/12/2008 is never read two ways.

Editors may still type the day-first forms used in UN documents; dates are shown
in words on the public pages.
"""

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d %b %Y", "%d %B %Y"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"]
