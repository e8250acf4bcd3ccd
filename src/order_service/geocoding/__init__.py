"""Where shipping addresses are on a map, for the back office's order page.

Each address is looked up once with a Nominatim-compatible geocoder, off the request
path in a thread of its own, and the answer (or the failure, to retry later with
backoff) is kept in the database. Pages only read what was stored; the browser never
talks to the geocoder.

- `places`: what is asked (an address's street, town and country) and what is kept.
- `adapters.http.nominatim`: the geocoder over HTTP.
- `adapters.sql.address_locations`: the stored answers, in SQL.
- `locator`: the thread that asks, at most once a second, pausing while the geocoder
  is down.
"""
