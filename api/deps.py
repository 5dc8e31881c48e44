"""Dependency aliases, declared once. The request's session commits at the boundary.

Every dependency is a coroutine, even one that only reads `app.state`: FastAPI runs a plain
function in its thread pool, a round trip through another thread on every request."""

import hmac
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from api.problems import Unauthorized
from api.relay import Relay
from core.db import SessionFactory
from core.settings import Settings
from core.transactions import Transactions


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_sessions(request: Request) -> SessionFactory:
    sessions: SessionFactory = request.app.state.sessions
    return sessions


async def get_temporal(request: Request) -> Client:
    client: Client = request.app.state.temporal
    return client


async def get_relay(request: Request) -> Relay:
    relay: Relay = request.app.state.relay
    return relay


async def get_transactions(request: Request) -> Transactions:
    transactions: Transactions = request.app.state.transactions
    return transactions


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionsDep = Annotated[SessionFactory, Depends(get_sessions)]


async def get_session(sessions: SessionsDep) -> AsyncIterator[AsyncSession]:
    async with sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
TemporalDep = Annotated[Client, Depends(get_temporal)]
RelayDep = Annotated[Relay, Depends(get_relay)]
TransactionsDep = Annotated[Transactions, Depends(get_transactions)]

_bearer = HTTPBearer(auto_error=False, description="an API key from CONTRACTSYNC_API_KEYS")


async def require_api_key(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    if not settings.api_keys and settings.dev_mode:
        return
    presented = credentials.credentials.encode() if credentials else b""
    if not any(hmac.compare_digest(presented, key.encode()) for key in settings.api_keys):
        raise Unauthorized("a valid API key is required", headers={"WWW-Authenticate": "Bearer"})


ApiKey = Depends(require_api_key)
