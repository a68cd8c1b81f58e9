"""Who is calling, as `Annotated` dependencies so route signatures read like the spec.

customer routes   `Authorization: Bearer <conversation token>`; a token opens only its
                  own conversation (another one answers 404, as if it did not exist)
agent routes      `X-API-Key` with role agent or admin; the key's name is the agent's name
admin routes      `X-API-Key` with role admin (403 for an agent key)
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from assistant.errors import AnswerdeskError, ErrorCode
from assistant.store.keys import ApiKey, Role
from server.state import Desk, Runtime, RuntimeDep

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ConversationToken",
    description="The token `POST /v1/conversations` returned; it opens that conversation only.",
)
_api_key = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    scheme_name="ApiKey",
    description="An agent or admin key (`answerdesk keys create NAME --role agent|admin`).",
)


async def conversation_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> str:
    if credentials is None or not credentials.credentials:
        raise AnswerdeskError(
            ErrorCode.UNAUTHORIZED,
            "This conversation needs its token: send `Authorization: Bearer <token>` with the "
            "token POST /v1/conversations returned.",
        )
    return credentials.credentials


def customer_access(
    conversation_id: Annotated[str, Path(max_length=64)],
    token: Annotated[str, Depends(conversation_token)],
    desk: Desk,
) -> str:
    """The caller holds this conversation's token (else 404, revealing nothing); returns it."""
    desk.store.conversation(conversation_id, token)
    return token


CustomerToken = Annotated[str, Depends(customer_access)]


def _caller(runtime: Runtime, key: str | None, role: Role) -> ApiKey:
    if not key:
        raise AnswerdeskError(
            ErrorCode.UNAUTHORIZED,
            "Send your API key in the X-API-Key header (an admin creates one with "
            "`answerdesk keys create NAME --role agent`).",
        )
    assert runtime.keys is not None
    runtime.ensure_store()
    caller = runtime.keys.verify(key)
    if caller is None:
        raise AnswerdeskError(
            ErrorCode.UNAUTHORIZED, "This API key is not valid: it is unknown or was revoked."
        )
    if not caller.allows(role):
        raise AnswerdeskError(
            ErrorCode.FORBIDDEN,
            f"The key {caller.name!r} has the {caller.role} role; this needs an {role} key.",
        )
    return caller


def agent_key(runtime: RuntimeDep, key: Annotated[str | None, Security(_api_key)]) -> ApiKey:
    return _caller(runtime, key, "agent")


def admin_key(runtime: RuntimeDep, key: Annotated[str | None, Security(_api_key)]) -> ApiKey:
    return _caller(runtime, key, "admin")


Agent = Annotated[ApiKey, Depends(agent_key)]
Admin = Annotated[ApiKey, Depends(admin_key)]
