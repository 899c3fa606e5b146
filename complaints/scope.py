"""Who may see which cases, stations and merchants: the one access rule, as a value every query and view asks.

A handler sees their own station's queue; a district supervisor every station's and the intake queues (cases no
station has yet); volunteers and administrators see no case at all. The web layer builds a viewer's
:class:`Scope` once per request; the domain asks it (:meth:`Scope.sees_case`, :meth:`Scope.sees_station`) and
narrows its lists with it (:meth:`Scope.station_condition`, :meth:`Scope.case_condition`, and the queue's
index-friendly branches in :mod:`complaints.queue.conditions`).

A merchant, a monitoring point, a hotspot and an inspection belong to a station: they are seen exactly when
their station is. Something no station could be told for (a hotspot of a merchant without one) is seen by whoever
triages the intake queues.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from complaints.models import Queue
from complaints.workflow import Role

INTAKE_QUEUES = (Queue.district_intake, Queue.general_intake)


@dataclass(frozen=True)
class Scope:
    """The cases a viewer may see, and as whom they act on them.

    ``station_ids``: the station queues they see, None for every station. ``intake_queues``: whether they also
    see the district and general intake queues. ``handling_station``: the station whose cases they handle, the
    only one whose reporters (举报人) they may know (:func:`complaints.privacy.reveals_contact`). ``role``: the
    workflow role their actions take, None for someone who may not act on cases.
    """

    station_ids: frozenset[int] | None
    intake_queues: bool
    handling_station: int | None = None
    role: Role | None = None

    @classmethod
    def station(cls, station_id: int, *, role: Role | None = None) -> Scope:
        """A station's handler: its queue, its reporters."""
        return cls(frozenset({station_id}), False, handling_station=station_id, role=role)

    @classmethod
    def everything(cls, *, role: Role | None = None) -> Scope:
        """The whole district (a supervisor; public counts), intake queues included; no reporter's contact."""
        return cls(None, True, role=role)

    @classmethod
    def nothing(cls) -> Scope:
        """No case, station or merchant: volunteers, administrators, a handler without a station."""
        return cls(frozenset(), False)

    @property
    def whole_district(self) -> bool:
        return self.station_ids is None and self.intake_queues

    @property
    def is_empty(self) -> bool:
        return self.station_ids == frozenset() and not self.intake_queues

    def sees_station(self, station_id: int | None) -> bool:
        """Whether the station's things (cases in its queue, merchants, points, hotspots) are in the scope; None
        stands for something no station has, which belongs to the intake queues."""
        if station_id is None:
            return self.intake_queues
        return self.station_ids is None or station_id in self.station_ids

    def sees_case(self, station_id: int | None, queue: Queue | str) -> bool:
        """Whether a case in this queue (and at this station) is in the scope."""
        if Queue(queue) is Queue.station:
            return self.station_ids is None or (station_id is not None and station_id in self.station_ids)
        return self.intake_queues

    def acts_on_case(self, station_id: int | None, queue: Queue | str) -> bool:
        return self.role is not None and self.sees_case(station_id, queue)

    def handles(self, station_id: int | None) -> bool:
        """Whether the case's station is the one this viewer works for (so a reporter's contact shows in full)."""
        return self.handling_station is not None and station_id == self.handling_station

    def station_condition(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
        """:meth:`sees_station` as SQL over a table's station column (merchants, points, hotspots, inspections)."""
        if self.station_ids is None:
            return sa.true() if self.intake_queues else column.is_not(None)
        condition: sa.ColumnElement[bool] = column.in_(sorted(self.station_ids))
        if self.intake_queues:
            condition = sa.or_(condition, column.is_(None))
        return condition

    def case_condition(self, station: sa.ColumnElement[Any], queue: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
        """:meth:`sees_case` as one SQL condition over the complaint's station and queue columns."""
        parts: list[sa.ColumnElement[bool]] = []
        if self.station_ids is None:
            parts.append(queue == Queue.station)
        elif self.station_ids:
            parts.append(sa.and_(queue == Queue.station, station.in_(sorted(self.station_ids))))
        if self.intake_queues:
            parts.append(queue.in_(INTAKE_QUEUES))
        return sa.or_(*parts) if parts else sa.false()
