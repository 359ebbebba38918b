"""python -m localcloud up | token | invoke | demo"""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path

STATE_FILE = Path(os.environ.get("LOCALCLOUD_STATE_FILE") or Path(".localcloud") / "state.json")
"""Where `up` tells `invoke` how to reach it (tests give each of their clouds its own)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m localcloud", description="The Docker-free local cloud.")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start everything in the foreground")
    up.add_argument("--scenario", type=Path, help="model emulator scenario (default: the bundled one)")
    up.add_argument("--http-port", type=int, default=3000)
    up.add_argument("--ws-port", type=int, default=3001)
    up.add_argument("--aws-port", type=int, default=4566)
    up.add_argument("--model-port", type=int, default=4010)
    up.add_argument("--dev", action="store_true", help="also print ready-to-paste curl/wscat commands")
    token = commands.add_parser("token", help="print a JWT the local APIs accept")
    token.add_argument("--sub", required=True, help="the founder id (the JWT sub claim)")
    token.add_argument("--ttl", type=int, default=12 * 3600, help="seconds until it expires")
    invoke = commands.add_parser("invoke", help="invoke a function in-process, like sam local invoke")
    invoke.add_argument("logical_id", help="the function's logical id in template.yaml, e.g. HttpApiFunction")
    invoke.add_argument("-e", "--event", type=Path, required=True, help="the event JSON file")
    demo = commands.add_parser("demo", help="a whole scripted agent session, narrated")
    demo.add_argument("--scenario", type=Path, help="model emulator scenario (default: the bundled one)")
    demo.add_argument("--interactive", choices=["auto", "yes", "no"], default="auto")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "token":
        from localcloud.settings import local_token

        print(local_token(args.sub, ttl_s=args.ttl))
        return 0
    if args.command == "invoke":
        from localcloud.invoke import invoke_file

        with contextlib.redirect_stdout(sys.stderr):  # the function's logs go to stderr, its result to stdout
            result = invoke_file(args.logical_id, args.event, STATE_FILE)
        print(json.dumps(result, indent=2, default=str))
        return 0
    if args.command == "demo":
        from localcloud.demo import run_demo

        interactive = {"auto": sys.stdin.isatty(), "yes": True, "no": False}[args.interactive]
        return run_demo(args.scenario, interactive=interactive)
    return _up(args)


def _up(args: argparse.Namespace) -> int:
    from localcloud.cloud import LocalCloud, Ports

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    for noisy in ("werkzeug", "botocore", "urllib3", "websockets", "httpx", "httpx2", "anthropic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    ports = Ports(http=args.http_port, ws=args.ws_port, aws=args.aws_port, model=args.model_port)
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1 <pid>` shows what every thread does
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    cloud = LocalCloud(ports=ports, scenario=args.scenario, redis_url=os.environ.get("REDIS_URL"))
    try:
        cloud.start()
    except RuntimeError as exc:
        print(f"localcloud: {exc}", file=sys.stderr)
        cloud.stop()
        return 1
    STATE_FILE.parent.mkdir(parents=True, exist_ok=True)
    STATE_FILE.write_text(json.dumps({"pid": os.getpid(), "env": cloud.env, "ports": vars(ports)}, indent=2))
    model = cloud.emulator.url if cloud.emulator else "the real Anthropic API (ANTHROPIC_API_KEY)"
    print(f"HTTP API       http://127.0.0.1:{ports.http}   (OpenAPI: /api/openapi.json)")
    print(f"WebSocket API  ws://127.0.0.1:{ports.ws}")
    print(f"AWS (moto)     http://127.0.0.1:{ports.aws}")
    print(f"model          {model}")
    print(f"Redis          {cloud.redis.describe() if cloud.redis else '-'}")
    if args.dev:
        from localcloud.devhelp import dev_commands

        print(dev_commands(ports))
    print("localcloud ready", flush=True)
    try:
        # A short timeout, not a bare wait(): the signal may land on another thread, and only a main
        # thread that wakes up runs the Python handler.
        while not stop.wait(0.25):
            pass
    finally:
        print("localcloud stopping", flush=True)
        cloud.stop()
        STATE_FILE.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
