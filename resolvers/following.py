"""Following models, and where a user's notifications go.

A user who follows a model is told by e-mail (resolvers/mail.py) of its new versions, stage
transitions, transition requests and their outcome, and comments, except their own.
Creators follow the models they create and requesters the models they ask about, as in
the Databricks registry; anyone who can read a model may follow or unfollow it.
"""
import re

from resolvers import lookups
from resolvers.changes import Change
from resolvers.errors import RegistryError, invalid
from store import queries
from store.tables import RegisteredModel, User

# An address as mail servers take it: one @, no spaces or angle brackets, a dot in the domain.
EMAIL = re.compile(r"[^@\s<>\"',;]{1,64}@[^@\s<>\"',;]+\.[^@\s<>\"',;]+")
MAX_EMAIL = 320


def follow(user_id: int | None, model: RegisteredModel) -> None:
    if user_id is not None:
        queries.add_follower(model.id, user_id)


def _user(change: Change) -> int:
    change.require_signed_in()
    if change.viewer.user_id is None:
        raise RegistryError("FAILED_PRECONDITION", f"{change.actor!r} is not a user of this registry.")
    return change.viewer.user_id


def follow_model(change: Change, name: str) -> RegisteredModel:
    user_id = _user(change)
    model = lookups.model(name, viewer=change.viewer)
    follow(user_id, model)
    return model


def unfollow_model(change: Change, name: str) -> RegisteredModel:
    user_id = _user(change)
    model = lookups.model(name, viewer=change.viewer)
    queries.remove_follower(model.id, user_id)
    return model


def set_email(change: Change, email: str | None) -> User:
    """The viewer's address (None: no e-mail)."""
    user_id = _user(change)
    if email is not None:
        email = email.strip()
        if len(email) > MAX_EMAIL or not EMAIL.fullmatch(email):
            raise invalid("Give an e-mail address such as ada@example.com (or null for none).", "input", "email")
    queries.set_email(user_id, email)
    return User.get_by_id(user_id)
