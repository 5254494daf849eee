"""Settings. Defaults live here; every one can be overridden by a ``FORUM_*``
environment variable (see README.md, "Settings")."""

import os
import secrets
from pathlib import Path


class DefaultConfig:
    BRAND_NAME = "Connect Community"
    BRAND_TAGLINE = "Help from customers and our Customer Care team"
    #: CSS custom properties injected into every page (see templates/base.html).
    BRAND_COLOR = "#0b3d91"
    BRAND_ACCENT = "#00a3e0"
    BRAND_STAFF_COLOR = "#e8f1fb"
    BRAND_LOGO = "img/logo.svg"
    #: The community's timezone: exact times on pages (hover, insights) are shown in it.
    TIMEZONE = "Europe/London"

    DATABASE_URL = None  # filled in from the instance folder when unset
    SECRET_KEY = None  # read from instance/secret_key when unset

    MAIL_OUTBOX = None  # defaults to instance/outbox
    MAIL_SENDER = "Connect Community <no-reply@community.example>"
    SMTP_HOST = None
    SMTP_PORT = 25
    SMTP_USERNAME = None
    SMTP_PASSWORD = None
    SMTP_STARTTLS = False
    SMTP_SSL = False
    SMTP_TIMEOUT = 10
    # --- reply by email (forum/mailin, docs/integrations-email.md) ---
    #: The domain of the per-recipient reply addresses (``reply+<token>@<domain>``) that
    #: notification mails carry as ``Reply-To``; unset switches reply by email off.
    MAIL_REPLY_DOMAIN = None
    #: The local part before ``+<token>`` (the MTA's recipient delimiter must be ``+``).
    MAIL_REPLY_PREFIX = "reply"
    #: A reply address works for this many seconds after the notification was sent.
    MAIL_REPLY_MAX_AGE = 30 * 24 * 3600
    #: Staff roles may reply by email too (their mail then skips the site's two factors).
    MAIL_REPLY_STAFF = False
    #: Largest incoming message read, in bytes (a bigger one is refused as too long).
    MAIL_INBOUND_MAX_BYTES = 1024 * 1024
    #: At most this many bounces per hour to one address (a loop or a flood stops there).
    MAIL_BOUNCES_PER_HOUR = 5

    #: Werkzeug hashing method for passwords; older hashes are replaced at the next sign-in.
    PASSWORD_HASH_METHOD = "scrypt:131072:8:1"  # noqa: S105 - a method name, not a password

    VERIFY_TOKEN_MAX_AGE = 3 * 24 * 3600
    RESET_TOKEN_MAX_AGE = 2 * 3600
    #: How long the link that confirms a new email address works.
    EMAIL_CHANGE_TOKEN_MAX_AGE = 24 * 3600
    REMEMBER_COOKIE_DAYS = 30
    #: A session without "remember me" ends after this many hours unused.
    SESSION_IDLE_HOURS = 24
    #: A session's "last seen" is written at most once per this many seconds.
    SESSION_TOUCH_SECONDS = 300
    #: Staff roles (moderators, Customer Care, executives, admins) must enrol an
    #: authenticator app and give a code at every sign-in before any staff action.
    STAFF_2FA_REQUIRED = True
    #: What the authenticator app shows as the account's issuer.
    TWO_FACTOR_ISSUER = None  # defaults to BRAND_NAME
    #: A posting form's one-time submission token is accepted for this many hours.
    SUBMISSION_TOKEN_HOURS = 24

    TOPICS_PER_PAGE = 25
    THREADS_PER_PAGE = 20
    MAX_REPLY_DEPTH = 4
    #: Topic lists: "new" covers topics started within this many days (and after the
    #: member joined); the boards' "new since your last visit" counts look this far back.
    UNREAD_DAYS = 14
    #: A topic view counts once per viewer per this many seconds ...
    TOPIC_VIEW_WINDOW_SECONDS = 1800
    #: ... and buffered views reach the database at most this often (forum.topics.viewcounts).
    TOPIC_VIEW_FLUSH_SECONDS = 60

    #: The public moderation log names the moderator (and role); false shows "a moderator".
    MODLOG_NAME_MODERATORS = True
    #: Q&A sessions: questions per page, and days after the live part until the archive.
    QA_QUESTIONS_PER_PAGE = 50
    QA_ARCHIVE_AFTER_DAYS = 14

    REDIS_URL = None
    #: Celery broker for background jobs (redis://... or amqp://...); unset: jobs run
    #: in-process after the commit (forum/jobs, forum.jobqueue).
    BROKER_URL = None
    #: The Celery queue the jobs go to (prefix it per deployment on a shared broker).
    JOBS_QUEUE = "forum"
    #: A job that failed this many times is a dead letter (/admin/jobs).
    JOBS_MAX_ATTEMPTS = 5
    #: Retry delay after the n-th failure: this many seconds * 2**(n-1), at most an hour.
    JOBS_BACKOFF_SECONDS = 10
    #: Redis broker: an unacknowledged job is handed out again after this many seconds.
    JOBS_VISIBILITY_TIMEOUT = 3600
    #: The sweep relays rows left unrelayed, or relayed and unfinished, for this long.
    JOBS_STALE_SECONDS = 300
    #: Finished job rows are deleted by the sweep after this many days.
    JOBS_KEEP_DAYS = 7
    #: Extra modules the worker imports (tasks of plug-ins, the tests' slow tasks).
    JOBS_IMPORTS: list[str] = []
    #: Celery remote control (`celery inspect`); it adds a pidbox queue per worker.
    JOBS_REMOTE_CONTROL = True

    # --- webhooks (forum/webhooks, docs/integrations-webhooks.md) ---
    #: Deliver to private, loopback, link-local and other non-public addresses (tests,
    #: an internal receiver); off: such URLs are refused when saved and when sent.
    WEBHOOKS_ALLOW_PRIVATE = False
    #: Seconds to connect, and to wait for the response, per attempt.
    WEBHOOKS_TIMEOUT = 5
    #: Attempts per delivery before it is given up.
    WEBHOOKS_MAX_ATTEMPTS = 6
    #: Wait after failed attempt n: this many seconds * 2**(n-1), at most a day (the
    #: retry sweep, `forum webhooks retry`, runs every 15 s: forum/jobs/schedule.py).
    WEBHOOKS_BACKOFF_SECONDS = 30
    #: Failed attempts in a row after which an endpoint is switched off (admins are notified).
    WEBHOOKS_DISABLE_AFTER = 10
    #: Characters of the response body kept in the delivery log.
    WEBHOOKS_EXCERPT_CHARS = 500
    #: Attempts shown per page of an endpoint's delivery log; finished deliveries are
    #: deleted after WEBHOOKS_KEEP_DAYS days by the retry sweep.
    WEBHOOKS_LOG_PER_PAGE = 50
    WEBHOOKS_KEEP_DAYS = 30
    RATELIMIT_ENABLED = True
    RATELIMIT_AUTH = "20 per minute"
    #: Failed sign-ins for one account, from any address; several windows, so the wait grows.
    RATELIMIT_LOGIN_ACCOUNT = "5 per minute;10 per 15 minutes;30 per day"
    #: Reset mails for one address, and registrations with one address, from any IP.
    RATELIMIT_RESET_ACCOUNT = "3 per hour"
    RATELIMIT_REGISTER_EMAIL = "3 per hour"
    #: Email change, data export and account deletion (each asks the password), per account.
    RATELIMIT_ACCOUNT_CHANGES = "5 per hour;20 per day"
    #: Wrong two-factor codes for one account (per IP, RATELIMIT_AUTH applies as well).
    RATELIMIT_TWO_FACTOR_ACCOUNT = "5 per minute;15 per hour"
    # helpdesk: posting limits for members (staff roles are never limited).
    RATELIMIT_POSTS_MEMBER = "30 per hour"
    RATELIMIT_POSTS_NEW_MEMBER = "5 per hour"
    RATELIMIT_NEW_MEMBER_DAYS = 7
    # helpdesk: the case lifecycle. An answered topic whose asker stays silent gets one
    # reminder after AUTO_RESOLVE_REMIND_DAYS, and is resolved AUTO_RESOLVE_DAYS after it.
    AUTO_RESOLVE_DAYS = 7
    AUTO_RESOLVE_REMIND_DAYS = 3
    # helpdesk: the staff queue colours waits against this many hours (a board may override it).
    RESPONSE_TARGET_HOURS = 4
    # helpdesk: extra names members may not take, comma-separated (beyond staff roles and the brand).
    STAFF_NAME_TERMS = ""
    # helpdesk: the site's address for links in notification emails sent outside a request.
    SITE_URL = "http://localhost:5000"

    # --- sign-in with OpenID Connect (forum/sso, docs/integrations-oidc.md) ---
    #: Provider names, comma-separated (or a JSON list): "customer,corp". Each NAME has
    #: OIDC_<NAME>_ISSUER, _CLIENT_ID, _CLIENT_SECRET, and optionally _LABEL ("Sign in
    #: with <label>"), _SCOPES ("openid email profile"), _STAFF (true: the corporate
    #: identity provider), _ROLE_CLAIM ("groups") and _ROLE_MAP ({"claim value": "role"}).
    #: Unset: no buttons, and every /sso/ page is a 404.
    OIDC_PROVIDERS = ""
    #: ``amr`` values that count as multi-factor sign-in at a staff provider (then the
    #: forum's own two-factor step is skipped).
    OIDC_MFA_AMR = ["mfa", "otp", "hwk", "swk", "sms", "fido"]
    #: False: staff accounts cannot sign in with a forum password (nor through a member
    #: provider); they must use a staff provider. Members' local accounts keep working.
    OIDC_STAFF_PASSWORD_SIGN_IN = True
    #: Seconds to wait for the provider (discovery, keys, token endpoint).
    OIDC_HTTP_TIMEOUT = 10
    #: Seconds a started sign-in (state, nonce, PKCE verifier) and a provider identity
    #: waiting for "create or link an account" stay usable.
    OIDC_FLOW_SECONDS = 600

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session
    MAX_CONTENT_LENGTH = 1024 * 1024

    # --- people and composer (forum.people, forum.composer) ---
    #: Largest avatar file accepted, in bytes (re-encoded to a 256 px WebP square).
    AVATAR_MAX_BYTES = 2 * 1024 * 1024
    #: Largest screenshot accepted, in bytes (re-encoded to WebP, at most 2000 px a side).
    UPLOAD_MAX_BYTES = 4 * 1024 * 1024
    #: Most pixels an uploaded image may declare (decompression bombs are refused unread).
    UPLOAD_MAX_PIXELS = 24_000_000
    #: Screenshots a member may upload per 24 hours, and the total bytes they may keep.
    UPLOADS_PER_DAY = 20
    UPLOAD_QUOTA_BYTES = 50 * 1024 * 1024
    #: Seconds a member's activity counts (for their rank) are cached.
    RANK_CACHE_SECONDS = 600

    # --- incidents ---
    #: Let visitors who are not signed in press "I'm affected" (rate limited per IP).
    INCIDENT_ANON_REPORTS = False
    INCIDENT_ANON_REPORT_LIMIT = "5 per hour"
    #: Seconds the open-incident banner data is cached.
    INCIDENT_BANNER_TTL = 10
    #: Cache anonymous renders of the home, status and incident pages while an incident is open.
    INCIDENT_PAGE_CACHE = True
    #: Seconds those renders are cached (and the max-age given to front proxies).
    INCIDENT_PAGE_TTL = 15

    # --- stateless hosts (forum/httpcache.py, forum/overload.py, forum/pagecache.py) ---
    #: max-age of the ``public`` Cache-Control on a visitor's GET (no cookie, no form).
    PUBLIC_MAX_AGE = 30
    #: A request that waited this long in the load balancer's queue (``X-Request-Start``)
    #: is served degraded: cached reader pages, cached or "busy" search. 0 turns it off.
    OVERLOAD_QUEUE_MS = 500
    #: Seconds a reader page is served from the shared cache while overloaded.
    OVERLOAD_PAGE_TTL = 30
    #: Seconds a visitor's search page is kept, to answer the same query when overloaded.
    SEARCH_BUSY_CACHE_SECONDS = 300
    #: The ``Retry-After`` of the "Search is busy" page (503).
    SEARCH_BUSY_RETRY_AFTER = 60
    #: The single-flight refresh lock expires after this many seconds (a killed worker).
    SINGLE_FLIGHT_LOCK_SECONDS = 5
    #: Seconds one live-update stream (``/status/<id>/events``) stays open; the browser
    #: reconnects on its own (server-sent events).
    LIVE_STREAM_SECONDS = 25
    # --- insights (/staff/insights) ---
    #: A term is a spike when its hourly count is this many standard deviations above the
    #: same hour of the week over the 4 weeks before (staff may try another on the page) ...
    INSIGHTS_SPIKE_Z = 3.0
    #: ... and it was used at least this many times in that hour.
    INSIGHTS_SPIKE_MIN_COUNT = 5
    #: The longest date range the dashboard accepts, in days.
    INSIGHTS_MAX_DAYS = 366
    #: Longest a dashboard block computed from the rollups is cached (forum/insights/cache.py);
    #: writes to its tables refresh it at once in this process (in every one with Redis).
    INSIGHTS_CACHE_SECONDS = 60
    # --- page speed (forum/rendering.py) ---
    #: Folder for Jinja's compiled templates, shared by workers and restarts; empty means
    #: ``<instance>/jinja-bytecode``, "off" compiles in memory only.
    JINJA_BYTECODE_CACHE = ""
    #: Longest a cached list (home page boards and latest activity, forum/listcache.py) is
    #: kept; writes refresh it at once in this process (in every one with Redis). Also the
    #: longest a member's cached read marks and board counts are kept
    #: (listcache.cached_for_member; their own reading refreshes them at once everywhere).
    LIST_CACHE_SECONDS = 10
    #: How long a visitor's rendered topic or board page body is kept (forum/visitorcache.py;
    #: 0: off). Writes show at once anyway (they change the key); this bounds how long a
    #: member rank or incident link from their own caches can lag in a copy.
    VISITOR_CACHE_SECONDS = 120

    # --- the JSON API (issue 19, forum/api/, docs/integrations-api.md) ---
    #: Requests per token when the token names no rate of its own (Flask-Limiter notation).
    API_RATE_LIMIT = "120/minute"
    #: Requests without a token (public reads), per client address.
    API_ANON_RATE_LIMIT = "60/minute"
    #: A token's "last used" time is written at most this often.
    API_TOUCH_SECONDS = 60


def load_secret_key(instance_path: str) -> str:
    """Return the secret key kept in ``instance/secret_key``, creating it once.

    There is deliberately no default in the code: a fresh install gets a random key
    that survives restarts, so sessions and signed links stay valid.
    """
    path = Path(instance_path) / "secret_key"
    if path.exists():
        key = path.read_text().strip()
        if key:
            return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key
