"""Grants of permission levels on models to principals (user and group names), and the
condition that keeps a query to the models a caller reaches. What the levels mean is the
resolvers' business (resolvers/access.py); here a level is a number, higher is more."""
from dataclasses import dataclass

from peewee import SQL, fn

from store.statements import any_of, statement
from store.tables import ModelPermission, RegisteredModel


@dataclass(frozen=True)
class Reach:
    """The models a caller reaches at some level: every model (`principals` None), or
    those on which one of `principals` holds a grant of `level` or more (none when
    `principals` is empty)."""

    principals: tuple[str, ...] | None
    level: int = 0


EVERY_MODEL = Reach(None)


def within(reach: Reach, model_id_column=RegisteredModel.id):
    """A condition keeping the rows whose model (in `model_id_column`) is in reach."""
    if reach.principals is None:
        return SQL("1 = 1")
    if not reach.principals:
        return SQL("1 = 0")
    granted = (ModelPermission.select(ModelPermission.model)
               .where(ModelPermission.principal.in_(reach.principals) & (ModelPermission.level >= reach.level)))
    return model_id_column.in_(granted)


@statement(True, True)
def _highest_grants(model_ids, principals):
    return (ModelPermission.select(ModelPermission.model, fn.MAX(ModelPermission.level))
            .where(any_of(ModelPermission.model, model_ids) & any_of(ModelPermission.principal, principals))
            .group_by(ModelPermission.model))


def highest_grants(model_ids: list[int], principals: tuple[str, ...]) -> dict[int, int]:
    """model id -> the highest level granted on it to any of `principals` (models with no
    grant left out)."""
    return dict(_highest_grants.execute(model_ids, principals).fetchall())


def granted_level(model_id: int, principal: str) -> int | None:
    return (ModelPermission.select(ModelPermission.level)
            .where((ModelPermission.model == model_id) & (ModelPermission.principal == principal)).scalar())


def grant(model_id: int, principal: str, level: int) -> None:
    (ModelPermission.insert(model=model_id, principal=principal, level=level)
     .on_conflict(conflict_target=[ModelPermission.model, ModelPermission.principal],
                  update={ModelPermission.level: level})
     .execute())


def revoke(model_id: int, principal: str) -> None:
    ModelPermission.delete().where(
        (ModelPermission.model == model_id) & (ModelPermission.principal == principal)).execute()
