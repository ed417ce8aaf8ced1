"""Line conditions and recognition on telephone audio: G.711 through sox, as a SIP call carries it.

Each recording of the other listening tests is passed through a telephone channel with sox: the
300-3400 Hz band, 8 kHz, 8-bit μ-law (G.711 PCMU), then back to 16 kHz linear for callscript, as
the softphone's sink delivers it. The analysis must tell the same story as on the 16 kHz
originals, and the Korean test model must still recognise the expected phrases under a grammar.
(The end-to-end tests in tests/softphone carry recordings through a real baresip call.)
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support import linemix
from tests.support.analysis import analyse, conditions

np = pytest.importorskip("numpy")
pytest.importorskip("webrtcvad")


def g711(path: Path) -> Path:
    """``path`` through a telephone channel: band-limited, 8 kHz μ-law, back to 16 kHz linear."""
    out = path.with_name(path.stem + ".g711.wav")
    if not out.exists():
        ulaw = path.with_name(path.stem + ".ulaw.wav")
        subprocess.run(["sox", "-R", "-D", str(path), "-r", "8000", "-e", "u-law", "-b", "8", str(ulaw),
                        "sinc", "300-3400"], check=True, capture_output=True)
        subprocess.run(["sox", "-R", "-D", str(ulaw), "-r", "16000", "-e", "signed-integer", "-b", "16", str(out)],
                       check=True, capture_output=True)
    return out


def test_the_telephone_channel_is_what_a_softphone_delivers(recordings, read_wav):
    narrow = read_wav(g711(recordings.build("normal"))).astype(np.float64)
    spectrum = np.abs(np.fft.rfft(narrow * np.hanning(len(narrow)))) ** 2
    freqs = np.fft.rfftfreq(len(narrow), 1 / 16000)
    assert spectrum[freqs > 3600].sum() < 1e-3 * spectrum.sum()
    assert spectrum[freqs < 250].sum() < 1e-2 * spectrum.sum()


def test_a_silent_call_through_g711_is_silence_after_five_seconds(recordings, read_wav):
    events = analyse(read_wav(g711(recordings.build("silence"))))
    stopped = [e for e in events if e.condition == "speech_stopped"]
    (silence,) = [e for e in events if e.condition == "silence"]
    assert len(stopped) == 1 and 5.0 <= silence.t - stopped[0].detail["last_sound"] <= 5.3


def test_a_normal_caller_through_g711_is_speech_and_nothing_else(recordings, read_wav):
    events = analyse(read_wav(g711(recordings.build("normal"))))
    assert set(conditions(events)) == {"speech_started", "speech_stopped"}
    assert 0.9 <= events[0].detail["onset"] <= 1.15
    assert events[0].t - events[0].detail["onset"] < 0.2


def test_a_quiet_caller_through_g711_is_low_volume(recordings, read_wav):
    events = analyse(read_wav(g711(recordings.build("quiet"))))
    assert "speech_started" in conditions(events) and conditions(events).count("low_volume") == 1
    assert "noise" not in conditions(events)


def test_a_noisy_line_through_g711_is_noise(recordings, read_wav):
    events = analyse(read_wav(g711(recordings.build("noisy"))))
    assert conditions(events).count("noise") == 1 and "low_volume" not in conditions(events)


@pytest.mark.parametrize(("kind", "floor", "peak"), [("hiss", -70, -45), ("hiss", -55, -33), ("hum", -60, -40)])
def test_a_faint_caller_through_g711_is_low_volume_not_silence(tmp_path, recordings, read_wav, kind, floor, peak):
    events = analyse(read_wav(g711(linemix.caller(tmp_path, peak, kind, floor))))
    opening = next(e for e in events if e.condition in ("speech_started", "silence"))
    assert opening.condition == "speech_started" and "low_volume" in conditions(events)


def test_the_line_alone_through_g711_is_never_speech(tmp_path, recordings, read_wav):
    events = analyse(read_wav(g711(linemix.caller(tmp_path, None, "hiss", -70, tail=10.0))))
    assert conditions(events) == ["silence"]


def test_a_flow_hears_its_phrases_through_g711(recordings, ko_model_path):
    """Each step listens for its own phrases (grammar-restricted): through the telephone channel
    the Korean test model still hears 네 and then 감사합니다, and the flow takes both transitions.
    (With both phrases in one grammar, 8 kHz μ-law 감사합니다 comes out as "네 감사합니다": a step's
    grammar is what keeps recognition right on a phone line.)"""
    import json
    import sys

    result = subprocess.run([sys.executable, "-m", "callscript", "listen", str(g711(recordings.build("ko_call"))),
                             "--flow", "tests/audio/data/ko_confirm.yaml", "--model", str(ko_model_path), "--json"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["step"] for line in lines if line["event"] == "step_entered"] == ["greet", "confirmed", "thanked"]
    assert [line["text"] for line in lines if line["event"] == "heard"] == ["네", "감사합니다"]
    assert not [line for line in lines if line["event"] == "unintelligible"]
