"""Incidents: admins announce a known problem and post timed updates (admin key); anyone reads
the status (`GET /v1/status`, and the `/status` page built on it): the widget shows it as a
banner, and the customer turn tells the customers it affects first (`assistant.known_issues`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from assistant.store.incidents import (
    MAX_AREAS,
    MAX_MESSAGE,
    MAX_TITLE,
    Incident,
    IncidentStatus,
)
from server.auth import Admin
from server.routes.web import page
from server.schemas import errors
from server.state import Desk, RuntimeDep

admin_router = APIRouter(prefix="/v1/admin", tags=["admin"], responses=errors(401, 403, 503))
router = APIRouter(tags=["status"], responses=errors(503))
RECENT = timedelta(days=7)  # resolved incidents the status page still lists
IncidentId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class PublicUpdateOut(BaseModel):
    status: IncidentStatus
    message: str
    created_at: datetime


class UpdateOut(PublicUpdateOut):
    author: str  # the admin key's name: for the team, never on the public page


class PublicIncidentOut(BaseModel):
    id: int
    title: str
    areas: list[str]
    status: IncidentStatus
    started_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    updates: list[PublicUpdateOut] = Field(description="Newest first.")


class IncidentOut(PublicIncidentOut):
    updates: list[UpdateOut] = Field(description="Newest first.")  # type: ignore[assignment]


class StatusOut(BaseModel):
    status: Literal["operational", "incident"]
    email_follow_up: bool = Field(
        description="The desk emails customers (the widget offers email follow-up)."
    )
    incidents: list[PublicIncidentOut] = Field(description="Active, newest first.")
    resolved: list[PublicIncidentOut] = Field(description="Resolved in the last 7 days.")
    checked_at: datetime


class IncidentsOut(BaseModel):
    incidents: list[IncidentOut]


class IncidentIn(BaseModel):
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    areas: list[str] = Field(default_factory=list, max_length=MAX_AREAS)
    status: Literal["investigating", "identified", "monitoring"] = "investigating"
    message: str = Field(min_length=1, max_length=MAX_MESSAGE)


class UpdateIn(BaseModel):
    status: IncidentStatus
    message: str = Field(min_length=1, max_length=MAX_MESSAGE)


def incident_out(incident: Incident) -> IncidentOut:
    return IncidentOut.model_validate(incident, from_attributes=True)


def public(incident: Incident) -> PublicIncidentOut:
    """As the status page shows it: its updates without their authors."""
    return PublicIncidentOut.model_validate(incident, from_attributes=True)


@router.get(
    "/v1/status",
    summary="Known incidents: active, and resolved in the last 7 days (no key needed)",
)
def status(desk: Desk, runtime: RuntimeDep) -> StatusOut:
    now = datetime.now(UTC)
    listed = desk.store.incidents(resolved_since=now - RECENT, limit=100)
    active = [public(i) for i in listed if i.active]
    return StatusOut(
        status="incident" if active else "operational",
        email_follow_up=bool(runtime.settings.smtp_host),
        incidents=active,
        resolved=[public(i) for i in listed if not i.active],
        checked_at=now,
    )


@router.get("/status", include_in_schema=False)
def status_page() -> FileResponse:
    return page("status.html")


@admin_router.get("/incidents", summary="Incidents, active first, then newest")
def incidents(
    admin: Admin, desk: Desk, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> IncidentsOut:
    return IncidentsOut(incidents=[incident_out(i) for i in desk.store.incidents(limit=limit)])


@admin_router.post(
    "/incidents",
    status_code=201,
    summary="Open an incident",
    description="Shown at once on the status page and in the widget; customers asking about "
    "it are told its status first, and their hand-offs are tagged `incident:<id>`.",
    responses=errors(400),
)
def open_incident(body: IncidentIn, admin: Admin, desk: Desk) -> IncidentOut:
    opened = desk.store.open_incident(body.title, body.areas, body.status, body.message, admin.name)
    return incident_out(opened)


@admin_router.post(
    "/incidents/{incident_id}/updates",
    summary="Post an update (status `resolved` closes the incident)",
    responses=errors(400, 404, 409),
)
def update_incident(
    incident_id: IncidentId, body: UpdateIn, admin: Admin, desk: Desk
) -> IncidentOut:
    return incident_out(
        desk.store.update_incident(incident_id, body.status, body.message, admin.name)
    )
