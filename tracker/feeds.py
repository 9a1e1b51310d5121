"""The Atom feed of changes, /changes/feed/, with the same filters as /changes/."""

import io
from dataclasses import dataclass

from django.contrib.syndication.views import Feed
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _
from django.utils.xmlutils import SimplerXMLGenerator

from tracker import derived, exports, history
from tracker.filters import ChangeFilterForm, ignored_messages
from tracker.plaintext import plain

FEED_SIZE = 50
# What happened to a record, in the feed's language.
ACTIONS = {"created": _("created"), "changed": _("changed"), "deleted": _("deleted")}


class KeptEntriesAtomFeed(Atom1Feed):
    """An Atom feed whose entries come already written (``entries``), newest change ``updated``."""

    entries = ()
    updated = None

    def latest_post_date(self):
        return self.updated or super().latest_post_date()

    def write_items(self, handler):
        for entry in self.entries:
            # Written out as is: each entry is XML already, made by Atom1Feed itself.
            handler.ignorableWhitespace(entry)


@dataclass(frozen=True)
class Selection:
    """The filters' arguments to history.changes(), and the changes to write as items."""

    arguments: dict
    items: tuple = ()


class ChangeFeed(Feed):
    """The changes, each written as XML once per version of the data (tracker.derived).

    Django's syndication framework builds and writes every item on each request;
    here it writes the feed's head, and each change's entry is written by it
    once (a feed of that one item) and kept, so that any filter combination of
    the same version pastes the same entries.
    """

    feed_type = KeptEntriesAtomFeed
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
        return Selection(form.history_arguments())

    def get_feed(self, obj, request):
        changes = self.changes(obj.arguments)
        feed = super().get_feed(obj, request)
        origin = (request.scheme, request.get_host())
        feed.entries = [
            derived.memo(
                ("feed entry", change.kind, change.history_id, origin),
                lambda change=change: self.entry(change, obj, request),
            )
            for change in changes
        ]
        feed.updated = max((change.date for change in changes), default=None)
        return feed

    def entry(self, change, obj, request):
        """The <entry> of one change, as Atom1Feed writes it."""
        single = super().get_feed(Selection(obj.arguments, (change,)), request)
        out = io.StringIO()
        Atom1Feed.write_items(single, SimplerXMLGenerator(out, "utf-8", short_empty_elements=True))
        return out.getvalue()

    def link(self, obj):
        return reverse("change-list")

    def changes(self, arguments):
        # The same filters give the same changes until the data changes (tracker.derived).
        key = tuple(
            (name, getattr(value, "pk", None) or (tuple(value) if isinstance(value, list) else value))
            for name, value in sorted(arguments.items())
        )
        return derived.memo(("feed", key), lambda: history.changes(**arguments, limit=FEED_SIZE))

    def items(self, obj):
        return obj.items

    # Whatever is stored, the feed carries no control character (XML 1.0 cannot).

    def item_title(self, change):
        return plain(
            f"{change.object_repr}: {change.kind_label.lower()} {ACTIONS.get(change.action, change.action)}"
        )

    def item_link(self, change):
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
        return plain(render_to_string("tracker/feed_change.html", context))
