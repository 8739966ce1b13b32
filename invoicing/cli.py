"""The ``hoadon`` command line: serve, migrate, manage officials."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from redis.exceptions import RedisError
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table
from sqlalchemy.exc import SQLAlchemyError

import signing
from invoicing import jobs
from invoicing.authority.qr import QrPayloadError
from invoicing.config import get_settings
from invoicing.db import Database, create_db_engine
from invoicing.errors import HoadonError
from invoicing.invoices import service as invoices
from invoicing.jobs import JobContext
from invoicing.keyring import AUTHORITY_FILE, load_keyring
from invoicing.migrations import DatabaseNotMigrated, ensure_migrated, upgrade_to_head
from invoicing.officials import service as officials
from invoicing.redis import connect_redis
from invoicing.renditions import service as renditions
from invoicing.verification import qr as qr_verification

app = typer.Typer(
    help="hoadon: e-invoices and e-receipts modelled on Vietnam's national system.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
officials_app = typer.Typer(
    help="Tax officials who review registrations and follow adoption.", no_args_is_help=True
)
app.add_typer(officials_app, name="officials")
jobs_app = typer.Typer(help="Background jobs (PDF renderings).", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")
chain_app = typer.Typer(
    help="Series hash chains: prove there is no gap and no rewrite.", no_args_is_help=True
)
app.add_typer(chain_app, name="chain")
console = Console(stderr=True)


def _database() -> Database:
    """The configured database, refused with a clear message when it is not migrated."""
    database = Database(create_db_engine(get_settings().resolved_database_url))
    try:
        ensure_migrated(database.engine)
    except DatabaseNotMigrated as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(code=1) from None
    return database


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (alembic upgrade head)."""
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade_to_head(settings.resolved_database_url)
    console.print("[green]database is up to date[/green]")


def _bootstrap_official(database: Database) -> None:
    with database.transaction() as session:
        if officials.has_officials(session):
            return
        created = officials.create_official(session, name="National official (bootstrap)", province_code=None)
    console.rule("[bold]first start: a national tax official was created[/bold]")
    console.print("Its token is shown this once; keep it to review registrations:")
    typer.echo(f"HOADON_OFFICIAL_TOKEN={created.token}")
    console.rule()


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default HOADON_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default HOADON_PORT)")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
) -> None:
    """Serve the API. Refuses an un-migrated database."""
    settings = get_settings()
    settings.resolved_secret_key()
    database = _database()
    _bootstrap_official(database)
    database.engine.dispose()
    uvicorn.run(
        "invoicing.asgi:app",
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        proxy_headers=True,
    )


@officials_app.command("create")
def create_official(
    name: Annotated[str, typer.Option(help="The official's name")],
    province: Annotated[str | None, typer.Option(help="Province code the official reviews, e.g. 01")] = None,
    national: Annotated[bool, typer.Option("--national", help="Nationwide scope")] = False,
) -> None:
    """Create a tax official and print its token (last line of output, shown once)."""
    if national == (province is not None):
        console.print("[red]give exactly one of --province CODE or --national[/red]")
        raise typer.Exit(code=2)
    database = _database()
    try:
        with database.transaction() as session:
            created = officials.create_official(session, name=name, province_code=province)
    except HoadonError as error:
        console.print(f"[red]{error.detail}[/red]")
        raise typer.Exit(code=2) from None
    scope = "national" if province is None else f"province {province}"
    console.print(f"created official [bold]{created.official.name}[/bold] ({scope}); token shown once:")
    typer.echo(created.token)


@chain_app.command("verify")
def verify_chains(
    seller: Annotated[str | None, typer.Option(help="Only this seller's tax code")] = None,
) -> None:
    """Recompute every series' chain from the stored documents; exit 1 on any problem."""
    database = _database()
    table = Table("series", "seller", "entries", "result", title="hash chains")
    broken = 0
    with database.transaction() as session:
        for audit in invoices.audit_chains(session, seller_tax_code=seller):
            name = f"{audit.series.template}{audit.series.symbol}"
            if audit.problems:
                broken += 1
                result = "[red]" + "; ".join(f"#{p.position}: {p.reason}" for p in audit.problems) + "[/red]"
            else:
                result = "[green]intact[/green]"
            table.add_row(name, audit.series.seller_tax_code, str(audit.entries), result)
    Console().print(table)
    if broken:
        console.print(f"[red]{broken} chain(s) broken[/red]")
        raise typer.Exit(code=1)


def _job_database() -> tuple[Database, JobContext]:
    settings = get_settings()
    database = _database()
    keyring = load_keyring(settings)
    redis = connect_redis(settings.redis_url) if settings.redis_url else None
    jobs.attach(database, jobs.dispatcher_for(database, keyring=keyring, settings=settings, redis=redis))
    return database, JobContext(database=database, keyring=keyring, settings=settings)


@app.command()
def worker(
    burst: Annotated[bool, typer.Option(help="Exit once the queue is empty")] = False,
    sweep_seconds: Annotated[
        int, typer.Option(min=5, help="How often to re-queue work a lost job left pending")
    ] = 30,
) -> None:
    """Run background jobs from Redis (HOADON_REDIS_URL), and re-queue work that Redis lost."""
    settings = get_settings()
    if not settings.redis_url:
        console.print(
            "[red]hoadon worker needs HOADON_REDIS_URL; without Redis, jobs run inline in the API[/red]"
        )
        raise typer.Exit(code=2)
    from rq import Queue, SimpleWorker

    database, context = _job_database()
    jobs.set_worker_context(context)
    redis = connect_redis(settings.redis_url)
    stop = threading.Event()

    def sweep() -> None:
        while not stop.wait(sweep_seconds):
            try:
                with database.transaction() as session:
                    count = renditions.sweep_pending(session, older_than=timedelta(seconds=sweep_seconds))
                if count:
                    console.print(f"re-queued {count} pending rendition(s)")
            except (SQLAlchemyError, RedisError) as error:
                # The sweeper outlives a database or Redis blip; the next round tries again.
                console.print(f"[yellow]sweep failed: {type(error).__name__}: {error}[/yellow]")

    with database.transaction() as session:
        renditions.sweep_pending(session, older_than=timedelta(0))
    sweeper = threading.Thread(target=sweep, name="hoadon-sweeper", daemon=True)
    sweeper.start()
    try:
        SimpleWorker([Queue(jobs.QUEUE_NAME, connection=redis)], connection=redis).work(burst=burst)
    finally:
        stop.set()


@jobs_app.command("retry")
def retry_jobs() -> None:
    """Queue again every rendition that failed three times."""
    database, _ = _job_database()
    with database.transaction() as session:
        count = renditions.retry_failed(session)
    console.print(f"queued {count} failed rendition(s) again")


@app.command("verify-qr")
def verify_qr(
    payload_or_url: Annotated[
        str,
        typer.Argument(
            metavar="PAYLOAD_OR_URL", help="The QR code's text: the signed payload or the verification URL"
        ),
    ],
    certificate: Annotated[
        str | None,
        typer.Option(
            metavar="PEM",
            help="The tax authority's certificate (GET /v1/authority/certificate); "
            "default: this installation's",
        ),
    ] = None,
) -> None:
    """Check a QR code offline: its facts and the tax authority's signature.

    Exit 0 when the signature is valid, 1 when not, 2 when the QR text is malformed.
    """
    if certificate is not None:
        try:
            authority_certificate = signing.load_certificate(Path(certificate).read_bytes())
        except OSError as error:
            console.print(f"[red]cannot read {escape(certificate)}: {escape(str(error.strerror))}[/red]")
            raise typer.Exit(code=2) from None
        except signing.CertificateError as error:
            console.print(f"[red]{escape(certificate)}: {escape(str(error))}[/red]")
            raise typer.Exit(code=2) from None
    else:
        settings = get_settings()
        # load_keyring would mint a fresh authority key where none exists, and every QR would then
        # look forged: ask for the certificate instead.
        if settings.authority_key_path is None and not (settings.data_dir / AUTHORITY_FILE).exists():
            console.print(
                f"[red]no authority key in {escape(str(settings.data_dir))}: pass --certificate with the "
                "tax authority's certificate (GET /v1/authority/certificate)[/red]"
            )
            raise typer.Exit(code=2)
        authority_certificate = load_keyring(settings).authority.certificate
    try:
        check = qr_verification.check_qr(payload_or_url, certificate=authority_certificate)
    except QrPayloadError as error:
        console.print(f"[red]malformed QR code: {escape(error.field)}: {escape(error.reason)}[/red]")
        raise typer.Exit(code=2) from None
    facts = check.facts
    table = Table("field", Column("value", overflow="fold"), title="QR code")
    for name in qr_verification.QR_FIELDS:
        value = getattr(facts, name)
        table.add_row(name, escape("—" if value is None else str(value)))
    out = Console()
    out.print(table)
    if check.signature_valid:
        out.print("[green]signature valid[/green]: signed by the tax authority")
    else:
        out.print("[red]signature invalid[/red]: not signed by the tax authority's key, or altered")
    url_code = check.url_code
    url_matches = check.url_code_matches(None)
    if url_code is not None and url_matches is False:
        out.print(
            f"[red]the URL opens /verify/{escape(url_code)}, not this invoice's page "
            f"(/verify/{facts.authority_code})[/red]",
            soft_wrap=True,
        )
    if not check.signature_valid or url_matches is False:
        raise typer.Exit(code=1)
