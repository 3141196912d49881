"""Following models and the viewer's e-mail address: the mutations, inputs and payloads."""
from typing import Optional

import strawberry
from strawberry.types import Info

from resolvers import following
from schema.access_types import User
from schema.payloads import Payload, perform
from schema.types import RegisteredModel


@strawberry.input
class FollowModelInput:
    name: str


@strawberry.input
class UnfollowModelInput:
    name: str


@strawberry.input
class SetViewerEmailInput:
    email: Optional[str] = strawberry.field(description="null: no e-mail.")


@strawberry.type
class FollowModelPayload(Payload):
    registered_model: Optional[RegisteredModel] = None


@strawberry.type
class UnfollowModelPayload(Payload):
    registered_model: Optional[RegisteredModel] = None


@strawberry.type
class SetViewerEmailPayload(Payload):
    user: Optional[User] = None


@strawberry.type
class FollowingMutations:
    @strawberry.mutation(description="E-mail me this model's new versions, transitions, transition requests and their "
                                     "outcome, and comments (not my own). Creators and requesters follow already.")
    async def follow_model(self, info: Info, input: FollowModelInput) -> FollowModelPayload:
        model, errors = await perform(info, following.follow_model, input.name)
        return FollowModelPayload(registered_model=model, user_errors=errors)

    @strawberry.mutation
    async def unfollow_model(self, info: Info, input: UnfollowModelInput) -> UnfollowModelPayload:
        model, errors = await perform(info, following.unfollow_model, input.name)
        return UnfollowModelPayload(registered_model=model, user_errors=errors)

    @strawberry.mutation(description="Where the models I follow send their e-mails.")
    async def set_viewer_email(self, info: Info, input: SetViewerEmailInput) -> SetViewerEmailPayload:
        user, errors = await perform(info, following.set_email, input.email)
        return SetViewerEmailPayload(user=user, user_errors=errors)
