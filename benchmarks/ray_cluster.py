"""A multi-node Ray cluster on one machine, a corpus run on it, and a worker node killed mid-run.

    .venv/bin/python benchmarks/ray_cluster.py --data-dir ../shared/data [--rows 20000] [--workers 2]

Starts a Ray head (no CPUs: it only coordinates) and ``--workers`` worker nodes with one CPU
each, every one a separate ``ray start`` with its own resources, as on separate machines;
runs ``affectlens corpus analyze --engine ray --ray-address HEAD`` over GoEmotions comments;
kills one worker node (its raylet, with SIGKILL) once a few tasks are done; and checks that
the run still finishes with every row once and the same rows as the local engine. Also
prints the local engine's time on the same input, for the Ray overhead.

Ray 2.60 turns token authentication on for clusters it starts: every process of the
cluster and the driver get ``RAY_AUTH_MODE=token`` (the token is in ``~/.ray/auth_token``).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RAY = str(Path(sys.executable).with_name("ray"))


def environment() -> dict[str, str]:
    return {**os.environ, "RAY_AUTH_MODE": "token"}


def start_cluster(port: int, workers: int, temp_dir: str) -> str:
    """Start a head and ``workers`` worker nodes; return the head's address."""
    common = ["--disable-usage-stats", f"--temp-dir={temp_dir}"]
    subprocess.run(
        [RAY, "start", "--head", f"--port={port}", "--num-cpus=0", "--include-dashboard=false", *common],
        check=True,
        env=environment(),
        capture_output=True,
    )
    address = f"127.0.0.1:{port}"
    for n in range(workers):
        subprocess.run(
            [RAY, "start", f"--address={address}", "--num-cpus=1", f'--resources={{"worker_{n}": 1}}'],
            check=True,
            env=environment(),
            capture_output=True,
        )
    return address


def stop_cluster() -> None:
    subprocess.run([RAY, "stop", "--force"], env=environment(), capture_output=True)


def kill_worker_node(resource: str) -> int:
    """SIGKILL the raylet of the node holding ``resource`` (its workers die with it); its pid."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "raylet" in cmdline.split(" ", 1)[0] and resource in cmdline:
            os.kill(int(entry.name), signal.SIGKILL)
            return int(entry.name)
    raise RuntimeError(f"no raylet holds {resource!r}")


def parts_done(run_dir: Path) -> int:
    return len(list((run_dir / "parts").glob("part-*.parquet"))) if (run_dir / "parts").exists() else 0


def read_rows(run_dir: Path) -> object:
    import pyarrow.dataset as ds

    return ds.dataset(run_dir / "parts").to_table().sort_by([("source", "ascending"), ("line", "ascending")])


def make_input(data_dir: Path, rows: int, path: Path) -> None:
    import csv

    texts = []
    with open(data_dir / "goemotions" / "train.tsv", encoding="utf-8") as f:
        texts = [row[0] for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)]
    with open(path, "w", encoding="utf-8") as out:
        for i in range(rows):
            out.write(json.dumps({"id": f"g{i}", "text": texts[i % len(texts)]}) + "\n")


def run_demo(src: Path, folder: Path, *, workers: int, kill_after: int, chunk_rows: int, port: int) -> dict[str, object]:
    analyze = [sys.executable, "-m", "affectlens", "corpus", "analyze", str(src), "--chunk-rows", str(chunk_rows), "-q"]
    started = time.monotonic()
    subprocess.run([*analyze, "-o", str(folder / "local")], check=True)
    local_s = time.monotonic() - started
    temp_dir = tempfile.mkdtemp(prefix="ray-", dir="/tmp")
    address = start_cluster(port, workers, temp_dir)
    try:
        started = time.monotonic()
        process = subprocess.Popen(
            [*analyze, "-o", str(folder / "ray"), "--engine", "ray", "--ray-address", address],
            env=environment(),
            stdout=subprocess.DEVNULL,  # Ray's driver prints the dead node's logs here
            stderr=subprocess.PIPE,
        )
        while process.poll() is None and parts_done(folder / "ray") < kill_after:
            time.sleep(0.05)
        killed = kill_worker_node("worker_0") if process.poll() is None else None
        _, err = process.communicate(timeout=1800)
        ray_s = time.monotonic() - started
    finally:
        stop_cluster()
    local, ray = read_rows(folder / "local"), read_rows(folder / "ray")
    return {
        "rows": local.num_rows,
        "workers": workers,
        "killed_raylet": killed,
        "killed_after_parts": kill_after,
        "exit_code": process.returncode,
        "identical_to_local": ray.equals(local),
        "ids_once": len(set(ray.column("id").to_pylist())) == ray.num_rows,
        "local_engine_s": round(local_s, 1),
        "ray_cluster_s": round(ray_s, 1),
        "stderr_tail": err.decode(errors="replace")[-500:] if process.returncode else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kill-after", type=int, default=4, help="kill a worker node once this many parts are written")
    parser.add_argument("--chunk-rows", type=int, default=500)
    parser.add_argument("--port", type=int, default=6391)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_input(args.data_dir, args.rows, folder / "in.jsonl")
        result = run_demo(
            folder / "in.jsonl",
            folder,
            workers=args.workers,
            kill_after=args.kill_after,
            chunk_rows=args.chunk_rows,
            port=args.port,
        )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
