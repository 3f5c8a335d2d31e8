"""Rendering messages (codes and notices) from Jinja2 templates an application can override.

Templates live under ``messages/`` in the packaged ``templates/`` folder, one per channel × usage ×
locale (an override is a file at the same path in one of ``override_dirs``)::

    messages/sms/{usage}.{locale}.txt              the SMS text
    messages/email/{usage}.{locale}.subject.txt    the email subject (one line)
    messages/email/{usage}.{locale}.txt            the email's text part
    messages/email/{usage}.{locale}.html           the email's HTML part

Notices (messages without a code) use the same layout with the notice's name in place of the
usage: ``notice_identifier_changed`` tells the old address that the account's phone number or
email moved away from it.

Every template is rendered once when the renderer is built, so a broken override stops the
application at start-up with a message naming the template, instead of failing the first send.
SMS templates see only ``code``, ``ttl_minutes``, ``ttl_seconds``, ``usage`` and ``locale`` (a
notice: ``changed`` and ``new_value_masked``), so their longest possible text is known then;
email templates also see ``recipient`` and ``client_id``.

Modules: ``renderer`` (TemplateRenderer, the MessageRenderer protocol), ``validation`` (the
start-up checks), ``contexts`` (what templates see), ``sms_text`` (origin line, shortening),
``names`` (template paths), ``locales`` (Locale, negotiation).
"""

from otp_flow.messages._contexts import ChangedField
from otp_flow.messages._locales import LOCALES, Locale, negotiate_locale
from otp_flow.messages._names import notice_template_names, template_names
from otp_flow.messages._renderer import MessageRenderer, TemplateRenderer, default_renderer
from otp_flow.senders._segments import sms_length

__all__ = [
    "LOCALES",
    "ChangedField",
    "Locale",
    "MessageRenderer",
    "TemplateRenderer",
    "default_renderer",
    "negotiate_locale",
    "notice_template_names",
    "sms_length",
    "template_names",
]
