"""A Nominatim-compatible geocoder over HTTP (the standard library's client: one GET at a
time from one thread needs nothing more)."""

from __future__ import annotations

import json
import math
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from order_service import __version__
from order_service.application.errors import GeocoderUnavailable
from order_service.geocoding.places import AddressQuery, Point

# Nominatim's usage policy asks for a User-Agent that names the application; a library's
# default one is refused.
USER_AGENT = f"order-service/{__version__} (shop back office: the map of an order's address)"
# One result is a few hundred bytes; anything far larger is not an answer to read.
LARGEST_ANSWER_BYTES = 256 * 1024


class NominatimGeocoder:
    """Asks a Nominatim-compatible geocoder where an address is."""

    def __init__(self, base_url: str, *, timeout_seconds: float) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"a geocoder is reached over http(s), not {base_url!r}")
        self._search = f"{base_url.rstrip('/')}/search"
        self._timeout = timeout_seconds

    def search(self, query: AddressQuery) -> Point | None:
        """The point of the address, None if the geocoder knows no such place, or
        GeocoderUnavailable."""
        # A structured query: each part goes to the field it is, which matches better
        # than one line of free text, and the country narrows the search.
        parameters = {"format": "jsonv2", "limit": "1", "street": query.street,
                      "city": query.city, "postalcode": query.postal_code,
                      "countrycodes": query.country.lower()}
        request = Request(  # noqa: S310  (http or https only: checked above)
            f"{self._search}?{urlencode(parameters)}",
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"})
        try:
            with urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                body = response.read(LARGEST_ANSWER_BYTES + 1)
        except HTTPError as error:
            raise GeocoderUnavailable(f"answered HTTP {error.code}",
                                      _retry_after(error.headers.get("Retry-After"))) from None
        except (URLError, TimeoutError, OSError) as error:
            raise GeocoderUnavailable(str(getattr(error, "reason", error))) from None
        return _first_point(body)


def _first_point(body: bytes) -> Point | None:
    if len(body) > LARGEST_ANSWER_BYTES:
        raise GeocoderUnavailable("answered with more than a search result")
    try:
        results = json.loads(body)
        if not results:
            return None
        point = Point(float(results[0]["lat"]), float(results[0]["lon"]))
    except (ValueError, TypeError, KeyError, IndexError):
        raise GeocoderUnavailable("answered something that is not a search result") from None
    if not (math.isfinite(point.latitude) and math.isfinite(point.longitude)
            and abs(point.latitude) <= 90 and abs(point.longitude) <= 180):
        raise GeocoderUnavailable("answered a point that is not on the earth")
    return point


def _retry_after(header: str | None) -> float | None:
    # Only the seconds form: an HTTP date would need this host's clock to agree.
    value = (header or "").strip()
    return float(value) if value.isdigit() else None
