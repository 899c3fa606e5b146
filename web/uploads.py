"""Reading a posted form that may carry photos (the shopper's complaint form, a volunteer's visit form): text
fields and raw photos, streamed and size-checked part by part, never read whole first."""

from __future__ import annotations

from aiohttp import BodyPartReader, web

from complaints.photos import MAX_PHOTO_BYTES, MAX_PHOTOS
from complaints.submission import SubmissionError, check_photo_count

MAX_FIELD_BYTES = 64 * 1024  # a text field: the longest allowed text in UTF-8 with room to spare
MAX_FORM_BYTES = MAX_PHOTOS * MAX_PHOTO_BYTES + 1024 * 1024


class _FormTooLarge(Exception):
    pass


async def _read_part(part: BodyPartReader, limit: int) -> bytes:
    data = bytearray()
    while chunk := await part.read_chunk(64 * 1024):
        data += chunk
        if len(data) > limit:
            raise _FormTooLarge
    return bytes(data)


async def read_form(request: web.Request) -> tuple[dict[str, str], list[bytes]]:
    """The form's text fields and raw photos; raises SubmissionError for anything malformed or too big."""
    too_large = SubmissionError(
        "too_large",
        f"上传的内容太大：每张照片不超过 {MAX_PHOTO_BYTES // 1024 // 1024} MB，最多 {MAX_PHOTOS} 张。",
        f"The upload is too large: at most {MAX_PHOTOS} photos of {MAX_PHOTO_BYTES // 1024 // 1024} MB each.",
        field="photos",
    )
    if request.content_length is not None and request.content_length > MAX_FORM_BYTES:
        raise too_large
    fields: dict[str, str] = {}
    photos: list[bytes] = []
    if request.content_type == "application/x-www-form-urlencoded":
        posted = await request.post()
        return {key: value for key, value in posted.items() if isinstance(value, str)}, []
    if request.content_type != "multipart/form-data":
        raise SubmissionError("bad_form", "请通过表单提交。", "Please submit the form.")
    try:
        reader = await request.multipart()  # a multipart type without its boundary: ValueError
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.name == "photos":
                data = await _read_part(part, MAX_PHOTO_BYTES)
                if data:  # an empty file input still sends an empty part
                    photos.append(data)
                check_photo_count(len(photos))
            else:
                fields[part.name] = (await _read_part(part, MAX_FIELD_BYTES)).decode("utf-8")
    except SubmissionError:
        raise
    except _FormTooLarge as exc:
        raise too_large from exc
    except UnicodeDecodeError as exc:
        raise SubmissionError(
            "bad_encoding", "表单内容不是 UTF-8 编码。", "The form is not UTF-8.", field="text"
        ) from exc
    except ValueError as exc:  # a malformed multipart body
        raise SubmissionError("bad_form", "表单数据不完整，请重新提交。", "The form arrived incomplete.") from exc
    return fields, photos
