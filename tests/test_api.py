"""The read API, /api/v1/: the same numbers as the pages and downloads, errors in JSON, caching and CORS."""

import re

from django.contrib.staticfiles import finders
from django.test import TestCase, override_settings

from tests.shipped import load_shipped_data
from tracker.models import Obligation, Source


class ApiTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        load_shipped_data()

    def get_json(self, url, status=200):
        response = self.client.get(url)
        self.assertEqual(response.status_code, status, response.content[:300])
        self.assertTrue(response["Content-Type"].startswith("application/json"), response["Content-Type"])
        return response.json()


class AgreesWithThePagesTests(ApiTestCase):
    def test_states_agree_with_the_states_download(self):
        """For each filter, the API lists exactly the States and statuses /states.json lists."""
        for query in (
            "",
            "?treaty=apmbc&status=party",
            "?treaty=ccm&region=europe&status=signatory",
            "?treaty=att&as_of=2015-01-01",
            "?q=leb",
            "?treaty=ccm&as_of=2011-09-16&status=party",
        ):
            with self.subTest(query=query):
                api = self.get_json(f"/api/v1/states{query}")
                page = self.get_json(f"/states.json{query}")
                self.assertEqual(api["count"], page["count"])
                self.assertEqual(
                    [(r["iso2"], r["status"], r["in_force"]) for r in api["results"]],
                    [(r["iso2"], r["status"], r["in_force"]) for r in page["results"]],
                )
        # A real filter narrows: not every State is a party to the CCM on the day of the 2nd MSP.
        parties = self.get_json("/api/v1/states?treaty=ccm&as_of=2011-09-16&status=party")
        self.assertGreater(parties["count"], 0)
        self.assertLess(parties["count"], self.get_json("/api/v1/states")["count"])

    def test_states_count_is_the_state_list_page_count(self):
        """The HTML list shows as many rows as the API counts."""
        api = self.get_json("/api/v1/states?treaty=apmbc&status=party")
        page = self.client.get("/states/?treaty=apmbc&status=party")
        rows = re.findall(r'<tr[^>]*>\s*<th scope="row"', page.content.decode())
        self.assertEqual(len(rows), api["count"])

    def test_obligations_agree_with_the_deadlines_download(self):
        for query in (
            "",
            "?treaty=ccm",
            "?kind=clearance&status=completed",
            "?status=overdue&applicability=all",
        ):
            with self.subTest(query=query):
                api = self.get_json(f"/api/v1/obligations{query}")
                page = self.get_json(f"/deadlines.json{query}")
                self.assertEqual(api["results"], page["results"])
        self.assertGreater(self.get_json("/api/v1/obligations")["count"], 0)

    def test_obligations_of_one_state(self):
        """``state`` keeps that State's obligations only (with their extension requests)."""
        self.assertTrue(Obligation.objects.filter(participation__state__iso2="LB").exists())
        body = self.get_json("/api/v1/obligations?state=lb")
        self.assertGreater(body["count"], 0)
        self.assertEqual({row["iso2"] for row in body["results"]}, {"LB"})
        everyone = self.get_json("/api/v1/obligations")
        self.assertEqual(body["results"], [r for r in everyone["results"] if r["iso2"] == "LB"])

    def test_pledges_reports_meetings_and_groups_agree_with_their_downloads(self):
        for api_url, page_url in (
            ("/api/v1/pledges", "/pledges.json"),
            ("/api/v1/pledges?donor=de", "/pledges.json?donor=de"),
            ("/api/v1/reports", "/reports.json"),
            ("/api/v1/reports?treaty=ccm&status=overdue", "/reports.json?treaty=ccm&status=overdue"),
            ("/api/v1/reports?year=2012&kind=annual", "/reports.json?year=2012&kind=annual"),
            ("/api/v1/meetings", "/meetings.json"),
            ("/api/v1/working-groups", "/working-groups.json"),
        ):
            with self.subTest(url=api_url):
                api, page = self.get_json(api_url), self.get_json(page_url)
                self.assertEqual(api["count"], page["count"])
                self.assertEqual(api["results"], page["results"])

    def test_one_meeting_is_its_page_data(self):
        api = self.get_json("/api/v1/meetings/ccm-2msp")
        page = self.get_json("/meetings/ccm-2msp.json")
        self.assertEqual(api, page)
        self.assertTrue(api["statements"])
        self.assertTrue(api["pledges"])
        self.assertTrue(api["documents"])

    def test_one_state_under_every_treaty(self):
        body = self.get_json("/api/v1/states/lb")
        self.assertEqual(body["iso2"], "LB")
        self.assertEqual([row["treaty"] for row in body["treaties"]], ["ccm", "apmbc", "att"])
        ccm = self.get_json("/states.json?q=LB&treaty=ccm")["results"]
        lebanon = next(row for row in ccm if row["iso2"] == "LB")
        self.assertEqual(body["treaties"][0], lebanon)
        # Before the CCM was adopted, Lebanon had not signed it.
        early = self.get_json("/api/v1/states/LB?as_of=2008-01-01")
        self.assertEqual(early["treaties"][0]["status"], "non_signatory")
        self.assertIsNone(early["treaties"][0]["signature_date"])

    def test_sources_are_all_listed(self):
        body = self.get_json("/api/v1/sources")
        self.assertEqual(body["count"], Source.objects.count())
        first = Source.objects.order_by("pk").first()
        self.assertEqual(body["results"][0]["title"], first.title)

    def test_treaties(self):
        body = self.get_json("/api/v1/treaties")
        self.assertEqual([t["slug"] for t in body], ["ccm", "apmbc", "att"])
        self.assertEqual(body[0]["entry_into_force_date"], "2010-08-01")


class ChangeLogTests(ApiTestCase):
    def test_pages_follow_each_other_without_gap_or_overlap(self):
        """Keyset paging: the next page starts right after the last change of this one."""
        first = self.get_json("/api/v1/changes?kind=state")
        self.assertEqual(first["count"], 50)
        self.assertIsNotNone(first["next"])
        second = self.get_json(first["next"].removeprefix("http://testserver"))
        both = [(c["kind"], c["object_id"], c["cursor"]) for c in first["results"] + second["results"]]
        self.assertEqual(len(set(both)), len(both))
        whole = self.client.get("/changes/?kind=state").content.decode()
        self.assertIn(first["results"][0]["object"], whole)
        dates = [c["date"] for c in first["results"] + second["results"]]
        self.assertEqual(dates, sorted(dates, reverse=True))

    def test_filters_narrow_and_editors_stay_anonymous(self):
        body = self.get_json("/api/v1/changes?state=lb")
        self.assertTrue(body["results"])
        self.assertEqual({c["state"] for c in body["results"]}, {"LB"})
        self.assertNotIn("username", body["results"][0])
        self.assertNotIn("research_notes", {f["name"] for c in body["results"] for f in c["fields"]})


class ErrorTests(ApiTestCase):
    def test_bad_parameters_answer_400_naming_the_parameter(self):
        for url, name in (
            ("/api/v1/states?as_of=not-a-day", "as_of"),
            ("/api/v1/states?treaty=nope", "treaty"),
            ("/api/v1/states?status=maybe", "status"),
            ("/api/v1/states/lb?as_of=1800-01-01", "as_of"),
            ("/api/v1/obligations?state=zz", "state"),
            ("/api/v1/obligations?kind=other", "kind"),
            ("/api/v1/pledges?currency=EURO", "currency"),
            ("/api/v1/reports?year=abc", "year"),
            ("/api/v1/changes?before=not-a-cursor", "before"),
            ("/api/v1/changes?start=2012-01-02&end=2012-01-01", "end"),
            ("/api/v1/states?q=a%00b", "q"),
        ):
            with self.subTest(url=url):
                body = self.get_json(url, status=400)
                self.assertIn(name, body["errors"])
                self.assertTrue(all(body["errors"][name]))

    def test_unknown_objects_answer_404_in_json(self):
        for url in (
            "/api/v1/states/zz",
            "/api/v1/states/lbn",
            "/api/v1/meetings/no-such-meeting",
            "/api/v1/no-such-endpoint",
            "/api/v1/states/lb/extra",
        ):
            with self.subTest(url=url):
                self.assertIn("detail", self.get_json(url, status=404))

    def test_head_answers_as_get_without_a_body(self):
        get = self.client.get("/api/v1/treaties")
        head = self.client.head("/api/v1/treaties")
        self.assertEqual(head.status_code, 200)
        self.assertEqual(head.content, b"")
        self.assertEqual(head["Content-Length"], str(len(get.content)))
        self.assertEqual(head["Content-Type"], get["Content-Type"])
        self.assertEqual(self.client.head("/api/v1/states/zz").status_code, 404)

    def test_writes_are_refused(self):
        response = self.client.post("/api/v1/states")
        self.assertEqual(response.status_code, 405)


class HttpTests(ApiTestCase):
    @override_settings(PUBLIC_CACHE=True)
    def test_conditional_requests_answer_304(self):
        first = self.client.get("/api/v1/states?treaty=ccm")
        self.assertEqual(first.status_code, 200)
        self.assertTrue(first["ETag"])
        again = self.client.get("/api/v1/states?treaty=ccm", HTTP_IF_NONE_MATCH=first["ETag"])
        self.assertEqual(again.status_code, 304)
        self.assertEqual(again["Access-Control-Allow-Origin"], "*")
        cached = self.client.get("/api/v1/states?treaty=ccm")
        self.assertEqual(cached["X-Cache"], "hit")
        self.assertEqual(cached.content, first.content)
        self.assertEqual(cached["Access-Control-Allow-Origin"], "*")

    def test_cors_is_open_for_get_on_the_api_only(self):
        response = self.client.get("/api/v1/treaties", HTTP_ORIGIN="https://example.org")
        self.assertEqual(response["Access-Control-Allow-Origin"], "*")
        self.assertIn("ETag", response["Access-Control-Expose-Headers"])
        self.assertNotIn("Access-Control-Allow-Origin", self.client.get("/states.json"))
        preflight = self.client.options(
            "/api/v1/states",
            HTTP_ORIGIN="https://example.org",
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS="If-None-Match",
        )
        self.assertEqual(preflight.status_code, 204)
        self.assertEqual(preflight["Access-Control-Allow-Origin"], "*")
        self.assertIn("GET", preflight["Access-Control-Allow-Methods"])
        self.assertIn("If-None-Match", preflight["Access-Control-Allow-Headers"])
        self.assertNotIn("POST", preflight["Access-Control-Allow-Methods"])

    def test_the_schema_lists_every_endpoint(self):
        schema = self.get_json("/api/v1/openapi.json")
        self.assertTrue(schema["openapi"].startswith("3."))
        paths = set(schema["paths"])
        for path in (
            "/api/v1/treaties",
            "/api/v1/states",
            "/api/v1/states/{iso2}",
            "/api/v1/obligations",
            "/api/v1/meetings",
            "/api/v1/meetings/{slug}",
            "/api/v1/pledges",
            "/api/v1/reports",
            "/api/v1/working-groups",
            "/api/v1/sources",
            "/api/v1/changes",
        ):
            self.assertIn(path, paths)
            self.assertEqual(set(schema["paths"][path]), {"get"})
        parameters = {p["name"] for p in schema["paths"]["/api/v1/states"]["get"]["parameters"]}
        self.assertTrue({"treaty", "status", "region", "q", "as_of"} <= parameters)
        document = schema["components"]["schemas"]["DocumentOut"]["properties"]
        self.assertIn("from", document)

    def test_the_documentation_page_uses_only_this_site_s_files(self):
        response = self.client.get("/api/v1/docs")
        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        self.assertIn("/static/ninja/swagger-ui-bundle.js", sources)
        # Every address is on this site (no CDN), and the page says what to do without JavaScript.
        self.assertTrue(all(s.startswith("/") and not s.startswith("//") for s in sources), sources)
        self.assertIn('<html lang="en">', html)
        self.assertIn("<noscript>", html)
        self.assertIn('href="/api/v1/openapi.json"', html)
        # No inline script: only a JSON data block, which a browser never runs.
        for attributes in re.findall(r"<script([^>]*)>", html):
            self.assertTrue("src=" in attributes or 'type="application/json"' in attributes, attributes)
        policy = response["Content-Security-Policy"]
        self.assertIn("script-src 'self'", policy)
        self.assertNotIn("unsafe-inline", policy)
        self.assertNotIn("unsafe-eval", policy)
        # collectstatic gathers them from django-ninja's app folder.
        for path in (s for s in sources if s.startswith("/static/")):
            self.assertIsNotNone(finders.find(path.removeprefix("/static/")), path)
