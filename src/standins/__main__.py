"""``standins``: run the legacy stand-ins, or feed the e-service synthetic applications.

Examples::

    standins serve                       # ports 8701-8705 on 127.0.0.1
    standins serve --seats 2 --ui-latency-ms 150 --session-timeout-s 60
    standins serve --fail-rate 0.1 --lost-answer-rate 0.05 --slow-write-rate 0.05 \
        --slow-write-s 8 --fault-seed 7 --outage case_system:60:300
    standins serve --layout-variant v2 --set case_system.seats_taken=2
    standins serve --port school_records=0   # a plugin's system (caserobot.standins)
    standins generate --count 200 --seed 7
    standins generate --count 300 --type ekonomiskt_bistand
    standins generate --count 100 --type komvux   # a plugin's type, when installed
    standins world --seed 1              # what the synthetic world holds
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import Any

from standins.knobs import BY_NAME
from standins.options import FAULT_FLAGS, ServeOptions

SYSTEMS = ("eservice", "case_system", "population", "route", "income")
"""Built in; installed plugins (entry-point group ``caserobot.standins``) add their own."""


def _serve_parser(sub: argparse._SubParsersAction) -> None:
    d = ServeOptions()
    p = sub.add_parser(
        "serve",
        help="run all stand-ins in one process",
        description="Run the e-service, case system, population register, route service and "
        "income register stand-ins, and the systems of installed plugins (entry-point group "
        "caserobot.standins), in one process until SIGTERM/SIGINT. Prints 'standins "
        "ready: eservice=URL case_system=URL population=URL route=URL income=URL "
        "[PLUGIN_SYSTEM=URL ...]' once all listen. "
        "A port of 0 picks a free port (see the ready line).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--host", default=d.host, help="interface to listen on")
    p.add_argument("--eservice-port", type=int, default=d.eservice_port,
                   help="e-service intake (JSON)")
    p.add_argument("--case-port", type=int, default=d.case_port, help="case system (web UI)")
    p.add_argument("--population-port", type=int, default=d.population_port,
                   help="population register (Navet-like XML)")
    p.add_argument("--route-port", type=int, default=d.route_port,
                   help="route service (walking distance)")
    p.add_argument("--income-port", type=int, default=d.income_port,
                   help="income register (SSBTEK-like JSON)")
    p.add_argument("--port", dest="ports", action="append", default=[],
                   metavar="SYSTEM=PORT",
                   help="the port of one system, a plugin's too (e.g. school_records=0; its "
                   "default is the plugin's); '*=0': every system on a free port, before the "
                   "others; repeatable")
    p.add_argument("--seed", type=int, default=d.seed, help="seed of the synthetic world")
    p.add_argument("--seats", type=int, default=d.seats,
                   help="concurrent sessions (seat licences) of the case system and of each "
                   "plugin web UI with a login")
    p.add_argument("--session-timeout-s", type=float, default=d.session_timeout_s,
                   help="idle timeout of those web UIs; an expired session frees its seat")
    p.add_argument("--ui-latency-ms", type=float, default=d.ui_latency_ms,
                   help="delay added to every page of the case system and plugin web UIs")
    p.add_argument("--api-latency-ms", type=float, default=d.api_latency_ms,
                   help="delay added to every e-service, register, route and income call")
    p.add_argument("--fail-rate", type=float, default=d.fail_rate,
                   help="share of requests answered 503 before the handler runs (nothing "
                   "written)")
    f = p.add_argument_group(
        "fault injection",
        "Each flag applies to every system that has the knob (the case-system-only ones to "
        "the case system). --set overrides one system. All can be changed at run time with "
        "POST /_test/config on each system; GET /_test/stats counts the faults injected. "
        "Write routes: POSTs that change state (case, decision, payment order; the "
        "e-service's submit, received and completion requests). See src/standins/README.md.")
    for name in FAULT_FLAGS:
        knob = BY_NAME[name]
        kind: Any = {"rate": float, "seconds": float, "ms": float, "count": int,
                     "seed": int}.get(knob.kind, str)
        f.add_argument(f"--{name.replace('_', '-')}", type=kind, default=getattr(d, name),
                       choices=knob.choices or None,
                       help=knob.help + {"all": "", "sessions": " [web UIs with a login]"}.get(
                           knob.scope, " [case system only]"))
    f.add_argument("--maintenance-s", type=float, default=d.maintenance_s,
                   help="a maintenance window on every system from start-up, this many "
                   "seconds (503 with Retry-After; 0: none)")
    f.add_argument("--set", dest="settings", action="append", default=[],
                   metavar="SYSTEM.KNOB=VALUE",
                   help="one knob of one system, e.g. case_system.lost_answer_rate=0.1 or "
                   "eservice.maintenance_s=60 (repeatable; SYSTEM: " + ", ".join(SYSTEMS) + " or a "
                   "plugin's system)")
    f.add_argument("--outage", dest="outages", action="append", default=[],
                   metavar="SYSTEM:START_S:DURATION_S",
                   help="take SYSTEM down START_S seconds after start-up for DURATION_S "
                   "seconds: its port closes every connection, then it serves again with "
                   "its data (sessions dropped); repeatable")
    p.add_argument("--log-level", default=d.log_level,
                   choices=("critical", "error", "warning", "info", "debug"),
                   help="uvicorn log level (logs go to stderr)")


def _generate(args: argparse.Namespace) -> int:
    import httpx

    body: dict[str, object] = {"count": args.count, "malformed_share": args.malformed_share,
                               "type": args.type}
    if args.seed is not None:
        body["seed"] = args.seed
    try:
        r = httpx.post(f"{args.url.rstrip('/')}/_test/generate", json=body, timeout=60)
        r.raise_for_status()
    except httpx.HTTPError as exc:
        print(f"standins generate: {exc}", file=sys.stderr)
        return 1
    result = r.json()
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    ids = result["ids"]
    span = f" ({ids[0]} .. {ids[-1]})" if ids else ""
    print(f"submitted {result['created']} applications{span}, seed {result['seed']}, "
          f"type {args.type}")
    for category, n in result["mix"].items():
        print(f"  {category:<12}{n:>6}")
    return 0


def _world(args: argparse.Namespace) -> int:
    from standins.world import build_world

    world = build_world(args.seed)
    kommun = Counter(world.municipality_name(c.address.municipality) for c in world.children)
    print(f"seed {world.seed}: {len(world.children)} children, {len(world.guardians)} "
          f"guardians, {len(world.schools)} schools, {len(world.addresses)} addresses")
    print("children by municipality: " + ", ".join(f"{k} {n}" for k, n in kommun.most_common()))
    print(f"alternating residence: {sum(1 for c in world.children if c.second_address)}, "
          f"protected identity: {sum(1 for c in world.children if c.protected)}")
    for s in world.schools.values():
        print(f"  {s.unit_code} {s.name:<30} {world.municipality_name(s.municipality):<10} "
              f"{s.huvudman:<11} {s.grades:<4} {s.address.one_line()}")
    from standins.social import APPLIED_MONTH, build_social

    social = build_social(world)
    print(f"ekonomiskt bistånd: {len(social.households)} households, {len(social.people)} "
          f"people, applying for {APPLIED_MONTH}; households by situation:")
    for kind, households in social.pools.items():
        print(f"  {kind:<26}{len(households):>5}")
    from standins.plugins import PluginError, installed

    try:
        plugins = installed().plugins
    except PluginError as exc:
        print(f"standins world: {exc}", file=sys.stderr)
        return 2
    for plugin in plugins:
        if plugin.describe is not None:
            print(f"plugin {plugin.name}:")
            for line in plugin.describe(world):
                print(f"  {line}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="standins",
        description="Stand-ins for the legacy systems caserobot works with: e-service intake, "
        "case system, population register, route service and income register, over one "
        "synthetic world.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _serve_parser(sub)
    g = sub.add_parser("generate", help="submit synthetic applications to a running e-service",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    g.add_argument("--count", type=int, required=True, help="number of applications")
    g.add_argument("--seed", type=int, default=None, help="seed (default: a new one per call)")
    g.add_argument("--malformed-share", type=float, default=0.05, help="share of bad ones")
    g.add_argument("--type", default="skolskjuts",
                   help="application type: skolskjuts, ekonomiskt_bistand or an installed "
                   "plugin's (komvux)")
    g.add_argument("--url", default="http://127.0.0.1:8701", help="e-service base URL")
    g.add_argument("--json", action="store_true", help="print the full JSON answer")
    w = sub.add_parser("world", help="summarize the synthetic world")
    w.add_argument("--seed", type=int, default=1, help="seed of the synthetic world")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        from standins.server import run

        options = ServeOptions(**{k: v for k, v in vars(args).items() if k != "command"})
        return run(options)
    if args.command == "generate":
        return _generate(args)
    return _world(args)


if __name__ == "__main__":
    sys.exit(main())
