"""Replies as JSON, so a decided message can wait in the outbox and survive a restart."""

from __future__ import annotations

import base64
from typing import Any

from bot.formatting import Block, Bold, BulletList, Code, Inline, Italic, Link, Paragraph, Plain, Rich
from bot.inbound import ChatKind, ChatRef, MessageRef
from bot.replies import Attachment, Button, Edit, Invite, Keyboard, Reply, Send


def _inline(piece: Inline) -> Any:
    if isinstance(piece, Plain):
        return piece.text
    if isinstance(piece, Code):
        return {"code": piece.text}
    if isinstance(piece, Link):
        return {"link": piece.url, "c": [_inline(c) for c in piece.children]}
    kind = "b" if isinstance(piece, Bold) else "i"
    return {kind: [_inline(c) for c in piece.children]}


def _inline_back(data: Any) -> Inline:
    if isinstance(data, str):
        return Plain(data)
    if "code" in data:
        return Code(data["code"])
    if "link" in data:
        return Link(tuple(_inline_back(c) for c in data["c"]), data["link"])
    if "b" in data:
        return Bold(tuple(_inline_back(c) for c in data["b"]))
    return Italic(tuple(_inline_back(c) for c in data["i"]))


def rich_to_json(rich: Rich) -> list[Any]:
    blocks: list[Any] = []
    for block in rich.blocks:
        if isinstance(block, Paragraph):
            blocks.append({"p": [_inline(c) for c in block.children]})
        else:
            blocks.append({"ul": [[_inline(c) for c in item] for item in block.items]})
    return blocks


def rich_from_json(data: list[Any]) -> Rich:
    blocks: list[Block] = []
    for block in data:
        if "p" in block:
            blocks.append(Paragraph(tuple(_inline_back(c) for c in block["p"])))
        else:
            blocks.append(BulletList(tuple(tuple(_inline_back(c) for c in item) for item in block["ul"])))
    return Rich(tuple(blocks))


def _chat(chat: ChatRef) -> dict[str, str]:
    return {"platform": chat.platform, "id": chat.chat_id, "kind": chat.kind.value}


def _chat_back(data: dict[str, str]) -> ChatRef:
    return ChatRef(data["platform"], data["id"], ChatKind(data["kind"]))


def _keyboard(buttons: Keyboard) -> list[list[list[str]]]:
    return [[[b.label, b.action] for b in row] for row in buttons]


def _keyboard_back(data: list[list[list[str]]]) -> Keyboard:
    return tuple(tuple(Button(label, action) for label, action in row) for row in data)


def reply_to_json(reply: Reply) -> dict[str, Any]:
    if isinstance(reply, Send):
        data: dict[str, Any] = {
            "type": "send",
            "to": _chat(reply.to),
            "body": rich_to_json(reply.body),
            "buttons": _keyboard(reply.buttons),
        }
        if reply.idempotency_key:
            data["key"] = reply.idempotency_key
        if reply.reply_to is not None:
            data["reply_to"] = reply.reply_to.message_id  # a message of the same chat
        if reply.attachment is not None:
            a = reply.attachment
            data["attachment"] = {
                "filename": a.filename,
                "data": base64.b64encode(a.data).decode(),
                "media_type": a.media_type,
                "alt_text": a.alt_text,
            }
        return data
    if isinstance(reply, Edit):
        return {
            "type": "edit",
            "chat": _chat(reply.target.chat),
            "message": reply.target.message_id,
            "body": rich_to_json(reply.body),
            "buttons": _keyboard(reply.buttons),
        }
    if isinstance(reply, Invite):
        return {
            "type": "invite",
            "to": _chat(reply.to),
            "body": rich_to_json(reply.body),
            "label": reply.label,
            "payload": reply.payload,
        }
    raise TypeError(f"{type(reply).__name__} cannot wait in the outbox")


def reply_from_json(data: dict[str, Any]) -> Reply:
    kind = data["type"]
    if kind == "send":
        attachment = None
        if "attachment" in data:
            a = data["attachment"]
            attachment = Attachment(
                a["filename"], base64.b64decode(a["data"]), a["media_type"], a["alt_text"]
            )
        return Send(
            to=_chat_back(data["to"]),
            body=rich_from_json(data["body"]),
            buttons=_keyboard_back(data["buttons"]),
            attachment=attachment,
            idempotency_key=data.get("key"),
            reply_to=MessageRef(_chat_back(data["to"]), data["reply_to"]) if "reply_to" in data else None,
        )
    if kind == "edit":
        return Edit(
            target=MessageRef(_chat_back(data["chat"]), data["message"]),
            body=rich_from_json(data["body"]),
            buttons=_keyboard_back(data["buttons"]),
        )
    if kind == "invite":
        return Invite(
            to=_chat_back(data["to"]),
            body=rich_from_json(data["body"]),
            label=data["label"],
            payload=data["payload"],
        )
    raise ValueError(f"unknown outbox payload type {kind!r}")
