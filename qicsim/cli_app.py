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
import warnings
from pathlib import Path

from qicsim.arguments import COMMANDS

APP = "qicsim.app"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_GAME_FILE = "qicsim-game.json"
GAME_FILE_ENV = "QICSIM_GAME_FILE"


def add_commands(subparsers) -> None:
    """Register ``app`` on the ``qicsim`` command's subparsers."""
    app = subparsers.add_parser(
        "app", help=COMMANDS["app"][1],
        description="Serve the workshop dashboard: pick a scenario, move the ten challenge "
                    "levers and five success factors, step through a collaborative, compare two designs, and "
                    "play the budget game in groups with a facilitator's view.",
    )
    app.add_argument("--port", type=_port, default=DEFAULT_PORT, metavar="N",
                     help="port to listen on, 1-65535 (default: %(default)s)")
    app.add_argument("--host", default=DEFAULT_HOST, metavar="H",
                     help="address to listen on (default: %(default)s, this computer only; 0.0.0.0 = every "
                          "network interface)")
    app.add_argument("--game", default=None, metavar="FILE",
                     help="the budget game's file: its settings and every group's design, written at every change "
                          "(default: qicsim-game.json in the current folder; made when first needed)")
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
    game = Path(args.game) if args.game else Path(DEFAULT_GAME_FILE)
    if game.exists():  # a damaged or foreign file is refused now, not when a group first joins
        from qicsim.game import Game, GameError

        try:
            Game(game)
        except GameError as err:
            print(f"qicsim: error: --game: {err}", file=sys.stderr)
            return 2
    elif not game.parent.is_dir():
        print(f"qicsim: error: --game {str(game)[:80]!r}: no folder {str(game.parent)[:80]!r} to keep it in",
              file=sys.stderr)
        return 2
    os.environ[GAME_FILE_ENV] = str(game.resolve())
    _configure_solara(args.host, args.port)
    # solara warns at every page load on plain http that it falls back to a same-site cookie: the right cookie
    # for a page that is not embedded, and noise on a facilitator's console
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https", category=UserWarning)
    threading.Thread(target=_warm_up, daemon=True).start()
    config = uvicorn.Config("solara.server.starlette:app", host=args.host, port=args.port, log_level="warning")
    server = uvicorn.Server(config)
    threading.Thread(target=_announce, args=(server, args.host, args.port), daemon=True).start()
    server.run()
    return 0 if server.started else 1


def _warm_up() -> None:
    """Import the dashboard and run a few weeks of a model while the server starts, so that the first browser
    finds the page's code imported and the model's compiled kernels loaded."""
    import qicsim.app  # noqa: F401 -- what solara imports for the first page
    from qicsim.live import DashboardModel, LiveCharts

    LiveCharts(DashboardModel()).pictures()


def _announce(server, host: str, port: int) -> None:
    """Print the address once the server accepts connections."""
    while not server.started and not server.should_exit:
        time.sleep(0.05)
    if server.started:
        print(f"qicsim dashboard: {address(host, port)} (Ctrl+C to stop); budget game file: "
              f"{os.environ[GAME_FILE_ENV]}", flush=True)
