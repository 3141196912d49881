"""The registry's errors as MLflow's client reads them: `{"error_code", "message"}` with
MLflow's status for the code (its client raises RestException with the code)."""
from resolvers.errors import RegistryError

# The registry's code -> MLflow's error_code and HTTP status. Never a 5xx for a refusal:
# MLflow's client retries 5xx (and 429) for minutes before it gives up.
MLFLOW_ERRORS = {
    "NOT_FOUND": ("RESOURCE_DOES_NOT_EXIST", 404),
    "ALREADY_EXISTS": ("RESOURCE_ALREADY_EXISTS", 400),
    "INVALID_ARGUMENT": ("INVALID_PARAMETER_VALUE", 400),
    "PERMISSION_DENIED": ("PERMISSION_DENIED", 403),
    "UNAUTHENTICATED": ("UNAUTHENTICATED", 401),
    "FAILED_PRECONDITION": ("INVALID_STATE", 400),
    "CONFLICT": ("RESOURCE_CONFLICT", 409),
    "UNAVAILABLE": ("TEMPORARILY_UNAVAILABLE", 503),
    "BAD_REQUEST": ("BAD_REQUEST", 400),
    "ENDPOINT_NOT_FOUND": ("ENDPOINT_NOT_FOUND", 404),
    "PAYLOAD_TOO_LARGE": ("BAD_REQUEST", 413),
    "REQUEST_TIMEOUT": ("BAD_REQUEST", 408),
}


class RestError(Exception):
    """A refusal in MLflow's terms."""

    def __init__(self, error_code: str, message: str, status: int):
        super().__init__(message)
        self.error_code = error_code
        self.message = message
        self.status = status

    @classmethod
    def of(cls, code: str, message: str) -> "RestError":
        error_code, status = MLFLOW_ERRORS.get(code, ("INVALID_PARAMETER_VALUE", 400))
        return cls(error_code, message, status)

    @classmethod
    def from_registry(cls, error: RegistryError) -> "RestError":
        return cls.of(error.code, error.message)

    def body(self) -> dict:
        return {"error_code": self.error_code, "message": self.message}


def invalid_parameter(message: str) -> RestError:
    return RestError.of("INVALID_ARGUMENT", message)
