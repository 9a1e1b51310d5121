"""Django's makemessages, which also reads the Jinja2 templates (templates/jinja2/).

Django turns a Django template into Python that xgettext understands; it cannot read
Jinja2's syntax. Here a Jinja2 template is turned into Python the same way: one
gettext()/ngettext() call per message Jinja2's own extractor finds, on the template's
line, so the .po files point at the right lines. Everything else is Django's.

    ./manage.py makemessages -l fr -l es --no-obsolete
    (then translate the new messages, then ./manage.py compilemessages)
"""

import os

from django.core.management.commands import makemessages

JINJA2_FOLDER = os.path.join("templates", "jinja2")


def jinja2_as_python(source):
    """Return Python source with the Jinja2 template's messages as gettext calls on their lines."""
    from tracker.jinja2 import environment

    env = environment()
    lines = [[] for _ in range(source.count("\n") + 1)]
    for lineno, function, message in env.extract_translations(source):
        # A message with variables comes as (message, None, …): the Nones are its variables.
        parts = message if isinstance(message, tuple) else (message,)
        if function == "ngettext" and isinstance(parts[0], str) and isinstance(parts[1], str):
            lines[lineno - 1].append(f"ngettext({parts[0]!r}, {parts[1]!r}, 1)")
        elif isinstance(parts[0], str):
            lines[lineno - 1].append(f"gettext({parts[0]!r})")
    return "\n".join("; ".join(calls) for calls in lines) + "\n"


class BuildFile(makemessages.BuildFile):
    def is_jinja2(self):
        return os.path.normpath(self.path).startswith(JINJA2_FOLDER + os.sep)

    def preprocess(self):
        if not (self.is_templatized and self.is_jinja2()):
            return super().preprocess()
        with open(self.path, encoding="utf-8") as fp:
            content = jinja2_as_python(fp.read())
        with open(self.work_path, "w", encoding="utf-8") as fp:
            fp.write(content)


# Not the public site's: the admin (English, with Django's own translations), the tests,
# tools and docs, and a virtualenv in the checkout.
IGNORED = [".venv/*", "venv/*", "tests/*", "tools/*", "docs/*", "templates/admin/*", "templates/ninja/*"]


class Command(makemessages.Command):
    build_file_class = BuildFile

    def handle(self, *args, **options):
        options["ignore_patterns"] = [*options.get("ignore_patterns", []), *IGNORED]
        return super().handle(*args, **options)
