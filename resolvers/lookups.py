"""Finding the rows a mutation acts on, inside its transaction, or failing with NOT_FOUND."""
from resolvers import access, validation
from resolvers.access import Viewer
from resolvers.errors import not_found
from store.queries import model_by_name, version_rows, versions_by_name_and_number
from store.tables import ModelAlias, ModelVersion, RegisteredModel

NAME = ("input", "name")
VERSION = ("input", "version")
ALIAS = ("input", "alias")


def model(name: str, field: tuple = NAME, lock: bool = False, viewer: Viewer | None = None) -> RegisteredModel:
    """The model named `name`; NOT_FOUND when missing or, given a viewer, unreadable to it."""
    name = validation.nfc(name)
    found = model_by_name(name, lock)
    if found is None or (viewer is not None and access.level_on(viewer, found.id) < access.CAN_READ):
        raise not_found(f"Registered model {name!r} not found.", *field)
    return found


def version(name: str, number: int, name_field: tuple = NAME, version_field: tuple = VERSION,
            viewer: Viewer | None = None):
    validation.version_number(number, *version_field)
    name = validation.nfc(name)
    found = versions_by_name_and_number([(name, number)]).get((name, number))
    if found is None:
        model(name, name_field, viewer=viewer)  # a missing or unreadable model says so first
        raise not_found(f"Version {number} of model {name!r} not found.", *version_field)
    if viewer is not None and access.level_on(viewer, found.model_id) < access.CAN_READ:
        raise not_found(f"Registered model {name!r} not found.", *name_field)
    return found


def version_by_alias(name: str, alias: str, name_field: tuple = NAME, alias_field: tuple = ALIAS,
                     viewer: Viewer | None = None):
    """`latest` (any case) is the highest live version; `vN` is version N."""
    owner = model(name, name_field, viewer=viewer)
    query = version_rows().where(ModelVersion.model == owner.id)
    kind, target = validation.alias_target(alias)
    if kind == "latest":
        found = query.order_by(ModelVersion.version.desc()).first()
    elif kind == "version":
        found = query.where(ModelVersion.version == target).first()
    else:
        found = (query.switch(ModelVersion)
                 .join(ModelAlias, on=(ModelAlias.version == ModelVersion.id))
                 .where(ModelAlias.alias == alias).first())
    if found is None:
        raise not_found(f"Alias {alias!r} of model {name!r} not found.", *alias_field)
    return found


def touch(model: RegisteredModel, at: int) -> None:
    """A model's updatedAt moves with any change to it or to its versions, tags and aliases."""
    RegisteredModel.update(updated_at=at).where(RegisteredModel.id == model.id).execute()
    model.updated_at = at
