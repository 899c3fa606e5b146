"""The schemas of the JSON API's contract (:mod:`web.views.api.openapi`), built from the code's own vocabularies."""

from __future__ import annotations

from typing import Any

from complaints.classify.taxonomy import CATEGORIES
from complaints.models import Priority, Queue
from complaints.personal_data.access_log import AccessRoute
from complaints.queue.listing import Urgency
from complaints.submission import CASE_CHANNELS, CHANNELS, CHOSEN_INTENTS, MAX_NAME_CHARS, MAX_TEXT_CHARS
from complaints.workflow import WORKFLOWS, CaseStatus, Intent, Role
from lookup.identifiers import MAX_ROW_ID
from lookup.vocab import InstrumentKind, InstrumentState, Sector, Standing, Status, VerificationKind

JSON = "application/json"
Schema = dict[str, Any]


MONEY: Schema = {"type": "number", "minimum": 0}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def enum(values: Any) -> Schema:
    return {"type": "string", "enum": sorted(str(value) for value in values)}


def _object(properties: dict[str, Schema], *, optional: tuple[str, ...] = (), closed: bool = True) -> Schema:
    schema: Schema = {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
    }
    if closed:
        schema["additionalProperties"] = False
    return schema


STRING, BOOLEAN, INTEGER = {"type": "string"}, {"type": "boolean"}, {"type": "integer"}
DATE, MOMENT = {"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}
REFERENCE = {"type": "string", "pattern": "^JL[0-9]{8}-[0-9]{4,6}$"}
ACTIONS = sorted({name for workflow in WORKFLOWS.values() for name in workflow})


def _shared() -> dict[str, Schema]:
    """The refusal every operation may answer, and the vocabularies the others name."""
    return {
        "Problem": _object(
            {
                "error": {"type": "string", "description": "a stable code for programs"},
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "message": {"type": "string", "description": "what went wrong, in English"},
                "message_zh": {"type": "string", "description": "what went wrong, in Chinese"},
                "field": nullable({"type": "string", "description": "the field at fault; null: the whole request"}),
                "case": {
                    "$ref": "#/components/schemas/StaffCase",
                    "description": "on a 409 to an action sent with a stale If-Match: the case as it now stands",
                },
            },
            optional=("case",),
        ),
        "CaseStatus": enum(CaseStatus),
        "Intent": enum(Intent),
        "Category": enum(CATEGORIES),
        "Missing": {"type": "array", "items": enum(("name", "phone"))},
    }


# The shopper's choice: complaint (投诉, a remedy; needs name and phone) or report (举报, an investigation; may be
# anonymous). Left out, null or "": the service reads the text.
CHOSEN_INTENT: Schema = nullable({"type": "string", "enum": ["", *CHOSEN_INTENTS]})


def _shopper() -> dict[str, Schema]:
    """What a shopper sends and is answered: a new complaint, its receipt, the case as its link shows it."""
    return {
        "NewComplaint": _object(
            {
                "text": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT_CHARS},
                "code": nullable({"type": "string", "description": "the sticker's code, e.g. 7K3MQ-9XR4P"}),
                "contact": nullable(
                    _object(
                        {
                            "name": nullable({"type": "string", "maxLength": MAX_NAME_CHARS}),
                            "phone": nullable({"type": ["string", "integer"]}),
                        },
                        optional=("name", "phone"),
                        closed=False,
                    )
                ),
                "consent": BOOLEAN,
                "channel": nullable({"type": "string", "enum": ["", *sorted(CHANNELS)]}),
                "intent": CHOSEN_INTENT,
            },
            optional=("code", "contact", "consent", "channel", "intent"),
            closed=False,
        ),
        "Receipt": _object(
            {
                "ref": REFERENCE,
                "token": STRING,
                "intent": ref("Intent"),
                "category": ref("Category"),
                "station": nullable(STRING),
                "status": ref("CaseStatus"),
                "deadline": nullable(DATE),
                "deadline_approximate": BOOLEAN,
                "priority": enum(Priority),
                "needs_triage": BOOLEAN,
                "missing": ref("Missing"),
                "duplicate": BOOLEAN,
                "status_url": {"type": "string", "format": "uri"},
                "answer": _object({"zh": STRING, "en": STRING}),
            },
            optional=("answer",),
        ),
        "PublicCase": _object(
            {
                "ref": REFERENCE,
                "intent": ref("Intent"),
                "category": ref("Category"),
                "status": ref("CaseStatus"),
                "received_at": MOMENT,
                "station": nullable(STRING),
                "deadline": nullable(DATE),
                "deadline_approximate": BOOLEAN,
                "missing": ref("Missing"),
                "photos": {"type": "integer", "minimum": 0},
                "outcome": nullable(
                    _object({"kind": STRING, "refund_yuan": nullable(MONEY), "words": nullable(STRING)})
                ),
                "closed_at": nullable(MOMENT),
                "events": {
                    "type": "array",
                    "items": _object(
                        {
                            "at": MOMENT,
                            "action": STRING,
                            "status": ref("CaseStatus"),
                            "message": STRING,
                            "message_en": STRING,
                        },
                        optional=("message", "message_en"),
                    ),
                },
            }
        ),
    }


def _instrument() -> dict[str, Schema]:
    """What a scan shows."""
    verification = _object(
        {
            "kind": enum(VerificationKind),
            "performed_on": DATE,
            "valid_until": DATE,
            "result": enum(("pass", "fail")),
            "certificate_no": STRING,
            "institution": STRING,
        }
    )
    return {
        "Instrument": _object(
            {
                "code": STRING,
                "url": {"type": "string", "format": "uri"},
                "status": enum(Status),
                "as_of": DATE,
                "kind": enum(InstrumentKind),
                "mandatory_verification": BOOLEAN,
                "serial_no": STRING,
                "model": STRING,
                "manufacturer": STRING,
                "pattern_approval": STRING,
                "state": enum(InstrumentState),
                "merchant": _object(
                    {"name": STRING, "stall": STRING, "sector": enum(Sector), "standing": enum(Standing)}
                ),
                "market": nullable(
                    _object({"id": INTEGER, "name": nullable(STRING), "fair_scale_location": nullable(STRING)})
                ),
                "station": _object({"name": STRING, "phone": nullable(STRING)}),
                "valid_until": nullable(DATE),
                "last_verification": nullable(verification),
                "verifications": {"type": "array", "items": verification},
                "commitment": nullable(_object({"text": STRING, "signed_on": DATE, "signed_online": BOOLEAN})),
            }
        ),
    }


def _staff() -> dict[str, Schema]:
    """The handlers' queue: a page of cases, a case as its station sees it, an action on it."""
    staff_event = _object(
        {
            "at": MOMENT,
            "actor_role": enum(Role),
            "action": STRING,
            "from_status": ref("CaseStatus"),
            "to_status": ref("CaseStatus"),
            "public": BOOLEAN,
            "facts": {"type": "object"},
        }
    )
    return {
        "QueuePage": _object(
            {
                "cases": {
                    "type": "array",
                    "items": _object(
                        {
                            "ref": REFERENCE,
                            "received_at": MOMENT,
                            "intent": ref("Intent"),
                            "category": ref("Category"),
                            "priority": enum(Priority),
                            "status": ref("CaseStatus"),
                            "channel": enum(CASE_CHANNELS),
                            "queue": enum(Queue),
                            "due_on": nullable(DATE),
                            "urgency": enum(Urgency),
                            "needs_triage": BOOLEAN,
                            "excerpt": STRING,
                            "merchant": nullable(STRING),
                            "market": nullable(STRING),
                            "assignee": nullable(STRING),
                            "linked_ref": nullable(REFERENCE),
                        }
                    ),
                },
                "next": nullable({"type": "string", "description": "the next page's `after`; null on the last"}),
            }
        ),
        "StaffCase": _object(
            {
                "ref": REFERENCE,
                "text": STRING,
                "channel": enum(CASE_CHANNELS),
                "received_at": MOMENT,
                "intent": ref("Intent"),  # the type the case is handled as: the shopper's choice, if any
                "classifier_intent": nullable(ref("Intent")),
                "consumer_intent": nullable(ref("Intent")),  # the shopper's own choice of complaint or report
                "category": ref("Category"),
                "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                "needs_triage": BOOLEAN,
                "priority": enum(Priority),
                "status": ref("CaseStatus"),
                "queue": enum(Queue),
                "station": nullable(STRING),
                "due_on": nullable(DATE),
                "accept_due": nullable(DATE),
                "handle_due": nullable(DATE),
                "deadline_approximate": BOOLEAN,
                "linked_ref": nullable(REFERENCE),
                "assignee": nullable(STRING),
                "contact": _object(
                    {"name": STRING, "phone": STRING, "consent": BOOLEAN},
                ),
                "instrument_code": nullable(STRING),
                "merchant": nullable(STRING),
                "market": nullable(STRING),
                "photos": {"type": "integer", "minimum": 0},
                "events": {"type": "array", "items": staff_event},
                "allowed_actions": {"type": "array", "items": enum(ACTIONS)},
            }
        ),
    }


def _action() -> dict[str, Schema]:
    """An action on a case: its name and the facts it takes (any other field is ignored)."""
    return {
        "Action": _object(
            {
                "action": enum(ACTIONS),
                "message": STRING,
                "note": STRING,
                "ground": STRING,
                "station_id": {"type": "integer", "minimum": 1, "maximum": MAX_ROW_ID},
                "assignee": STRING,
                "intent": ref("Intent"),
                "category": ref("Category"),
                "outcome": STRING,
                "refund_yuan": {"type": "number", "minimum": 0},
            },
            optional=(
                "message",
                "note",
                "ground",
                "station_id",
                "assignee",
                "intent",
                "category",
                "outcome",
                "refund_yuan",
            ),
            closed=False,
        ),
    }


def _audit() -> dict[str, Schema]:
    """Who was shown a consumer's full contact: one case's log or one staff member's."""
    access = _object({"at": MOMENT, "user": STRING, "ref": REFERENCE, "route": enum(AccessRoute), "reason": STRING})
    return {
        "ContactAccessLog": _object(
            {"case": STRING, "user": STRING, "accesses": {"type": "array", "items": access}},
            optional=("case", "user"),
        )
    }


def schemas() -> dict[str, Schema]:
    return _shared() | _shopper() | _instrument() | _staff() | _action() | _audit()
