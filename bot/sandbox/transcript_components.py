"""Discord message components (V1 and V2) and modals, reduced to what the templates show.

Labels, placeholders and values stay plain strings for the templates to escape; only
text displays carry ``Markup``, from the Markdown renderer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

Json = Mapping[str, Any]


@dataclass(frozen=True)
class Media:
    """An image inline (``uri``), a file card, or a URL named but never loaded."""

    kind: str  # "image" | "file" | "url"
    name: str = ""
    uri: str = ""
    content_type: str = ""
    size: str = ""


@dataclass(frozen=True)
class Node:
    """One component, already reduced to what its template shows."""

    kind: str
    text: str = ""
    css: str = ""
    label: str = ""
    emoji: str = ""
    suffix: str = ""
    colour: str = ""
    markup: Markup = field(default_factory=Markup)
    flag: bool = False
    children: tuple[Node, ...] = ()
    accessory: Node | None = None
    media: tuple[Media, ...] = ()
    options: tuple[Option, ...] = ()


@dataclass(frozen=True)
class Option:
    label: str
    mark: str = ""
    emoji: str = ""
    description: str = ""
    chosen: bool = False


def colour(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 0xFFFFFF:
        return f"#{value:06x}"
    return None


def _items(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def maps(value: object) -> list[Json]:
    return [x for x in _items(value) if isinstance(x, Mapping)]


def emoji(value: object) -> str:
    """A button's or option's emoji as text: custom ones by name."""
    if not isinstance(value, Mapping) or not value.get("name"):
        return ""
    name = str(value["name"])
    return f":{name}: " if value.get("id") else f"{name} "


_SELECT_KIND = {3: "options", 5: "users", 6: "roles", 7: "users and roles", 8: "channels"}


@dataclass(frozen=True)
class Components:
    """Builds component nodes for one message: `media` resolves its image URLs (and
    remembers the files shown), `markdown` renders its text as read when shown."""

    media: Callable[[object], tuple[Media, ...]]
    markdown: Callable[[str], Markup]

    def component(self, c: Json) -> Node:
        kind = c.get("type")
        if kind is None and "title" in c:
            return Node("modal", text=str(c.get("title", "")), children=self.children(c))
        build = _COMPONENTS.get(kind) if isinstance(kind, int) else None
        if build is None:
            return Node("unknown", text=str(kind))
        return build(self, c)

    def children(self, c: Json) -> tuple[Node, ...]:
        return tuple(self.component(x) for x in maps(c.get("components")))

    def row(self, c: Json) -> Node:
        return Node("row", children=self.children(c))

    def button(self, c: Json) -> Node:
        style = c.get("style") if c.get("style") in (1, 2, 3, 4, 5, 6) else 2
        css = f"btn btn-{style}" + (" disabled" if c.get("disabled") else "")
        label = str(c.get("label") or "")
        arrow = " ↗" if style == 5 else ""
        return Node("button", text=label, css=css, emoji=emoji(c.get("emoji")), suffix=arrow)

    def select(self, c: Json) -> Node:
        options = tuple(
            Option(
                label=str(o.get("label", "")),
                emoji=emoji(o.get("emoji")),
                description=str(o["description"]) if o.get("description") else "",
                chosen=bool(o.get("default")),
            )
            for o in maps(c.get("options"))
        )
        return Node(
            "select",
            text=str(c.get("placeholder") or "Make a selection"),
            suffix=_SELECT_KIND.get(int(c.get("type") or 3), "select"),
            flag=bool(c.get("disabled")),
            options=options,
        )

    def text_input(self, c: Json) -> Node:
        value = c.get("value") or c.get("placeholder") or ""
        css = "input para" if c.get("style") == 2 else "input"
        css += "" if c.get("value") else " muted"
        label = str(c["label"]) if c.get("label") else ""
        return Node("text_input", text=str(value), css=css, label=label)

    def label(self, c: Json) -> Node:
        child = c.get("component")
        required = (
            isinstance(child, Mapping)
            and bool(child.get("required", True))
            and child.get("type") != 23
        )
        desc = c.get("description")
        return Node(
            "label",
            label=str(c.get("label", "")),
            text=str(desc) if desc else "",
            flag=required,
            accessory=self.component(child) if isinstance(child, Mapping) else None,
        )

    def choices(self, c: Json) -> Node:
        on, off = ("◉", "○") if c.get("type") == 21 else ("☑", "☐")
        options = tuple(
            Option(label=str(o.get("label", "")), mark=on if o.get("default") else off)
            for o in maps(c.get("options"))
        )
        return Node("choices", options=options)

    def checkbox(self, c: Json) -> Node:
        return Node("checkbox", text="☑" if c.get("default") else "☐")

    def file_upload(self, c: Json) -> Node:
        return Node("file_upload")

    def section(self, c: Json) -> Node:
        accessory = c.get("accessory")
        side = self.component(accessory) if isinstance(accessory, Mapping) else None
        return Node("section", children=self.children(c), accessory=side)

    def text_display(self, c: Json) -> Node:
        return Node("text_display", markup=self.markdown(str(c.get("content", ""))))

    def thumbnail(self, c: Json) -> Node:
        media = c.get("media")
        return Node(
            "thumbnail", media=self.media(media.get("url") if isinstance(media, Mapping) else None)
        )

    def gallery(self, c: Json) -> Node:
        shown = tuple(
            one
            for item in maps(c.get("items"))
            for one in self.media(
                item["media"].get("url") if isinstance(item.get("media"), Mapping) else None
            )
        )
        return Node("gallery", media=shown)

    def file(self, c: Json) -> Node:
        media = c.get("file")
        return Node(
            "file", media=self.media(media.get("url") if isinstance(media, Mapping) else None)
        )

    def separator(self, c: Json) -> Node:
        gap = "big" if c.get("spacing") == 2 else "small"
        invisible = "" if c.get("divider", True) else " invisible"
        return Node("separator", css=f"sep {gap}{invisible}")

    def container(self, c: Json) -> Node:
        return Node(
            "container",
            colour=colour(c.get("accent_color")) or "",
            flag=bool(c.get("spoiler")),
            children=self.children(c),
        )


_COMPONENTS: dict[int, Callable[[Components, Json], Node]] = {
    1: Components.row,
    2: Components.button,
    3: Components.select,
    4: Components.text_input,
    5: Components.select,
    6: Components.select,
    7: Components.select,
    8: Components.select,
    9: Components.section,
    10: Components.text_display,
    11: Components.thumbnail,
    12: Components.gallery,
    13: Components.file,
    14: Components.separator,
    17: Components.container,
    18: Components.label,
    19: Components.file_upload,
    21: Components.choices,
    22: Components.choices,
    23: Components.checkbox,
}
