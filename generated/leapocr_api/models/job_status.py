from enum import StrEnum


class JobStatus(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    PARTIALLY_DONE = "partially_done"
    PENDING = "pending"
    PROCESSING = "processing"

    def __str__(self) -> str:
        return str(self.value)
