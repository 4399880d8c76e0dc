"""Speed of recordings and videos on this machine: a 60-second mono clip and a 60-second 480p
video (the test face over generated speech), analysed with evidence, the models loaded first.

    python benchmarks/media_speed.py [--rounds 3]

Needs affectlens[audio,faces] and Debian's espeak-ng (for the speech). Prints JSON with the CPU.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from affectlens.benchmark import cpu_info


def main() -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.media.test_audio import SENTENCES, silence, speak, wav
    from tests.media.test_video import compose

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from affectlens.media.analyzer import ImageAnalyzer
    from affectlens.media.audio import AudioAnalyzer
    from affectlens.media.video import VideoAnalyzer

    with tempfile.TemporaryDirectory() as tmp:
        parts, rate = [], 22050
        while sum(len(p) for p in parts) < 60 * rate:
            for sentence in SENTENCES:
                rate, samples = speak(sentence)
                parts += [samples, silence(rate, 0.8)]
        speech = np.concatenate(parts)[: 60 * rate]
        clip = wav(Path(tmp) / "clip.wav", rate, speech)
        video = compose(Path(tmp) / "video.mp4", speech, rate, 60, size=(854, 480))
        audio = AudioAnalyzer(threads=2)
        videos = VideoAnalyzer(ImageAnalyzer(threads=2), audio)
        audio.analyze_audio(clip)  # warm up (librosa's first call compiles)
        timings: dict[str, list[float]] = {"60 s mono clip": [], "60 s 480p video": []}
        for _ in range(args.rounds):
            started = time.perf_counter()
            heard = audio.analyze_audio(clip, explain=True)
            timings["60 s mono clip"].append(round(time.perf_counter() - started, 2))
            started = time.perf_counter()
            seen = videos.analyze_video(video, explain=True)
            timings["60 s 480p video"].append(round(time.perf_counter() - started, 2))
    print(
        json.dumps(
            {
                "cpu": cpu_info(),
                "date": time.strftime("%Y-%m-%d"),
                "seconds": timings,
                "clip_segments": len(heard.segments),
                "video_frames_with_faces": len({f.frame_time_s for f in seen.faces}),
                "video_segments": len(seen.segments),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
