from enum import StrEnum


class ResultFormat(StrEnum):
    MARKDOWN = "markdown"
    PER_PAGE_STRUCTURED = "per_page_structured"
    STRUCTURED = "structured"

    def __str__(self) -> str:
        return str(self.value)
