# SPDX-License-Identifier: MIT
"""User errors: printed as one line, exit status 2, never a traceback."""


class UserError(Exception):
    """Something the user can fix; the message says what to do."""

    def __init__(self, message, status=2):
        super().__init__(message)
        self.status = status
