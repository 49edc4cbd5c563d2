"""seddel serve | migrate | demo | bootstrap | oidc-provider | run | schema |
operations-manifest | bench | worker | retention"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from app.config import get_settings

ROOT = Path(__file__).resolve().parents[1]


def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    uvicorn.run(
        "app.server:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        # The app decides whom to believe (SEDDEL_TRUSTED_PROXIES, app.server.client_address).
        proxy_headers=False,
        log_config=None,
    )


def _migrate(_: argparse.Namespace) -> None:
    from app.ops.migrate import migrate

    migrate(get_settings())
    print("database is at the newest revision")


async def _demo_async(force: bool) -> bool:
    from app.db import create_engine, session_factory
    from app.ops.demo import is_seeded, seed_demo
    from app.storage import create_storage

    settings = get_settings()
    engine = create_engine(settings.owner_database_url)
    try:
        async with session_factory(engine)() as db:
            if await is_seeded(db) and not force:
                return False
            await db.rollback()
            await seed_demo(db, settings, create_storage(settings))
            return True
    finally:
        await engine.dispose()


def _demo(args: argparse.Namespace) -> None:
    from app.ops.demo import DEMO_LOGINS, DEMO_PASSWORD

    seeded = asyncio.run(_demo_async(force=False))
    print("demo data created" if seeded else "database not empty: demo left as it is")
    print(f"demo logins (password: {DEMO_PASSWORD}):")
    for login in DEMO_LOGINS:
        print(f"  {login.email:32} {login.role}")


def _bootstrap(args: argparse.Namespace) -> None:
    from app.core.errors import DomainError
    from app.ops.bootstrap import run_bootstrap

    try:
        report = asyncio.run(
            run_bootstrap(
                get_settings(),
                municipality=args.municipality,
                institution=args.institution,
                admin_email=args.admin_email,
                admin_name=args.admin_name,
                language=args.language,
            )
        )
    except DomainError as error:
        sys.exit(f"bootstrap refused: {error.field or ''} {error.message('en')}".strip())
    for line in report.done:
        print(line)
    print("the invitation is delivered by `seddel worker` (SMTP: SEDDEL_SMTP_HOST)")


def _oidc_provider(args: argparse.Namespace) -> None:
    from app.accounts.federation.service.providers import ProviderSettings
    from app.core.errors import DomainError
    from app.ops import oidc_providers

    settings = get_settings()
    try:
        if args.action == "add":
            wanted = ProviderSettings(
                display_name=args.name or args.slug,
                issuer=args.issuer,
                client_id=args.client_id,
                client_secret_env=args.client_secret_env,
                scopes=args.scopes,
                subject_claim=args.subject_claim,
                trusts_email=args.trusts_email,
                counts_as_second_factor=args.counts_as_second_factor,
            )
            lines = asyncio.run(
                oidc_providers.add_provider(
                    settings,
                    municipality=args.municipality,
                    slug=args.slug,
                    wanted=wanted,
                    allow_insecure_issuer=args.allow_insecure_issuer,
                )
            )
        elif args.action == "list":
            lines = asyncio.run(oidc_providers.list_providers(settings)) or ["no providers"]
        else:
            lines = [
                asyncio.run(oidc_providers.remove_provider(settings, args.slug, purge=args.purge))
            ]
    except DomainError as error:
        sys.exit(f"oidc-provider refused: {error.field or ''} {error.message('en')}".strip())
    for line in lines:
        print(line)


def _oidc_provider_commands(commands: Any) -> None:
    command = commands.add_parser(
        "oidc-provider", help="configure a municipality's identity providers (federated login)"
    )
    actions = command.add_subparsers(dest="action", required=True)
    add = actions.add_parser(
        "add", help="add a provider, or bring one up to date (idempotent: says what changed)"
    )
    add.add_argument("--municipality", required=True, help="the municipality's name")
    add.add_argument("--slug", required=True, help="its name in /auth/oidc/{slug}/…")
    add.add_argument("--name", default=None, help="shown to people (default: the slug)")
    add.add_argument("--issuer", required=True, help="the issuer URL (https)")
    add.add_argument("--client-id", required=True)
    add.add_argument(
        "--client-secret-env",
        default=None,
        help="the environment variable that holds the client secret (never stored)",
    )
    add.add_argument("--scopes", default="openid email")
    add.add_argument("--subject-claim", default="sub", help="the claim that names the person")
    add.add_argument(
        "--trusts-email",
        action="store_true",
        help="its verified e-mail may link to an existing account",
    )
    add.add_argument(
        "--counts-as-second-factor",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="its own login is multi-factor (MitID, an Entra ID enforcing MFA), so staff and"
        " admins who must use a second factor are not asked for Seddel's (default: they are)",
    )
    add.add_argument(
        "--allow-insecure-issuer", action="store_true", help="allow http on localhost (tests)"
    )
    actions.add_parser("list", help="list the providers")
    remove = actions.add_parser(
        "remove", help="stop logins with a provider (its identities are kept)"
    )
    remove.add_argument("--slug", required=True)
    remove.add_argument(
        "--purge", action="store_true", help="delete it with its linked identities instead"
    )
    command.set_defaults(handler=_oidc_provider)


def _run(args: argparse.Namespace) -> None:
    _migrate(args)
    _demo(args)
    print(f"GraphiQL: http://{args.host}:{args.port}/graphql")
    _serve(args)


def _schema(args: argparse.Namespace) -> None:
    graphql_path, openapi_path = write_schemas()
    print(f"wrote {graphql_path.relative_to(ROOT)} and {openapi_path.relative_to(ROOT)}")
    _operations_manifest(args)


def _operations_manifest(args: argparse.Namespace) -> None:
    paths = write_manifests()
    print("wrote " + " and ".join(str(path.relative_to(ROOT)) for path in paths))


def render_manifests() -> dict[Path, str]:
    """The trusted documents as app builds ship them: Apollo's persisted-query manifest and
    Relay's persisted queries (app/api/persisted.py), as committed."""
    from app.api.persisted import apollo_manifest, relay_manifest
    from app.api.trusted import TrustedDocuments

    documents = TrustedDocuments()
    return {
        ROOT / "graphql" / "persisted-query-manifest.json": apollo_manifest(documents),
        ROOT / "graphql" / "persisted_queries.json": relay_manifest(documents),
    }


def write_manifests() -> list[Path]:
    manifests = render_manifests()
    for path, text in manifests.items():
        path.write_text(text, encoding="utf-8")
    return list(manifests)


def render_schemas() -> tuple[str, str]:
    """The printed GraphQL schema and the OpenAPI document, as committed."""
    from app.config import Settings
    from app.root.schema import build_schema
    from app.server import create_app

    settings = Settings()
    graphql_text = str(build_schema(settings)) + "\n"
    app = create_app(settings)
    openapi_text = json.dumps(app.openapi_schema.to_schema(), indent=2, sort_keys=True) + "\n"
    return graphql_text, openapi_text


def write_schemas() -> tuple[Path, Path]:
    graphql_text, openapi_text = render_schemas()
    graphql_path = ROOT / "graphql" / "schema.graphql"
    openapi_path = ROOT / "openapi" / "openapi.json"
    graphql_path.write_text(graphql_text, encoding="utf-8")
    openapi_path.write_text(openapi_text, encoding="utf-8")
    return graphql_path, openapi_path


async def _jobs_async(command: str, once: bool, dry_run: bool = False) -> None:
    import signal

    from app.db import create_engine, session_factory
    from app.notifications.service.senders import create_senders
    from app.notifications.service.worker import deliver_due
    from app.ops.jobs import JobContext, run_due_jobs, run_worker
    from app.realtime import Broker, create_broker
    from app.root.jobs import PERIODIC_JOBS, retention_lines
    from app.storage import create_storage

    settings = get_settings()
    engine = create_engine(settings.database_url, pool_size=2)
    sessions = session_factory(engine)
    storage = create_storage(settings)
    # Jobs tell the servers' subscribers what they changed: only a shared broker reaches them.
    broker: Broker | None = None
    if command == "worker" and settings.broker_backend == "postgres":
        broker = create_broker(settings)
        await broker.start()
    try:
        if command == "retention":
            from app.db import utcnow

            context = JobContext(
                sessions=sessions, storage=storage, settings=settings, now=utcnow()
            )
            if dry_run:
                async with engine.connect() as connection:
                    lines = await retention_lines(context, dry_run_on=connection)
            else:
                lines = await retention_lines(context)
            print("\n".join(lines))
        elif once:
            senders = create_senders(settings)
            report = await deliver_due(sessions=sessions, senders=senders, settings=settings)
            ran = await run_due_jobs(
                sessions=sessions,
                storage=storage,
                settings=settings,
                jobs=PERIODIC_JOBS,
                broker=broker,
            )
            counts = f"sent {report.sent}, retried {report.retried}, failed {report.failed}"
            print(f"{counts}; jobs run: {ran}")
        else:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
            await run_worker(
                sessions=sessions,
                storage=storage,
                settings=settings,
                jobs=PERIODIC_JOBS,
                stop=stop,
                broker=broker,
            )
    finally:
        if broker is not None:
            await broker.close()
        await engine.dispose()


def _worker(args: argparse.Namespace) -> None:
    from app.core.logs import configure_logging

    configure_logging(json_lines=get_settings().log_json)
    asyncio.run(_jobs_async("worker", args.once))


def _retention(args: argparse.Namespace) -> None:
    from app.core.logs import configure_logging

    configure_logging(json_lines=get_settings().log_json)
    asyncio.run(_jobs_async("retention", once=True, dry_run=args.dry_run))


def _bench(args: argparse.Namespace) -> None:
    from app.bench.run import main as bench_main
    from app.root.export import export_gatherer

    bench_main(args, export_gatherer=export_gatherer)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="seddel", description="Seddel backend")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, handler, help_text in (
        ("serve", _serve, "serve the API"),
        ("run", _run, "migrate, seed the demo if empty, and serve (development)"),
    ):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--host", default="127.0.0.1")
        command.add_argument("--port", type=int, default=8000)
        command.add_argument("--workers", type=int, default=1)
        command.set_defaults(handler=handler)
    commands.add_parser("migrate", help="migrate the database").set_defaults(handler=_migrate)
    commands.add_parser("demo", help="seed the demo if the database is empty").set_defaults(
        handler=_demo
    )
    bootstrap = commands.add_parser(
        "bootstrap",
        help="create a municipality, an institution and its invited first admin (idempotent)",
    )
    bootstrap.add_argument("--municipality", required=True)
    bootstrap.add_argument("--institution", required=True)
    bootstrap.add_argument("--admin-email", required=True)
    bootstrap.add_argument("--admin-name", default=None)
    bootstrap.add_argument("--language", default="da", choices=("da", "en"))
    bootstrap.set_defaults(handler=_bootstrap)
    _oidc_provider_commands(commands)
    commands.add_parser(
        "schema", help="write graphql/schema.graphql and openapi/openapi.json"
    ).set_defaults(handler=_schema)
    commands.add_parser(
        "operations-manifest",
        help="write graphql/persisted-query-manifest.json (Apollo) and persisted_queries.json "
        "(Relay) from graphql/operations (`schema` writes them too)",
    ).set_defaults(handler=_operations_manifest)
    worker = commands.add_parser(
        "worker", help="deliver notifications and run periodic jobs (retention daily)"
    )
    worker.add_argument("--once", action="store_true", help="one round, then exit")
    worker.set_defaults(handler=_worker)
    retention = commands.add_parser(
        "retention",
        help="run the retention rules and jobs once now; prints what went and what legal "
        "holds kept",
    )
    retention.add_argument(
        "--dry-run",
        action="store_true",
        help="print what would go and what is kept under hold, changing nothing",
    )
    retention.set_defaults(handler=_retention)
    bench = commands.add_parser("bench", help="seed a realistic volume and measure operations")
    bench.add_argument("--requests", type=int, default=200)
    bench.add_argument(
        "--http", action="store_true", help="only the HTTP throughput of the hot reads"
    )
    bench.add_argument("--rls", action="store_true", help="only the RLS cost of hot statements")
    bench.add_argument("--no-http", action="store_true", help="skip the HTTP throughput")
    bench.add_argument(
        "--push", action="store_true", help="only the notification worker's throughput"
    )
    bench.add_argument(
        "--no-push", action="store_true", help="skip the notification worker's throughput"
    )
    bench.add_argument(
        "--roster", action="store_true", help="only the 10,000-row roster import's time and memory"
    )
    bench.add_argument("--no-roster", action="store_true", help="skip the roster import")
    bench.add_argument(
        "--access-log",
        action="store_true",
        help="only the access log's cost (on vs off) as staff, on a small database of its own",
    )
    bench.add_argument("--seconds", type=float, default=8, help="HTTP: seconds per operation")
    bench.add_argument(
        "--export",
        action="store_true",
        help="only the Art. 15 export of one child with 200 photos (SQLite, on its own)",
    )
    bench.add_argument("--export-photos", type=int, default=200, help="--export: photos")
    bench.add_argument("--no-export", action="store_true", help="skip the Art. 15 export")
    bench.set_defaults(handler=_bench)
    args = parser.parse_args(argv)
    import app.root.handlers  # noqa: F401  what one slice records reaches the others

    args.handler(args)


if __name__ == "__main__":
    main(sys.argv[1:])
