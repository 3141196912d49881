"""Webhook secrets and signatures, as the Standard Webhooks specification has them.

A secret is `whsec_` + base64 of 32 random bytes; the bytes are the HMAC-SHA256 key. A
message is signed over "{webhook-id}.{webhook-timestamp}.{body}", and
`webhook-signature` holds one `v1,<base64 signature>` per key in use, space-separated (two
for a day after a rotation).

Secrets are kept encrypted (Fernet: AES-128-CBC with an HMAC) under a key that is not in
the database. Hashing them, as access tokens are, is not possible: signing needs the
secret itself. Encrypted, a copy of the database (a backup, a replica, a dump) does not
let its holder sign as the registry.
"""
import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken

from resolvers.errors import RegistryError

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def key_of(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(keys: list[bytes], message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    return " ".join("v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
                    for key in keys)


def headers(keys: list[bytes], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {"content-type": "application/json", "webhook-id": message_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": signature(keys, message_id, timestamp, body)}


class SecretBox:
    """Seals secrets for the database and opens them to sign. `key` is a Fernet key
    (REGISTRY_SECRETS_KEY, or the key file the gateway keeps)."""

    def __init__(self, key: str | bytes):
        self._fernet = Fernet(key)

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise WrongSecretsKey("a webhook secret does not open with this process's secrets key: every "
                                  "process must share one REGISTRY_SECRETS_KEY") from None


class WrongSecretsKey(RegistryError):
    """A misconfigured process (its key is not the one the secret was sealed with): its
    dispatcher logs it and sends nothing, so a process with the right key can."""

    def __init__(self, message: str):
        super().__init__("FAILED_PRECONDITION", message)
