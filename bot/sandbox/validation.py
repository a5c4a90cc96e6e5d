"""Discord-style validation of message, modal and interaction-response payloads.

Pure functions over JSON-like data. Each validator returns ``None`` when the
payload is acceptable, or an error tree shaped like Discord's ``errors`` object
in a 50035 "Invalid Form Body" response: nested keys follow the payload path
(list indexes become strings) and leaves hold ``{"_errors": [{"code", "message"}]}``.

Codes and messages follow what Discord returns where known (BASE_TYPE_*,
NUMBER_TYPE_*, COMPONENT_*, MAX_EMBED_SIZE_EXCEEDED, ...). Limits that Discord
documents but whose exact error we have not seen reuse BASE_TYPE_MAX_LENGTH.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

ErrorTree = dict[str, Any]
_Path = tuple[str | int, ...]
_Err = tuple[str, str]

EMPTY_MESSAGE: dict[str, Any] = {"code": 50006, "message": "Cannot send an empty message"}

IS_COMPONENTS_V2 = 1 << 15

# Component types (discord.enums.ComponentType in discord.py 2.7).
ACTION_ROW, BUTTON, STRING_SELECT, TEXT_INPUT = 1, 2, 3, 4
AUTO_SELECTS = frozenset({5, 6, 7, 8})  # user, role, mentionable, channel
SELECTS = frozenset({STRING_SELECT}) | AUTO_SELECTS
SECTION, TEXT_DISPLAY, THUMBNAIL, MEDIA_GALLERY, FILE, SEPARATOR = 9, 10, 11, 12, 13, 14
CONTAINER, LABEL, FILE_UPLOAD = 17, 18, 19
RADIO_GROUP, CHECKBOX_GROUP, CHECKBOX = 21, 22, 23

_V2_TOP = frozenset({ACTION_ROW, SECTION, TEXT_DISPLAY, MEDIA_GALLERY, FILE, SEPARATOR, CONTAINER})
_V2_IN_CONTAINER = _V2_TOP - {CONTAINER}
_LABEL_CHILDREN = (
    frozenset({TEXT_INPUT, FILE_UPLOAD, RADIO_GROUP, CHECKBOX_GROUP, CHECKBOX}) | SELECTS
)
_MODAL_TOP = frozenset({ACTION_ROW, LABEL, TEXT_DISPLAY})

_REQUIRED: _Err = ("BASE_TYPE_REQUIRED", "This field is required")
_DUPLICATE_ID: _Err = (
    "COMPONENT_CUSTOM_ID_DUPLICATED",
    "Component custom id was already specified",
)
_WIDTH: _Err = (
    "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
    "The specified component exceeds the maximum width",
)
_ID_URL_EXCLUSIVE: _Err = (
    "BUTTON_COMPONENT_CUSTOM_ID_URL_MUTUALLY_EXCLUSIVE",
    "A custom id and url cannot both be specified",
)
_ID_REQUIRED: _Err = ("BUTTON_COMPONENT_CUSTOM_ID_REQUIRED", "A custom id is required")
_URL_REQUIRED: _Err = ("BUTTON_COMPONENT_URL_REQUIRED", "A url is required")
_OPTION_DUPLICATE: _Err = (
    "SELECT_COMPONENT_OPTION_VALUE_DUPLICATED",
    "The specified option value is already used",
)
_TOO_MANY_DEFAULTS: _Err = (
    "SELECT_COMPONENT_TOO_MANY_DEFAULT_VALUES",
    "The specified number of default values exceeds the specified maximum values",
)
_EMBED_SIZE: _Err = ("MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
MAX_ROWS = 5
MAX_ROW_BUTTONS = 5
MAX_OPTIONS = 25
MAX_CUSTOM_ID = 100
MAX_V2_COMPONENTS = 40
MAX_V2_TEXT = 4000
MAX_TEXT_INPUT = 4000


def _max_len(limit: int) -> _Err:
    return ("BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def _num_max(limit: int) -> _Err:
    return ("NUMBER_TYPE_MAX", f"int value should be less than or equal to {limit}.")


def _min_len(limit: int) -> _Err:
    return ("BASE_TYPE_MIN_LENGTH", f"Must be {limit} or more in length.")


def _bad_len(low: int, high: int) -> _Err:
    return ("BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")


def _choices(values: Sequence[object]) -> _Err:
    return ("BASE_TYPE_CHOICES", f"Value must be one of ({', '.join(map(repr, values))}).")


def _legacy_field(key: str) -> _Err:
    return (
        "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
        f"The '{key}' field cannot be used when using MessageFlags.IS_COMPONENTS_V2",
    )


def _type_choices(types: frozenset[int]) -> _Err:
    listed = ", ".join(str(t) for t in sorted(types))
    return ("UNION_TYPE_CHOICES", f'Value of field "type" must be one of ({listed},).')


class _Errors:
    """Accumulates errors into a Discord-shaped tree."""

    def __init__(self) -> None:
        self.tree: ErrorTree = {}

    def add(self, path: _Path, error: _Err) -> None:
        node = self.tree
        for key in path:
            node = node.setdefault(str(key), {})
        node.setdefault("_errors", []).append({"code": error[0], "message": error[1]})

    def result(self) -> ErrorTree | None:
        return self.tree or None


def invalid_form_body(errors: ErrorTree) -> dict[str, Any]:
    """Wrap an error tree in Discord's 50035 response body."""
    return {"code": 50035, "message": "Invalid Form Body", "errors": errors}


# --- primitive checks -------------------------------------------------------


def _str(
    e: _Errors,
    path: _Path,
    value: object,
    high: int,
    *,
    low: int = 0,
    required: bool = False,
) -> None:
    """Check an optional string's length; ``low > 0`` reports a between-range error."""
    if value is None:
        if required:
            e.add(path, _REQUIRED)
        return
    if not isinstance(value, str):
        e.add(path, ("BASE_TYPE_STRING", "This field must be a string."))
        return
    if low > 0 and not low <= len(value) <= high:
        e.add(path, _bad_len(low, high))
    elif len(value) > high:
        e.add(path, _max_len(high))


def _nonempty_str(e: _Errors, path: _Path, value: object, high: int) -> None:
    """A required string where "" counts as missing (embed field names and values)."""
    _str(e, path, value if value != "" else None, high, required=True)


def _int(e: _Errors, path: _Path, value: object, low: int, high: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        e.add(path, ("NUMBER_TYPE_COERCE", f'Value "{value}" is not int.'))
        return None
    if value < low:
        e.add(path, ("NUMBER_TYPE_MIN", f"int value should be greater than or equal to {low}."))
    elif value > high:
        e.add(path, _num_max(high))
    return value


def _list(e: _Errors, path: _Path, value: object) -> list[Any] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        e.add(path, ("BASE_TYPE_ARRAY", "This field must be an array."))
        return None
    return value


def _type(component: Mapping[str, Any]) -> int | None:
    """The integer ``type`` of a component (None when absent or not an integer)."""
    kind = component.get("type")
    return kind if isinstance(kind, int) and not isinstance(kind, bool) else None


def _items(value: object) -> list[Any]:
    """``value`` if it is a list, else nothing (for lenient walks over untrusted JSON)."""
    return value if isinstance(value, list) else []


def _dicts(e: _Errors, path: _Path, items: list[Any]) -> list[tuple[int, Mapping[str, Any]]]:
    """Pair each item with its index, reporting non-objects."""
    out: list[tuple[int, Mapping[str, Any]]] = []
    for i, item in enumerate(items):
        if isinstance(item, Mapping):
            out.append((i, item))
        else:
            e.add((*path, i), ("DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType"))
    return out


def _custom_id(e: _Errors, path: _Path, comp: Mapping[str, Any], seen: set[str]) -> None:
    value = comp.get("custom_id")
    _str(e, (*path, "custom_id"), value, MAX_CUSTOM_ID, low=1, required=True)
    if isinstance(value, str) and value:
        if value in seen:
            e.add((*path, "custom_id"), _DUPLICATE_ID)
        seen.add(value)


# --- messages ---------------------------------------------------------------


def is_empty_message(payload: Mapping[str, Any], has_files: bool) -> bool:
    """True when a message would have nothing to show (Discord answers 50006)."""
    if has_files:
        return False
    content = payload.get("content")
    if isinstance(content, str) and content.strip():
        return False
    return not any(
        payload.get(key) for key in ("embeds", "components", "attachments", "sticker_ids", "poll")
    )


def validate_message(payload: Mapping[str, Any]) -> ErrorTree | None:
    """Validate a message create/edit, webhook or interaction-message payload."""
    e = _Errors()
    _check_message(e, (), payload)
    return e.result()


def _check_message(e: _Errors, path: _Path, payload: Mapping[str, Any]) -> None:
    flags = payload.get("flags")
    v2 = isinstance(flags, int) and bool(flags & IS_COMPONENTS_V2)
    _str(e, (*path, "content"), payload.get("content"), MAX_CONTENT)
    if v2:
        for key in ("content", "embeds", "poll", "sticker_ids"):
            if payload.get(key):
                e.add((*path, key), _legacy_field(key))
    embeds = _list(e, (*path, "embeds"), payload.get("embeds"))
    if embeds:
        _check_embeds(e, (*path, "embeds"), embeds)
    components = _list(e, (*path, "components"), payload.get("components"))
    if components:
        if v2:
            _check_v2_components(e, (*path, "components"), components)
        else:
            _check_classic_components(e, (*path, "components"), components)
    mentions = payload.get("allowed_mentions")
    if isinstance(mentions, Mapping):
        _check_allowed_mentions(e, (*path, "allowed_mentions"), mentions)
    attachments = _list(e, (*path, "attachments"), payload.get("attachments"))
    if attachments is not None and len(attachments) > 10:
        e.add((*path, "attachments"), _max_len(10))
    stickers = _list(e, (*path, "sticker_ids"), payload.get("sticker_ids"))
    if stickers is not None and len(stickers) > 3:
        e.add((*path, "sticker_ids"), _max_len(3))
    nonce = payload.get("nonce")
    if isinstance(nonce, str) and len(nonce) > 25:
        e.add((*path, "nonce"), ("NONCE_TYPE_TOO_LONG", "Must be 25 or fewer characters long."))


def _embed_text_size(embed: Mapping[str, Any]) -> int:
    def length(value: object) -> int:
        return len(value) if isinstance(value, str) else 0

    size = length(embed.get("title")) + length(embed.get("description"))
    for field in _items(embed.get("fields")):
        if isinstance(field, Mapping):
            size += length(field.get("name")) + length(field.get("value"))
    for key, sub in (("footer", "text"), ("author", "name")):
        part = embed.get(key)
        if isinstance(part, Mapping):
            size += length(part.get(sub))
    return size


def _check_embeds(e: _Errors, path: _Path, embeds: list[Any]) -> None:
    if len(embeds) > MAX_EMBEDS:
        e.add(path, _max_len(MAX_EMBEDS))
    items = _dicts(e, path, embeds)
    if sum(_embed_text_size(embed) for _, embed in items) > MAX_EMBED_TOTAL:
        e.add(path, _EMBED_SIZE)
    for i, embed in items:
        _check_embed(e, (*path, i), embed)


def _check_embed(e: _Errors, path: _Path, embed: Mapping[str, Any]) -> None:
    _str(e, (*path, "title"), embed.get("title"), 256)
    _str(e, (*path, "description"), embed.get("description"), 4096)
    _int(e, (*path, "color"), embed.get("color"), 0, 0xFFFFFF)
    footer = embed.get("footer")
    if isinstance(footer, Mapping):
        _str(e, (*path, "footer", "text"), footer.get("text"), 2048, required=True)
    author = embed.get("author")
    if isinstance(author, Mapping):
        _str(e, (*path, "author", "name"), author.get("name"), 256, required=True)
    fields = _list(e, (*path, "fields"), embed.get("fields"))
    if fields is None:
        return
    if len(fields) > 25:
        e.add((*path, "fields"), _max_len(25))
    for j, field in _dicts(e, (*path, "fields"), fields):
        _nonempty_str(e, (*path, "fields", j, "name"), field.get("name"), 256)
        _nonempty_str(e, (*path, "fields", j, "value"), field.get("value"), 1024)


def _check_allowed_mentions(e: _Errors, path: _Path, mentions: Mapping[str, Any]) -> None:
    kinds = ("users", "roles", "everyone")
    parse = _list(e, (*path, "parse"), mentions.get("parse")) or []
    for i, kind in enumerate(parse):
        if kind not in kinds:
            e.add((*path, "parse", i), _choices(kinds))
    for key in ("users", "roles"):
        ids = _list(e, (*path, key), mentions.get(key))
        if ids is not None and len(ids) > 100:
            e.add((*path, key), _max_len(100))
        # discord.py sends parse=[] alongside explicit ids; only the same kind conflicts.
        if ids and key in parse:
            e.add(
                path,
                (
                    "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                    f'parse:["{key}"] and {key}: [ids...] are mutually exclusive.',
                ),
            )


# --- message components -----------------------------------------------------


def _check_classic_components(e: _Errors, path: _Path, rows: list[Any]) -> None:
    if len(rows) > MAX_ROWS:
        e.add(path, _max_len(MAX_ROWS))
    seen: set[str] = set()
    for i, row in _dicts(e, path, rows):
        if _type(row) != ACTION_ROW:
            e.add((*path, i, "type"), _type_choices(frozenset({ACTION_ROW})))
            continue
        _check_action_row(e, (*path, i), row, seen)


def _check_action_row(e: _Errors, path: _Path, row: Mapping[str, Any], seen: set[str]) -> None:
    children = _list(e, (*path, "components"), row.get("components"))
    if not children:
        e.add((*path, "components"), _bad_len(1, MAX_ROW_BUTTONS))
        return
    items = _dicts(e, (*path, "components"), children)
    has_select = any(_type(child) in SELECTS for _, child in items)
    if has_select and len(children) > 1:
        for i in range(1, len(children)):
            e.add((*path, "components", i), _WIDTH)
    elif len(children) > MAX_ROW_BUTTONS:
        e.add((*path, "components"), _bad_len(1, MAX_ROW_BUTTONS))
    for i, child in items:
        child_path = (*path, "components", i)
        kind = _type(child)
        if kind == BUTTON:
            _check_button(e, child_path, child, seen)
        elif kind in SELECTS:
            _check_select(e, child_path, child, seen)
        else:
            e.add((*child_path, "type"), _type_choices(frozenset({BUTTON}) | SELECTS))


def _check_button(e: _Errors, path: _Path, button: Mapping[str, Any], seen: set[str]) -> None:
    style = button.get("style")
    if style not in (1, 2, 3, 4, 5, 6):
        e.add((*path, "style"), _choices((1, 2, 3, 4, 5, 6)))
        return
    _str(e, (*path, "label"), button.get("label"), 80)
    has_id, has_url = button.get("custom_id") is not None, button.get("url") is not None
    if style == 5:
        if not has_url:
            e.add((*path, "url"), _URL_REQUIRED)
        else:
            _str(e, (*path, "url"), button.get("url"), 512)
        if has_id:
            e.add((*path, "custom_id"), _ID_URL_EXCLUSIVE)
    elif style == 6:
        if button.get("sku_id") is None:
            e.add((*path, "sku_id"), _REQUIRED)
    elif has_url:
        e.add((*path, "url"), _ID_URL_EXCLUSIVE)
    elif not has_id:
        e.add((*path, "custom_id"), _ID_REQUIRED)
    else:
        _custom_id(e, path, button, seen)


def _check_select(e: _Errors, path: _Path, select: Mapping[str, Any], seen: set[str]) -> None:
    _custom_id(e, path, select, seen)
    _str(e, (*path, "placeholder"), select.get("placeholder"), 150)
    low = _int(e, (*path, "min_values"), select.get("min_values"), 0, MAX_OPTIONS)
    high = _int(e, (*path, "max_values"), select.get("max_values"), 1, MAX_OPTIONS)
    if _type(select) != STRING_SELECT:
        return
    options = _list(e, (*path, "options"), select.get("options"))
    if not options:
        e.add((*path, "options"), _REQUIRED)
        return
    if len(options) > MAX_OPTIONS:
        e.add((*path, "options"), _bad_len(1, MAX_OPTIONS))
    _check_options(e, (*path, "options"), options, max_default=high or 1)
    if low is not None and low > len(options):
        e.add((*path, "min_values"), _num_max(len(options)))
    if high is not None and high > len(options):
        e.add((*path, "options"), _min_len(high))


def _check_options(e: _Errors, path: _Path, options: list[Any], *, max_default: int) -> None:
    values: set[str] = set()
    defaults = 0
    for i, option in _dicts(e, path, options):
        _str(e, (*path, i, "label"), option.get("label"), 100, low=1, required=True)
        value = option.get("value")
        _str(e, (*path, i, "value"), value, 100, low=1, required=True)
        _str(e, (*path, i, "description"), option.get("description"), 100)
        if isinstance(value, str):
            if value in values:
                e.add((*path, i, "value"), _OPTION_DUPLICATE)
            values.add(value)
        defaults += bool(option.get("default"))
    if defaults > max_default:
        e.add(path, _TOO_MANY_DEFAULTS)


# --- Components V2 ----------------------------------------------------------


def _walk(component: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The component and every component nested in it (children, accessory, label child)."""
    found = [component]
    nested = [*_items(component.get("components"))]  # a copy: never touch the payload
    nested += [component[key] for key in ("accessory", "component") if key in component]
    for child in nested:
        if isinstance(child, Mapping):
            found += _walk(child)
    return found


def _check_v2_components(e: _Errors, path: _Path, components: list[Any]) -> None:
    items = _dicts(e, path, components)
    everything = [c for _, top in items for c in _walk(top)]
    if len(everything) > MAX_V2_COMPONENTS:
        e.add(path, _max_len(MAX_V2_COMPONENTS))
    text = sum(
        len(c["content"])
        for c in everything
        if _type(c) == TEXT_DISPLAY and isinstance(c.get("content"), str)
    )
    if text > MAX_V2_TEXT:
        e.add(
            path,
            (
                "BASE_TYPE_MAX_LENGTH",
                f"Total text display content must be {MAX_V2_TEXT} or fewer in length.",
            ),
        )
    seen: set[str] = set()
    for i, comp in items:
        _check_v2(e, (*path, i), comp, _V2_TOP, seen)


def _check_v2(
    e: _Errors, path: _Path, comp: Mapping[str, Any], allowed: frozenset[int], seen: set[str]
) -> None:
    kind = _type(comp)
    if kind not in allowed:
        e.add((*path, "type"), _type_choices(allowed))
    elif kind == ACTION_ROW:
        _check_action_row(e, path, comp, seen)
    elif kind == TEXT_DISPLAY:
        _str(e, (*path, "content"), comp.get("content"), MAX_V2_TEXT, low=1, required=True)
    elif kind == SECTION:
        _check_section(e, path, comp, seen)
    elif kind == CONTAINER:
        _check_container(e, path, comp, seen)
    elif kind == THUMBNAIL:
        _check_media(e, (*path, "media"), comp.get("media"))
        _str(e, (*path, "description"), comp.get("description"), 1024)
    elif kind == MEDIA_GALLERY:
        _check_gallery(e, path, comp)
    elif kind == FILE:
        _check_media(e, (*path, "file"), comp.get("file"))
    elif kind == SEPARATOR and comp.get("spacing") not in (None, 1, 2):
        e.add((*path, "spacing"), _choices((1, 2)))


def _check_container(e: _Errors, path: _Path, comp: Mapping[str, Any], seen: set[str]) -> None:
    _int(e, (*path, "accent_color"), comp.get("accent_color"), 0, 0xFFFFFF)
    children = _list(e, (*path, "components"), comp.get("components"))
    if not children:
        e.add((*path, "components"), _REQUIRED)
        return
    for i, child in _dicts(e, (*path, "components"), children):
        _check_v2(e, (*path, "components", i), child, _V2_IN_CONTAINER, seen)


def _check_gallery(e: _Errors, path: _Path, comp: Mapping[str, Any]) -> None:
    items = _list(e, (*path, "items"), comp.get("items"))
    if not items or len(items) > 10:
        e.add((*path, "items"), _bad_len(1, 10))
        return
    for i, item in _dicts(e, (*path, "items"), items):
        _check_media(e, (*path, "items", i, "media"), item.get("media"))
        _str(e, (*path, "items", i, "description"), item.get("description"), 1024)


def _check_section(e: _Errors, path: _Path, comp: Mapping[str, Any], seen: set[str]) -> None:
    children = _list(e, (*path, "components"), comp.get("components"))
    if not children or len(children) > 3:
        e.add((*path, "components"), _bad_len(1, 3))
    for i, child in _dicts(e, (*path, "components"), children or []):
        _check_v2(e, (*path, "components", i), child, frozenset({TEXT_DISPLAY}), seen)
    accessory = comp.get("accessory")
    if not isinstance(accessory, Mapping):
        e.add((*path, "accessory"), _REQUIRED)
    elif _type(accessory) == BUTTON:
        _check_button(e, (*path, "accessory"), accessory, seen)
    else:
        _check_v2(e, (*path, "accessory"), accessory, frozenset({BUTTON, THUMBNAIL}), seen)


def _check_media(e: _Errors, path: _Path, media: object) -> None:
    if not isinstance(media, Mapping):
        e.add(path, _REQUIRED)
        return
    _str(e, (*path, "url"), media.get("url"), 2048, low=1, required=True)


# --- modals -----------------------------------------------------------------


def validate_modal(data: Mapping[str, Any]) -> ErrorTree | None:
    """Validate the ``data`` of a modal interaction response (type 9)."""
    e = _Errors()
    _check_modal(e, (), data)
    return e.result()


def _check_modal(e: _Errors, path: _Path, data: Mapping[str, Any]) -> None:
    _str(e, (*path, "title"), data.get("title"), 45, low=1, required=True)
    _str(e, (*path, "custom_id"), data.get("custom_id"), MAX_CUSTOM_ID, low=1, required=True)
    components = _list(e, (*path, "components"), data.get("components"))
    if not components or len(components) > 5:
        e.add((*path, "components"), _bad_len(1, 5))
    seen: set[str] = set()
    for i, comp in _dicts(e, (*path, "components"), components or []):
        comp_path = (*path, "components", i)
        kind = _type(comp)
        if kind == ACTION_ROW:
            _check_modal_row(e, comp_path, comp, seen)
        elif kind == LABEL:
            _check_label(e, comp_path, comp, seen)
        elif kind == TEXT_DISPLAY:
            _str(e, (*comp_path, "content"), comp.get("content"), MAX_V2_TEXT, low=1, required=True)
        else:
            e.add((*comp_path, "type"), _type_choices(_MODAL_TOP))


def _check_modal_row(e: _Errors, path: _Path, row: Mapping[str, Any], seen: set[str]) -> None:
    children = _list(e, (*path, "components"), row.get("components"))
    if not children or len(children) != 1:
        e.add((*path, "components"), _bad_len(1, 1))
        return
    for i, child in _dicts(e, (*path, "components"), children):
        child_path = (*path, "components", i)
        if _type(child) != TEXT_INPUT:
            e.add((*child_path, "type"), _type_choices(frozenset({TEXT_INPUT})))
            continue
        # Legacy text inputs carry their own label; inside a Label it is the Label's.
        _str(e, (*child_path, "label"), child.get("label"), 45, low=1, required=True)
        _check_text_input(e, child_path, child, seen)


def _check_label(e: _Errors, path: _Path, label: Mapping[str, Any], seen: set[str]) -> None:
    _str(e, (*path, "label"), label.get("label"), 45, low=1, required=True)
    _str(e, (*path, "description"), label.get("description"), 100)
    child = label.get("component")
    child_path = (*path, "component")
    if not isinstance(child, Mapping):
        e.add(child_path, _REQUIRED)
        return
    kind = _type(child)
    if kind == TEXT_INPUT:
        _str(e, (*child_path, "label"), child.get("label"), 45)
        _check_text_input(e, child_path, child, seen)
    elif kind in SELECTS:
        _check_select(e, child_path, child, seen)
    elif kind == FILE_UPLOAD:
        _custom_id(e, child_path, child, seen)
        _int(e, (*child_path, "min_values"), child.get("min_values"), 0, 10)
        _int(e, (*child_path, "max_values"), child.get("max_values"), 1, 10)
    elif kind == RADIO_GROUP:
        _check_choice_group(e, child_path, child, seen, low=2, high=10, max_default=1)
    elif kind == CHECKBOX_GROUP:
        low = _int(e, (*child_path, "min_values"), child.get("min_values"), 0, 10)
        high = _int(e, (*child_path, "max_values"), child.get("max_values"), 1, 10)
        if low is not None and high is not None and low > high:
            e.add((*child_path, "min_values"), _num_max(high))
        _check_choice_group(e, child_path, child, seen, low=1, high=10, max_default=high or 10)
    elif kind == CHECKBOX:
        _custom_id(e, child_path, child, seen)
    else:
        e.add((*child_path, "type"), _type_choices(_LABEL_CHILDREN))


def _check_text_input(e: _Errors, path: _Path, comp: Mapping[str, Any], seen: set[str]) -> None:
    _custom_id(e, path, comp, seen)
    if comp.get("style") not in (1, 2):
        e.add((*path, "style"), _choices((1, 2)))
    low = _int(e, (*path, "min_length"), comp.get("min_length"), 0, MAX_TEXT_INPUT)
    high = _int(e, (*path, "max_length"), comp.get("max_length"), 1, MAX_TEXT_INPUT)
    if low is not None and high is not None and low > high:
        e.add((*path, "min_length"), _num_max(high))
    _str(e, (*path, "value"), comp.get("value"), MAX_TEXT_INPUT)
    _str(e, (*path, "placeholder"), comp.get("placeholder"), 100)


def _check_choice_group(
    e: _Errors,
    path: _Path,
    comp: Mapping[str, Any],
    seen: set[str],
    *,
    low: int,
    high: int,
    max_default: int,
) -> None:
    _custom_id(e, path, comp, seen)
    options = _list(e, (*path, "options"), comp.get("options"))
    if not options or not low <= len(options) <= high:
        e.add((*path, "options"), _bad_len(low, high))
    if options:
        _check_options(e, (*path, "options"), options, max_default=max_default)


# --- interaction responses --------------------------------------------------

_RESPONSE_TYPES = (1, 4, 5, 6, 7, 8, 9, 10, 12)


def validate_interaction_response(body: Mapping[str, Any]) -> ErrorTree | None:
    """Validate a whole interaction callback body ``{"type": ..., "data": ...}``.

    Emptiness of a type-4 reply is not checked here; use :func:`is_empty_message`.
    """
    e = _Errors()
    kind = _type(body)
    data = body.get("data")
    if kind not in _RESPONSE_TYPES:
        e.add(("type",), _choices(_RESPONSE_TYPES))
    elif data is not None and not isinstance(data, Mapping):
        e.add(("data",), ("DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType"))
    elif kind == 9:
        if data is None:
            e.add(("data",), _REQUIRED)
        else:
            _check_modal(e, ("data",), data)
    elif kind == 8 and data is not None:
        choices = _list(e, ("data", "choices"), data.get("choices"))
        if choices is not None and len(choices) > MAX_OPTIONS:
            e.add(("data", "choices"), _max_len(MAX_OPTIONS))
    elif data is not None and kind in (4, 5, 6, 7):
        _check_message(e, ("data",), data)
    return e.result()
