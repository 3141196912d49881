"""Realistic demo data, registered through the same rules as the API's mutations."""
import random

from tqdm import tqdm

from resolvers import aliases, models, versions
from resolvers.access import Viewer
from resolvers.changes import apply
from resolvers.errors import RegistryError
from store import bulk
from store.database import Store, now_ms

TEAMS = ["risk", "growth", "search", "vision", "forecasting", "ads"]
TASKS = ["fraud-detector", "churn", "ranker", "embedder", "demand", "ctr", "classifier", "anomaly"]
FLAVORS = ["sklearn", "xgboost", "pytorch", "lightgbm", "onnx"]


def seed(store: Store, models_count: int, versions_per_model: int, user: str = "seed",
         rng: random.Random | None = None) -> int:
    """Creates `models_count` models with `versions_per_model` versions each, with tags,
    aliases and stages; skips names that exist. Returns how many models it created."""
    rng = rng or random.Random(7)
    viewer = Viewer(name=user, is_admin=True)
    created = 0
    for index in tqdm(range(models_count), desc="seeding models", unit="model"):
        team, task = TEAMS[index % len(TEAMS)], TASKS[index % len(TASKS)]
        name = f"{team}.{task}-{index:05d}"
        try:
            store.write(apply, models.create, viewer, name, f"{task.replace('-', ' ').title()} model of the {team} team.",
                        [("team", team), ("task", task)])
        except RegistryError as error:
            if error.code == "ALREADY_EXISTS":
                continue
            raise
        for number in range(1, versions_per_model + 1):
            run_id = f"{rng.getrandbits(64):016x}"
            store.write(apply, versions.create, viewer, name, f"s3://models/{team}/{task}/{run_id}/artifacts", run_id,
                        None, f"Trained on snapshot {number}.",
                        [("flavor", rng.choice(FLAVORS)), ("accuracy", f"{rng.uniform(0.7, 0.99):.3f}")],
                        False, None)
        if versions_per_model:
            newest = versions_per_model
            store.write(apply, versions.transition, viewer, name, newest, "PRODUCTION", True, "seeded")
            store.write(apply, aliases.set_alias, viewer, name, "champion", newest)
            if newest > 1:
                store.write(apply, versions.transition, viewer, name, newest - 1, "STAGING", False, None)
                store.write(apply, aliases.set_alias, viewer, name, "challenger", newest - 1)
        created += 1
    return created


def bulk_seed(store: Store, models_count: int, versions_per_model: int, prefix: str = "bulk-model-") -> None:
    """A large registry in a few set-based statements (store/bulk.py), for benchmarks at
    scale; no history and no creator grants. Run it on an empty database."""
    store.write(bulk.load, models_count, versions_per_model, prefix, now_ms())
    store.call(bulk.analyze)
