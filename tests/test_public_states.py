"""/states/: every State with its status under a treaty on a day, filtered and sorted."""

import datetime

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests import factory
from tracker.models import Participation

D = datetime.date


class StateListTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.w = factory.make_public_world()

    def get(self, **params):
        return self.client.get(reverse("state-list"), params)

    def names(self, response):
        return [row.state.name for row in response.context["rows"]]

    def test_every_state_is_listed_whether_it_joined_or_not(self):
        """All eight States appear; the United States, with no participation row, is a non-signatory."""
        response = self.get()
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(response.context["rows"]), 8)
        usa = next(row for row in response.context["rows"] if row.state.iso2 == "US")
        self.assertEqual(usa.status, "non_signatory")
        self.assertContains(response, "<strong>8</strong> of 8 States", html=False)
        self.assertContains(response, "Non-signatory")

    def test_the_status_filter_keeps_one_status_of_the_rules(self):
        """status=party lists today's parties; Lithuania, whose withdrawal took effect, is withdrawn."""
        parties = self.names(self.get(status="party"))
        self.assertEqual(parties, ["Albania", "Australia", "Austria", "Eswatini", "Lebanon"])
        self.assertEqual(self.names(self.get(status="withdrawn")), ["Lithuania"])
        self.assertEqual(self.names(self.get(status="non_signatory")), ["United States of America"])

    def test_as_of_the_end_of_the_second_meeting_states_that_had_only_signed_are_signatories(self):
        """On 16 September 2011 Australia (deposited in 2012) and Angola were signatories."""
        response = self.get(as_of="2011-09-16", status="signatory")
        self.assertEqual(self.names(response), ["Angola", "Australia"])
        self.assertContains(response, "on 16 September 2011")

    def test_a_state_is_a_party_from_the_day_it_deposits(self):
        """Eswatini, acceding on 13 September 2011, is a party that day and not the day before."""
        self.assertIn("Eswatini", self.names(self.get(as_of="2011-09-13", status="party")))
        self.assertNotIn("Eswatini", self.names(self.get(as_of="2011-09-12", status="party")))
        self.assertIn("Eswatini", self.names(self.get(as_of="2011-09-12", status="non_signatory")))

    def test_the_region_filter_uses_the_un_regions(self):
        """region=africa lists Angola and Eswatini."""
        self.assertEqual(self.names(self.get(region="africa")), ["Angola", "Eswatini"])

    def test_the_search_matches_a_name_or_an_iso_code_in_any_case(self):
        """q=leb and q=LEBANON find Lebanon; q=lb finds Lebanon by its code and Albania by its name."""
        for q in ("leb", "LEBANON", "  Lebanon "):
            self.assertEqual(self.names(self.get(q=q)), ["Lebanon"], q)
        for q in ("LB", "lb"):
            self.assertEqual(self.names(self.get(q=q)), ["Albania", "Lebanon"], q)

    def test_the_treaty_filter_takes_a_slug_and_defaults_to_the_first_treaty(self):
        """Angola, a party to a second treaty only, is a party under ?treaty=apmbc and a signatory by default."""
        mine_ban = factory.make_treaty("apmbc", adopted_on=D(1997, 9, 18), eif_instruments=1)
        factory.make_participation(mine_ban, self.w.angola, deposit_date=D(1998, 1, 1))
        response = self.get(treaty="apmbc", status="party")
        self.assertEqual(self.names(response), ["Angola"])
        self.assertEqual(response.context["treaty"], mine_ban)
        self.assertEqual(self.get().context["treaty"], self.w.treaty)

    def test_the_in_force_filter(self):
        """in_force=yes lists the parties for which the treaty is in force; no lists the rest."""
        self.assertEqual(
            self.names(self.get(in_force="yes")), ["Albania", "Australia", "Austria", "Eswatini", "Lebanon"]
        )
        self.assertEqual(len(self.names(self.get(in_force="no"))), 3)
        self.assertEqual(
            self.names(self.get(in_force="yes", as_of="2011-09-16")),
            ["Albania", "Austria", "Lebanon", "Lithuania"],
        )

    def test_deadline_before_keeps_states_with_an_open_deadline_before_the_date(self):
        """Before 2022: Lebanon's clearance deadline (1 May 2021). Albania's was extended, Austria's
        stockpile destroyed, and the stockpile deadlines of unrecorded applicability are not open ones."""
        self.assertEqual(self.names(self.get(deadline_before="2022-01-01")), ["Lebanon"])
        self.assertEqual(self.names(self.get(deadline_before="2019-06-01")), [])

    def test_the_working_group_filter_takes_coordinators_ever_or_on_the_day(self):
        """general-status was coordinated by Albania and Austria in 2011–2012, reporting by Lebanon since."""
        self.assertEqual(self.names(self.get(working_group="general-status")), ["Albania", "Austria"])
        self.assertEqual(self.names(self.get(working_group="general-status", as_of="2013-01-01")), [])
        self.assertEqual(self.names(self.get(working_group="reporting", as_of="2013-01-01")), ["Lebanon"])

    def test_sorting_by_deposit_date_descending_puts_states_without_one_last(self):
        """sort=-deposit_date: Australia (2012) first, the non-depositing States last, by name."""
        names = self.names(self.get(sort="-deposit_date"))
        self.assertEqual(names[0], "Australia")
        self.assertEqual(names[-2:], ["Angola", "United States of America"])
        self.assertEqual(self.names(self.get(sort="status"))[0], "United States of America")

    def test_column_headers_link_to_sorting_and_mark_the_current_one(self):
        """The Name header, sorted ascending, links to the descending order and carries aria-sort."""
        response = self.get(status="party")
        self.assertContains(response, 'aria-sort="ascending"')
        self.assertContains(response, "?status=party&amp;sort=-name")
        self.assertContains(response, "?status=party&amp;sort=deposit_date")

    def test_active_filters_are_chips_that_drop_one_parameter(self):
        """Each chip links to the same list without that one filter."""
        response = self.get(status="party", region="europe")
        chips = {label: link.urlencode() for label, _, link in response.context["chips"]}
        self.assertEqual(chips, {"Status": "region=europe", "Region": "status=party"})
        self.assertContains(response, "Remove filter Status: State Party")

    def test_the_download_links_carry_the_current_filters(self):
        """The CSV and JSON links repeat the valid query string."""
        response = self.get(status="party", as_of="2011-09-16")
        self.assertContains(response, "/states.csv?status=party&amp;as_of=2011-09-16")
        self.assertContains(response, "/states.json?status=party&amp;as_of=2011-09-16")

    def test_bad_input_is_ignored_with_a_message_naming_it(self):
        """Each unreadable parameter is named in a message; the list shows every State."""
        response = self.get(status="zzz", as_of="not-a-date", region="\x00", sort="evil", treaty="nope")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(response.context["rows"]), 8)
        ignored = " ".join(response.context["ignored"])
        for name in ("Status", "As of", "Region", "Sort by", "Treaty"):
            self.assertIn(name, ignored)
        self.assertContains(response, "were not understood and were ignored")
        self.assertEqual(response.context["chips"], [])

    def test_absurd_dates_are_refused_not_computed_with(self):
        """Year 0, year 99999 and year 2 are ignored with a message, never a 500."""
        for value in ("0000-01-01", "99999-01-01", "0002-01-01", "2011-02-30"):
            response = self.get(as_of=value)
            self.assertEqual(response.status_code, 200, value)
            self.assertTrue(response.context["ignored"], value)
            self.assertEqual(response.context["as_of"], timezone.localdate())

    def test_the_rows_cost_the_same_queries_whatever_the_number_of_states(self):
        """Ten more States with participations and obligations add no query."""
        self.get(status="party")  # warm up caches such as content types

        def count():
            with CaptureQueriesContext(connection) as queries:
                self.get(status="party", working_group="general-status")
            return len(queries)

        before = count()
        for index in range(10):
            state = factory.make_state(f"X{chr(65 + index)}", f"Extra {index}", region="oceania")
            factory.make_participation(
                self.w.treaty, state, signature_date=D(2009, 1, 1), deposit_date=D(2015, 1, 1)
            )
        self.assertEqual(Participation.objects.count(), 17)
        self.assertEqual(count(), before)
        self.assertLessEqual(before, 10)  # 8, and two for the world map of every State
