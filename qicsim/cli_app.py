"""``qicsim app``: serve the what-if dashboard (:mod:`qicsim.app`) with solara's server.

It listens on 127.0.0.1 by default, so a laptop in a workshop does not offer the simulation to the
whole network unless the facilitator asks for it with ``--host 0.0.0.0``. The address is printed
once the server answers. Solara's usage telemetry is switched off: a workshop
room may have no internet, and a teaching tool should not phone home.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time

from qicsim.arguments import COMMANDS

APP = "qicsim.app:page"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def add_commands(subparsers) -> None:
    """Register ``app`` on the ``qicsim`` command's subparsers."""
    app = subparsers.add_parser(
        "app", help=COMMANDS["app"][1],
        description="Serve the what-if dashboard (Mesa SolaraViz): pick a scenario, move the ten challenge "
                    "levers and five success factors, step through a collaborative, compare two designs.",
    )
    app.add_argument("--port", type=_port, default=DEFAULT_PORT, metavar="N",
                     help="port to listen on, 1-65535 (default: %(default)s)")
    app.add_argument("--host", default=DEFAULT_HOST, metavar="H",
                     help="address to listen on (default: %(default)s, this computer only; 0.0.0.0 = every "
                          "network interface)")
    app.set_defaults(func=cmd_app)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be from 1 to 65535, got {value}")
    return value


def address(host: str, port: int) -> str:
    """The address to open in a browser (IPv6 hosts in brackets)."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def _configure_solara(host: str, port: int) -> None:
    """Environment solara reads when its server module is first imported."""
    os.environ["SOLARA_APP"] = APP
    os.environ["SERVER_NAME"] = host
    os.environ["SERVER_PORT"] = str(port)
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    os.environ.setdefault("SOLARA_MODE", "production")


def cmd_app(args: argparse.Namespace) -> int:
    """``qicsim app``: serve until interrupted."""
    try:
        import uvicorn
    except ImportError:
        print("qicsim: error: the dashboard needs the app extra: pip install 'qicsim[app]'", file=sys.stderr)
        return 1
    _configure_solara(args.host, args.port)
    config = uvicorn.Config("solara.server.starlette:app", host=args.host, port=args.port, log_level="warning")
    server = uvicorn.Server(config)
    threading.Thread(target=_announce, args=(server, args.host, args.port), daemon=True).start()
    server.run()
    return 0 if server.started else 1


def _announce(server, host: str, port: int) -> None:
    """Print the address once the server accepts connections."""
    while not server.started and not server.should_exit:
        time.sleep(0.05)
    if server.started:
        print(f"qicsim dashboard: {address(host, port)} (Ctrl+C to stop)", flush=True)
