"""NUL characters in a request's address are refused before any route reads them.

PostgreSQL cannot store or even compare text that holds NUL (U+0000): a query with one
fails with a DataError, a 500, where SQLite would quietly search for it. Bodies are
checked by their schemas (api/schemas/fields.py refuses control characters in text),
and header fields cannot carry NUL at all (RFC 9110 §5.5: uvicorn's parsers refuse the
request). What is left is the address, whose path and query may carry a percent-encoded
%00. One app-wide dependency checks both for every route, the API's and the back
office's, and for routes added later: no route has to remember to.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError

from order_service.api.errors import NulInPath

NUL = "\x00"
NUL_TYPE = "nul_character"
NUL_MESSAGE = "must not contain a NUL character (%00)"


async def refuse_nul_characters(request: Request) -> None:
    """Refuse a path (404) or query parameters (a validation error) holding a NUL."""
    if NUL in request.scope["path"]:
        raise NulInPath
    query: bytes = request.scope.get("query_string", b"")
    # The cheap test first: almost no query string holds an encoded or raw NUL at all.
    if b"%00" not in query and b"\x00" not in query:
        return
    refused = [(name, value) for name, value in request.query_params.multi_items()
               if NUL in name or NUL in value]
    if refused:
        raise RequestValidationError([
            {"type": NUL_TYPE, "loc": ("query", name.replace(NUL, "%00")), "msg": NUL_MESSAGE,
             "input": value.replace(NUL, "%00")}
            for name, value in dict(refused).items()
        ])
