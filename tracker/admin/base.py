"""What every tracker admin page shares: change reasons, the version check, revert and restore.

* Every save asks for a reason (add, change, revert, delete, restore). It is put
  on the request (``request.tracker_reason``), where simple-history's reason hook
  (``tracker.models.History``) finds it for every history row the request
  writes: the main record, its inline rows, rows deleted along with it and rows
  the treaty's rules recompute (whose reason says so).
* Forms carry the version they were loaded at (see ``tracker.admin.forms``).
* Revert is simple-history's history form, inside a transaction, refused to
  anyone without change permission, with the reason in the history.
* Deleted records are listed per model and can be restored with a reason.
* Every writing view (add, change, delete, revert, restore) is run again when
  PostgreSQL rolled its transaction back for a deadlock or a serialization
  failure, up to three times in all; after that the editor gets the form back,
  with their input and a message in words (HTTP 409), never an error page.
"""

import logging

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import DatabaseError, connections, models, router, transaction
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from simple_history.admin import SimpleHistoryAdmin

from tracker.admin import restore
from tracker.admin.forms import (
    NOT_FACTS,
    ReasonForm,
    VersionedInlineForm,
    VersionedInlineFormSet,
    VersionedModelForm,
)

logger = logging.getLogger(__name__)

#: PostgreSQL's deadlock_detected and serialization_failure: the transaction was rolled
#: back whole, and running it again is the cure its documentation prescribes.
RETRIED_SQLSTATES = ("40P01", "40001")
#: Runs of a writing view before the editor is asked to save again.
TRIES = 3
BUSY_DELETE = (
    "Another editor was saving related records at the same moment; nothing was deleted. Confirm again."
)
BUSY_RESTORE = (
    "Another editor was saving related records at the same moment; nothing was restored. Restore again."
)


def rolled_back_for_retry(error):
    """Whether ``error`` (a database error) is a deadlock or a serialization failure."""
    return getattr(error.__cause__, "sqlstate", None) in RETRIED_SQLSTATES


def busy(request):
    """Whether this request is being answered without saving, after the database gave up on it."""
    return getattr(request, "tracker_busy", False)


class SafeAutocompleteSelect(AutocompleteSelect):
    """The admin's autocomplete widget, redrawing a refused form whatever was posted in it.

    Django's widget looks the posted value up as a key: "abc" in a field of
    numeric keys (or a NUL byte, on PostgreSQL) raised instead of showing the
    form's "Select a valid choice" error. Values that are not keys are dropped.
    """

    def optgroups(self, name, value, attr=None):
        key = self.field.remote_field.model._meta.pk
        valid = []
        for item in value:
            try:
                number = key.to_python(item)
            except ValidationError:
                continue
            if not isinstance(number, int) or 0 < number < 2**63:
                valid.append(item)
        return super().optgroups(name, valid, attr)


class BoundedModelChoiceField(forms.ModelChoiceField):
    """A foreign key field that refuses, in words, a number no database key can be."""

    def to_python(self, value):
        key = self.queryset.model._meta.pk
        if value not in self.empty_values and isinstance(key, models.AutoField | models.BigAutoField):
            try:
                number = int(str(value))
            except ValueError:
                number = None
            if number is None or not 0 < number < 2**63:
                raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class SafeAutocompleteMixin:
    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # An address typed without a scheme is read as https:// (Django 6's default).
        if isinstance(db_field, models.URLField):
            kwargs.setdefault("assume_scheme", "https")
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs.setdefault("form_class", BoundedModelChoiceField)
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if formfield is not None and type(formfield.widget) is AutocompleteSelect:
            formfield.widget.__class__ = SafeAutocompleteSelect
        return formfield


class TrackerAdmin(SafeAutocompleteMixin, SimpleHistoryAdmin):
    """Base for every model of the tracker."""

    form = VersionedModelForm
    # Named here rather than found by app label, so that import-export's change list,
    # which extends it, keeps the "Deleted records" link.
    change_list_template = "admin/tracker/change_list.html"
    object_history_form_template = "admin/tracker/object_history_form.html"
    history_list_per_page = 50
    list_per_page = 50

    # --- lists ----------------------------------------------------------------------

    def changelist_view(self, request, extra_context=None):
        # Django's list reads the date hierarchy's year, month and day as numbers, and
        # PostgreSQL refuses NUL in a query: such parameters are dropped, in words.
        dropped = [name for name, value in request.GET.items() if not self._list_parameter_ok(name, value)]
        if dropped:
            query = request.GET.copy()
            for name in dropped:
                query.pop(name)
            self.message_user(
                request,
                f"Not understood, and removed from the filters: {', '.join(dropped)}.",
                messages.WARNING,
            )
            return HttpResponseRedirect(f"{request.path}?{query.urlencode()}" if query else request.path)
        return super().changelist_view(request, extra_context)

    def _list_parameter_ok(self, name, value):
        if "\x00" in name or "\x00" in value:
            return False
        if self.date_hierarchy and name.startswith(f"{self.date_hierarchy}__"):
            part = name.rsplit("__", 1)[1]
            limits = {"year": (1900, 2999), "month": (1, 12), "day": (1, 31)}.get(part)
            return limits is not None and value.isdigit() and limits[0] <= int(value) <= limits[1]
        return True

    # --- deadlocks: run again, then answer in words -------------------------------

    def retrying(self, request, view, *args, **kwargs):
        """Run a writing view; when the database rolled it back for a deadlock, run it again.

        At most TRIES runs. Each run is one transaction, rolled back whole by the
        database's error, and reads the record afresh; the request's POST data is
        already read. If every run fails, the view runs once more with
        ``request.tracker_busy`` set: it takes no lock, saves nothing, and shows
        the form with the editor's input and BUSY, with the status 409.
        """
        if request.method != "POST":
            return view(request, *args, **kwargs)
        connection = connections[router.db_for_write(self.model)]
        for attempt in range(1, TRIES + 1):
            try:
                return view(request, *args, **kwargs)
            except DatabaseError as error:
                if not rolled_back_for_retry(error) or connection.needs_rollback:
                    raise
                logger.warning("%s, run %d of %d: %s", request.path, attempt, TRIES, error)
        request.tracker_busy = True
        response = view(request, *args, **kwargs)
        response.status_code = 409
        return response

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self.retrying(request, super().changeform_view, object_id, form_url, extra_context)

    # --- reasons on add and change ----------------------------------------------

    def get_actions(self, request):
        # Bulk delete would bypass the reason; records are deleted one at a time.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change):
        reason = form.cleaned_data["reason"]
        revert_of = getattr(request, "_tracker_revert_of", None)
        if revert_of is not None:
            reason = f"Reverted to the version of {revert_of}: {reason}"
        # Every history row of this request carries it: the record, its inline
        # rows (saved next by save_related) and whatever the rules recompute.
        request.tracker_reason = reason
        super().save_model(request, obj, form, change)

    def get_fields(self, request, obj=None):
        # The reason and the version are rendered by the change form template.
        return [f for f in super().get_fields(request, obj) if f not in NOT_FACTS]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if kwargs.get("fields"):
            kwargs["fields"] = [f for f in kwargs["fields"] if f not in NOT_FACTS]
        form = super().get_form(request, obj, change, **kwargs)
        if getattr(request, "_tracker_revert_of", None) is not None:
            form = type(form.__name__, (form,), {"reverting": True})
        if busy(request):
            form = type(form.__name__, (form,), {"busy": True})
        return form

    # --- history and revert (simple-history's pages) ----------------------------------

    def history_view(self, request, object_id, extra_context=None):
        # simple-history reads the id as a number: anything else is no such record.
        if not str(object_id).isdigit():
            raise Http404("No such record.")
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        return self.retrying(request, self._history_form_view, object_id, version_id, extra_context)

    def _history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST" and not self.has_change_permission(request):
            raise PermissionDenied
        try:
            history_row = self.model.history.filter(history_id=int(version_id), id=int(object_id)).first()
        except ValueError:
            history_row = None
        if history_row is None:
            raise Http404("No such version of this record.")
        request._tracker_revert_of = date_format(
            timezone.localtime(history_row.history_date), "DATETIME_FORMAT"
        )
        with transaction.atomic(using=router.db_for_write(self.model)):
            return super().history_form_view(request, object_id, version_id, extra_context)

    # --- delete with a reason ---------------------------------------------------------

    def delete_view(self, request, object_id, extra_context=None):
        return self.retrying(request, self._delete_with_reason, object_id, extra_context)

    def _delete_with_reason(self, request, object_id, extra_context=None):
        extra_context = dict(extra_context or {})
        if request.method == "POST":
            reason_form = ReasonForm(request.POST)
            if not reason_form.is_valid() or busy(request):
                # Show the confirmation page again, with the error: the admin
                # deletes only on a non-empty POST.
                request.POST = QueryDict()
                if busy(request):
                    messages.error(request, BUSY_DELETE)
            else:
                request._tracker_reason = reason_form.cleaned_data["reason"]
        else:
            reason_form = ReasonForm()
        extra_context["reason_form"] = reason_form
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request, obj):
        reason = request._tracker_reason
        obj._change_reason = reason
        # Rows deleted along with it (and recomputed because of it) say why.
        request.tracker_reason = f"Deleted with {obj._meta.verbose_name} “{obj}”: {reason}"
        obj.delete()

    # --- deleted records ----------------------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        wrap = self.admin_site.admin_view
        return [
            path("deleted/", wrap(self.deleted_view), name="%s_%s_deleted" % info),
            path(
                "deleted/<int:history_id>/restore/",
                wrap(self.restore_view),
                name="%s_%s_restore" % info,
            ),
        ] + super().get_urls()

    def deleted_rows(self):
        """The last history row of every record that is deleted now, newest first."""
        history = self.model.history.model
        later = history.objects.filter(id=OuterRef("id"), history_date__gt=OuterRef("history_date"))
        return (
            history.objects.filter(history_type="-")
            .exclude(Exists(later))
            .exclude(id__in=self.model._default_manager.values("pk"))
            .select_related("history_user")
            .order_by("-history_date", "-history_id")
        )

    def deleted_view(self, request):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        paginator = Paginator(self.deleted_rows(), 50)
        page = paginator.get_page(request.GET.get("p"))
        for row in page.object_list:
            row.label = restore.label(row)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Deleted {self.opts.verbose_name_plural}",
            "opts": self.opts,
            "page_obj": page,
            "can_restore": self.has_add_permission(request),
        }
        return TemplateResponse(request, "admin/tracker/deleted_list.html", context)

    def restore_view(self, request, history_id):
        return self.retrying(request, self._restore_view, history_id)

    def _restore_view(self, request, history_id):
        if not self.has_add_permission(request):
            raise PermissionDenied
        row = self.deleted_rows().filter(history_id=history_id).first()
        if row is None:
            raise Http404("No deleted record with this history entry (it may have been restored already).")
        form = ReasonForm(request.POST or None)
        if busy(request):
            messages.error(request, BUSY_RESTORE)
        elif request.method == "POST" and form.is_valid():
            try:
                with transaction.atomic(using=router.db_for_write(self.model)):
                    obj, count = restore.restore(row, form.cleaned_data["reason"], request.user)
            except ValidationError as error:
                for message in restore.error_messages(error):
                    form.add_error(None, message)
            else:
                also = f" with {count - 1} record(s) deleted along with it" if count > 1 else ""
                self.message_user(request, f"Restored “{obj}”{also}.", messages.SUCCESS)
                url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk])
                return HttpResponseRedirect(url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Restore {self.opts.verbose_name} “{restore.label(row)}”",
            "opts": self.opts,
            "row": row,
            "fields": restore.field_values(row),
            "children": [
                (c.instance_type._meta.verbose_name, restore.label(c)) for c in restore.cascade_rows(row)
            ],
            "form": form,
        }
        return TemplateResponse(request, "admin/tracker/restore_confirm.html", context)


class TrackerInlineMixin(SafeAutocompleteMixin):
    """Inline rows carry their version too; their reason is the main form's."""

    form = VersionedInlineForm
    formset = VersionedInlineFormSet
    extra = 0

    def get_fields(self, request, obj=None):
        fields = [f for f in super().get_fields(request, obj) if f != "version"]
        if self.has_change_permission(request, obj) or self.has_add_permission(request, obj):
            fields.append("version")  # hidden: rendered, not a column
        return fields

    def get_formset(self, request, obj=None, **kwargs):
        # "version" is a declared form field; naming it to the form factory would
        # clash with the model's non-editable field of the same name.
        if "fields" not in kwargs:
            kwargs["fields"] = [
                f for f in flatten_fieldsets(self.get_fieldsets(request, obj)) if f != "version"
            ]
        if busy(request):
            kwargs["form"] = type(self.form.__name__, (self.form,), {"busy": True})
        return super().get_formset(request, obj, **kwargs)


class TrackerTabularInline(TrackerInlineMixin, admin.TabularInline):
    pass


class TrackerStackedInline(TrackerInlineMixin, admin.StackedInline):
    pass
