"""The GraphQL endpoint over HTTP."""
from strawberry.asgi import GraphQL


class RegistryGraphQL(GraphQL):
    """POST and GET (queries only) on /graphql; GraphiQL for a browser."""

    def __init__(self, schema, context, allowed_origins=()):
        super().__init__(schema, graphql_ide="graphiql", allow_queries_via_get=True, allowed_origins=allowed_origins)
        self._context = context

    async def get_context(self, request, response):
        return await self._context(request, response)
