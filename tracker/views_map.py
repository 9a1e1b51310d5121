"""/map.svg: the world map of one treaty on one day, as an image of its own (tracker.worldmap draws it)."""

from django import forms
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tracker import derived, exports, worldmap
from tracker.filters import every_treaty, ignored_messages
from tracker.formfields import DayField
from tracker.views import map_standings


class MapForm(forms.Form):
    """The parameters of /map.svg: which treaty (the first entered by default) and on which day (today)."""

    treaty = forms.ChoiceField(label=_("Treaty"), required=False)
    as_of = DayField(label=_("As of"), required=False)

    def __init__(self, data):
        super().__init__(data)
        self.treaties = every_treaty()
        self.fields["treaty"].choices = [
            ("", _("The first treaty")),
            *((t.slug, t.short_name) for t in self.treaties),
        ]
        self.is_valid()

    @property
    def chosen_treaty(self):
        slug = self.cleaned_data.get("treaty")
        chosen = [t for t in self.treaties if t.slug == slug]
        # As on /states/: the first treaty entered is the default.
        return chosen[0] if chosen else min(self.treaties, key=lambda t: t.pk, default=None)

    @property
    def as_of_date(self):
        return self.cleaned_data.get("as_of") or timezone.localdate()


def world_map_svg(request):
    """The map as a standalone SVG with its key; a 400 naming the bad parameter otherwise."""
    form = MapForm(request.GET)
    if form.errors:
        return exports.bad_request_text(ignored_messages(form))
    treaty, as_of = form.chosen_treaty, form.as_of_date
    if treaty is None:
        return exports.bad_request_text([gettext("No treaty is recorded yet, so there is no map to draw.")])
    # The same map for every reader until the data changes (tracker.derived).
    svg = derived.memo(
        ("map svg", treaty.pk, as_of),
        lambda: worldmap.render_svg(treaty, as_of, map_standings(treaty, as_of), legend=True),
    )
    return HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
