"""The Atom feed of changes, /changes/feed/, with the same filters as /changes/."""

from django.contrib.syndication.views import Feed
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from tracker import derived, exports, history
from tracker.filters import ChangeFilterForm, ignored_messages
from tracker.plaintext import plain

FEED_SIZE = 50
# What happened to a record, in the feed's language.
ACTIONS = {"created": _("created"), "changed": _("changed"), "deleted": _("deleted")}


class ChangeFeed(Feed):
    feed_type = Atom1Feed
    title = _("Treaty tracker: changes to the record")
    subtitle = _("Every edit to the public record: what changed, old and new values, and why.")

    def __call__(self, request, *args, **kwargs):
        form = ChangeFilterForm(request.GET)
        if not form.is_valid():
            return exports.bad_request_text(ignored_messages(form))
        return super().__call__(request, *args, **kwargs)

    def get_object(self, request):
        form = ChangeFilterForm(request.GET)
        form.is_valid()  # checked in __call__
        return form.history_arguments()

    def link(self, obj):
        return reverse("change-list")

    def items(self, obj):
        # The same filters give the same changes until the data changes (tracker.derived).
        key = tuple(
            (name, getattr(value, "pk", None) or (tuple(value) if isinstance(value, list) else value))
            for name, value in sorted(obj.items())
        )
        return derived.memo(("feed", key), lambda: history.changes(**obj, limit=FEED_SIZE))

    # Whatever is stored, the feed carries no control character (XML 1.0 cannot).

    def item_title(self, change):
        return plain(
            f"{change.object_repr}: {change.kind_label.lower()} {ACTIONS.get(change.action, change.action)}"
        )

    def item_link(self, change):
        return derived.memo(("feed link", change.kind, change.history_id), lambda: self._link(change))

    def _link(self, change):
        if change.state_iso2:
            base = reverse("state-history", args=[change.state_iso2])
        else:
            base = reverse("change-list") + f"?kind={change.kind}"
        return f"{base}#change-{change.kind}-{change.history_id}"

    def item_guid(self, change):
        return f"tag:{exports.UID_DOMAIN},2011:change/{change.kind}/{change.history_id}"

    item_guid_is_permalink = False

    def item_pubdate(self, change):
        return change.date

    def item_updateddate(self, change):
        return change.date

    def item_description(self, change):
        # The editor's name is never in the feed: it is shown to staff only, on the site.
        context = {"change": change, "action": ACTIONS.get(change.action, change.action)}
        return derived.memo(
            ("feed entry", change.kind, change.history_id),
            lambda: plain(render_to_string("tracker/feed_change.html", context)),
        )
