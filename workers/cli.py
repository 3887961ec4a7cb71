"""The `wire` command line: the fleet's processes and the operator's commands."""

import argparse
import sys
from collections.abc import Callable, Sequence

from config.settings import SettingsError
from workers import cli_data, cli_feeds, cli_fleet, cli_model, cli_ops, cli_stories, metrics

Handler = Callable[[argparse.Namespace], int]


def _fleet(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    run = sub.add_parser("run", help="workers for every queue plus one beat, until stopped")
    run.set_defaults(handler=cli_fleet.run)
    worker = sub.add_parser("worker", help="a Celery worker of the fleet")
    worker.add_argument("-Q", "--queues", default=",".join(cli_fleet.ALL_QUEUES))
    worker.add_argument("-c", "--concurrency", type=int, default=None)
    worker.add_argument("-P", "--pool", default="prefork",
                        choices=["prefork", "threads", "solo", "gevent", "eventlet"])  # fmt: skip
    worker.add_argument("-n", "--hostname", default=None)
    worker.set_defaults(handler=cli_fleet.worker)
    sub.add_parser("beat", help="the fleet's one beat").set_defaults(handler=cli_fleet.beat)
    flower = sub.add_parser("flower", help="Flower, the fleet's web monitor")
    flower.add_argument("--port", type=int, default=5555)
    flower.add_argument("--address", default="127.0.0.1")
    flower.set_defaults(handler=cli_fleet.flower)


def _feeds(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    feeds = sub.add_parser("feeds", help="the feed registry").add_subparsers(required=True)
    add = feeds.add_parser("add", help="register feeds")
    add.add_argument("urls", nargs="+")
    add.set_defaults(handler=cli_feeds.add)
    imp = feeds.add_parser("import", help="register the feeds of an OPML, YAML or URL-list file")
    imp.add_argument("file")
    imp.set_defaults(handler=cli_feeds.import_file)
    lst = feeds.add_parser("list", help="registered feeds and their state")
    lst.add_argument("--format", choices=["table", "json"], default="table")
    lst.set_defaults(handler=cli_feeds.list_)
    rem = feeds.add_parser("remove", help="forget a feed")
    rem.add_argument("url")
    rem.set_defaults(handler=cli_feeds.remove)
    exp = feeds.add_parser("export", help="write the registry as OPML")
    exp.set_defaults(handler=cli_feeds.export)
    cli_feeds.register(feeds)


def _ops(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    ingest = sub.add_parser("ingest", help="poll every feed once and run every stage to the end")
    ingest.add_argument("--once", action="store_true", required=True)
    ingest.add_argument("--feeds", default=None, help="only these feeds (OPML/YAML/list file)")
    ingest.add_argument("--no-local-workers", action="store_true")
    ingest.add_argument("--timeout", type=float, default=1800.0)
    ingest.set_defaults(handler=cli_ops.ingest)
    sub.add_parser("status", help="queues, workers, feeds, dead letters").set_defaults(
        handler=cli_ops.status
    )
    replay = sub.add_parser("replay", help="send dead letters back to their stage")
    replay.add_argument("--stage", default=None)
    replay.add_argument("--limit", type=int, default=1000)
    replay.set_defaults(handler=cli_ops.replay)
    demo = sub.add_parser("demo", help="ingest a bundled sample served on 127.0.0.1")
    demo.set_defaults(handler=cli_ops.demo)
    db = sub.add_parser("db", help="the database schema").add_subparsers(required=True)
    db.add_parser("upgrade", help="apply migrations").set_defaults(handler=cli_ops.db_upgrade)


def _data(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    extract = sub.add_parser("extract", help="the clean stage alone on saved pages")
    extract.add_argument("--url", default=None)
    extract.add_argument("paths", nargs="+")
    extract.set_defaults(handler=cli_data.extract)
    export = sub.add_parser("export", help="every stored article as JSON lines")
    export.add_argument("--format", choices=["jsonl"], default="jsonl")
    export.set_defaults(handler=cli_data.export)


def parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    top = argparse.ArgumentParser(prog="wire", description=__doc__)
    sub = top.add_subparsers(required=True, metavar="COMMAND")
    for add in (_fleet, _feeds, _ops, _data, cli_stories.register, cli_model.register,
                metrics.register):  # fmt: skip
        add(sub)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `wire` console script."""
    args = parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except SettingsError as exc:
        print(f"wire: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
