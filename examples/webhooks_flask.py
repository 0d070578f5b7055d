"""A LeapOCR webhook receiver with Flask: ``flask --app webhooks_flask run``."""

import os

from flask import Flask, abort, request

from leapocr_sdk.webhooks import (
    JobCompleted,
    JobFailed,
    WebhookEvent,
    WebhookVerificationError,
    construct_event,
)

SECRET = os.environ["LEAPOCR_WEBHOOK_SECRET"]  # shown for the subscription in the dashboard
app = Flask(__name__)
seen_event_ids: set[str] = set()  # keep these in your database, for a day or so
handled: list[WebhookEvent] = []


@app.post("/webhooks/leapocr")
def leapocr_webhook() -> dict[str, str]:
    body = request.get_data()  # the raw bytes, exactly as received
    try:
        event = construct_event(body, request.headers, SECRET)
    except WebhookVerificationError as refused:
        abort(400, refused.reason)
    if event.event_id in seen_event_ids:
        return {"status": "duplicate"}  # a retried delivery: handled already
    seen_event_ids.add(event.event_id)
    if isinstance(event, JobCompleted):
        print(f"job {event.job_id} completed: {event.total_pages} pages")
    elif isinstance(event, JobFailed):
        print(f"job {event.job_id} failed: {event.error_message}")
    handled.append(event)
    return {"status": "ok"}
