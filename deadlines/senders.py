"""Pluggable senders for new overdue items: the in-app Notification is always written; these add a copy
through the log (built in), e-mail or SMS. Choose them with GUITU_NOTIFY_SENDERS (deadlines/conf.py)."""

from __future__ import annotations

import json
import logging
import urllib.request
from dataclasses import dataclass, field

from django.utils.module_loading import import_string

logger = logging.getLogger("guitu.deadlines")


@dataclass(frozen=True)
class Message:
    """What a sender gets: the text, and the people it is for (name, phone, e-mail)."""

    subject: str
    body: str
    recipients: list[dict] = field(default_factory=list)


class Sender:
    """Interface: ``send(message)``; raise nothing for a single failed recipient — log it."""

    def send(self, message: Message) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class ConsoleSender(Sender):
    """Writes every message to the log (the default; stations without SMS or mail still see it in the app)."""

    sent: list[Message] = []  # the last messages, for tests and the demo

    def send(self, message: Message) -> None:
        ConsoleSender.sent.append(message)
        del ConsoleSender.sent[:-100]
        names = "、".join(r.get("name", "") for r in message.recipients) or "（无收件人）"
        logger.warning("督办通知 → %s：%s %s", names, message.subject, message.body)


class EmailSender(Sender):
    """Sends through Django's configured e-mail backend to recipients with an address."""

    def send(self, message: Message) -> None:
        from django.core.mail import send_mail

        to = [r["email"] for r in message.recipients if r.get("email")]
        if to:
            send_mail(message.subject, message.body, None, to, fail_silently=True)


class SmsSender(Sender):
    """Posts JSON ``{"phones": [...], "text": "..."}`` to the SMS gateway at GUITU_SMS_URL."""

    def send(self, message: Message) -> None:
        from deadlines.conf import sms_url

        phones = [r["phone"] for r in message.recipients if r.get("phone")]
        url = sms_url()
        if not phones or not url:
            return
        data = json.dumps({"phones": phones, "text": f"{message.subject}：{message.body}"[:300]}).encode()
        request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
        try:
            urllib.request.urlopen(request, timeout=10).close()  # noqa: S310 - the operator's own gateway
        except OSError:
            logger.exception("SMS gateway failed")


def senders() -> list[Sender]:
    from deadlines.conf import sender_paths

    return [import_string(path)() for path in sender_paths()]


def send_all(message: Message) -> None:
    for sender in senders():
        sender.send(message)
