"""Refusals made before a request reaches its door (authentication, body limits), in
that door's error shape: MLflow's `{"error_code", "message"}` on its REST API's paths,
the graph's `{"errors": [...]}` elsewhere."""
import json

from rest.errors import RestError

MLFLOW_PREFIXES = ("/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/")  # where MLflow's REST API is served


def refusal_body(scope, code: str, message: str) -> bytes:
    if scope.get("path", "").startswith(MLFLOW_PREFIXES):
        return json.dumps(RestError.of(code, message).body()).encode()
    return json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}).encode()
