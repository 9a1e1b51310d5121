"""Requests refused before any view: input no page of the admin can use."""

from django.http import HttpResponseBadRequest
from django.urls import reverse


class RefuseNulInAdminMiddleware:
    """A NUL character in the admin's query string or form data gets a 400 in words.

    PostgreSQL cannot store or compare text with NUL bytes; the public pages
    refuse them in their forms, and every admin page (lists, searches,
    autocomplete) is covered here at once.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefix = reverse("admin:index")

    def __call__(self, request):
        if request.path.startswith(self.prefix) and self._has_nul(request):
            return HttpResponseBadRequest(
                "This request contains a NUL character, which no field of the tracker can hold. "
                "Remove it and try again.\n",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)

    @staticmethod
    def _has_nul(request):
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
            return True
        if request.method == "POST" and not request.content_type.startswith("multipart/"):
            return any(
                "\x00" in key or "\x00" in value for key, values in request.POST.lists() for value in values
            )
        return False
