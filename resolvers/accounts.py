"""Users, groups, access tokens and per-model grants.

A token is `rg_` + 32 random bytes (URL-safe base64); only its SHA-256 is stored — a
token has the entropy of a key, so a fast hash is the right one — and it is shown once.
"""
import hashlib
import secrets

from resolvers import access, lookups, validation
from resolvers.access import Viewer
from resolvers.changes import Change
from resolvers.errors import RegistryError, invalid, not_found
from resolvers.global_ids import to_global_id
from store import permissions
from store.database import now_ms
from store.tables import AccessToken, GroupMember, User

TOKEN_PREFIX = "rg_"
# lastUsedAt is written at most this often per token: a write per request would cost more
# than the information is worth.
LAST_USED_RESOLUTION_MS = 60_000
MAX_LIFETIME_SECONDS = 10 * 365 * 24 * 3600


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _principal(name: str, *field: str) -> str:
    if not name.strip() or len(name) > validation.MAX_NAME:
        raise invalid(f"A user or group name has 1 to {validation.MAX_NAME} characters.", *field)
    return name


def ensure_user(name: str, is_admin: bool = False, groups=()) -> User:
    """The user called `name`, created when missing; its admin flag and groups as given."""
    _principal(name, "name")
    User.insert(name=name, is_admin=is_admin, created_at=now_ms()).on_conflict_ignore().execute()
    user = User.get(User.name == name)
    if user.is_admin != is_admin:
        User.update(is_admin=is_admin).where(User.id == user.id).execute()
        user.is_admin = is_admin
    for group in groups:
        _principal(group, "group")
        GroupMember.insert(user=user.id, group=group).on_conflict_ignore().execute()
    return user


def issue_token(user: User, description: str | None = None, lifetime_seconds: int | None = None,
                at: int | None = None) -> tuple[AccessToken, str]:
    """A new token for `user`: the row, and the secret (shown only now)."""
    validation.text(description, "description", "input", "description")
    if lifetime_seconds is not None and not 0 < lifetime_seconds <= MAX_LIFETIME_SECONDS:
        raise invalid(f"lifetimeSeconds is from 1 to {MAX_LIFETIME_SECONDS}.", "input", "lifetimeSeconds")
    at = at or now_ms()
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = AccessToken.create(
        user=user.id, secret_hash=_hash(secret), description=description, created_at=at,
        expires_at=at + lifetime_seconds * 1000 if lifetime_seconds else None)
    return token, secret


def create_user(name: str, is_admin: bool, groups) -> tuple[User, str]:
    """For the CLI: a new user and a first token."""
    if User.select().where(User.name == name).exists():
        raise RegistryError("ALREADY_EXISTS", f"User {name!r} already exists.", ("name",))
    user = ensure_user(name, is_admin, groups)
    return user, issue_token(user, "created with the user")[1]


def token_for(name: str, description: str | None = None) -> str:
    """For the CLI: a new token for an existing user."""
    user = User.get_or_none(User.name == name)
    if user is None:
        raise not_found(f"User {name!r} not found.", "user")
    return issue_token(user, description)[1]


def authenticate(secret: str, default_level: int) -> Viewer | None:
    """The viewer a bearer token stands for; None if it is unknown, expired or revoked."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = (AccessToken.select(AccessToken, User).join(User)
             .where(AccessToken.secret_hash == _hash(secret)).first())
    at = now_ms()
    if token is None or token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= at):
        return None
    if token.last_used_at is None or token.last_used_at < at - LAST_USED_RESOLUTION_MS:
        AccessToken.update(last_used_at=at).where(AccessToken.id == token.id).execute()
    return viewer_of(token.user, default_level)


def viewer_of(user: User, default_level: int) -> Viewer:
    groups = tuple(g for (g,) in GroupMember.select(GroupMember.group).where(GroupMember.user == user.id)
                   .order_by(GroupMember.group).tuples())
    return Viewer(name=user.name, is_admin=user.is_admin, groups=groups, user_id=user.id,
                  default_level=default_level)


def create_access_token(change: Change, description: str | None,
                        lifetime_seconds: int | None) -> tuple[AccessToken, str]:
    change.require_signed_in()
    user = User.get_or_none(User.id == change.viewer.user_id)
    if user is None:
        raise RegistryError("FAILED_PRECONDITION", f"{change.actor!r} is not a user of this registry; "
                                                   "create it with `registry-gateway users create`.")
    token, secret = issue_token(user, description, lifetime_seconds, change.at)
    change.record("ACCESS_TOKEN_CREATED", None, accessTokenId=to_global_id("AccessToken", token.id),
                  user=user.name, expiresAt=token.expires_at)
    return token, secret


def revoke_access_token(change: Change, token_id: int | None) -> int:
    """Your own tokens; an admin may revoke anyone's."""
    change.require_signed_in()
    token = AccessToken.get_or_none(AccessToken.id == token_id) if token_id else None
    if token is None or (token.user_id != change.viewer.user_id and not change.viewer.is_admin):
        raise not_found("Access token not found.", "input", "id")
    if token.revoked_at is None:
        AccessToken.update(revoked_at=change.at).where(AccessToken.id == token.id).execute()
        change.record("ACCESS_TOKEN_REVOKED", None, accessTokenId=to_global_id("AccessToken", token.id))
    return token.id


def set_permission(change: Change, name: str, principal: str, level: int):
    model = lookups.model(name, lock=True, viewer=change.viewer)
    change.require(model, access.CAN_MANAGE, "Changing permissions")
    _principal(principal, "input", "principal")
    before = permissions.granted_level(model.id, principal)
    access.grant(model, principal, level)
    change.record("PERMISSION_CHANGED", model, principal=principal,
                  level={"before": access.level_name(before or 0), "after": access.level_name(level)})
    return model
