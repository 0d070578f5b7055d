"""A LeapOCR webhook receiver with FastAPI: ``uvicorn webhooks_fastapi:app``."""

import os

from fastapi import FastAPI, HTTPException, Request

from leapocr_sdk.webhooks import (
    JobCompleted,
    JobFailed,
    WebhookEvent,
    WebhookVerificationError,
    construct_event,
)

SECRET = os.environ["LEAPOCR_WEBHOOK_SECRET"]  # shown for the subscription in the dashboard
app = FastAPI()
seen_event_ids: set[str] = set()  # keep these in your database, for a day or so
handled: list[WebhookEvent] = []


@app.post("/webhooks/leapocr")
async def leapocr_webhook(request: Request) -> dict[str, str]:
    body = await request.body()  # the raw bytes, exactly as received
    try:
        event = construct_event(body, request.headers, SECRET)
    except WebhookVerificationError as refused:
        raise HTTPException(status_code=400, detail=refused.reason) from None
    if event.event_id in seen_event_ids:
        return {"status": "duplicate"}  # a retried delivery: handled already
    seen_event_ids.add(event.event_id)
    if isinstance(event, JobCompleted):
        print(f"job {event.job_id} completed: {event.total_pages} pages")
    elif isinstance(event, JobFailed):
        print(f"job {event.job_id} failed: {event.error_message}")
    handled.append(event)
    return {"status": "ok"}
