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
from invoicing.logs import install_redaction
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

    install_redaction()
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


registry_app = typer.Typer(help="The business registry: the denominator of adoption.", no_args_is_help=True)
app.add_typer(registry_app, name="registry")
adoption_app = typer.Typer(
    help="Adoption statistics and the aggregates they are read from.", no_args_is_help=True
)
app.add_typer(adoption_app, name="adoption")


def _adoption_database() -> Database:
    from invoicing.adoption import service as adoption

    database = _database()
    settings = get_settings()
    if settings.redis_url:
        adoption.attach_cache(database, connect_redis(settings.redis_url))
    return database


def _cli_user() -> str | None:
    import getpass

    try:
        return getpass.getuser()[:64]
    except (KeyError, OSError):
        return None


@registry_app.command("import")
def import_registry(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE.csv",
            exists=True,
            dir_okay=False,
            readable=True,
            help="UTF-8 CSV with the header tax_code,name,province_code,ward_code,status",
        ),
    ],
    rejects: Annotated[
        Path | None,
        typer.Option(metavar="OUT.csv", help="Write every refused row (line, tax_code, reason) to this file"),
    ] = None,
) -> None:
    """Import the business registry, any size; refused rows are reported, the rest imported.

    Exit 0 when the file was imported (even with refused rows), 2 when it was refused whole
    (wrong header, not UTF-8, malformed CSV): then nothing was written.
    """
    import contextlib
    import csv

    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    from invoicing.adoption import service as adoption
    from invoicing.adoption.csvfiles import csv_cell

    database = _adoption_database()
    size = file.stat().st_size
    with contextlib.ExitStack() as stack:
        writer = None
        if rejects is not None:
            out = stack.enter_context(rejects.open("w", newline="", encoding="utf-8"))
            writer = csv.writer(out)
            writer.writerow(["line", "tax_code", "reason"])

        def on_problem(kind: str, problem: adoption.RowProblem) -> None:
            if writer is not None and kind == "rejected":
                writer.writerow([problem.line, csv_cell(problem.tax_code), csv_cell(problem.reason)])

        progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
        )
        # Each byte is read twice: once to check the encoding and hash, once to import.
        task = progress.add_task(f"importing {escape(file.name)}", total=2 * size)
        try:
            with progress, file.open("rb") as stream, database.transaction() as session:
                outcome = adoption.import_registry_file(
                    session,
                    None,
                    stream=stream,
                    filename=file.name,
                    cli_user=_cli_user(),
                    on_bytes=lambda n: progress.advance(task, n),
                    on_problem=on_problem,
                )
        except HoadonError as error:
            console.print(f"[red]refused, nothing imported: {escape(error.detail)}[/red]")
            raise typer.Exit(code=2) from None
    record = outcome.record
    table = Table(
        "rows", "inserted", "updated", "unchanged", "rejected", "legacy mapped", title="registry import"
    )
    table.add_row(
        *(
            f"{value:,}"
            for value in (
                record.rows,
                record.inserted,
                record.updated,
                record.unchanged,
                record.rejected,
                record.legacy_mapped,
            )
        )
    )
    out_console = Console()
    out_console.print(table)
    if outcome.rejects:
        refused = Table("line", "tax code", Column("reason", overflow="fold"), title="refused rows")
        for problem in outcome.rejects[:20]:
            refused.add_row(str(problem.line), escape(problem.tax_code), escape(problem.reason))
        out_console.print(refused)
        if record.rejected > 20:
            where = (
                f"; all of them are in {escape(str(rejects))}"
                if rejects
                else "; --rejects FILE lists them all"
            )
            out_console.print(f"{record.rejected - 20:,} more refused row(s){where}")
    out_console.print(f"import {record.id} (sha256 {record.sha256})")


@adoption_app.command("rebuild")
def rebuild_adoption(
    apply: Annotated[
        bool, typer.Option("--apply", help="Rewrite the aggregates to match the sources")
    ] = False,
) -> None:
    """Recompute the adoption aggregates from registrations, businesses, invoices, receipts and the
    registry, and report every difference (exit 1), or fix them with --apply."""
    from invoicing.adoption import service as adoption

    database = _adoption_database()
    with database.transaction() as session:
        report = adoption.rebuild_aggregates(session, apply=apply)
    out = Console()
    if report.differences:
        table = Table("table", "key", "column", "stored", "expected", title="differences")
        for difference in report.differences[:50]:
            table.add_row(
                difference.table,
                escape(difference.key),
                difference.column,
                escape(str(difference.stored)),
                escape(str(difference.expected)),
            )
        out.print(table)
        if len(report.differences) > 50:
            out.print(f"... and {report.total - 50:,} more")
    if report.markers_missing or report.markers_extra:
        out.print(f"activity markers: {report.markers_missing:,} missing, {report.markers_extra:,} extra")
    if report.clean:
        out.print(f"[green]the aggregates match the sources[/green] ({report.documents:,} documents)")
    elif report.applied:
        out.print(f"[yellow]{report.total:,} difference(s) fixed[/yellow] ({report.documents:,} documents)")
    else:
        out.print(f"[red]{report.total:,} difference(s)[/red]; run with --apply to fix them")
        raise typer.Exit(code=1)


@app.command()
def demo(
    businesses: Annotated[
        int, typer.Option(min=10, max=2_000_000, help="Businesses in the synthetic business registry")
    ] = 2_000,
    invoices: Annotated[
        int, typer.Option(min=0, max=10_000_000, help="Documents (invoices and receipts) to issue and sign")
    ] = 20_000,
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed on an empty database gives the same country")
    ] = 2026,
) -> None:
    """Fill the database with a synthetic country (all 34 provinces) so the dashboard has life in it.

    The data are made up. Registrations go through the real services and every document is
    really signed; PDFs are rendered on first read. Refused in production.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TextColumn,
        TimeRemainingColumn,
    )

    from invoicing import demo as demo_data
    from invoicing.config import Environment

    settings = get_settings()
    if settings.env is Environment.PRODUCTION:
        console.print(
            "[red]hoadon demo writes synthetic businesses and invoices; refused in production[/red]"
        )
        raise typer.Exit(code=2)
    if not settings.sandbox_enabled:
        console.print(
            "[red]hoadon demo needs the sandbox CA (HOADON_SANDBOX) to give businesses certificates[/red]"
        )
        raise typer.Exit(code=2)
    database = _adoption_database()
    keyring = load_keyring(settings)
    bars = Progress(
        TextColumn("[bold]{task.description:<13}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    )
    current: list[TaskID] = []

    def start(stage: str, total: int) -> None:
        current[:] = [bars.add_task(stage, total=total)]

    try:
        with bars:
            report = demo_data.run_demo(
                database,
                keyring=keyring,
                plan=demo_data.DemoPlan(businesses=businesses, invoices=invoices, seed=seed),
                provider_tax_code=settings.provider_tax_code,
                progress=demo_data.Progress(start=start, advance=lambda n: bars.advance(current[0], n)),
            )
    except HoadonError as error:
        console.print(f"[red]{escape(error.detail)}[/red]")
        raise typer.Exit(code=1) from None
    table = Table("synthetic data", Column("count", justify="right"), title="hoadon demo")
    for label, value in (
        ("businesses in the registry", report.registry_rows),
        ("registrations submitted", report.submitted),
        ("accepted", report.accepted),
        ("rejected", report.rejected),
        ("credentials claimed", report.claimed),
        ("issuing businesses", report.issuers),
        ("invoices signed", report.invoices),
        ("receipts signed", report.receipts),
        ("invoices cancelled", report.cancelled),
        ("aggregate cells rebuilt for the back-dated history", report.rebuild_fixed),
    ):
        table.add_row(label, f"{value:,}")
    Console().print(table)
    console.print(f"open {settings.base_url}/dashboard and sign in with an official's token")
