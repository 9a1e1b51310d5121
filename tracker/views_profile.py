"""/states/<iso2>/profile.pdf: a State's page as its printed A4 profile, made by WeasyPrint on the server.

The PDF is the State page itself, laid out with the site's print stylesheet
(site.css, ``@media print``), so it shows what printing the page in a browser
does. WeasyPrint reads only this site's static files, from disk: it never
fetches anything over the network (the sources' addresses are printed as
text in the notes, not followed). WeasyPrint needs the Pango library on the
server; it is imported on first use, so that a server without it still runs
the site and answers this address with a 503 that says so.
"""

import logging

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.utils.translation import gettext_lazy

from tracker import views

# WeasyPrint warns about every screen-only rule of site.css it skips (media queries by
# width, position: sticky): expected, and noise in the logs at every render.
logging.getLogger("weasyprint").setLevel(logging.ERROR)

UNAVAILABLE = gettext_lazy(
    "The PDF profile cannot be made on this server (WeasyPrint or the Pango library is missing). "
    "Print the State's page from your browser instead and choose 'Save as PDF': it prints the same profile.\n"
)


def _static_file(request, url):
    """The bytes and type of one of this site's static files named by its full address, or ValueError."""
    prefix = request.build_absolute_uri(settings.STATIC_URL)
    if not url.startswith(prefix):
        raise ValueError(f"Not fetched (the profile uses this site's static files only): {url}")
    name = url.removeprefix(prefix).split("?")[0]
    path = finders.find(name) if ".." not in name else None
    if not path:
        raise ValueError(f"No such static file: {name}")
    with open(path, "rb") as f:
        return f.read(), "text/css" if name.endswith(".css") else "application/octet-stream"


def render_pdf(request, html):
    """``html`` (the State page) as PDF bytes; raises ImportError or OSError without WeasyPrint or Pango."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticFilesOnly(URLFetcher):
        def fetch(self, url, headers=None):
            body, kind = _static_file(request, url)
            return URLFetcherResponse(url, body, {"Content-Type": kind})

    document = HTML(
        string=html,
        base_url=request.build_absolute_uri(),
        url_fetcher=StaticFilesOnly(),
        media_type="print",
    )
    return document.write_pdf()


def state_profile_pdf(request, iso2):
    """The State page as an A4 PDF, or the page's own answer (a 404) when there is no page."""
    if iso2 != iso2.lower():
        return views._canonical(request, iso2, "state-profile-pdf")
    page = views.state_detail(request, iso2)
    if page.status_code != 200:
        return page
    try:
        pdf = render_pdf(request, page.content.decode())
    except (ImportError, OSError):
        return HttpResponse(str(UNAVAILABLE), status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="profile-{iso2}.pdf"'
    return response
