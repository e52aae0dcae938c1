"""Domain errors. Each names the field at fault; the API renders them in one place."""

from __future__ import annotations


class MineWatchError(Exception):
    """Base of every domain error raised by a service."""

    status_code = 400

    def __init__(self, message: str, *, field: str = "non_field_errors") -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def as_dict(self) -> dict[str, list[str]]:
        """``{field: [text]}`` in the active language: what the API and the forms show."""
        return {self.field: [self.text]}

    @property
    def text(self) -> str:
        """The message in the active language, as pages and the API show it (``message`` is the
        English original the code and the logs keep)."""
        from minewatch.core.messages import translate_message

        return translate_message(self.message)


class InvalidInput(MineWatchError):
    """A value is malformed, out of range or inconsistent with another."""


class NotAllowed(MineWatchError):
    """The user's role does not permit this write."""

    status_code = 403


class InvalidTransition(MineWatchError):
    """A workflow step that is not legal from the current state."""

    status_code = 409
