"""Three treaties shipped: the CCM, the Mine Ban Convention (apmbc) and the Arms Trade Treaty (att).

The shipped data is checked against the depositary's own status lists kept in
tests/data/untc/ (as at 3 February 2026): every participation, the counts in
each list's header, the withdrawals in its end notes. Then every public page,
filter and download works per treaty and across treaties, and the pages cost
the same number of queries with three treaties loaded whatever the data's size.
"""

import contextlib
import csv
import datetime
import html
import importlib.util
import io
import re

from django.conf import settings
from django.test import SimpleTestCase, TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from tests import factory
from tests.shipped import load_shipped_data
from tracker import depositary, history, rules
from tracker.models import Declaration, Obligation, Participation, RatificationStep, State, Treaty

D = datetime.date.fromisoformat
AS_AT = D("2026-02-03")
PAGES = settings.BASE_DIR / "tests" / "data" / "untc"
# The depositary's status pages as at 3 February 2026 (tests/data/untc/README.md).
STATUS_PAGES = {"apmbc": "apmbc_XXVI-5_2026-02-03.html", "att": "att_XXVI-8_2026-02-03.html"}


def _tool():
    spec = importlib.util.spec_from_file_location(
        "untc_participations", settings.BASE_DIR / "tools" / "untc_participations.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class ShippedTreatiesTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        load_shipped_data()
        cls.treaties = {t.slug: t for t in Treaty.objects.all()}

    def participation(self, slug, iso2):
        return Participation.objects.select_related("treaty").get(treaty__slug=slug, state__iso2=iso2)


class RecordTests(ShippedTreatiesTestCase):
    def test_three_treaties_are_shipped_ccm_first(self):
        """The CCM keeps the first id (the States list's default); the others follow."""
        slugs = list(Treaty.objects.order_by("pk").values_list("slug", flat=True))
        self.assertEqual(slugs, ["ccm", "apmbc", "att"])

    def test_entry_into_force_is_computed_from_the_deposits_by_each_treaty_rule(self):
        """APMBC Art. 17(1): 40th deposit on 16 Sep 1998 -> 1 March 1999; ATT Art. 22(1): 50th on
        25 Sep 2014 -> 24 December 2014 (the dates in the status lists' headers)."""
        apmbc, att = self.treaties["apmbc"], self.treaties["att"]
        self.assertEqual(
            (apmbc.threshold_date, apmbc.entry_into_force_date), (D("1998-09-16"), D("1999-03-01"))
        )
        self.assertEqual((att.threshold_date, att.entry_into_force_date), (D("2014-09-25"), D("2014-12-24")))

    def test_entry_into_force_for_a_later_state(self):
        """APMBC: the first day of the sixth month after the deposit; ATT: ninety days after it."""
        afghanistan = self.participation("apmbc", "AF")  # acceded 11 Sep 2002
        self.assertEqual(afghanistan.entry_into_force_date, D("2003-03-01"))
        lithuania = self.participation("att", "LT")  # ratified 18 Dec 2014, before entry into force
        self.assertEqual(lithuania.entry_into_force_date, D("2014-12-24"))
        later = Participation.objects.filter(treaty__slug="att", deposit_date__gt=D("2014-12-24"))
        self.assertGreater(later.count(), 50)
        for p in later:
            with self.subTest(state=p.state_id):
                self.assertEqual(p.entry_into_force_date, p.deposit_date + datetime.timedelta(days=90))

    def test_the_counts_on_the_day_of_the_status_lists_are_the_depositary_headers(self):
        """'Signatories : 107. Parties : 112' (CCM), '132 / 162' (APMBC), '130 / 117' (ATT)."""
        expected = {"ccm": (107, 112), "apmbc": (132, 162), "att": (130, 117)}
        for slug, counts in expected.items():
            treaty = self.treaties[slug]
            with self.subTest(treaty=slug):
                self.assertEqual(treaty.depositary_counts(list(treaty.participations.all()), AS_AT), counts)

    def test_status_counts_per_treaty_on_the_day_of_the_status_lists(self):
        """As the tracker counts (a party from its deposit): APMBC 162 parties, 4 withdrawn,
        no signatory left; ATT 117 parties and 25 signatories (130 signed, 105 of them deposited)."""
        states = list(State.objects.all())
        expected = {
            "apmbc": {rules.PARTY: 162, rules.WITHDRAWN: 4, rules.SIGNATORY: 0},
            "att": {rules.PARTY: 117, rules.WITHDRAWN: 0, rules.SIGNATORY: 25},
        }
        for slug, counts in expected.items():
            standings = self.treaties[slug].standings(states, AS_AT, obligations=False)
            for status, count in counts.items():
                with self.subTest(treaty=slug, status=status):
                    self.assertEqual(sum(s.status == status for s in standings), count)

    def test_every_participation_is_the_status_list_row(self):
        """The shipped rows are exactly the kept status pages' rows, read again by the tool."""
        tool = _tool()
        names = tool._names()
        for slug in ("apmbc", "att"):
            rows, _ = tool.read_page((PAGES / STATUS_PAGES[slug]).read_text(encoding="utf-8"))
            shipped = {
                p.state.iso2: p
                for p in Participation.objects.filter(treaty__slug=slug).select_related("state")
            }
            self.assertEqual(len(shipped), len(rows))
            for row in rows:
                p = shipped[tool._iso(names, row["name"])]
                with self.subTest(treaty=slug, state=row["name"]):
                    self.assertEqual(
                        p.signature_date.isoformat() if p.signature_date else "", row["signature_date"]
                    )
                    self.assertEqual(
                        p.deposit_date.isoformat() if p.deposit_date else "", row["deposit_date"]
                    )
                    self.assertEqual(p.instrument, row["instrument"])
                    provisional = p.provisional_application_date
                    self.assertEqual(
                        provisional.isoformat() if provisional else "", row["provisional_application_date"]
                    )
                    self.assertEqual(
                        bool(p.withdrawal_notice_date),
                        row["withdrawn"] or (slug, p.state.iso2) == ("apmbc", "PL"),
                    )

    def test_declarations_are_the_status_lists_texts_word_for_word(self):
        """Every 'Declarations and Reservations' entry is shipped, its paragraphs exactly as the page shows them."""
        tool = _tool()
        names = tool._names()
        for slug in ("apmbc", "att"):
            text = (PAGES / STATUS_PAGES[slug]).read_text(encoding="utf-8")
            expected = {
                tool._iso(names, name): "\n".join(paragraphs)
                for table, name, paragraphs in tool.read_declarations(text)
                if table == "dgDec" and paragraphs
            }
            shipped = dict(
                Declaration.objects.filter(participation__treaty__slug=slug, kind="declaration").values_list(
                    "participation__state__iso2", "text"
                )
            )
            with self.subTest(treaty=slug):
                self.assertEqual(shipped, expected)
        self.assertIn("Malvinas", Declaration.objects.get(participation__state__iso2="AR").text)

    def test_territorial_applications_are_quoted_from_the_end_notes(self):
        """Each paragraph of a territorial application is in its page's text, word for word."""
        territorial = Declaration.objects.filter(kind="territorial").exclude(
            participation__treaty__slug="ccm"
        )
        self.assertEqual(
            sorted(territorial.values_list("participation__treaty__slug", "participation__state__iso2")),
            [("apmbc", "GB"), ("apmbc", "GB"), ("apmbc", "NL"), ("att", "DK"), ("att", "NZ")],
        )
        for declaration in territorial.select_related("participation__treaty"):
            slug = declaration.participation.treaty.slug
            page = html.unescape(re.sub(r"<[^>]+>", " ", (PAGES / STATUS_PAGES[slug]).read_text("utf-8")))
            page = " ".join(page.split())
            for paragraph in declaration.text.split("\n"):
                with self.subTest(state=declaration.participation.state_id, paragraph=paragraph[:30]):
                    self.assertIn(" ".join(paragraph.split()), page)

    def test_the_2025_mine_ban_withdrawals_take_effect_on_the_end_notes_dates(self):
        """Art. 20(3), six months after the notice: the dates the depositary's end notes give."""
        expected = {
            "EE": ("2025-06-27", "2025-12-27", "C.N.360.2025.TREATIES-XXVI-5"),
            "LV": ("2025-06-27", "2025-12-27", "C.N.361.2025.TREATIES-XXVI-5"),
            "LT": ("2025-06-27", "2025-12-27", "C.N.362.2025.TREATIES-XXVI-5"),
            "FI": ("2025-07-10", "2026-01-10", "C.N.372.2025.TREATIES-XXVI-5"),
            "PL": ("2025-08-20", "2026-02-20", "C.N.421.2025.TREATIES-XXVI-5"),
        }
        for iso2, (notice, effective, symbol) in expected.items():
            p = self.participation("apmbc", iso2)
            with self.subTest(state=iso2):
                self.assertEqual(p.withdrawal_notice_date, D(notice))
                self.assertEqual(p.withdrawal_effective_date, D(effective))
                self.assertEqual(p.withdrawal_notification, symbol)
                self.assertEqual(p.status(D(effective) - datetime.timedelta(days=1)), rules.PARTY)
                self.assertEqual(p.status(D(effective)), rules.WITHDRAWN)
        self.assertEqual(self.participation("apmbc", "PL").status(AS_AT), rules.PARTY)

    def test_no_other_state_has_withdrawn_and_ukraine_remains_a_party(self):
        """Ukraine's declared 'suspension' is not a withdrawal: it stays a State Party."""
        notices = Participation.objects.exclude(withdrawal_notice_date=None)
        self.assertEqual(
            sorted(notices.filter(treaty__slug="apmbc").values_list("state__iso2", flat=True)),
            ["EE", "FI", "LT", "LV", "PL"],
        )
        self.assertFalse(notices.filter(treaty__slug="att").exists())
        self.assertEqual(self.participation("apmbc", "UA").status(), rules.PARTY)

    def test_the_arms_trade_treaty_sets_no_stockpile_or_clearance_deadline(self):
        """No destruction obligation: no obligation rows, nothing on /deadlines.json?treaty=att."""
        self.assertFalse(Obligation.objects.filter(participation__treaty__slug="att").exists())
        response = self.client.get("/deadlines.json", {"treaty": "att", "applicability": "all"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["count"], 0)

    def test_mine_ban_deadlines_follow_articles_4_and_5(self):
        """Afghanistan (in force 1 March 2003): stockpiles by 1 March 2007, mined areas by 1 March 2013."""
        obligations = {o.kind: o for o in self.participation("apmbc", "AF").obligations.all()}
        self.assertEqual(obligations["stockpile"].original_deadline, D("2007-03-01"))
        self.assertEqual(obligations["clearance"].original_deadline, D("2013-03-01"))

    def test_no_mine_ban_deadline_is_ever_overdue_without_a_source(self):
        """Unknown is not a breach: only three completions are recorded, each by its deadline, so no
        APMBC obligation is overdue on the first day of any year since entry into force, nor today."""
        apmbc = Obligation.objects.filter(participation__treaty__slug="apmbc").with_extensions()
        recorded = apmbc.exclude(applicability="unknown")
        self.assertEqual(
            sorted(recorded.values_list("participation__state__iso2", "kind")),
            [("BI", "clearance"), ("BT", "clearance"), ("GM", "clearance")],
        )
        for obligation in recorded:
            with self.subTest(state=obligation.participation.state.iso2):
                self.assertLessEqual(
                    obligation.completed_by(obligation.current_deadline), obligation.current_deadline
                )
        days = [datetime.date(year, 1, 1) for year in range(1999, timezone.localdate().year + 1)]
        for day in [*days, timezone.localdate()]:
            with self.subTest(day=day):
                self.assertFalse(apmbc.overdue(day).exists())
                self.assertNotIn(rules.OVERDUE, {o.status(day) for o in recorded})

    def test_att_reports_follow_article_13(self):
        """Initial report 23 December 2015 for the first States (the ATT Secretariat's date), then by 31 May."""
        austria = self.participation("att", "AT")
        due = austria.report_due_dates(until=D("2016-06-30"))
        self.assertEqual(due[0], (D("2015-12-23"), "Initial report"))
        self.assertEqual(due[1][0], D("2016-05-31"))


class PageTests(ShippedTreatiesTestCase):
    def test_the_states_list_shows_each_treaty_and_its_as_at_date(self):
        """?treaty=apmbc lists Finland as withdrawn; the depositary's 'as at' date is on the page."""
        response = self.client.get("/states/", {"treaty": "apmbc", "status": "withdrawn"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.context["treaty"].slug, "apmbc")
        names = [row.state.iso2 for row in response.context["rows"]]
        self.assertEqual(sorted(names), ["EE", "FI", "LT", "LV", "PL"])
        self.assertContains(response, "as at 3 February 2026")

    def test_the_att_list_has_no_deadline_columns(self):
        """The ATT sets no stockpile or clearance deadline: no such column, and the caption says so."""
        att = self.client.get("/states/", {"treaty": "att"})
        keys = [key for key, *_ in att.context["columns"]]
        self.assertNotIn("stockpile_deadline", keys)
        self.assertNotIn("clearance_deadline", keys)
        self.assertContains(att, "The ATT sets no stockpile destruction or clearance deadline.")
        apmbc = self.client.get("/states/", {"treaty": "apmbc"})
        self.assertIn("clearance_deadline", [key for key, *_ in apmbc.context["columns"]])
        self.assertNotContains(apmbc, "sets no stockpile destruction")

    def test_without_a_treaty_the_states_list_is_the_ccm(self):
        """The default stays the first treaty entered."""
        response = self.client.get("/states/")
        self.assertEqual(response.context["treaty"].slug, "ccm")

    def test_an_unknown_treaty_is_ignored_with_a_message_on_pages(self):
        for url in ("/states/", "/deadlines/", "/changes/"):
            with self.subTest(url=url):
                response = self.client.get(url, {"treaty": "nope"})
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, "“nope” was ignored")

    def test_an_unknown_treaty_is_refused_on_downloads_with_the_reason(self):
        for url in (
            "/states.csv",
            "/states.json",
            "/deadlines.csv",
            "/deadlines.json",
            "/deadlines.ics",
            "/changes/feed/",
        ):
            with self.subTest(url=url):
                response = self.client.get(url, {"treaty": "nope"})
                self.assertEqual(response.status_code, 400)
                self.assertIn("nope", response.content.decode())

    def test_odd_treaty_values_never_fail(self):
        """Control characters, long text, a list of values: a message on pages, a 400 on downloads."""
        for value in ("ccm\x00", "a" * 500, "ATT", "<b>att</b>", "%"):
            for url, code in (
                ("/states/", 200),
                ("/changes/", 200),
                ("/deadlines/", 200),
                ("/states.json", 400),
            ):
                with self.subTest(url=url, value=value[:10]):
                    self.assertEqual(self.client.get(url, {"treaty": value}).status_code, code)
        response = self.client.get("/changes/?treaty=att&treaty=apmbc")
        self.assertEqual(response.status_code, 200)

    def test_a_states_history_filters_by_treaty_too(self):
        """/states/fi/history/?treaty=att: Finland's ATT records only."""
        finland = self.participation("att", "FI")
        finland.notes = "Checked for the test."
        finland._change_reason = "Test"
        finland.save()
        changes = self.client.get("/states/fi/history/", {"treaty": "att"}).context["changes"]
        self.assertTrue(changes)
        participations = {c.object_id for c in changes if c.kind == "participation"}
        self.assertEqual(participations, {finland.pk})
        self.assertTrue(all(c.kind != "state" for c in changes))

    def test_downloads_per_treaty(self):
        """/states.json?treaty=att: 197 rows, 117 parties, its as-at date; the CSV names the treaty."""
        body = self.client.get("/states.json", {"treaty": "att", "as_of": "2026-02-03"}).json()
        self.assertEqual(
            (body["treaty"], body["depositary_as_at"], body["count"]), ("att", "2026-02-03", 197)
        )
        self.assertEqual(sum(row["status"] == "party" for row in body["results"]), 117)
        response = self.client.get(
            "/states.csv", {"treaty": "apmbc", "status": "withdrawn", "as_of": "2026-02-03"}
        )
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        self.assertEqual(sorted(row["iso2"] for row in rows), ["EE", "FI", "LT", "LV"])
        self.assertIn("states-apmbc-2026-02-03.csv", response["Content-Disposition"])

    def test_deadlines_per_treaty_and_across_treaties(self):
        """Both treaties' obligations without a filter, one treaty's with it."""
        every = self.client.get("/deadlines.json", {"applicability": "all"}).json()
        apmbc = self.client.get("/deadlines.json", {"applicability": "all", "treaty": "apmbc"}).json()
        treaties = {row["treaty"] for row in every["results"]}
        self.assertEqual(treaties, {"ccm", "apmbc"})
        self.assertEqual({row["treaty"] for row in apmbc["results"]}, {"apmbc"})
        self.assertLess(apmbc["count"], every["count"])

    def test_a_states_page_has_one_section_per_treaty(self):
        """Finland: not in the CCM, withdrawn from the APMBC (with its notification), party to the ATT."""
        response = self.client.get("/states/fi/")
        self.assertEqual(response.status_code, 200)
        sections = {s["treaty"].slug: s for s in response.context["sections"]}
        self.assertEqual(list(sections), ["apmbc", "ccm", "att"])
        self.assertEqual(sections["apmbc"]["status"], rules.WITHDRAWN)
        self.assertEqual(sections["att"]["status"], rules.PARTY)
        self.assertEqual(sections["ccm"]["status"], rules.NON_SIGNATORY)
        self.assertContains(response, "C.N.372.2025.TREATIES-XXVI-5")

    def test_the_dashboard_counts_every_treaty(self):
        """One summary per treaty, each with its chart."""
        response = self.client.get("/")
        slugs = [s["treaty"].slug for s in response.context["summaries"]]
        self.assertEqual(slugs, ["apmbc", "ccm", "att"])
        for summary in response.context["summaries"]:
            with self.subTest(treaty=summary["treaty"].slug):
                self.assertIn(f'id="chart-{summary["treaty"].slug}', summary["chart"])

    def test_the_dashboard_shows_one_treaty_on_request(self):
        """/?treaty=att: the ATT's counts and chart only; an unknown treaty is ignored with a message."""
        response = self.client.get("/", {"treaty": "att"})
        self.assertEqual([s["treaty"].slug for s in response.context["summaries"]], ["att"])
        self.assertContains(response, "Showing the ATT only.")
        self.assertEqual(response.context["upcoming"] + response.context["overdue"], [])
        unknown = self.client.get("/", {"treaty": "nope"})
        self.assertEqual(unknown.status_code, 200)
        self.assertEqual(len(unknown.context["summaries"]), 3)
        self.assertContains(unknown, "“nope” was ignored")

    def test_the_change_log_filters_by_treaty(self):
        """Editing an ATT participation shows under ?treaty=att and not under ?treaty=apmbc."""
        austria = self.participation("att", "AT")
        austria.notes = "A note for the test."
        austria._change_reason = "Test"
        austria.save()
        att = self.client.get("/changes/", {"treaty": "att"}).context["changes"]
        apmbc = self.client.get("/changes/", {"treaty": "apmbc"}).context["changes"]
        self.assertIn(austria.pk, [c.object_id for c in att if c.kind == "participation"])
        self.assertNotIn(austria.pk, [c.object_id for c in apmbc if c.kind == "participation"])
        self.assertTrue(all(c.kind not in ("state", "source") for c in att))
        feed = self.client.get("/changes/feed/", {"treaty": "att"})
        self.assertEqual(feed.status_code, 200)
        self.assertIn("A note for the test.", feed.content.decode())


# --- query budgets with three treaties --------------------------------------------------

# Address -> queries for an anonymous reader with three treaties loaded (page cache on,
# keeping no page: its one query included), the same with few States and with many.
BUDGETS = {
    "/": 41,
    "/?treaty=apmbc": 36,
    "/states/?treaty=apmbc": 8,  # the world map reuses the list's standings
    "/states.json?treaty=att": 6,
    "/states.csv?treaty=apmbc": 7,
    "/states/lb/": 12,
    "/deadlines/": 9,
    "/deadlines/?treaty=apmbc": 9,
    "/deadlines.json?treaty=apmbc": 4,
    "/deadlines.ics": 3,
    "/changes/": 33,
    "/changes/?treaty=apmbc": 32,
    "/changes/feed/?treaty=att": 30,
}
# The admin's lists for a superuser, with three treaties: URL name -> queries.
ADMIN_BUDGETS = {
    "admin:tracker_treaty_changelist": 5,
    "admin:tracker_participation_changelist": 8,
    "admin:tracker_obligation_changelist": 7,
    "admin:tracker_audit_log": 35,
}


def _populate(treaties, codes):
    """Give each State of ``codes`` a participation in every treaty, with steps and obligations."""
    for n, code in enumerate(codes):
        state = factory.make_state(code, f"State {code}", region=list(State.Region.values)[n % 5])
        deposit = datetime.date(2011, 3, 1) + datetime.timedelta(days=n)
        for treaty in treaties:
            participation = factory.make_participation(
                treaty, state, signature_date=datetime.date(2008, 12, 3), deposit_date=deposit
            )
            factory.make_step(participation, kind=RatificationStep.Kind.BEFORE_PARLIAMENT, date=deposit)
            for obligation in participation.obligations.all():
                obligation.applicability = Obligation.Applicability.APPLICABLE
                obligation.save()


class ThreeTreatiesQueryBudgetTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.treaties = [
            factory.make_treaty(opened_for_signature_on=datetime.date(2008, 12, 3), eif_instruments=3),
            factory.make_treaty(
                "apmbc",
                adopted_on=datetime.date(1997, 9, 18),
                eif_instruments=3,
                stockpile_years=4,
                stockpile_extension_years=None,
                clearance_extension_years=10,
            ),
            factory.make_treaty(
                "att",
                adopted_on=datetime.date(2013, 4, 2),
                eif_instruments=3,
                eif_rule=rules.EIF_DAYS_AFTER,
                eif_period=90,
                withdrawal_rule=rules.WITHDRAWAL_DAYS,
                withdrawal_period=90,
                withdrawal_conflict_proviso=False,
                stockpile_years=None,
                stockpile_extension_years=None,
                clearance_years=None,
                clearance_extension_years=None,
                initial_report_days=364,
                annual_report_month=5,
                annual_report_day=31,
            ),
        ]
        factory.make_source()
        _populate(cls.treaties, ["LB", "FR", "MX"])

    def grow(self):
        """Ten more States in every treaty, their history dated in the past."""
        started = timezone.now()
        _populate(self.treaties, [f"X{c}" for c in "ABCDEFGHIJ"])
        for model in history.KINDS.values():
            model.history.filter(history_date__gte=started).update(
                history_date=datetime.datetime(2011, 1, 1, tzinfo=datetime.UTC)
            )

    def check(self, size, budgets=BUDGETS):
        factory.assert_query_budgets(self, budgets, size)

    def test_admin_lists_keep_their_budget_with_three_treaties_as_the_data_grows(self):
        """The treaty, participation and obligation lists and the audit log, at both sizes."""
        self.client.force_login(factory.make_user("root", superuser=True))
        budgets = {reverse(name): budget for name, budget in ADMIN_BUDGETS.items()}
        self.check("small", budgets)
        self.grow()
        self.check("large", budgets)

    @override_settings(PUBLIC_CACHE=True, PUBLIC_CACHE_SECONDS=0, DERIVED_MEMO=False)
    def test_pages_keep_their_budget_with_three_treaties_as_the_data_grows(self):
        """Each page makes the same number of queries with 3 States in each treaty and with 13."""
        self.check("small")
        self.grow()
        self.check("large")


class ToolTests(TestCase):
    def test_the_shipped_files_are_what_the_tool_writes_from_the_kept_pages(self):
        """participations.csv (keeping its hand-written notes) and the declarations, byte for byte."""
        tool = _tool()
        data = settings.BASE_DIR / "fixtures" / "data"
        for slug in ("apmbc", "att"):
            page = PAGES / STATUS_PAGES[slug]
            shipped = data / slug / "participations.csv"
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                tool.main([str(page), f"untc_{slug}", "--keep", str(shipped)])
            with self.subTest(treaty=slug):
                self.assertEqual(out.getvalue(), shipped.read_text(encoding="utf-8"))
                written = tool.declarations_yaml(
                    page.read_text(encoding="utf-8"), f"untc_{slug}", tool._names()
                )
                self.assertIn(
                    written.strip(), (data / slug / "declarations.yaml").read_text(encoding="utf-8")
                )

    def test_the_tool_refuses_a_page_without_a_participants_table(self):
        with self.assertRaises(SystemExit):
            _tool().read_page("<html><table><tr><td>Not a status list</td></tr></table></html>")

    def test_the_tool_finds_columns_by_their_header_text(self):
        """The ATT's page has a provisional-application column; the APMBC's has none."""
        tool = _tool()
        att, _ = tool.read_page((PAGES / STATUS_PAGES["att"]).read_text(encoding="utf-8"))
        estonia = next(row for row in att if row["name"] == "Estonia")
        self.assertEqual(
            (estonia["provisional_application_date"], estonia["instrument"]), ("2014-04-02", "approval")
        )
        apmbc, withdrawals = tool.read_page((PAGES / STATUS_PAGES["apmbc"]).read_text(encoding="utf-8"))
        self.assertEqual(len(apmbc), 166)
        self.assertEqual(
            withdrawals[depositary.normalise_name("Finland")]["withdrawal_notice_date"], "2025-07-10"
        )


def test_the_kept_pages_are_real_status_lists():
    """Each kept page says which treaty it is and when it was printed."""
    for slug, title in (("apmbc", "Anti-Personnel Mines"), ("att", "Arms Trade Treaty")):
        text = (PAGES / STATUS_PAGES[slug]).read_text(encoding="utf-8")
        assert title in text
        assert "STATUS AS AT : 03-02-2026" in text


class LaterStateRuleTests(SimpleTestCase):
    """rules.entry_into_force for a deposit between the deciding deposit and the general date."""

    ATT = rules.TreatyRules(
        eif_instruments=50,
        eif_rule=rules.EIF_DAYS_AFTER,
        eif_period=90,
        eif_later_after=rules.EIF_LATER_AFTER_ENTRY_INTO_FORCE,
    )

    def test_an_att_deposit_before_entry_into_force_gets_the_general_date(self):
        """Lithuania, 18 December 2014: bound from 24 December 2014 (Art. 22(2) counts only later deposits)."""
        self.assertEqual(rules.entry_into_force(D("2014-12-18"), D("2014-09-25"), self.ATT), D("2014-12-24"))

    def test_an_att_deposit_on_or_after_entry_into_force_counts_ninety_days(self):
        self.assertEqual(rules.entry_into_force(D("2014-12-24"), D("2014-09-25"), self.ATT), D("2015-03-24"))

    def test_under_the_threshold_rule_a_deposit_after_the_nth_counts_from_itself(self):
        """CCM and APMBC Art. 17(2): any deposit after the Nth counts its own months, even before the general date."""
        apmbc = rules.TreatyRules(eif_instruments=40)
        self.assertEqual(rules.entry_into_force(D("1998-12-01"), D("1998-09-16"), apmbc), D("1999-06-01"))
        self.assertEqual(rules.entry_into_force(D("1998-09-16"), D("1998-09-16"), apmbc), D("1999-03-01"))
