"""The agent's telephone: learning when a call rings, is answered and is closed, and hanging up.

A softphone adapter follows the small ``Softphone`` protocol below and reports ``PhoneEvent``s
(``CallRang``, ``CallAnswered``, ``CallClosed``) to a ``PhoneSink``. ``callscript.softphone.baresip``
is the one implementation, for the baresip SIP user agent through its ``ctrl_tcp`` control port;
``docs/softphone.md`` says how to write another (a PBX interface, for example).

Nothing here imports Textual, audio or speech libraries, and nothing is imported unless the
``softphone`` setting is on: without it callscript is exactly the keyboard prompter it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from callscript.errors import CallscriptError


class SoftphoneUnavailable(CallscriptError):
    """The softphone cannot be used; the message says why and the hint how to fix it."""


@dataclass(frozen=True)
class PhoneEvent:
    """Something that happened to a call on the agent's phone.

    ``call_id`` is the phone's own id for the call (stable across its events), ``peer`` who is on
    the other end (a SIP URI for baresip), ``at`` the ``time.monotonic()`` when the adapter learnt
    of it (the app's clock is not the phone's).
    """

    call_id: str
    peer: str
    at: float


@dataclass(frozen=True)
class CallRang(PhoneEvent):
    """A call is ringing on the agent's phone (not yet answered)."""


@dataclass(frozen=True)
class CallAnswered(PhoneEvent):
    """The call was answered (by the agent, or by the phone's auto-answer): it is on the line."""


@dataclass(frozen=True)
class CallClosed(PhoneEvent):
    """The call ended. ``by`` is ``agent`` when callscript (``hang_up``) or the agent ended it from
    callscript, ``caller`` when the other end hung up or the call failed; ``reason`` is the phone's
    own words ("Connection reset by peer")."""

    by: Literal["agent", "caller"] = "caller"
    reason: str = ""


class PhoneSink(Protocol):
    """Where an adapter reports. Every method may be called from the adapter's own thread."""

    def phone_event(self, event: PhoneEvent) -> None:
        """A call rang, was answered or was closed."""

    def phone_problem(self, message: str | None) -> None:
        """The phone cannot be reached (message), or can be again (None)."""


@runtime_checkable
class Softphone(Protocol):
    """The agent's phone, as callscript sees it."""

    name: str

    def start(self, sink: PhoneSink) -> None:
        """Connect and start reporting to ``sink``; returns at once (the adapter retries by itself
        while the phone is not there)."""

    def hang_up(self) -> None:
        """End the call in progress (nothing when there is none); returns at once."""

    def stop(self) -> None:
        """Stop reporting and disconnect (the phone itself keeps running)."""


def make_softphone(kind: str, address: str) -> Softphone:
    """The adapter the ``softphone`` setting names, connected to ``address`` when started."""
    if kind == "baresip":
        from callscript.softphone.baresip import BaresipPhone

        return BaresipPhone(address)
    raise SoftphoneUnavailable(f"unknown softphone '{kind}'", hint='set softphone = "baresip" (or "" for none)')
