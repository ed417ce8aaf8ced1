"""Faint speech is speech: a caller far from the phone is heard on the line's own noise floor.

Real recordings (espeak-ng + sox, see ``tests.support.linemix``): the same phrase at speech peaks
from normal down to far below it, over hiss and mains hum from -80 to -40 dBFS. The analysis must
call the caller ``speech_started`` and ``low_volume`` (so the agent asks 请您大声一点), never
``silence``, once the voice stands about 10 dB out of the background (its peaks 20 dB or more above
the floor), whatever the floor's absolute level; and the background alone is never speech.
"""

from __future__ import annotations

import pytest

from tests.support import linemix
from tests.support.analysis import analyse

np = pytest.importorskip("numpy")
pytest.importorskip("webrtcvad")


@pytest.fixture(scope="module")
def folder(tmp_path_factory, recordings):  # noqa: ANN001, ANN201 - recordings: checks espeak-ng and sox
    return tmp_path_factory.mktemp("faint")


def first(events, *names):  # noqa: ANN001, ANN201
    return next((e for e in events if e.condition in names), None)


@pytest.mark.parametrize(("kind", "floor", "peak"), [
    ("hiss", -70, -45),  # peaks 25 dB above the hiss, about 44 dB below espeak-ng's own level
    ("hiss", -60, -35),  # 25 dB above a line 10 dB noisier, 27 dB under normal telephone speech
    ("hiss", -80, -60),  # 20 dB above a very quiet line
    ("hum", -60, -40),
    ("none", -80, -60),  # digital silence around a very faint voice
])
def test_a_faint_caller_is_speech_and_too_quiet_not_silence(folder, read_wav, kind, floor, peak):
    events = analyse(read_wav(linemix.caller(folder, peak, kind, floor)))
    opening = first(events, "speech_started", "silence")
    assert opening is not None and opening.condition == "speech_started", [e.as_dict() for e in events[:3]]
    assert opening.detail["onset"] < linemix.LEAD + 0.5, "heard from the first syllables"
    low = first(events, "low_volume")
    assert low is not None, "far below normal speech: the caller is asked to speak up"
    assert low.t < linemix.LEAD + 2.5
    assert low.detail["level_dbfs"] < low.detail["threshold_dbfs"]
    speech_end = linemix.LEAD + linemix.duration(linemix.phrase(folder))
    assert all(e.t > speech_end for e in events if e.condition == "silence"), "no silence while the caller talks"


@pytest.mark.parametrize(("kind", "floor"), [("hiss", -80), ("hiss", -40), ("hum", -40)])
def test_the_background_alone_is_never_speech(folder, read_wav, kind, floor):
    events = analyse(read_wav(linemix.caller(folder, None, kind, floor, tail=10.0)))
    assert not [e for e in events if e.condition in ("speech_started", "low_volume")]
    (silence,) = [e for e in events if e.condition == "silence"]
    assert silence.t == pytest.approx(5.01, abs=0.01)


def test_the_verdict_follows_the_distance_to_the_floor_not_an_absolute_level(folder, read_wav):
    """-50 dBFS speech peaks are a faint caller on a -75 dBFS line and lost in a -45 dBFS hiss."""
    quiet_line = analyse(read_wav(linemix.caller(folder, -50, "hiss", -75)))
    loud_line = analyse(read_wav(linemix.caller(folder, -50, "hiss", -45)))
    assert first(quiet_line, "speech_started", "silence").condition == "speech_started"
    assert first(loud_line, "speech_started", "silence").condition == "silence"


def test_a_caller_at_a_normal_level_over_hiss_is_not_too_quiet(folder, read_wav):
    events = analyse(read_wav(linemix.caller(folder, -3, "hiss", -50)))
    assert first(events, "speech_started", "silence").condition == "speech_started"
    assert first(events, "low_volume") is None
    assert first(events, "noise") is None, "-50 dBFS of hiss is a quiet enough line"


@pytest.mark.parametrize("noise", ["whitenoise", "brownnoise"])
@pytest.mark.parametrize("level", [-70, -40])
def test_a_line_that_steps_up_to_a_steady_noise_is_not_a_caller(folder, read_wav, noise, level):
    """A call's audio often starts as digital silence, then the codec's or the line's hiss: the
    step stands out from the old floor, but a steady sound is background, not a voice."""
    import subprocess

    out = folder / f"step_{noise}_{level}.wav"
    subprocess.run(["sox", "-R", "-D", "-r", "16000", "-c", "1", "-n", "-b", "16", str(out), "synth", "10", noise,
                    "gain", "-n", str(level), "pad", "1.51", "0"], check=True, capture_output=True)  # mid-frame
    events = analyse(read_wav(out))
    assert [e.condition for e in events if e.condition != "noise"] == ["silence"]


@pytest.mark.parametrize("peak", [None, -45])
def test_lost_packets_filled_with_digital_silence_are_neither_voice_nor_background(folder, read_wav, peak):
    """A phone fills a lost or late 20 ms packet with zeros. Those gaps must not drag the floor
    down to digital silence (the line's hiss would then stand out like a voice), and a faint
    caller is still heard through them."""
    samples = read_wav(linemix.caller(folder, peak, "hiss", -70)).copy()
    rng = np.random.default_rng(7)
    for start in range(0, len(samples) - 320, 1600):  # one packet in five lost, at random places
        at = start + int(rng.integers(0, 1280))
        samples[at:at + 320] = 0
    events = analyse(samples)
    opening = first(events, "speech_started", "silence")
    if peak is None:
        assert opening.condition == "silence" and not first(events, "speech_started")
    else:
        assert opening.condition == "speech_started" and first(events, "low_volume") is not None


def test_a_dropout_longer_than_a_packet_then_the_same_hiss_is_not_a_caller(folder, read_wav):
    """Under load a phone may deliver nothing for a fifth of a second; when the line's hiss comes
    back, mid-frame, it is the same background, not a voice starting."""
    samples = read_wav(linemix.caller(folder, None, "hiss", -70)).copy()
    for base in (40_000, 90_000, 130_000):  # 190 ms of zeros; the hiss comes back 392 samples into
        at = base + (392 - (base + 3000)) % 480  # a 30 ms frame, where the analysis window is small
        samples[at:at + 3000] = 0
    events = analyse(samples)
    assert not first(events, "speech_started")

