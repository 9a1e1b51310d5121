"""CORS for the read API: any site may read /api/v1/ from a browser (GET only).

Outermost but for SecurityMiddleware and WhiteNoise, so that the page cache's
304s and cached answers carry the headers too. A preflight (OPTIONS) is
answered here, before any view; nothing outside /api/v1/ is touched. A HEAD is
answered as the GET would be, without its body (django-ninja routes GET only;
the pages answer HEAD too).
"""

from django.http import HttpResponse

API_PREFIX = "/api/v1/"
ALLOWED_METHODS = "GET, HEAD, OPTIONS"
ALLOWED_HEADERS = "Accept, Accept-Language, Content-Type, If-None-Match, If-Modified-Since"
EXPOSED_HEADERS = "ETag, Last-Modified, X-Cache"


class ApiCorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            response["Allow"] = ALLOWED_METHODS
            response["Access-Control-Allow-Methods"] = ALLOWED_METHODS
            response["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response["Access-Control-Max-Age"] = "86400"
            # No credentials are ever needed (the API is public): a wildcard is safe.
            response["Access-Control-Allow-Origin"] = "*"
            return response
        if request.method == "HEAD":
            request.method = "GET"
            response = self.get_response(request)
            request.method = "HEAD"
            if not response.streaming:
                response["Content-Length"] = str(len(response.content))
                response.content = b""
        else:
            response = self.get_response(request)
        allow_reading(response)
        return response


def allow_reading(response):
    """The headers that let any site's script read a response of the API (GET or HEAD)."""
    response["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    # No credentials are ever needed (the API is public): a wildcard is safe.
    response["Access-Control-Allow-Origin"] = "*"
