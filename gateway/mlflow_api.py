"""MLflow's REST API 2.0 for the model registry, at /api/2.0/mlflow/ (and /ajax-api/2.0/mlflow/,
where MLflow's web UI calls it): a call is read as MLflow's client sends it (GET with
query parameters, other methods with a JSON body) and answered by rest/registry.py."""
import json
from typing import Callable

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.refusals import MLFLOW_PREFIXES
from resolvers.context import RequestContext
from rest import registry
from rest.errors import RestError

# PUT too, so a wrong method is told apart in MLflow's JSON (ENDPOINT_NOT_FOUND), not as a plain 405.
METHODS = ["GET", "POST", "PATCH", "DELETE", "PUT"]


def _json(status: int, body: dict, request_id: str) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json", headers={"x-request-id": request_id})


async def _params(request: Request) -> dict:
    if request.method == "GET":
        params: dict = {}
        for key, value in request.query_params.multi_items():  # repeated keys are lists (order_by, stages)
            params[key] = [*params[key], value] if isinstance(params.get(key), list) else (
                [params[key], value] if key in params else value)
        return params
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise RestError("MALFORMED_REQUEST", "The request body is not JSON.", 400) from None
    if not isinstance(body, dict):
        raise RestError("MALFORMED_REQUEST", "The request body must be a JSON object.", 400)
    return body


def mlflow_routes(request_context: Callable[[Request], RequestContext]) -> list[Route]:
    async def endpoint(request: Request) -> Response:
        context = request_context(request)
        try:
            params = await _params(request)
        except RestError as error:
            return _json(error.status, error.body(), context.request_id)
        status, body = await registry.answer(context, request.method, request.path_params["path"], params,
                                             request.headers.get("idempotency-key"))
        return _json(status, body, context.request_id)

    return [Route(prefix + "{path:path}", endpoint, methods=METHODS) for prefix in MLFLOW_PREFIXES]
