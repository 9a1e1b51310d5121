"""Derived dates flow one way: one save, one history row per changed record, equal to the database row."""

import datetime

from django.forms.models import model_to_dict
from django.test import TestCase

from tests import factory
from tracker import history
from tracker.models import Obligation, Participation, Treaty

D = datetime.date


def history_counts():
    """{(kind, record id): number of history rows} for every tracked record."""
    counts = {}
    for kind, model in history.KINDS.items():
        for record_id in model.history.values_list("id", flat=True):
            counts[(kind, record_id)] = counts.get((kind, record_id), 0) + 1
    return counts


def stored_values(model, record_id):
    """The record's stored facts (what its newest history row must hold)."""
    row = model._base_manager.get(pk=record_id)
    return {f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields}


def newest_values(model, record_id):
    row = model.history.filter(id=record_id).order_by("-history_date", "-history_id").first()
    return {f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields}


class ThresholdDepositTestCase(TestCase):
    """The 30th deposit, entered once in the admin, as an editor does."""

    @classmethod
    def setUpTestData(cls):
        cls.treaty = factory.make_treaty(opened_for_signature_on=D(2008, 12, 3))
        cls.first = factory.make_parties(cls.treaty, 29, first_deposit=D(2009, 1, 5))
        cls.thirtieth = factory.make_participation(
            cls.treaty, factory.make_state("BF", "Burkina Faso"), signature_date=D(2008, 12, 3)
        )
        cls.editor = factory.make_user("erin", groups=["editors"])

    def deposit_in_the_admin(self):
        self.client.force_login(self.editor)
        url = factory.admin_change_url(self.thirtieth)
        data = factory.admin_post_data(
            self.client.get(url),
            instrument="ratification",
            deposit_date="2010-02-16",
            reason="Deposit notified in C.N.94.2010.TREATIES-2",
        )
        r = self.client.post(url, data)
        self.assertEqual(r.status_code, 302, r.context and r.context["errors"])

    def test_one_new_history_row_per_changed_record_each_equal_to_the_database(self):
        """The participation, the treaty, the 29 others and every obligation: one row each, as stored."""
        before = history_counts()
        self.deposit_in_the_admin()
        after = history_counts()
        new = {key: after[key] - before.get(key, 0) for key in after if after[key] != before.get(key, 0)}
        self.assertEqual(set(new.values()), {1}, "no record has two new history rows")
        kinds = {}
        for kind, _record_id in new:
            kinds[kind] = kinds.get(kind, 0) + 1
        # This participation, the 29 others (entry into force), the treaty, and
        # two obligations for each of the 30 (created for the new party, or given deadlines).
        self.assertEqual(kinds, {"participation": 30, "treaty": 1, "obligation": 60})
        for kind, record_id in new:
            model = history.KINDS[kind]
            with self.subTest(kind=kind, id=record_id):
                self.assertEqual(newest_values(model, record_id), stored_values(model, record_id))

    def test_the_editor_row_holds_the_computed_entry_into_force(self):
        """The editor's own history row already has the date the rules give: no second "recomputed" row."""
        self.deposit_in_the_admin()
        newest = self.thirtieth.history.order_by("-history_date", "-history_id").first()
        self.assertEqual(newest.entry_into_force_date, D(2010, 8, 1))
        self.assertEqual(newest.history_change_reason, "Deposit notified in C.N.94.2010.TREATIES-2")
        self.assertEqual(newest.history_user, self.editor)

    def test_recomputed_rows_name_the_edit_that_caused_them(self):
        """The others' rows carry a reason naming the deposit, and the editor's reason."""
        self.deposit_in_the_admin()
        other = self.first[0].history.order_by("-history_date", "-history_id").first()
        self.assertEqual(
            other.history_change_reason,
            "Recomputed by the treaty's rules after a change to the participation “Burkina Faso – CCM”: "
            "Deposit notified in C.N.94.2010.TREATIES-2",
        )
        self.assertEqual(other.entry_into_force_date, D(2010, 8, 1))
        self.assertEqual(other.history_user, self.editor)

    def test_the_versions_of_each_record_only_increase(self):
        """Every history row of a record has a higher version than the one before."""
        self.deposit_in_the_admin()
        for kind, model in history.KINDS.items():
            for record_id in set(model.history.values_list("id", flat=True)):
                versions = list(
                    model.history.filter(id=record_id)
                    .order_by("history_date", "history_id")
                    .values_list("version", flat=True)
                )
                with self.subTest(kind=kind, id=record_id):
                    self.assertEqual(versions, sorted(set(versions)))


class TreatyHistoryTestCase(TestCase):
    """The Treaty's computed dates are in its history exactly as stored, before and after a rule edit."""

    @classmethod
    def setUpTestData(cls):
        cls.treaty = factory.make_treaty(eif_instruments=3)
        cls.parties = factory.make_parties(cls.treaty, 3, first_deposit=D(2009, 6, 16))

    def newest(self):
        return self.treaty.history.order_by("-history_date", "-history_id").first()

    def test_the_treaty_history_holds_its_computed_dates(self):
        """After the third deposit the newest history row has the threshold and entry into force."""
        self.treaty.refresh_from_db()
        self.assertEqual(self.treaty.threshold_date, D(2009, 6, 18))
        self.assertEqual(
            (self.newest().threshold_date, self.newest().entry_into_force_date),
            (D(2009, 6, 18), D(2009, 12, 1)),
        )

    def test_a_rule_edit_is_in_the_history_with_the_new_dates_and_deadlines(self):
        """Six months become three: the treaty's history row and every deadline follow at once."""
        treaty = Treaty.objects.get(pk=self.treaty.pk)
        treaty.eif_period = 3
        treaty._change_reason = "Typo in the rule"
        treaty.save()
        self.assertEqual(
            (self.newest().entry_into_force_date, self.newest().history_change_reason),
            (D(2009, 9, 1), "Typo in the rule"),
        )
        self.assertEqual(
            model_to_dict(self.newest().instance), model_to_dict(Treaty.objects.get(pk=treaty.pk))
        )
        participation = Participation.objects.get(pk=self.parties[0].pk)
        self.assertEqual(participation.entry_into_force_date, D(2009, 9, 1))
        stockpile = participation.obligations.get(kind=Obligation.Kind.STOCKPILE)
        self.assertEqual(stockpile.original_deadline, D(2017, 9, 1))
        newest = stockpile.history.order_by("-history_date", "-history_id").first()
        self.assertEqual(newest.original_deadline, D(2017, 9, 1))
        self.assertEqual(
            newest.history_change_reason,
            "Recomputed by the treaty's rules after a change to the treaty “CCM”: Typo in the rule",
        )

    def test_a_longer_stockpile_period_recomputes_every_deadline(self):
        """Raising the stockpile period from 8 to 9 years moves every stockpile deadline, with history."""
        treaty = Treaty.objects.get(pk=self.treaty.pk)
        treaty.stockpile_years = 9
        treaty._change_reason = "Amendment"
        treaty.save()
        for participation in self.parties:
            stockpile = Obligation.objects.get(participation=participation, kind=Obligation.Kind.STOCKPILE)
            self.assertEqual(stockpile.original_deadline, D(2018, 12, 1))
            newest = stockpile.history.order_by("-history_date", "-history_id").first()
            self.assertEqual(newest.original_deadline, D(2018, 12, 1))
            self.assertEqual(
                newest.history_change_reason,
                "Recomputed by the treaty's rules after a change to the treaty “CCM”: Amendment",
            )


class DeletionAndMoveTestCase(TestCase):
    """What a deletion or a moved extension leaves behind is recomputed too."""

    def test_deleting_the_deciding_deposit_recomputes_the_treaty_and_the_others(self):
        """Three instruments bring the treaty into force; deleting the third puts it out of force again."""
        treaty = factory.make_treaty(eif_instruments=3)
        parties = factory.make_parties(treaty, 3, first_deposit=D(2009, 6, 16))
        first = Participation.objects.get(pk=parties[0].pk)
        self.assertEqual(first.entry_into_force_date, D(2009, 12, 1))
        third = Participation.objects.get(pk=parties[2].pk)
        third._change_reason = "Entered by mistake"
        third.delete()
        treaty.refresh_from_db()
        self.assertEqual((treaty.threshold_date, treaty.entry_into_force_date), (None, None))
        first.refresh_from_db()
        self.assertIsNone(first.entry_into_force_date)
        self.assertTrue(
            first.history.latest().history_change_reason.startswith(
                "Recomputed by the treaty's rules after a change"
            )
        )

    def test_moving_an_extension_recomputes_the_obligation_it_left(self):
        """A granted extension moved to another obligation no longer extends the first one's deadline."""
        treaty = factory.make_treaty(eif_instruments=1)
        one, two = factory.make_parties(treaty, 2, first_deposit=D(2009, 6, 16))
        first = Obligation.objects.get(participation=one, kind="clearance")
        second = Obligation.objects.get(participation=two, kind="clearance")
        from tracker.models import Extension

        extension = Extension.objects.create(
            obligation=first, decision="granted", decided_on=D(2019, 9, 4), new_deadline=D(2021, 12, 1)
        )
        first.refresh_from_db()
        self.assertEqual(first.current_deadline, D(2021, 12, 1))
        extension = Extension.objects.get(pk=extension.pk)
        extension.obligation = second
        extension.save()
        first.refresh_from_db()
        second.refresh_from_db()
        self.assertEqual(first.current_deadline, first.original_deadline)
        self.assertEqual(second.current_deadline, D(2021, 12, 1))
