"""``lecturer-pipeline standins``: the remote services' stand-ins on loopback, to try the remote path without GPUs.

The same stand-ins the tests prove the clients against (``lecturer_pipeline/standins/``): Zyphra's API (or, with
``--tts zonos``, the Zonos Gradio app), Ollama and KDTalker's Gradio app, each on a free 127.0.0.1 port, speaking the
real protocol and making real media (espeak-ng speech, ffmpeg video). The variables that point the pipeline at them go
to stdout as ``export`` lines (``eval "$(lecturer-pipeline standins)"`` cannot work — the command keeps running — so
copy them, or redirect them to a file and ``source`` it); everything else goes to stderr. Ctrl-C (or SIGTERM) stops
them all.
"""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import shlex
import signal
import sys
from typing import Any

TTS_CHOICES = ("zyphra", "zonos")  # one of the two: with both variables set, LECTURER_TTS_ENGINE=auto refuses to guess


def add_parser(commands: Any) -> None:
    """Register ``standins`` on the CLI's sub-command parsers."""
    standins = commands.add_parser(
        "standins", help="serve stand-ins of Zyphra (or Zonos), Ollama and KDTalker on loopback until Ctrl-C"
    )
    standins.add_argument(
        "--tts", choices=TTS_CHOICES, default="zyphra", help="which speech service to stand in for (default zyphra)"
    )
    standins.add_argument(
        "--fail-rate",
        type=float,
        default=0.0,
        metavar="P",
        help="fail a fraction P of calls (0–1) the way the services do and a retry cures, to watch the retries",
    )
    standins.add_argument("--seed", type=int, default=0, help="seed of the random failures (default 0)")
    standins.set_defaults(func=cmd_standins)


def export_lines(variables: dict[str, str]) -> str:
    """``export NAME='value'`` lines a POSIX shell can source."""
    return "\n".join(f"export {name}={shlex.quote(value)}" for name, value in variables.items())


def start_standins(stack: contextlib.ExitStack, *, tts: str, ollama_model: str) -> tuple[dict[str, str], list[Any]]:
    """Start the stand-ins on ``stack`` (stopped when it closes); returns the variables to export and the stand-ins."""
    from lecturer_pipeline.standins.kdtalker import KDTalkerStandIn
    from lecturer_pipeline.standins.ollama import OllamaStandIn

    variables: dict[str, str] = {}
    running: list[Any] = []
    if tts == "zyphra":
        from lecturer_pipeline.standins.zyphra import ZyphraStandIn

        zyphra = stack.enter_context(ZyphraStandIn())
        variables |= {"ZYPHRA_API_KEY": zyphra.api_key, "ZYPHRA_BASE_URL": zyphra.base_url}
        running.append(zyphra)
    else:
        from lecturer_pipeline.standins.zonos import ZonosStandIn

        zonos = stack.enter_context(ZonosStandIn())
        variables["ZONOS_URL"] = zonos.url
        running.append(zonos)
    ollama = stack.enter_context(OllamaStandIn(models=(ollama_model,)))
    kdtalker = stack.enter_context(KDTalkerStandIn())
    variables |= {"OLLAMA_HOST": ollama.host, "KDTALKER_URL": kdtalker.url}
    return variables, [*running, ollama, kdtalker]


def cmd_standins(args: argparse.Namespace) -> int:
    from lecturer_pipeline.errors import InputError
    from lecturer_pipeline.settings import Settings

    if not 0 <= args.fail_rate <= 1:
        raise InputError(f"--fail-rate must be from 0 to 1, not {args.fail_rate}")
    model = Settings().lecturer_ollama_model  # the stand-in has "pulled" the model the pipeline will ask for
    # Ctrl-C and a service manager's stop both end the loop below, even where SIGINT came in ignored (a shell's
    # background job, nohup, some test runners' workers), which Python then leaves ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    faulthandler.register(signal.SIGUSR1)  # `kill -USR1 <pid>` prints every thread's stack: where a stop hangs
    with contextlib.ExitStack() as stack:
        try:
            print("starting the stand-ins on 127.0.0.1 …", file=sys.stderr, flush=True)
            variables, running = start_standins(stack, tts=args.tts, ollama_model=model)
            for standin in running:
                standin.fail_rate(args.fail_rate, args.seed)
            print(export_lines(variables), flush=True)
            print(
                f"# export these where the pipeline runs (Ollama has {model}); Ctrl-C stops the stand-ins.",
                file=sys.stderr,
                flush=True,
            )
            while True:
                signal.pause()
        except KeyboardInterrupt:
            print("stopping the stand-ins", file=sys.stderr, flush=True)
    return 0
