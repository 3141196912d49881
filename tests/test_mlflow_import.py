"""`registry-gateway import --from-mlflow URL` against a real `mlflow server` (on SQLite, from
MLflow in a virtual environment of its own: tests/mlflow_server.py): a few hundred
versions with gaps, stages, aliases, tags and a copy come over so that MLflow's own
client gets the same answers from both; an import killed halfway and run again leaves
nothing duplicated and nothing missing; what was imported is in the activity log."""
import os
import signal
import subprocess
import sys
import time

import pytest

mlflow = pytest.importorskip("mlflow")
pytestmark = [pytest.mark.filterwarnings("ignore:.*is deprecated since:FutureWarning"),
              pytest.mark.usefixtures("quick_client")]
from google.protobuf.json_format import MessageToDict  # noqa: E402
from mlflow import MlflowClient  # noqa: E402

from store.tables import Activity, ModelVersion  # noqa: E402
from tests.conftest import ROOT, _free_port  # noqa: E402
from tests.mlflow_server import MlflowServer, quick_client  # noqa: E402, F401 - a fixture

MODELS = [f"model-{i:02d}" for i in range(9)] + ["prod.ml_team.iris", "empty model"]
VERSIONS_PER_MODEL = 30
DELETED = {3, 11, 20}  # gaps in every model's numbers
TOTAL_VERSIONS = (len(MODELS) - 1) * (VERSIONS_PER_MODEL - len(DELETED)) + 1  # and one copy


def _fill(client: MlflowClient) -> None:
    """A registry like a team's after a year: numbered gaps, every stage, aliases, tags."""
    for index, name in enumerate(MODELS):
        client.create_registered_model(name, tags={"team": f"team-{index % 3}"}, description=f"Model {index}.")
        if name == "empty model":
            continue
        for number in range(1, VERSIONS_PER_MODEL + 1):
            client.create_model_version(name, f"s3://models/{name}/{number}", run_id=f"run-{index}-{number}",
                                        tags={"auc": f"0.{number:02d}", "step": str(number)},
                                        description=f"v{number}" if number % 2 else None)
        for number in DELETED:
            client.delete_model_version(name, str(number))
        client.transition_model_version_stage(name, "28", "Staging")
        client.transition_model_version_stage(name, "29", "Production")
        client.transition_model_version_stage(name, "2", "Archived")
        client.set_registered_model_alias(name, "champion", "29")
        client.set_registered_model_alias(name, "challenger", "28")
    client.copy_model_version("models:/model-00/29", "model-01")


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory):
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    server = MlflowServer(tmp_path_factory.mktemp("mlflow"), _free_port())
    try:
        _fill(MlflowClient(tracking_uri=server.url, registry_uri=server.url))
        yield server
    finally:
        server.stop()


def _import(store, mlflow_server, *options, wait=True):
    command = [sys.executable, "-m", "gateway.cli", "import", "--from-mlflow", mlflow_server.url,
               "--database", store.url, "--quiet", *options]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if not wait:
        return process
    out, err = process.communicate(timeout=300)
    return process.returncode, out, err


def _proto(entity) -> dict:
    """The entity as MLflow's client made it, in two ways made comparable: a model's latest
    versions by number (MLflow lists them in the order its ORM loaded their stages), and
    versions from searches without aliases, which MLflow's server leaves out there
    (mlflow/mlflow#9783) and the gateway fills in, as test_search_answers_carry_aliases shows."""
    fields = MessageToDict(entity.to_proto())
    for version in fields.get("latestVersions", []):
        version.pop("aliases", None)
    fields.get("latestVersions", []).sort(key=lambda version: int(version["version"]))
    return fields


def _searched(version) -> dict:
    fields = _proto(version)
    fields.pop("aliases", None)
    return fields


def _everything(client: MlflowClient) -> dict:
    """What MLflow's client answers about every model: the calls scripts make."""
    answers = {"search_registered_models": [], "search_model_versions": []}
    token = None
    while True:  # pages of 4, in name order
        page = client.search_registered_models(max_results=4, order_by=["name ASC"], page_token=token)
        answers["search_registered_models"] += [_proto(m) for m in page]
        token = page.token
        if not token:
            break
    for name in MODELS:
        model = client.get_registered_model(name)
        answers[f"get_registered_model {name}"] = _proto(model)
        answers[f"get_latest_versions {name}"] = sorted((_searched(v) for v in client.get_latest_versions(name)),
                                                        key=lambda v: int(v["version"]))
        for alias in model.aliases:
            answers[f"by alias {name}@{alias}"] = _proto(client.get_model_version_by_alias(name, alias))
        versions = client.search_model_versions(f"name = '{name}'", order_by=["version_number DESC"],
                                                max_results=1000)
        answers["search_model_versions"] += [_searched(v) for v in versions]
        for version in versions[:3]:
            answers[f"get_model_version {name}/{version.version}"] = _proto(
                client.get_model_version(name, version.version))
            answers[f"download uri {name}/{version.version}"] = client.get_model_version_download_uri(
                name, version.version)
    answers["search tags.team"] = [_proto(m) for m in client.search_registered_models("tags.team = 'team-1'")]
    answers["search versions by tag"] = [_searched(v) for v in client.search_model_versions(
        "tags.step = '7'", order_by=["name ASC"])]
    return answers


def test_mlflow_client_answers_the_same_after_an_import(store, mlflow_server, server_url):
    code, out, err = _import(store, mlflow_server)
    assert code == 0, err
    source = MlflowClient(tracking_uri=mlflow_server.url, registry_uri=mlflow_server.url)
    gateway = MlflowClient(tracking_uri=server_url, registry_uri=server_url)
    mlflow_answers, gateway_answers = _everything(source), _everything(gateway)
    assert gateway_answers.keys() == mlflow_answers.keys()
    for call, expected in mlflow_answers.items():
        assert gateway_answers[call] == expected, call
    # The copy's download location is the original's, as MLflow resolved it.
    assert gateway.get_model_version_download_uri("model-01", "31") == "s3://models/model-00/29"
    counted = {line.split()[0]: line.split()[1:] for line in out.splitlines()[1:]}
    assert counted["versions"] == [str(TOTAL_VERSIONS)] * 3  # in MLflow, here, added now


def test_search_answers_carry_aliases(store, mlflow_server, server_url):
    assert _import(store, mlflow_server)[0] == 0
    gateway = MlflowClient(tracking_uri=server_url, registry_uri=server_url)
    found = {v.version: v.aliases for v in gateway.search_model_versions("name = 'model-04'")}
    assert found["29"] == ["champion"] and found["28"] == ["challenger"] and found["27"] == []
    latest = {v.current_stage: v.aliases for v in gateway.get_registered_model("model-04").latest_versions}
    assert latest["Production"] == ["champion"]


def test_numbers_continue_after_the_imported_ones(store, mlflow_server, gql):
    assert _import(store, mlflow_server)[0] == 0
    made = gql.mutate("createModelVersion", "modelVersion { version }", name="model-02", source="s3://new")
    assert made["modelVersion"]["version"] == VERSIONS_PER_MODEL + 1


def test_the_activity_log_says_what_was_imported_from_where(store, mlflow_server, gql):
    assert _import(store, mlflow_server)[0] == 0
    history = gql.data('{ registeredModel(name: "model-03") { activities(first: 100) { totalCount '
                       'nodes { type actor version alias payload } } } }')["registeredModel"]["activities"]
    kinds = [a["type"] for a in history["nodes"]]
    assert kinds.count("MODEL_VERSION_CREATED") == VERSIONS_PER_MODEL - len(DELETED)
    assert kinds.count("REGISTERED_MODEL_CREATED") == 1 and kinds.count("ALIAS_SET") == 2
    assert {a["actor"] for a in history["nodes"]} == {"mlflow-import"}
    assert {a["payload"]["imported"]["url"] for a in history["nodes"]} == {mlflow_server.url}
    production = [a for a in history["nodes"] if a["type"] == "MODEL_VERSION_CREATED" and a["version"] == 29]
    assert production[0]["payload"]["stage"] == "PRODUCTION"


def test_a_second_run_adds_nothing(store, mlflow_server):
    assert _import(store, mlflow_server)[0] == 0
    with store.db.connection_context():
        before = Activity.select().count()
    code, out, _ = _import(store, mlflow_server)
    assert code == 0
    with store.db.connection_context():
        assert Activity.select().count() == before
    assert [line.split()[-1] for line in out.splitlines()[1:] if line.split()[0] in ("models", "versions")] \
        == ["0", "0"]


def test_an_import_killed_halfway_is_finished_by_running_it_again(store, mlflow_server):
    process = _import(store, mlflow_server, "--batch-size", "10", wait=False)
    deadline = time.monotonic() + 120
    with store.db.connection_context():
        while ModelVersion.select().count() < 40:
            assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait()
        halfway = ModelVersion.select().count()
    total = TOTAL_VERSIONS
    assert halfway < total, "the import finished before it was killed: nothing was shown"
    code, out, err = _import(store, mlflow_server)
    assert code == 0, err
    with store.db.connection_context():
        assert ModelVersion.select().count() == total
        created = (Activity.select().where(Activity.type == "MODEL_VERSION_CREATED").count())
    assert created == total  # each version recorded once, whichever run added it


def test_an_unreachable_server_is_a_clear_error(store):
    port = _free_port()
    completed = subprocess.run([sys.executable, "-m", "gateway.cli", "import", "--from-mlflow",
                                f"http://127.0.0.1:{port}", "--database", store.url, "--quiet"],
                               cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert completed.returncode == 1
    assert f"cannot read http://127.0.0.1:{port}" in completed.stderr and "Traceback" not in completed.stderr
    for url in ("mlflow.internal:5000", "file:///tmp/mlruns"):
        completed = subprocess.run([sys.executable, "-m", "gateway.cli", "import", "--from-mlflow", url,
                                    "--database", store.url], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert completed.returncode == 2 and "http(s) URL" in completed.stderr, completed.stderr


def test_what_the_registry_refuses_is_skipped_and_listed_never_stored(store, mlflow_server, gql):
    source = MlflowClient(tracking_uri=mlflow_server.url, registry_uri=mlflow_server.url)
    look_alike = "model-00\u200b"  # MLflow takes a zero-width space in a name; the registry refuses look-alikes
    source.create_registered_model(look_alike)
    source.create_model_version(look_alike, "s3://models/look-alike/1")
    try:
        code, out, err = _import(store, mlflow_server)
    finally:
        source.delete_registered_model(look_alike)
    assert code == 1 and "the registry holds less than MLflow does" in err
    assert f"skipped model {look_alike!r}: " in out and f"skipped version 1 of {look_alike!r}: " in out
    counted = {line.split()[0]: line.split()[1:] for line in out.splitlines()[1:6]}
    assert counted["models"] == [str(len(MODELS) + 1), str(len(MODELS)), str(len(MODELS))]
    assert gql.data("{ registeredModels(first: 100) { totalCount } }")["registeredModels"]["totalCount"] == len(MODELS)
