"""Server errors an operator can find: a short reference id shown to the user and written in the log.

The page or JSON body a user sees after a server error carries only the reference ("E-7F3K2Q"); the
log line with the same reference carries the traceback. Nothing of the request (its body, query or
headers, which may hold an ID number) is written: method and path only.
"""

import logging
import secrets
import sys

# Crockford's alphabet without the letters people confuse with digits (I, L, O, U).
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_LENGTH = 6  # 32**6 ≈ 10⁹: unique enough among a day's errors, short enough to read over the phone

_default_logger = logging.getLogger("yimen.errors")


def new_reference() -> str:
    return "E-" + "".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH))


def log_server_error(request, *, logger: logging.Logger | None = None, exc: BaseException | None = None) -> str:
    """Log the exception being handled with a new reference id; returns the id."""
    reference = new_reference()
    method = getattr(request, "method", "") or ""
    path = getattr(request, "path", "") or ""
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else sys.exc_info()
    (logger or _default_logger).error(
        "Server error %s on %s %s", reference, method, path, exc_info=exc_info if exc_info[0] else None
    )
    return reference
