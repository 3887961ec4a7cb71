"""The pipeline's error taxonomy: expected drops and transient failures."""


class Drop(Exception):  # noqa: N818 - the name is the outcome it records
    """An expected, permanent outcome: the item stops here, is counted, never retried."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class Retryable(Exception):  # noqa: N818 - the name is the outcome it records
    """A transient failure (timeout, connection error, 429/5xx): worth another attempt."""

    def __init__(self, reason: str, detail: str = "", retry_after: float | None = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.retry_after = retry_after
