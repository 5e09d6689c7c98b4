"""Errors with a user-facing detail: every front end shows `str(err)` as it is."""


class ServiceError(Exception):
    """A refusal or bad input; the message says what was wrong and how to do it right."""


class NotFound(ServiceError):
    pass
