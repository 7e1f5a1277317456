"""Raw SQL in a test's session, for the tests that read or alter rows as the application never would.

SQLModel's `AsyncSession.exec` is typed for its own selects and updates only (a `text()` matches none of its
overloads) and its `execute` is deprecated; both wrap SQLAlchemy's `AsyncSession.execute`, which this calls:
the same transaction, the same flush first, a typed result.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Executable, Result
from sqlalchemy.ext.asyncio import AsyncSession


async def execute(
    session: AsyncSession, statement: Executable, params: Mapping[str, Any] | None = None
) -> Result[*tuple[Any, ...]]:
    return await AsyncSession.execute(session, statement, params)
