"""Discord-style payload validation: limits at and just past the edge, error paths, and
payloads produced by discord.py's own UI classes (which must always pass)."""

from __future__ import annotations

import copy
import json
from typing import Any

import discord
import pytest
from discord import ui
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.sandbox.validation import (
    EMPTY_MESSAGE,
    IS_COMPONENTS_V2,
    invalid_form_body,
    is_empty_message,
    validate_interaction_response,
    validate_message,
    validate_modal,
)


def codes_at(tree: dict[str, Any] | None, *path: str | int) -> list[str]:
    """The error codes at one node of an error tree ([] when there are none)."""
    node: Any = tree or {}
    for key in path:
        node = node.get(str(key), {})
    return [err["code"] for err in node.get("_errors", [])]


def button(custom_id: str, **extra: Any) -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": custom_id[:80], "custom_id": custom_id, **extra}


def row(*children: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(children)}


def string_select(custom_id: str, n_options: int, **extra: Any) -> dict[str, Any]:
    options = [{"label": f"o{i}", "value": f"v{i}"} for i in range(n_options)]
    return {"type": 3, "custom_id": custom_id, "options": options, **extra}


def text_input(custom_id: str = "t", **extra: Any) -> dict[str, Any]:
    return {"type": 4, "custom_id": custom_id, "style": 1, **extra}


def label(child: dict[str, Any], text: str = "Question", **extra: Any) -> dict[str, Any]:
    return {"type": 18, "label": text, "component": child, **extra}


def modal(*components: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"title": "Check-in", "custom_id": "m", "components": list(components), **extra}


def radio(n_options: int, **extra: Any) -> dict[str, Any]:
    options = [{"label": f"o{i}", "value": f"v{i}"} for i in range(n_options)]
    return {"type": 21, "custom_id": "r", "options": options, **extra}


# --- error shape ----------------------------------------------------------------------


def test_invalid_form_body_wraps_tree() -> None:
    tree = validate_message({"content": "x" * 2001})
    assert tree == {
        "content": {
            "_errors": [
                {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}
            ]
        }
    }
    body = invalid_form_body(tree)
    assert body == {"code": 50035, "message": "Invalid Form Body", "errors": tree}
    json.dumps(body)  # serialisable as is


def test_errors_are_shaped_like_discord_for_discord_py_http_exception() -> None:
    # discord.py flattens the tree into "In embeds.0.fields.3.value: ..." lines.
    tree = validate_message(
        {"embeds": [{"fields": [{"name": "n", "value": "v"}] * 3 + [{"name": "n", "value": ""}]}]}
    )
    assert tree is not None
    flat = discord.errors._flatten_error_dict(tree)
    assert flat == {"embeds.0.fields.3.value": "This field is required"}


# --- content and emptiness ------------------------------------------------------------


def test_content_at_limit_passes_and_over_fails() -> None:
    assert validate_message({"content": "x" * 2000}) is None
    assert codes_at(validate_message({"content": "x" * 2001}), "content") == [
        "BASE_TYPE_MAX_LENGTH"
    ]


@pytest.mark.parametrize(
    ("payload", "has_files", "empty"),
    [
        ({}, False, True),
        ({"content": ""}, False, True),
        ({"content": "   \n"}, False, True),
        ({"content": None, "embeds": [], "components": []}, False, True),
        ({}, True, False),
        ({"content": "hi"}, False, False),
        ({"embeds": [{"title": "t"}]}, False, False),
        ({"components": [row(button("a"))]}, False, False),
        ({"attachments": [{"id": 0, "filename": "a.png"}]}, False, False),
        ({"sticker_ids": [1]}, False, False),
        ({"poll": {"question": {"text": "q"}}}, False, False),
    ],
)
def test_is_empty_message(payload: dict[str, Any], has_files: bool, empty: bool) -> None:
    assert is_empty_message(payload, has_files) is empty


def test_empty_message_error_constant() -> None:
    assert EMPTY_MESSAGE == {"code": 50006, "message": "Cannot send an empty message"}


# --- embeds ---------------------------------------------------------------------------


def test_embed_count() -> None:
    assert validate_message({"embeds": [{"title": "t"}] * 10}) is None
    assert codes_at(validate_message({"embeds": [{"title": "t"}] * 11}), "embeds") == [
        "BASE_TYPE_MAX_LENGTH"
    ]


@pytest.mark.parametrize(
    ("embed_of", "limit", "path"),
    [
        (lambda s: {"title": s}, 256, ("title",)),
        (lambda s: {"description": s}, 4096, ("description",)),
        (lambda s: {"footer": {"text": s}}, 2048, ("footer", "text")),
        (lambda s: {"author": {"name": s}}, 256, ("author", "name")),
        (lambda s: {"fields": [{"name": s, "value": "v"}]}, 256, ("fields", 0, "name")),
        (lambda s: {"fields": [{"name": "n", "value": s}]}, 1024, ("fields", 0, "value")),
    ],
)
def test_embed_text_limits(embed_of: Any, limit: int, path: tuple[str | int, ...]) -> None:
    assert validate_message({"embeds": [embed_of("x" * limit)]}) is None
    tree = validate_message({"embeds": [embed_of("x" * (limit + 1))]})
    assert codes_at(tree, "embeds", 0, *path) == ["BASE_TYPE_MAX_LENGTH"]


def test_embed_field_count() -> None:
    fields = [{"name": "n", "value": "v"}]
    assert validate_message({"embeds": [{"fields": fields * 25}]}) is None
    tree = validate_message({"embeds": [{"fields": fields * 26}]})
    assert codes_at(tree, "embeds", 0, "fields") == ["BASE_TYPE_MAX_LENGTH"]


def test_embed_field_name_and_value_required() -> None:
    tree = validate_message({"embeds": [{"fields": [{"name": "", "value": "v"}, {"name": "n"}]}]})
    assert codes_at(tree, "embeds", 0, "fields", 0, "name") == ["BASE_TYPE_REQUIRED"]
    assert codes_at(tree, "embeds", 0, "fields", 1, "value") == ["BASE_TYPE_REQUIRED"]


def test_embed_total_size_across_embeds() -> None:
    at_limit = [{"description": "x" * 4000}, {"description": "y" * 1990, "title": "t" * 10}]
    assert validate_message({"embeds": at_limit}) is None
    over = [{"description": "x" * 4000}, {"description": "y" * 1990, "title": "t" * 11}]
    tree = validate_message({"embeds": over})
    assert codes_at(tree, "embeds") == ["MAX_EMBED_SIZE_EXCEEDED"]
    assert tree is not None
    assert tree["embeds"]["_errors"][0]["message"] == "Embed size exceeds maximum size of 6000"


def test_embed_total_counts_fields_footer_author() -> None:
    embed = {
        "title": "t" * 256,
        "description": "d" * 4096,
        "fields": [{"name": "n" * 100, "value": "v" * 792}],
        "footer": {"text": "f" * 500},
        "author": {"name": "a" * 256},
    }
    assert sum([256, 4096, 100, 792, 500, 256]) == 6000
    assert validate_message({"embeds": [embed]}) is None
    embed["footer"] = {"text": "f" * 501}
    assert codes_at(validate_message({"embeds": [embed]}), "embeds") == ["MAX_EMBED_SIZE_EXCEEDED"]


def test_embed_color_range() -> None:
    assert validate_message({"embeds": [{"title": "t", "color": 0xFFFFFF}]}) is None
    tree = validate_message({"embeds": [{"title": "t", "color": 0x1000000}]})
    assert codes_at(tree, "embeds", 0, "color") == ["NUMBER_TYPE_MAX"]


# --- classic components ---------------------------------------------------------------


def test_five_rows_of_five_buttons_pass_sixth_row_fails() -> None:
    rows = [row(*(button(f"b{r}{c}") for c in range(5))) for r in range(5)]
    assert validate_message({"components": rows}) is None
    tree = validate_message({"components": [*rows, row(button("extra"))]})
    assert codes_at(tree, "components") == ["BASE_TYPE_MAX_LENGTH"]


def test_six_buttons_in_a_row_fail() -> None:
    tree = validate_message({"components": [row(*(button(f"b{i}") for i in range(6)))]})
    assert codes_at(tree, "components", 0, "components") == ["BASE_TYPE_BAD_LENGTH"]
    assert tree is not None
    message = tree["components"]["0"]["components"]["_errors"][0]["message"]
    assert message == "Must be between 1 and 5 in length."


def test_empty_row_fails() -> None:
    tree = validate_message({"components": [row()]})
    assert codes_at(tree, "components", 0, "components") == ["BASE_TYPE_BAD_LENGTH"]


def test_select_must_be_alone_in_its_row() -> None:
    assert validate_message({"components": [row(string_select("s", 3))]}) is None
    tree = validate_message({"components": [row(string_select("s", 3), button("b"))]})
    assert codes_at(tree, "components", 0, "components", 1) == ["COMPONENT_LAYOUT_WIDTH_EXCEEDED"]


def test_non_row_at_top_level_of_classic_message() -> None:
    tree = validate_message({"components": [button("b")]})
    assert codes_at(tree, "components", 0, "type") == ["UNION_TYPE_CHOICES"]


def test_custom_id_length() -> None:
    assert validate_message({"components": [row(button("x" * 100))]}) is None
    tree = validate_message({"components": [row(button("x" * 101))]})
    assert codes_at(tree, "components", 0, "components", 0, "custom_id") == ["BASE_TYPE_BAD_LENGTH"]


def test_custom_id_unique_within_message() -> None:
    tree = validate_message({"components": [row(button("a"), button("b")), row(button("a"))]})
    assert codes_at(tree, "components", 1, "components", 0, "custom_id") == [
        "COMPONENT_CUSTOM_ID_DUPLICATED"
    ]
    assert codes_at(tree, "components", 0, "components", 0, "custom_id") == []


def test_button_label_length() -> None:
    assert validate_message({"components": [row(button("a", label="l" * 80))]}) is None
    tree = validate_message({"components": [row(button("a", label="l" * 81))]})
    assert codes_at(tree, "components", 0, "components", 0, "label") == ["BASE_TYPE_MAX_LENGTH"]


def test_link_buttons_need_url_and_no_custom_id() -> None:
    link = {"type": 2, "style": 5, "label": "Docs", "url": "https://example.org"}
    assert validate_message({"components": [row(link)]}) is None
    tree = validate_message({"components": [row({**link, "custom_id": "x"})]})
    assert codes_at(tree, "components", 0, "components", 0, "custom_id") == [
        "BUTTON_COMPONENT_CUSTOM_ID_URL_MUTUALLY_EXCLUSIVE"
    ]
    tree = validate_message({"components": [row({"type": 2, "style": 5, "label": "x"})]})
    assert codes_at(tree, "components", 0, "components", 0, "url") == [
        "BUTTON_COMPONENT_URL_REQUIRED"
    ]


def test_other_buttons_need_custom_id() -> None:
    tree = validate_message({"components": [row({"type": 2, "style": 1, "label": "x"})]})
    assert codes_at(tree, "components", 0, "components", 0, "custom_id") == [
        "BUTTON_COMPONENT_CUSTOM_ID_REQUIRED"
    ]


def test_select_option_count() -> None:
    assert validate_message({"components": [row(string_select("s", 25))]}) is None
    tree = validate_message({"components": [row(string_select("s", 26))]})
    assert codes_at(tree, "components", 0, "components", 0, "options") == ["BASE_TYPE_BAD_LENGTH"]
    tree = validate_message({"components": [row(string_select("s", 0))]})
    assert codes_at(tree, "components", 0, "components", 0, "options") == ["BASE_TYPE_REQUIRED"]


def test_select_min_max_values() -> None:
    ok = string_select("s", 25, min_values=0, max_values=25)
    assert validate_message({"components": [row(ok)]}) is None
    bad = string_select("s", 25, min_values=26, max_values=26)
    tree = validate_message({"components": [row(bad)]})
    assert codes_at(tree, "components", 0, "components", 0, "min_values")[0] == "NUMBER_TYPE_MAX"
    assert codes_at(tree, "components", 0, "components", 0, "max_values")[0] == "NUMBER_TYPE_MAX"
    tree = validate_message({"components": [row(string_select("s", 25, min_values=-1))]})
    assert codes_at(tree, "components", 0, "components", 0, "min_values") == ["NUMBER_TYPE_MIN"]


def test_select_option_text_limits() -> None:
    for key in ("label", "value", "description"):
        select = string_select("s", 2)
        select["options"][0][key] = "x" * 100
        assert validate_message({"components": [row(select)]}) is None
        select["options"][0][key] = "x" * 101
        tree = validate_message({"components": [row(select)]})
        assert codes_at(tree, "components", 0, "components", 0, "options", 0, key), key


def test_select_option_values_unique() -> None:
    select = string_select("s", 2)
    select["options"][1]["value"] = "v0"
    tree = validate_message({"components": [row(select)]})
    assert codes_at(tree, "components", 0, "components", 0, "options", 1, "value") == [
        "SELECT_COMPONENT_OPTION_VALUE_DUPLICATED"
    ]


def test_select_placeholder_length() -> None:
    assert (
        validate_message({"components": [row(string_select("s", 2, placeholder="p" * 150))]})
        is None
    )
    tree = validate_message({"components": [row(string_select("s", 2, placeholder="p" * 151))]})
    assert codes_at(tree, "components", 0, "components", 0, "placeholder") == [
        "BASE_TYPE_MAX_LENGTH"
    ]


def test_user_select_needs_no_options() -> None:
    select = {"type": 5, "custom_id": "u", "min_values": 1, "max_values": 3}
    assert validate_message({"components": [row(select)]}) is None


# --- Components V2 --------------------------------------------------------------------


def text(content: str) -> dict[str, Any]:
    return {"type": 10, "content": content}


def v2(*components: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"flags": IS_COMPONENTS_V2, "components": list(components), **extra}


def test_v2_message_with_every_layout_type_passes() -> None:
    media = {"url": "attachment://chart.png"}
    payload = v2(
        {
            "type": 17,
            "accent_color": 0x5865F2,
            "components": [
                text("# Weekly check-in"),
                {"type": 14, "divider": True, "spacing": 1},
                {"type": 9, "components": [text("a")], "accessory": button("go")},
                {"type": 9, "components": [text("b")], "accessory": {"type": 11, "media": media}},
                {"type": 12, "items": [{"media": media}]},
                {"type": 13, "file": {"url": "attachment://summary.csv"}},
                row(button("x")),
            ],
        },
        text("outside"),
    )
    before = copy.deepcopy(payload)
    assert validate_message(payload) is None
    assert payload == before


def test_v2_types_rejected_without_flag() -> None:
    tree = validate_message({"components": [text("hi")]})
    assert codes_at(tree, "components", 0, "type") == ["UNION_TYPE_CHOICES"]


def test_v2_forbids_content_and_embeds() -> None:
    tree = validate_message(v2(text("x"), content="hello", embeds=[{"title": "t"}]))
    for key in ("content", "embeds"):
        assert codes_at(tree, key) == ["MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2"]
    # discord.py clears legacy fields with null / [] when editing into V2.
    assert validate_message(v2(text("x"), content=None, embeds=[])) is None


def test_v2_total_component_count() -> None:
    # One container (1) + 39 text displays = 40 components.
    at_limit = v2({"type": 17, "components": [text("t")] * 39})
    assert validate_message(at_limit) is None
    over = v2({"type": 17, "components": [text("t")] * 40})
    assert codes_at(validate_message(over), "components") == ["BASE_TYPE_MAX_LENGTH"]


def test_v2_counts_nested_buttons_and_accessories() -> None:
    # 8 rows x (1 row + 4 buttons) = 40; a section adds 3 more.
    rows = [row(*(button(f"b{r}{c}") for c in range(4))) for r in range(8)]
    assert validate_message(v2(*rows)) is None
    section = {"type": 9, "components": [text("s")], "accessory": button("acc")}
    assert codes_at(validate_message(v2(*rows, section)), "components") == ["BASE_TYPE_MAX_LENGTH"]


def test_v2_total_text_length() -> None:
    assert validate_message(v2(text("x" * 2000), text("y" * 2000))) is None
    tree = validate_message(v2(text("x" * 2000), text("y" * 2001)))
    assert codes_at(tree, "components") == ["BASE_TYPE_MAX_LENGTH"]


def test_v2_container_cannot_nest_container() -> None:
    tree = validate_message(
        v2({"type": 17, "components": [{"type": 17, "components": [text("a")]}]})
    )
    assert codes_at(tree, "components", 0, "components", 0, "type") == ["UNION_TYPE_CHOICES"]


def test_v2_section_shape() -> None:
    section = {"type": 9, "components": [text("a")] * 4, "accessory": button("b")}
    tree = validate_message(v2(section))
    assert codes_at(tree, "components", 0, "components") == ["BASE_TYPE_BAD_LENGTH"]
    tree = validate_message(v2({"type": 9, "components": [text("a")]}))
    assert codes_at(tree, "components", 0, "accessory") == ["BASE_TYPE_REQUIRED"]


def test_v2_custom_ids_unique_across_containers() -> None:
    payload = v2(
        {"type": 17, "components": [row(button("a"))]},
        {"type": 9, "components": [text("s")], "accessory": button("a")},
    )
    tree = validate_message(payload)
    assert codes_at(tree, "components", 1, "accessory", "custom_id") == [
        "COMPONENT_CUSTOM_ID_DUPLICATED"
    ]


# --- allowed_mentions -----------------------------------------------------------------


def test_allowed_mentions_parse_values() -> None:
    ok = {"content": "x", "allowed_mentions": {"parse": ["users", "roles", "everyone"]}}
    assert validate_message(ok) is None
    tree = validate_message({"content": "x", "allowed_mentions": {"parse": ["users", "here"]}})
    assert codes_at(tree, "allowed_mentions", "parse", 1) == ["BASE_TYPE_CHOICES"]


def test_allowed_mentions_id_count() -> None:
    ids = [str(i) for i in range(100)]
    assert validate_message({"content": "x", "allowed_mentions": {"users": ids}}) is None
    tree = validate_message({"content": "x", "allowed_mentions": {"roles": [*ids, "100"]}})
    assert codes_at(tree, "allowed_mentions", "roles") == ["BASE_TYPE_MAX_LENGTH"]


def test_allowed_mentions_parse_and_ids_exclusive() -> None:
    tree = validate_message(
        {"content": "x", "allowed_mentions": {"parse": ["users"], "users": ["1"]}}
    )
    assert codes_at(tree, "allowed_mentions") == ["MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE"]
    # discord.py always sends "parse" (often empty) next to explicit ids: that is fine.
    mentions = discord.AllowedMentions(everyone=False, users=[discord.Object(1)], roles=False)
    assert validate_message({"content": "x", "allowed_mentions": mentions.to_dict()}) is None
    none = discord.AllowedMentions.none().to_dict()
    assert validate_message({"content": "x", "allowed_mentions": none}) is None


# --- modals ---------------------------------------------------------------------------


def test_modal_title_length() -> None:
    child = label(text_input("t"))
    assert validate_modal(modal(child, title="t" * 45)) is None
    for bad in ("", "t" * 46):
        assert codes_at(validate_modal(modal(child, title=bad)), "title") == [
            "BASE_TYPE_BAD_LENGTH"
        ]
    assert codes_at(validate_modal({"custom_id": "m", "components": [child]}), "title") == [
        "BASE_TYPE_REQUIRED"
    ]


def test_modal_custom_id_length() -> None:
    child = label(text_input("t"))
    assert validate_modal(modal(child, custom_id="c" * 100)) is None
    tree = validate_modal(modal(child, custom_id="c" * 101))
    assert codes_at(tree, "custom_id") == ["BASE_TYPE_BAD_LENGTH"]


def test_modal_component_count() -> None:
    five = [label(text_input(f"t{i}")) for i in range(5)]
    assert validate_modal(modal(*five)) is None
    assert codes_at(validate_modal(modal(*five, label(text_input("t5")))), "components") == [
        "BASE_TYPE_BAD_LENGTH"
    ]
    assert codes_at(validate_modal(modal()), "components") == ["BASE_TYPE_BAD_LENGTH"]


def test_modal_label_text_and_description() -> None:
    ok = label(text_input("t"), text="l" * 45, description="d" * 100)
    assert validate_modal(modal(ok)) is None
    bad = label(text_input("t"), text="l" * 46, description="d" * 101)
    tree = validate_modal(modal(bad))
    assert codes_at(tree, "components", 0, "label") == ["BASE_TYPE_BAD_LENGTH"]
    assert codes_at(tree, "components", 0, "description") == ["BASE_TYPE_MAX_LENGTH"]


def test_modal_label_child_types() -> None:
    children = [
        text_input("a"),
        string_select("b", 3),
        {"type": 5, "custom_id": "c"},
        {"type": 8, "custom_id": "d"},
        {"type": 19, "custom_id": "e", "min_values": 0, "max_values": 10},
    ]
    assert validate_modal(modal(*(label(c) for c in children))) is None
    tree = validate_modal(modal(label(button("x"))))
    assert codes_at(tree, "components", 0, "component", "type") == ["UNION_TYPE_CHOICES"]


def test_modal_text_display_and_unknown_top_level() -> None:
    assert validate_modal(modal(text("Please avoid client-identifying details."))) is None
    tree = validate_modal(modal(row(button("b"))))
    assert codes_at(tree, "components", 0, "components", 0, "type") == ["UNION_TYPE_CHOICES"]
    tree = validate_modal(modal({"type": 17, "components": [text("x")]}))
    assert codes_at(tree, "components", 0, "type") == ["UNION_TYPE_CHOICES"]


def test_legacy_action_row_holds_one_labelled_text_input() -> None:
    assert validate_modal(modal(row(text_input("t", label="l" * 45)))) is None
    tree = validate_modal(modal(row(text_input("t", label="l" * 46))))
    assert codes_at(tree, "components", 0, "components", 0, "label") == ["BASE_TYPE_BAD_LENGTH"]
    tree = validate_modal(modal(row(text_input("t"))))
    assert codes_at(tree, "components", 0, "components", 0, "label") == ["BASE_TYPE_REQUIRED"]
    tree = validate_modal(modal(row(text_input("a", label="a"), text_input("b", label="b"))))
    assert codes_at(tree, "components", 0, "components") == ["BASE_TYPE_BAD_LENGTH"]


@pytest.mark.parametrize(
    ("field", "ok", "bad", "code"),
    [
        ("custom_id", "c" * 100, "c" * 101, "BASE_TYPE_BAD_LENGTH"),
        ("style", 2, 3, "BASE_TYPE_CHOICES"),
        ("min_length", 4000, 4001, "NUMBER_TYPE_MAX"),
        ("max_length", 4000, 4001, "NUMBER_TYPE_MAX"),
        ("value", "v" * 4000, "v" * 4001, "BASE_TYPE_MAX_LENGTH"),
        ("placeholder", "p" * 100, "p" * 101, "BASE_TYPE_MAX_LENGTH"),
    ],
)
def test_text_input_limits(field: str, ok: object, bad: object, code: str) -> None:
    assert validate_modal(modal(label({**text_input(), field: ok}))) is None
    tree = validate_modal(modal(label({**text_input(), field: bad})))
    assert codes_at(tree, "components", 0, "component", field) == [code]


def test_text_input_min_not_above_max() -> None:
    tree = validate_modal(modal(label(text_input("t", min_length=10, max_length=5))))
    assert codes_at(tree, "components", 0, "component", "min_length") == ["NUMBER_TYPE_MAX"]


def test_radio_group_option_count() -> None:
    for n in (2, 10):
        assert validate_modal(modal(label(radio(n)))) is None
    for n in (1, 11):
        tree = validate_modal(modal(label(radio(n))))
        assert codes_at(tree, "components", 0, "component", "options") == ["BASE_TYPE_BAD_LENGTH"]


def test_radio_group_option_limits_and_unique_values() -> None:
    group = radio(3)
    group["options"][0]["label"] = "l" * 100
    group["options"][1]["value"] = "v" * 100
    assert validate_modal(modal(label(group))) is None
    group["options"][0]["label"] = "l" * 101
    group["options"][1]["value"] = "v" * 101
    group["options"][2]["value"] = "v" * 101
    tree = validate_modal(modal(label(group)))
    options = ("components", 0, "component", "options")
    assert codes_at(tree, *options, 0, "label") == ["BASE_TYPE_BAD_LENGTH"]
    assert codes_at(tree, *options, 1, "value") == ["BASE_TYPE_BAD_LENGTH"]
    assert codes_at(tree, *options, 2, "value") == [
        "BASE_TYPE_BAD_LENGTH",
        "SELECT_COMPONENT_OPTION_VALUE_DUPLICATED",
    ]


def test_checkbox_group_option_count_and_values() -> None:
    def group(n: int, **extra: Any) -> dict[str, Any]:
        return {**radio(n), "type": 22, **extra}

    for n in (1, 10):
        assert validate_modal(modal(label(group(n, min_values=0, max_values=n)))) is None
    for n in (0, 11):
        tree = validate_modal(modal(label(group(n))))
        assert codes_at(tree, "components", 0, "component", "options") == ["BASE_TYPE_BAD_LENGTH"]
    tree = validate_modal(modal(label(group(3, max_values=11))))
    assert codes_at(tree, "components", 0, "component", "max_values") == ["NUMBER_TYPE_MAX"]


def test_checkbox_needs_custom_id() -> None:
    assert validate_modal(modal(label({"type": 23, "custom_id": "c", "default": False}))) is None
    tree = validate_modal(modal(label({"type": 23})))
    assert codes_at(tree, "components", 0, "component", "custom_id") == ["BASE_TYPE_REQUIRED"]


def test_modal_custom_ids_unique() -> None:
    tree = validate_modal(modal(label(text_input("same")), label(radio(2, custom_id="same"))))
    assert codes_at(tree, "components", 1, "component", "custom_id") == [
        "COMPONENT_CUSTOM_ID_DUPLICATED"
    ]


# --- interaction responses ------------------------------------------------------------


def test_interaction_response_dispatches_with_data_paths() -> None:
    tree = validate_interaction_response({"type": 4, "data": {"content": "x" * 2001}})
    assert codes_at(tree, "data", "content") == ["BASE_TYPE_MAX_LENGTH"]
    tree = validate_interaction_response(
        {"type": 9, "data": modal(label(text_input("t")), title="")}
    )
    assert codes_at(tree, "data", "title") == ["BASE_TYPE_BAD_LENGTH"]
    tree = validate_interaction_response({"type": 7, "data": {"components": [row()]}})
    assert codes_at(tree, "data", "components", 0, "components") == ["BASE_TYPE_BAD_LENGTH"]


def test_interaction_response_types() -> None:
    for kind in (1, 5, 6):
        assert validate_interaction_response({"type": kind}) is None
    assert validate_interaction_response({"type": 5, "data": {"flags": 64}}) is None
    assert codes_at(validate_interaction_response({"type": 3}), "type") == ["BASE_TYPE_CHOICES"]
    assert codes_at(validate_interaction_response({"type": 9}), "data") == ["BASE_TYPE_REQUIRED"]
    choices = [{"name": str(i), "value": str(i)} for i in range(26)]
    tree = validate_interaction_response({"type": 8, "data": {"choices": choices}})
    assert codes_at(tree, "data", "choices") == ["BASE_TYPE_MAX_LENGTH"]


# --- what discord.py itself sends must pass -------------------------------------------


async def test_discord_py_checkin_modal_passes() -> None:
    modal_view = ui.Modal(title="Weekly check-in")
    modal_view.add_item(
        ui.Label(
            text="Energy this week",
            description="No client-identifying details.",
            component=ui.RadioGroup(
                options=[discord.RadioGroupOption(label=f"{i}") for i in range(1, 6)]
            ),
        )
    )
    modal_view.add_item(
        ui.Label(
            text="What helped",
            component=ui.CheckboxGroup(
                options=[discord.CheckboxGroupOption(label=x) for x in ("peers", "time off")],
                max_values=2,
            ),
        )
    )
    modal_view.add_item(
        ui.Label(
            text="Caseload",
            component=ui.Select(options=[discord.SelectOption(label=x) for x in "abc"]),
        )
    )
    modal_view.add_item(ui.Label(text="Want a consult?", component=ui.Checkbox()))
    modal_view.add_item(
        ui.Label(
            text="Note",
            component=ui.TextInput(style=discord.TextStyle.paragraph, max_length=4000),
        )
    )
    body = {"type": 9, "data": modal_view.to_dict()}
    assert validate_interaction_response(json.loads(json.dumps(body))) is None


async def test_discord_py_legacy_modal_and_views_pass() -> None:
    legacy = ui.Modal(title="Note")
    legacy.add_item(ui.TextInput(label="Note", placeholder="optional"))
    assert validate_modal(legacy.to_dict()) is None

    view = ui.View()
    for i in range(5):
        view.add_item(ui.Button(label=f"b{i}", custom_id=f"b{i}", row=0))
    view.add_item(ui.Button(label="Docs", url="https://example.org", row=1))
    view.add_item(ui.Select(options=[discord.SelectOption(label="x")], row=2))
    view.add_item(ui.UserSelect(row=3))
    assert validate_message({"content": "x", "components": view.to_components()}) is None

    layout = ui.LayoutView()
    layout.add_item(
        ui.Container(
            ui.TextDisplay("hello"),
            ui.Separator(),
            ui.Section(ui.TextDisplay("x"), accessory=ui.Button(label="b", custom_id="sb")),
            ui.ActionRow(ui.Button(label="c", custom_id="c")),
            accent_colour=0x5865F2,
        )
    )
    payload = {"flags": IS_COMPONENTS_V2, "components": layout.to_components()}  # type: ignore[no-untyped-call]
    assert validate_message(payload) is None


async def test_discord_py_embeds_pass() -> None:
    embed = discord.Embed(title="Group summary", description="n = 7", colour=0x5865F2)
    embed.add_field(name="Energy", value="steady", inline=True)
    embed.set_footer(text="Group pulse, not a diagnosis")
    embed.set_author(name="peerpulse")
    embed.set_image(url="attachment://chart.png")
    embed.timestamp = discord.utils.utcnow()
    assert validate_message({"embeds": [embed.to_dict()]}) is None


# --- untrusted input never crashes the validators ------------------------------------

_KEYS = st.sampled_from(
    ["type", "components", "component", "accessory", "content", "embeds", "fields", "name",
     "value", "title", "footer", "author", "text", "custom_id", "style", "label", "url",
     "options", "min_values", "max_values", "flags", "allowed_mentions", "parse", "users",
     "items", "media", "data", "placeholder", "min_length", "accent_color", "choices"]
)  # fmt: skip
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5000),
    st.sampled_from([1, 2, 3, 4, 5, 9, 10, 11, 12, 13, 14, 17, 18, 19, 21, 22, 23, 1 << 15]),
    st.text(max_size=5),
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=5)),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.dictionaries(_KEYS, _JSON, max_size=6))
def test_validators_never_raise_on_arbitrary_json(payload: dict[str, Any]) -> None:
    before = copy.deepcopy(payload)
    for tree in (
        validate_message(payload),
        validate_message({**payload, "flags": IS_COMPONENTS_V2}),
        validate_modal(payload),
        validate_interaction_response(payload),
    ):
        assert tree is None or (isinstance(tree, dict) and tree)
        json.dumps(tree)
    is_empty_message(payload, has_files=False)
    assert payload == before  # validators never modify what they check
