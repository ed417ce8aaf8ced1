"""Clips on disk: written compactly, decoded whole or while they play, damaged files reported."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from callscript.errors import CallscriptError
from callscript.speech.clip import Clip, DecodingClip, load_clip, save_clip
from tests.speech.test_checks import RATE, speechlike


@pytest.mark.parametrize("suffix", [".ogg", ".flac", ".wav"])
def test_a_saved_clip_reads_back_at_its_length_and_level(tmp_path: Path, suffix: str) -> None:
    clip = Clip(speechlike(3.0), RATE)
    save_clip(clip, tmp_path / f"line{suffix}")
    back = load_clip(tmp_path / f"line{suffix}")
    assert back.samplerate == RATE
    assert len(back.samples) == len(clip.samples)
    tolerance = 0.1 if suffix == ".ogg" else 1e-3  # Vorbis is lossy
    assert np.sqrt(np.mean((back.samples - clip.samples) ** 2)) < tolerance * np.sqrt(np.mean(clip.samples**2))


def test_ogg_is_the_compact_choice(tmp_path: Path) -> None:
    clip = Clip(speechlike(5.0), RATE)
    sizes = {}
    for suffix in (".ogg", ".flac"):
        save_clip(clip, tmp_path / f"line{suffix}")
        sizes[suffix] = (tmp_path / f"line{suffix}").stat().st_size
    assert sizes[".ogg"] < sizes[".flac"] / 2


def test_a_clip_decoded_while_it_plays_ends_up_whole_with_its_gain(tmp_path: Path) -> None:
    clip = Clip(speechlike(4.0, level_dbfs=-30.0), RATE)
    save_clip(clip, tmp_path / "line.flac")
    decoding = DecodingClip(tmp_path / "line.flac", transform=lambda block: block * 2.0)
    assert 0 < decoding.available <= len(decoding.samples)  # the first block is there at once
    whole = decoding.wait(10)
    assert decoding.error is None
    assert len(whole.samples) == len(clip.samples)
    assert np.allclose(whole.samples, clip.samples * 2.0, atol=1e-3)


def test_a_damaged_clip_file_is_a_user_error(tmp_path: Path) -> None:
    bad = tmp_path / "line.ogg"
    bad.write_bytes(b"OggS" + b"\0" * 100)
    with pytest.raises(CallscriptError, match="cannot read audio file") as caught:
        DecodingClip(bad)
    assert "callscript audio render" in caught.value.hint
    with pytest.raises(CallscriptError, match="cannot read audio file"):
        load_clip(bad)


def test_an_unknown_extension_cannot_be_written(tmp_path: Path) -> None:
    with pytest.raises(CallscriptError, match="cannot write .mp3"):
        save_clip(Clip(speechlike(1.0), RATE), tmp_path / "line.mp3")
