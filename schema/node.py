"""Relay global object identification: the Node interface (IDs: resolvers/global_ids.py)."""
import strawberry


@strawberry.interface(description="An object with a global ID, fetchable with `node(id:)`.")
class Node:
    id: strawberry.ID
