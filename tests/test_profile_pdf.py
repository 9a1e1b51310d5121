"""/states/<iso2>/profile.pdf: the State page as an A4 PDF, by WeasyPrint, offline."""

import re
import zlib

from django.test import TestCase, override_settings

from tests import factory
from tracker import views_profile


def page_count(pdf):
    """The pages of a PDF whose objects may sit in compressed streams (WeasyPrint's are)."""
    text = pdf
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        # The line end before "endstream" is left to the decompressor, which stops at the end of
        # the data: a stream whose last byte happens to be a carriage return stays whole.
        try:
            text += zlib.decompressobj().decompress(match.group(1))
        except zlib.error:
            continue
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", text))


class ProfilePdfTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_public_world()

    def test_it_is_the_state_page_as_an_a4_pdf_of_at_most_two_pages(self):
        response = self.client.get("/states/lb/profile.pdf")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/pdf")
        self.assertEqual(response["Content-Disposition"], 'inline; filename="profile-lb.pdf"')
        self.assertTrue(response.content.startswith(b"%PDF-"))
        self.assertIn(page_count(response.content), (1, 2))

    def test_the_state_page_links_to_it(self):
        self.assertContains(
            self.client.get("/states/lb/"), '<a href="/states/lb/profile.pdf">Profile as a PDF (A4)</a>'
        )

    def test_unknown_states_and_capitals_answer_like_the_page(self):
        self.assertEqual(self.client.get("/states/zz/profile.pdf").status_code, 404)
        response = self.client.get("/states/LB/profile.pdf")
        self.assertRedirects(
            response, "/states/lb/profile.pdf", status_code=301, fetch_redirect_response=False
        )

    @override_settings(PUBLIC_CACHE=False)
    def test_without_weasyprint_it_says_how_to_print_instead(self):
        def missing(request, html):
            raise OSError("cannot load library 'libpango-1.0-0'")

        original, views_profile.render_pdf = views_profile.render_pdf, missing
        try:
            response = self.client.get("/states/lb/profile.pdf")
        finally:
            views_profile.render_pdf = original
        self.assertEqual(response.status_code, 503)
        self.assertIn("Print the State's page from your browser instead", response.content.decode())


class OfflineFetcherTestCase(TestCase):
    def test_only_this_sites_static_files_are_read(self):
        request = self.client.get("/").wsgi_request
        body, kind = views_profile._static_file(request, "http://testserver/static/tracker/site.css")
        self.assertEqual(kind, "text/css")
        self.assertIn(b"@media print", body)
        for url in (
            "https://example.org/static/tracker/site.css",
            "http://testserver/static/../settings.py",
            "http://testserver/static/tracker/nothing.css",
            "http://testserver/admin/",
        ):
            with self.subTest(url=url), self.assertRaises(ValueError):
                views_profile._static_file(request, url)
