"""Tunables and service limits, in one place."""

from __future__ import annotations

from . import _contract
from ._operations import API_ROOT as API_ROOT  # the base URL's path, from the table

DEFAULT_BASE_URL = "https://api.leapocr.com" + API_ROOT
API_KEY_ENV = "LEAPOCR_API_KEY"
BASE_URL_ENV = "LEAPOCR_BASE_URL"
API_KEY_HEADER = "X-API-Key"
LOG_ENV = "LEAPOCR_LOG"  # "info" or "debug": a stderr handler on the leapocr_sdk logger

DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 3
DEFAULT_UPLOAD_CONCURRENCY = 4
# Connections per httpx client (all kept alive between requests, but see below).
MAX_CONNECTIONS = 100
# Idle connections the blocking client's API pool keeps (httpx's own default). httpcore's
# pool looks at every connection it holds, and polls each idle one for expiry, on every
# request and every release: threads sharing one client, each holding a connection only
# while its request runs, would pay on each call for every connection kept beyond this.
BLOCKING_KEEPALIVE = 20
# Requests the async client keeps in flight at once (API calls; part uploads apart): the
# others queue in the async runner's gate (``AwaitSlot``), not in httpcore's pool, whose
# per-request work grows with its connections (and counts waiting as PoolTimeout). Chosen
# by measurement (README, "Performance at scale"): client CPU per request rises with the
# cap (1,000 jobs on the emulator: ~1.1-1.5 ms at 8, ~1.6 at 16, ~1.9 at 32, ~2.3 at 100),
# while a cap too small limits requests per second against a distant service to cap /
# round-trip time.
MAX_IN_FLIGHT = 16

# Retry backoff: exponential from BACKOFF_INITIAL, capped, with jitter.
BACKOFF_INITIAL = 0.5
BACKOFF_MAX = 8.0
BACKOFF_JITTER = 0.25  # up to 25% of the delay is randomised away
# Server-suggested waits (Retry-After, X-RateLimit-Reset) are honoured up to this cap.
RETRY_AFTER_MAX = 60.0
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
# client.request retries only these methods (sending one twice changes nothing more).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

# Polling (see _polling): sleeps between polls are POLL_MIN_FACTOR .. POLL_CAP_FACTOR x the
# poll interval; without progress to predict from, the interval grows by POLL_GROWTH a poll.
DEFAULT_POLL_INTERVAL = 2.0
DEFAULT_WAIT_TIMEOUT = 600.0
POLL_GROWTH = 1.25
POLL_CAP_FACTOR = 4.0
POLL_MIN_FACTOR = 0.25
# Jobs a client remembers having submitted (to delay their first poll by one interval).
REMEMBERED_SUBMISSIONS = 10_000

# Result pages asked for per request: the most the service allows; requests 2..N go out
# this many at a time, the next as soon as one is answered (a sliding window: the SDK
# reads at most this many replies at once, holds the parsed answers that came before an
# older one, at most twice this many requests out or answered ahead of it, and stops at
# most this many requests beyond one that ends the paging early). A
# result reply larger than MAX_REPLY_BYTES is asked for again with fewer pages per request
# (RESULT_PAGE_LIMIT's largest divisor at most half of it: 500, 250, 125, 25, 5, 1, so each
# smaller window still starts where a larger one did).
RESULT_PAGE_LIMIT = _contract.RESULT_PAGE_LIMIT_MAX
RESULT_FETCH_CONCURRENCY = 8
# Result requests still out when paging ends early (a page that adds nothing, a reply
# too large) are stopped and waited for this long at most (a blocking request ends
# within a slice of its wait, a task at once).
RESULT_STOP_WAIT = 2.0

# The service's own limits, models and file types live in _contract.py.
# The name given to a document read from bytes or a nameless stream (plus its extension).
DEFAULT_FILE_STEM = "document"

# Upload bodies are streamed from disk in chunks of this size.
UPLOAD_CHUNK_SIZE = 1024 * 1024
# ...or smaller with a short timeout: each write of a part body must be taken by the storage
# host within the client's timeout (a host that stops reading is given up on after it), so
# a write holds at most what MIN_UPLOAD_RATE sends in that time, and at least this much.
UPLOAD_MIN_WRITE = 8 * 1024

# Batches (process_many): documents in flight at once, and the pacing of job creations.
DEFAULT_BATCH_CONCURRENCY = 8
# After a 429 the spacing between submissions doubles (from at least THROTTLE_MIN_SPACING
# up to THROTTLE_MAX_SPACING seconds); each accepted submission shrinks it by this factor.
THROTTLE_MIN_SPACING = 0.02
THROTTLE_MAX_SPACING = 5.0
THROTTLE_RECOVERY = 0.5
# A submission refused with 429 after all its retries goes back in the queue this often.
BATCH_RATE_LIMIT_RESUBMITS = 20
# A batch stopped early (break, an exception in the caller's loop, Ctrl-C, a cancelled
# task, a closed client) waits this long for its documents in flight to stop (each
# deletes its own half-uploaded job), then deletes the jobs it must (one request each,
# at once, bounded by CLEANUP_TIMEOUT): a stop takes at most about
# BATCH_STOP_WAIT + CLEANUP_TIMEOUT seconds, usually well under one.
BATCH_STOP_WAIT = 6.0
# A journaled batch claims each source before submitting it: a lease held by its run
# (pid, host and a random token) for this many seconds, renewed every
# JOURNAL_LEASE_RENEW seconds while the run lives. Another run skips a source whose
# lease is held, and takes it over once the lease ran out or its owner is gone.
JOURNAL_LEASE = 120.0
JOURNAL_LEASE_RENEW = 30.0
# The CLI's journal, in its --out directory.
JOURNAL_FILE_NAME = ".leapocr-journal.sqlite"

# Every reply body is read up to this size (after decompression), then refused with
# ResponseTooLargeError while reading: an endless or gzip-bomb reply cannot fill memory, and
# a small worker (1 GiB) holds a whole window of result replies (RESULT_FETCH_CONCURRENCY x
# this: 128 MiB) with room to parse them. Results are paged to fit (see RESULT_PAGE_LIMIT).
MAX_REPLY_BYTES = 16 * 1024 * 1024
# A result is fetched in at most this many requests when the job's page count is unknown.
MAX_RESULT_REQUESTS = 10_000

# Clean-up after an interrupted or failed upload (deleting the job) is one request without
# retries, bounded by this many seconds.
CLEANUP_TIMEOUT = 5.0
# A request made at an operation's deadline (wait_until_done's last poll) may still take
# this long, so a job finishing right at the end is not reported as timed out.
DEADLINE_GRACE = 1.0
# A part upload may take the client's timeout plus its size at this rate (bytes/second):
# a slow uplink still gets a large part through, a stalled one does not hold forever.
MIN_UPLOAD_RATE = 64 * 1024
