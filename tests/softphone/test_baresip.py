"""The baresip adapter: its wire format, and real calls between two baresip user agents on 127.0.0.1.

The real-call tests run the agent's auto-answering baresip and a caller baresip that plays an
espeak-ng recording over G.711 (``tests.support.sip``), and follow them with ``BaresipPhone`` and
callscript's ``PulseSource`` on the softphone's PulseAudio sink: no part is a double.
"""

from __future__ import annotations

import socket
import time

import pytest

from callscript.softphone import CallAnswered, CallClosed, SoftphoneUnavailable
from callscript.softphone.baresip import BaresipPhone, NetstringReader, encode, parse_address
from tests.softphone.conftest import caller_wav
from tests.support import sip
from tests.support.sip import Events


def test_netstrings_are_split_wherever_the_stream_breaks():
    stream = encode({"event": True, "type": "CALL_CLOSED"}) + encode({"response": True, "token": "1"})
    reader = NetstringReader()
    payloads = []
    for i in range(0, len(stream), 7):
        payloads += reader.feed(stream[i:i + 7])
    assert payloads == [b'{"event": true, "type": "CALL_CLOSED"}', b'{"response": true, "token": "1"}']
    # the length counts bytes (挂 is three in UTF-8), not characters
    assert encode({"command": "挂"}) == '18:{"command": "挂"},'.encode()


@pytest.mark.parametrize("garbage", [b"HTTP/1.1 200 OK\r\n", b"5:abcdefg", b"99999999999:"])
def test_a_stream_that_is_not_netstrings_is_refused(garbage):
    with pytest.raises(ValueError):
        NetstringReader().feed(garbage)


def test_only_a_control_port_on_this_machine_is_accepted():
    assert parse_address("127.0.0.1:4444") == ("127.0.0.1", 4444)
    assert parse_address("localhost:5555") == ("localhost", 5555)
    assert parse_address("[::1]:4444") == ("::1", 4444)
    with pytest.raises(SoftphoneUnavailable) as error:
        parse_address("192.168.1.20:4444")
    assert "is not on this machine" in error.value.message and "127.0.0.1" in error.value.hint
    with pytest.raises(SoftphoneUnavailable, match="is not host:port"):
        parse_address("4444")


def test_the_adapter_says_when_the_phone_is_not_there_and_connects_when_it_is():
    port = sip.free_port()
    events = Events()
    phone = BaresipPhone(f"127.0.0.1:{port}", retry_seconds=0.05)
    phone.start(events)
    try:
        deadline = time.monotonic() + 5
        while not events.problems and time.monotonic() < deadline:
            time.sleep(0.01)
        assert events.problems and f"not reachable at 127.0.0.1:{port}" in events.problems[0]
        with socket.create_server(("127.0.0.1", port)) as server:
            server.settimeout(5)
            conn, _ = server.accept()
            with conn:
                assert phone.wait_connected(5)
                conn.sendall(encode({"event": True, "class": "call", "type": "CALL_ESTABLISHED", "id": "c1",
                                     "peeruri": "sip:caller@127.0.0.1"}))
                assert events.wait_for(CallAnswered, 5) is not None
                phone.hang_up()
                conn.settimeout(5)
                assert b'"command": "hangup"' in conn.recv(1000)
                conn.sendall(encode({"event": True, "class": "call", "type": "CALL_CLOSED", "id": "c1",
                                     "param": "Connection reset by user"}))
                closed = events.wait_for(CallClosed, 5)
        assert closed is not None and closed.by == "agent" and closed.reason == "Connection reset by user"
        assert events.problems[-1] is None or "reconnecting" in events.problems[-1]
    finally:
        phone.stop()


def test_a_real_call_is_answered_heard_through_g711_and_hung_up_by_the_agent(sip_line, pulse_env, phone_calls):
    import numpy as np

    from callscript.audio.sources import PulseSource

    events = Events()
    agent = BaresipPhone(sip_line.control, retry_seconds=0.05)
    agent.start(events)
    source = PulseSource("softphone.monitor")
    try:
        assert agent.wait_connected(5)
        caller = sip_line.call(caller_wav(phone_calls, "normal"))
        answered = events.wait_for(CallAnswered, 10)
        assert answered is not None and answered.peer == caller.uri
        heard = []
        started = time.monotonic()
        for block in source.blocks():
            heard.append(block)
            if time.monotonic() - started > 4.0:
                break
        audio = np.concatenate(heard).astype(np.float64) / 32768
        frames = audio[: len(audio) // 480 * 480].reshape(-1, 480)
        levels = 10 * np.log10(np.mean(frames * frames, axis=1) + 1e-12)
        assert (levels > -30).mean() > 0.3, "the caller's speech comes out of the softphone's sink"
        spectrum = np.abs(np.fft.rfft(audio * np.hanning(len(audio))))
        freqs = np.fft.rfftfreq(len(audio), 1 / 16000)
        assert spectrum[freqs > 4100].sum() < 0.01 * spectrum.sum(), "narrowband: nothing above 4 kHz (8 kHz G.711)"

        agent.hang_up()
        closed = events.wait_for(CallClosed, 5)
        assert closed is not None and closed.by == "agent"
        seen = caller.events.wait_for(CallClosed, 5)
        assert seen is not None and seen.by == "caller", "the caller's phone saw the agent hang up"
    finally:
        source.close()
        agent.stop()


def test_the_caller_hanging_up_is_reported_as_the_caller(sip_line, phone_calls):
    events = Events()
    agent = BaresipPhone(sip_line.control, retry_seconds=0.05)
    agent.start(events)
    try:
        assert agent.wait_connected(5)
        caller = sip_line.call(caller_wav(phone_calls, "silent"))
        assert events.wait_for(CallAnswered, 10) is not None
        caller.phone.command("hangup")
        closed = events.wait_for(CallClosed, 5)
        assert closed is not None and closed.by == "caller" and agent.current is None
    finally:
        agent.stop()


def test_the_user_agents_use_loopback_only(sip_line, phone_calls):
    """SIP, the control port and the media all go to 127.0.0.1. baresip 1.0 binds its RTP/RTCP and
    resolver sockets to the wildcard address (it has no setting for that), but it sends media only
    to the address in the peer's SDP, which net_interface makes 127.0.0.1, and asks DNS only the
    dns_server, 127.0.0.1."""
    caller = sip_line.call(caller_wav(phone_calls, "normal"), seconds=20)
    try:
        assert caller.events.wait_for(CallAnswered, 10) is not None
        time.sleep(1.0)  # until RTP flows both ways
        for ua in (sip_line.agent, caller):
            sockets = sip.socket_addresses(ua.process.pid)
            assert [s for s in sockets if s[0].startswith("tcp") and s[1] == "127.0.0.1"], sockets
            for table, local, remote in sockets:
                assert local == "127.0.0.1" or table.startswith("udp"), f"{table} socket on {local}"
                assert remote in ("0.0.0.0", "::", "127.0.0.1"), f"{table} socket connected to {remote}"
            log = ua.log.read_text(errors="replace")
            assert "Local network address:  IPv4=lo|127.0.0.1" in log
            assert "established, receiving from 127.0.0.1:" in log, "media comes from loopback"
            assert "dns_server 127.0.0.1:53" in (ua.folder / "config").read_text()
    finally:
        caller.phone.command("hangup")
        caller.events.wait_for(CallClosed, 5)
