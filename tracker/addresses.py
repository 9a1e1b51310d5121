"""Page addresses for long lists, without a reverse() per row.

reverse() costs tens of microseconds; a list of 500 States called it 500 times. One
reversed address with a placeholder gives the pattern, and each row fills it in.
"""

from django.urls import reverse

from tracker.models import State


def state_address():
    """A function from a State to its page's address (as State.get_absolute_url gives it)."""
    address = reverse("state-detail", args=["xx"])
    cut = address.rindex("/xx/") + 1
    prefix, suffix = address[:cut], address[cut + 2 :]
    return lambda state: f"{prefix}{state.iso2.lower()}{suffix}"


def absolute_address(request):
    """A function from a record to its page's absolute address, as the downloads give it.

    States (a row each in most downloads) are filled into one reversed address; other
    records use their get_absolute_url().
    """
    state_path = state_address()
    origin = f"{request.scheme}://{request.get_host()}"

    def address(record):
        if isinstance(record, State):
            return origin + state_path(record)
        return request.build_absolute_uri(record.get_absolute_url())

    return address
