"""The world map: /map.svg, and the map on the dashboard and /states/ (tracker/worldmap.py)."""

import csv
import datetime
import gzip
import re
from pathlib import Path

from django.conf import settings
from django.test import TestCase, override_settings

from tests import factory
from tracker import worldmap
from tracker.models import Participation, State, Treaty

D = datetime.date
STATES_CSV = Path(settings.BASE_DIR) / "fixtures" / "data" / "states.csv"


def shipped_states():
    with STATES_CSV.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


class ShapesTestCase(TestCase):
    def test_every_shipped_state_has_a_place_on_the_map(self):
        """Each State of states.csv has an outline or a circle; micro-States have a circle."""
        data = worldmap.shapes()
        for row in shipped_states():
            with self.subTest(state=row["iso2"]):
                self.assertTrue(row["iso2"] in data["shapes"] or row["iso2"] in data["points"])
        for code in ("AD", "LI", "MC", "SM", "VA", "MT", "TV", "NR"):
            self.assertIn(code, data["points"])
        self.assertIn("FR", data["shapes"])
        self.assertNotIn("FR", data["points"])

    def test_circles_do_not_overlap(self):
        """The micro-States' circles stay apart, so each can be clicked."""
        points = list(worldmap.shapes()["points"].values())
        for i, (xa, ya) in enumerate(points):
            for xb, yb in points[i + 1 :]:
                self.assertGreaterEqual(((xa - xb) ** 2 + (ya - yb) ** 2) ** 0.5, 2 * worldmap.CIRCLE_RADIUS)


class WorldMapTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.treaty = factory.make_treaty(opened_for_signature_on=D(2008, 12, 3), eif_instruments=2)
        rows = {row["iso2"]: row for row in shipped_states()}
        for code in ("FR", "MX", "LB", "MT", "US", "LT", "BR"):
            factory.make_state(code, rows[code]["name"], region=rows[code]["region"])
        state = State.objects.get
        factory.make_participation(
            cls.treaty, state(iso2="FR"), signature_date=D(2008, 12, 3), deposit_date=D(2009, 9, 25)
        )
        factory.make_participation(
            cls.treaty, state(iso2="MX"), signature_date=D(2008, 12, 3), deposit_date=D(2009, 5, 6)
        )
        # Deposited after the treaty entered into force: in force for it six months later.
        factory.make_participation(
            cls.treaty, state(iso2="LB"), signature_date=D(2008, 12, 3), deposit_date=D(2011, 11, 5)
        )
        factory.make_participation(
            cls.treaty, state(iso2="MT"), signature_date=D(2008, 12, 3), deposit_date=D(2009, 6, 24)
        )
        factory.make_participation(cls.treaty, state(iso2="BR"), signature_date=D(2008, 12, 3))
        factory.make_participation(
            cls.treaty,
            state(iso2="LT"),
            signature_date=D(2008, 12, 3),
            deposit_date=D(2011, 3, 24),
            withdrawal_notice_date=D(2024, 9, 6),
        )

    def get_map(self, query=""):
        response = self.client.get("/map.svg" + query)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "image/svg+xml; charset=utf-8")
        return response.content.decode()

    def kinds(self, svg):
        """State code -> the map kind of the group its outline is drawn in."""
        found = {}
        for kind, body in re.findall(
            r'<g fill="[^"]+" stroke="#ffffff" stroke-width="1" class="map-(\w+)">(.*?)</g>', svg
        ):
            for code in re.findall(r'href="/states/(\w\w)/"', body):
                found[code.upper()] = kind
        return found

    def test_each_state_is_drawn_by_its_status_on_the_day(self):
        """On 1 March 2012 France is in force, Lebanon a party not yet in force, Brazil a signatory."""
        kinds = self.kinds(self.get_map("?as_of=2012-03-01"))
        self.assertEqual(kinds["FR"], "in_force")
        self.assertEqual(kinds["LB"], "not_in_force")
        self.assertEqual(kinds["BR"], "signatory")
        self.assertEqual(kinds["US"], "non_signatory")
        self.assertEqual(kinds["LT"], "in_force")

    def test_the_day_changes_the_map(self):
        """Lithuania's withdrawal took effect in March 2025; in 2009 Lebanon had only signed."""
        self.assertEqual(self.kinds(self.get_map("?as_of=2025-06-01"))["LT"], "withdrawn")
        self.assertEqual(self.kinds(self.get_map("?as_of=2009-06-01"))["LB"], "signatory")

    def test_each_state_is_a_link_with_its_name_and_status(self):
        svg = self.get_map("?as_of=2012-03-01")
        self.assertIn(
            '<a href="/states/lb/" tabindex="-1"><title>Lebanon: State Party, not yet in force for it</title><path d="M',
            svg,
        )
        self.assertEqual(len(set(re.findall(r'<a href="([^"]+)"', svg))), State.objects.count())

    def test_micro_states_are_circles(self):
        svg = self.get_map()
        self.assertRegex(svg, r'<a href="/states/mt/" tabindex="-1"><title>Malta: [^<]+</title><circle ')

    def test_the_svg_is_an_image_with_a_title_a_description_and_a_key(self):
        """The standalone map names the treaty and day, counts each kind in words and in its key."""
        svg = self.get_map("?as_of=2012-03-01")
        self.assertIn('role="img" aria-labelledby="map-title map-desc"', svg)
        self.assertIn('<title id="map-title">World map: the CCM on 1 March 2012</title>', svg)
        self.assertIn(
            "on 1 March 2012. State Party, treaty in force for it: 4; State Party, not yet in force for it: 1; "
            "Signatory: 1; Non-signatory: 1; Withdrawn: 0.",
            svg,
        )
        self.assertIn(">Signatory: 1</text>", svg)
        # Patterns, not colour alone: stripes, dots and cross-hatching are defined and used.
        for kind in ("not_in_force", "signatory", "withdrawn"):
            self.assertIn(f'<pattern id="map-{kind}"', svg)
            self.assertIn(f'fill="url(#map-{kind})"', svg)

    def test_a_treaty_is_chosen_by_its_slug(self):
        factory.make_treaty("att", opened_for_signature_on=D(2013, 6, 3))
        svg = self.get_map("?treaty=att")
        self.assertIn("World map: the ATT on", svg)
        self.assertEqual(set(self.kinds(svg).values()), {"non_signatory"})

    def test_bad_parameters_answer_400_with_the_reason(self):
        for query, words in [
            ("?as_of=2012-02-30", "As of “2012-02-30” was ignored: Enter a valid date."),
            ("?as_of=1066-10-14", "Give a date between"),
            ("?treaty=nope", "Treaty “nope” was ignored: Select a valid choice."),
            ("?treaty=%00", "Treaty “�” was ignored"),
        ]:
            with self.subTest(query=query):
                response = self.client.get("/map.svg" + query)
                self.assertEqual(response.status_code, 400)
                self.assertIn(words, response.content.decode())

    def test_no_treaty_no_map(self):
        """Without any treaty /map.svg says so with a 400 and the pages show no map."""
        Participation.objects.all().delete()
        Treaty.objects.all().delete()
        response = self.client.get("/map.svg")
        self.assertEqual(response.status_code, 400)
        self.assertIn("No treaty is recorded yet", response.content.decode())
        self.assertNotContains(self.client.get("/states/"), "world-map")
        self.assertNotContains(self.client.get("/"), "world-map")

    def test_the_states_list_shows_the_map_of_every_state_with_its_text_alternative(self):
        """Filters narrow the table, not the map: the map still shows every State."""
        response = self.client.get("/states/?q=lebanon&treaty=ccm&as_of=2012-03-01")
        self.assertContains(
            response, '<figure class="map-figure"><figcaption><strong>World map: the CCM on 1 March 2012.'
        )
        self.assertContains(response, "whatever the filters")
        self.assertContains(response, "The table below lists every State with its status in words")
        self.assertContains(response, '<a href="/states/fr/" tabindex="-1">')
        self.assertContains(response, '<ul class="map-legend" aria-label="Map key">')
        self.assertContains(response, 'Non-signatory <span class="map-count">(1)</span>')

    def test_the_dashboard_shows_the_map_of_today(self):
        response = self.client.get("/")
        self.assertContains(response, '<figure class="map-figure panel"><figcaption>')
        self.assertContains(response, 'The <a href="/states/?treaty=ccm&amp;as_of=')
        self.assertContains(
            response,
            '<a href="/states/lb/" tabindex="-1"><title>Lebanon: State Party, treaty in force for it',
        )


class WorldMapSizeTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.treaty = factory.make_treaty()
        for row in shipped_states():
            factory.make_state(row["iso2"], row["name"], region=row["region"])

    def test_the_map_of_every_state_is_well_within_150_kb_compressed(self):
        response = self.client.get("/map.svg")
        links = set(re.findall(r'<a href="/states/(\w\w)/"', response.content.decode()))
        self.assertEqual(links, {row["iso2"].lower() for row in shipped_states()})
        self.assertLess(len(gzip.compress(response.content)), 150_000)


@override_settings(PUBLIC_CACHE=True, PUBLIC_CACHE_SECONDS=0, DERIVED_MEMO=False)
class WorldMapQueryBudgetTestCase(TestCase):
    """/map.svg costs the same number of queries with 3 States and with 40."""

    # The page cache's version check, the treaties, the States and the treaty's participations.
    BUDGET = 4

    @classmethod
    def setUpTestData(cls):
        cls.treaty = factory.make_treaty(opened_for_signature_on=D(2008, 12, 3), eif_instruments=2)
        factory.make_parties(cls.treaty, 3, prefix="Q")

    def test_the_map_keeps_its_budget_as_the_data_grows(self):
        for size in ("small", "large"):
            if size == "large":
                factory.make_parties(self.treaty, 37)
            with self.subTest(size=size), self.assertNumQueries(self.BUDGET):
                self.assertEqual(self.client.get("/map.svg?as_of=2012-01-01").status_code, 200)


@override_settings(PUBLIC_CACHE=True, PUBLIC_CACHE_SECONDS=600)
class WorldMapCachingTestCase(TestCase):
    """The map is cached and revalidated like every page, per treaty and per day."""

    @classmethod
    def setUpTestData(cls):
        cls.treaty = factory.make_treaty()
        factory.make_treaty("att", opened_for_signature_on=D(2013, 6, 3))
        factory.make_state("FR", "France", region="europe")

    def setUp(self):
        from django.core.cache import cache

        cache.clear()

    def test_a_second_reader_gets_the_kept_map_and_a_304_with_its_etag(self):
        first = self.client.get("/map.svg?as_of=2012-01-01")
        self.assertEqual(first["X-Cache"], "miss")
        again = self.client.get("/map.svg?as_of=2012-01-01")
        self.assertEqual(again["X-Cache"], "hit")
        self.assertEqual(again.content, first.content)
        with self.assertNumQueries(1):
            response = self.client.get("/map.svg?as_of=2012-01-01", headers={"if-none-match": first["ETag"]})
        self.assertEqual(response.status_code, 304)

    def test_each_treaty_and_day_is_a_map_of_its_own(self):
        ccm = self.client.get("/map.svg?as_of=2012-01-01").content
        self.assertEqual(self.client.get("/map.svg?as_of=2012-01-02")["X-Cache"], "miss")
        att = self.client.get("/map.svg?treaty=att&as_of=2012-01-01")
        self.assertEqual(att["X-Cache"], "miss")
        self.assertNotEqual(att.content, ccm)
        self.assertIn(b"World map: the ATT on 1 January 2012", att.content)

    def test_the_dashboard_maps_the_treaty_it_shows(self):
        self.assertContains(self.client.get("/?treaty=att"), "World map: the ATT on")
        self.assertContains(self.client.get("/"), "World map: the CCM on")
