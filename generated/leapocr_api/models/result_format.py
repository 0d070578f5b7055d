from enum import StrEnum


class ResultFormat(StrEnum):
    MARKDOWN = "markdown"
    STRUCTURED = "structured"

    def __str__(self) -> str:
        return str(self.value)
