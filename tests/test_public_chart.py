"""tracker.charts: the SVG step chart, drawn without a database."""

import datetime
from xml.etree import ElementTree

from django.test import SimpleTestCase

from tracker import charts

D = datetime.date
SVG = "{http://www.w3.org/2000/svg}"


class StepChartTestCase(SimpleTestCase):
    def draw(self, points, **kwargs):
        defaults = {
            "start": D(2008, 1, 1),
            "end": D(2026, 11, 22),
            "title": "Parties",
            "description": "A line.",
        }
        defaults.update(kwargs)
        return charts.step_chart(points, **defaults)

    def test_it_is_well_formed_svg_with_a_title_and_a_description(self):
        """The markup parses as XML, and is labelled by its title and description."""
        root = ElementTree.fromstring(self.draw([(D(2009, 4, 2), 1), (D(2010, 2, 16), 30)]))
        self.assertEqual(root.get("role"), "img")
        self.assertEqual(root.get("aria-labelledby"), "chart-title chart-desc")
        self.assertEqual(root.find(f"{SVG}title").text, "Parties")
        self.assertEqual(root.find(f"{SVG}desc").text, "A line.")

    def test_the_line_steps_at_each_point_and_ends_with_the_latest_value(self):
        """The path goes horizontally then vertically at each date; the last value is written at the end."""
        svg = self.draw([(D(2009, 4, 2), 1), (D(2010, 2, 16), 30), (D(2025, 3, 6), 29)])
        root = ElementTree.fromstring(svg)
        line = next(p for p in root.iter(f"{SVG}path") if p.get("class") == "chart-line")
        self.assertEqual(line.get("d").count("V"), 3)
        value = next(t for t in root.iter(f"{SVG}text") if t.get("class") == "chart-value")
        self.assertEqual(value.text, "29")

    def test_the_axes_are_labelled_with_years_and_round_numbers(self):
        """Years along the bottom (at most ten, the latest included) and 0, 10, 20, 30 up the side."""
        root = ElementTree.fromstring(self.draw([(D(2010, 2, 16), 30)]))
        labels = [t.text for t in root.iter(f"{SVG}text") if "chart-label" in t.get("class")]
        years = [label for label in labels if len(label) == 4]
        self.assertIn("2026", years)
        self.assertLessEqual(len(years), 10)
        self.assertEqual([label for label in labels if len(label) < 4], ["0", "10", "20", "30"])

    def test_text_is_escaped(self):
        """A title with markup in it stays text."""
        svg = self.draw([], title="<script>alert(1)</script> & co")
        self.assertNotIn("<script>", svg)
        self.assertIn("&lt;script&gt;", svg)

    def test_an_empty_or_one_day_series_still_draws(self):
        """No points, or a start equal to the end, give a flat line at 0 and no error."""
        self.assertIn("chart-line", self.draw([]))
        self.assertIn("chart-line", self.draw([], start=D(2020, 1, 1), end=D(2020, 1, 1)))

    def test_nice_steps_are_round(self):
        """Steps are 1, 2 or 5 times a power of ten."""
        self.assertEqual([charts.nice_step(n) for n in (0, 4, 31, 112, 197)], [1, 1, 10, 50, 50])
