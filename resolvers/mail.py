"""E-mail to followers: what a follower is told of an activity, and the e-mails' way out of
their outbox (queued by migration 0008's trigger, sent by the dispatcher, retried as
webhook deliveries are: resolvers/deliveries.py).

A follower who can no longer read the model is not told: the e-mail fails unsent.
"""
import email.policy
import secrets
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from resolvers import access
from resolvers.accounts import viewer_of
from resolvers.deliveries import FAILED, Message, Outbound
from resolvers.global_ids import to_global_id
from store import outbox
from store.database import now_ms
from store.tables import Activity, EmailDelivery

# Python folds a long Subject before its first word, which some clients show as a leading
# space; SMTP allows lines of 998 characters.
HEADERS_ON_ONE_LINE = email.policy.SMTP.clone(max_line_length=998)
STAGE_NAMES = {"NONE": "None", "STAGING": "Staging", "PRODUCTION": "Production", "ARCHIVED": "Archived"}


@dataclass
class MailMessage(Message):
    table = EmailDelivery
    email: EmailMessage | None = None


def _what_happened(activity: Activity) -> str:
    who, version = activity.actor or "someone", f"version {activity.version}"
    to_stage = STAGE_NAMES.get(activity.to_stage or "", activity.to_stage)
    request = f"the request to move {version} to {to_stage}"
    said = {
        "MODEL_VERSION_CREATED": f"{version} registered by {who}",
        "STAGE_TRANSITIONED": f"{version} moved to {to_stage} by {who}",
        "TRANSITION_REQUESTED": f"{who} asks to move {version} to {to_stage}",
        "TRANSITION_REQUEST_APPROVED": f"{request} was approved by {who}",
        "TRANSITION_REQUEST_REJECTED": f"{request} was rejected by {who}",
        "TRANSITION_REQUEST_CANCELLED": f"{request} was cancelled by {who}",
        "COMMENT_CREATED": f"{who} commented on {version}",
    }.get(activity.type, f"{activity.type} by {who}")
    return said


def subject(activity: Activity) -> str:
    return f"[{activity.model_name}] {_what_happened(activity)}"


def text(activity: Activity) -> str:
    said = _what_happened(activity)
    lines = [said[:1].upper() + said[1:] + "."]
    if activity.comment:
        lines += ["", activity.comment]
    lines += ["", f"Model: {activity.model_name}", f"Activity: {to_global_id('Activity', activity.id)}", "",
              f"You follow {activity.model_name} in the model registry. To stop these e-mails, call "
              f'unfollowModel(input: {{name: "{activity.model_name}"}}).']
    return "\n".join(lines) + "\n"


def compose(activity: Activity, to: str, mail_from: str) -> EmailMessage:
    email = EmailMessage(policy=HEADERS_ON_ONE_LINE)
    email["From"] = mail_from
    email["To"] = to
    email["Subject"] = subject(activity)
    email["Date"] = formatdate(activity.occurred_at / 1000, usegmt=True)
    email["Message-ID"] = make_msgid("activity-" + str(activity.id), domain="registry-gateway")
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    email.set_content(text(activity))
    return email


def emails_due() -> bool:
    return outbox.any_due(EmailDelivery, now_ms())


def take_due_emails(outbound: Outbound, limit: int, lease_seconds: float) -> list[Message]:
    """Lease up to `limit` due e-mails and compose them; those to followers who can no
    longer read the model fail here, unsent. Run as one write."""
    now = now_ms()
    lease = secrets.token_hex(16)
    messages = []
    for item in outbox.lease_due_emails(now, limit, now + int(lease_seconds * 1000), lease):
        delivery, activity = item.delivery, item.activity
        reader = viewer_of(delivery.user, outbound.default_level)
        why_not = None
        if activity is None:
            why_not = "its activity is missing from the log"
        elif not delivery.user.email:
            why_not = f"{reader.name} has no e-mail address any more"
        elif access.level_on(reader, activity.model_id) < access.CAN_READ:
            why_not = f"{reader.name} can no longer read the model"
        if why_not:
            outbox.finish(EmailDelivery, [delivery.id], lease, status=FAILED, next_attempt_at=None,
                          last_error=f"Not sent: {why_not}.")
            continue
        messages.append(MailMessage(delivery_id=delivery.id, lease=lease, round_attempts=delivery.round_attempts,
                                    message_id=to_global_id("EmailDelivery", delivery.id),
                                    email=compose(activity, delivery.user.email, outbound.mail_from)))
    return messages
