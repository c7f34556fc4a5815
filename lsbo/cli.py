"""The ``lsbo`` command: a thin shell over the library (typer + rich)."""

from __future__ import annotations

import shlex
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from lsbo.exceptions import LsboError, RunExistsError

if TYPE_CHECKING:
    from lsbo.loop import OptimizationResult, Optimizer
    from lsbo.objective import Objective
    from lsbo.storage import RDBStorage

app = typer.Typer(
    help="Latent-space Bayesian optimization of strings and images.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()

DEFAULT_STORAGE = "lsbo-runs.db"
IN_MEMORY = ("memory", ":memory:")
EXIT_INTERRUPTED = 130  # what a shell reports for a process ended by SIGINT

Seed = Annotated[int, typer.Option(help="Seed of the run: same seed, same result on CPU.")]
Epochs = Annotated[int | None, typer.Option(help="VAE training epochs (default: the task's).")]
LatentDim = Annotated[int | None, typer.Option(help="VAE latent dimension (default: the task's).")]
ObjectiveSpec = Annotated[
    str,
    typer.Argument(
        metavar="OBJECTIVE",
        help="A built-in objective (see `lsbo objectives`), or a .py file that defines "
        "OBJECTIVE, dataset, make_codec and default_options as the built-in ones do.",
    ),
]
Storage = Annotated[
    str,
    typer.Option(
        help="Where the run is stored: a file path, sqlite:///path.db, "
        "postgresql://user:password@host/db, or 'memory' to keep nothing."
    ),
]
Workers = Annotated[
    int | None,
    typer.Option(
        min=1,
        show_default=False,
        help="Evaluations at once on this machine, each on its own thread (default: 1). "
        "With --scheduler: evaluations in flight (default: the cluster's threads).",
    ),
]
Scheduler = Annotated[
    str | None,
    typer.Option(
        metavar="ADDRESS",
        help="Evaluate on an existing Dask cluster, e.g. tcp://host:8786 "
        "(pip install 'lsbo\\[distributed]').",
    ),
]
Timeout = Annotated[
    float | None,
    typer.Option(
        metavar="SECONDS",
        help="An evaluation that takes longer is recorded as failed (default: no limit).",
    ),
]
MaxFailures = Annotated[
    int | None,
    typer.Option(
        min=0,
        show_default=False,
        help="Stop after this many failed evaluations in a row; 0: never (default: the "
        "task's, 10). Every evaluation is stored: run again to continue.",
    ),
]


def main(args: Sequence[str] | None = None) -> None:
    """Entry point of the console script: user errors print one line, not a traceback.

    Args:
        args: Command-line arguments (default: ``sys.argv[1:]``).
    """
    try:
        app(args=None if args is None else list(args), prog_name="lsbo")
    except LsboError as exc:
        _say(f"[bold red]error:[/] {escape(str(exc))}")
        raise SystemExit(1) from None


def _say(text: str, markup: bool = True) -> None:
    """Print a line that is never wrapped, so that it can be copied or parsed."""
    console.print(text, soft_wrap=True, markup=markup, highlight=False)


@app.command("objectives")
def list_objectives() -> None:
    """List the built-in objectives."""
    import objectives

    table = Table("name", "direction", "optimum", "description")
    for name in objectives.names():
        cls = objectives.load(name).OBJECTIVE
        optimum = "-" if cls.optimum is None else f"{cls.optimum:g}"
        table.add_row(name, "maximize" if cls.maximize else "minimize", optimum, cls.description)
    console.print(table)


def _task_options(task: Any, epochs: int | None, latent_dim: int | None, **search: Any) -> Any:
    options = task.default_options()
    if epochs is not None:
        options = replace(options, vae=replace(options.vae, epochs=epochs))
    if latent_dim is not None:
        options = replace(options, latent_dim=latent_dim)
    return replace(options, **search)


def _operational(timeout: float | None, max_failures: int | None) -> dict[str, Any]:
    """Options that may change between sessions of a run (not compared on resume)."""
    if timeout is not None and not timeout > 0:
        raise typer.BadParameter("must be > 0 seconds", param_hint="--timeout")
    changes: dict[str, Any] = {}
    if timeout is not None:
        changes["evaluation_timeout"] = timeout
    if max_failures is not None:
        changes["max_consecutive_failures"] = max_failures or None  # 0: never stop
    return changes


def _task_model(
    task: Any, name: str, data: Any, options: Any, seed: int, cache: Path | None
) -> Any:
    from lsbo.models import cached_vae, fit_new_vae

    codec = task.make_codec(data.designs)
    start = time.perf_counter()
    with console.status(f"training the VAE on {len(data.designs):,} designs..."):
        if cache is None:
            model, _ = fit_new_vae(data.designs, codec, options.latent_dim, options.vae, seed)
            hit = False
        else:
            model, hit = cached_vae(
                cache, data.designs, codec, options.latent_dim, options.vae, seed, prefix=name
            )
    how = "loaded the cached VAE" if hit else "trained the VAE"
    console.print(f"{how} in {time.perf_counter() - start:.1f} s")
    return model


def _default_cache_dir() -> Path:
    from lsbo.models.cache import default_cache_dir

    return default_cache_dir()


def _label(spec: str) -> str:
    """Short name of an objective spec: a built-in name, or a file's stem."""
    return Path(spec).stem if spec.endswith(".py") else spec


def _stored_spec(spec: str, task: ModuleType) -> str:
    """The spec a worker resolves: a file's absolute path, so any folder works."""
    path = getattr(task, "__file__", None)
    return str(Path(path).resolve()) if spec.endswith(".py") and path else spec


def _open_storage(text: str) -> RDBStorage:
    from lsbo.storage import get_storage

    return get_storage(None if text in IN_MEMORY else text)


def _shown(text: str) -> str:
    """A storage as given, with any password hidden."""
    if "://" not in text:
        return text
    import sqlalchemy as sa

    try:
        return sa.make_url(text).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return text


@app.command()
def run(
    ctx: typer.Context,
    objective: ObjectiveSpec,
    budget: Annotated[
        int,
        typer.Option(
            min=1, help="Evaluations in the run, counting those already stored under its name."
        ),
    ] = 100,
    seed: Seed = 0,
    strategy: Annotated[
        str,
        typer.Option(
            help="How to search: plain, weighted-retraining, trust-region, "
            "trust-region+weighted-retraining or random (README: choosing a strategy).",
        ),
    ] = "plain",
    batch_size: Annotated[int, typer.Option(min=1, help="Proposals per step (q).")] = 1,
    model: Annotated[Path | None, typer.Option(help="A VAE saved by `lsbo train`.")] = None,
    epochs: Epochs = None,
    latent_dim: LatentDim = None,
    cache_dir: Annotated[Path | None, typer.Option(help="Where trained VAEs are cached.")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Always train a new VAE.")] = False,
    storage: Storage = DEFAULT_STORAGE,
    name: Annotated[
        str | None,
        typer.Option(
            show_default=False,
            help="The run's name in the storage (default: OBJECTIVE-seedSEED). The same "
            "command again continues the run; nothing is evaluated twice.",
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume", help="Continue the named run even if it was made with other settings."
        ),
    ] = False,
    workers: Workers = None,
    scheduler: Scheduler = None,
    timeout: Timeout = None,
    max_failures: MaxFailures = None,
) -> None:
    """Optimize an objective and print the best design found; the run is stored as it goes."""
    import objectives

    task = objectives.resolve(objective)
    search = objectives.strategy(task, strategy)
    label = _label(objective) if strategy == "plain" else f"{_label(objective)}-{strategy}"
    name = name or f"{label}-seed{seed}"
    extra = _operational(timeout, max_failures)
    options = _task_options(task, epochs, latent_dim, batch_size=batch_size, **extra)
    store = _open_storage(storage)
    cache = None if no_cache else cache_dir or _default_cache_dir()
    metadata = {
        "objective_spec": _stored_spec(objective, task),
        "epochs": epochs,
        "latent_dim": latent_dim,
    }
    with _executor(workers, scheduler) as (executor, n_workers):
        try:
            data = task.dataset()
            start = time.perf_counter()
            vae = _run_model(task, objective, data, options, seed, store, name, model, cache)
            optimizer = _optimizer(
                task, data, options, seed, store, name, resume, metadata, vae, search
            )
            if vae is not None:  # trained or loaded here, not by the optimizer
                optimizer.stats.vae_seconds += time.perf_counter() - start
            result = _continue(optimizer, budget, storage, executor, n_workers)
        except KeyboardInterrupt:
            _interrupted(ctx, store, storage, name, {"budget": budget})
    _print_result(result, data.scores, storage, optimizer.objective)


@app.command()
def worker(
    ctx: typer.Context,
    storage: Annotated[
        str, typer.Option(help="The storage of a run made by `lsbo run` (file path or URL).")
    ],
    name: Annotated[str, typer.Option(help="The run's name (as `lsbo run` printed it).")],
    budget: Annotated[
        int | None,
        typer.Option(
            min=1,
            show_default=False,
            help="A new total of evaluations for the run, stored for workers that start "
            "later (default: the run's stored budget).",
        ),
    ] = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
    timeout: Timeout = None,
    max_failures: MaxFailures = None,
) -> None:
    """Join a stored run: evaluate its proposals until its budget is reached.

    Any number of workers, on this machine or others that reach the same storage,
    share the run with the `lsbo run` that made it; no design is evaluated twice.
    """
    import objectives

    if storage in IN_MEMORY:
        raise LsboError("a worker joins a stored run: give the --storage of `lsbo run`")
    store = _open_storage(storage)
    stored = _stored_run(store, storage, name)
    metadata = stored.settings.get("metadata") or {}
    spec = metadata.get("objective_spec")
    if not spec:
        raise LsboError(
            f"run {name!r} in {_shown(storage)} does not say which objective it optimizes "
            "(it was not made by `lsbo run`); continue it from Python with "
            "lsbo.Optimizer(objective, designs, storage=..., name=...).run(budget)"
        )
    total = budget or stored.budget
    if total is None:
        raise LsboError(f"run {name!r} has no budget stored yet; give one with --budget")
    if not _has_stored_vae(store, name):
        raise LsboError(
            f"run {name!r} has no VAE yet; start workers once `lsbo run` has trained it "
            "(when its progress bar shows)"
        )
    task = objectives.resolve(spec)
    extra = _operational(timeout, max_failures)
    options = _task_options(task, metadata.get("epochs"), metadata.get("latent_dim"), **extra)
    seed = int(stored.settings.get("seed", 0))
    with _executor(workers, scheduler) as (executor, n_workers):
        try:
            data = task.dataset()
            from lsbo.strategies import strategy_from_settings

            search = strategy_from_settings(stored.settings.get("strategy"))
            optimizer = _optimizer(
                task, data, options, seed, store, name, False, metadata, None, search
            )
            result = _continue(optimizer, total, storage, executor, n_workers)
        except KeyboardInterrupt:
            _interrupted(ctx, store, storage, name, {})
    _print_result(result, data.scores, storage, optimizer.objective)


def _run_model(
    task: ModuleType,
    objective: str,
    data: Any,
    options: Any,
    seed: int,
    store: RDBStorage,
    name: str,
    model: Path | None,
    cache: Path | None,
) -> Any:
    """The VAE for a new run (``None`` when the stored run has one: the optimizer loads it)."""
    if _has_stored_vae(store, name):
        ignored = " (--model is ignored)" if model is not None else ""
        console.print(f"using the VAE stored with run {name!r}{ignored}", markup=False)
        return None
    if model is not None:
        from lsbo.models import load_model

        return load_model(model)
    return _task_model(task, _label(objective), data, options, seed, cache)


def _stored_run(store: RDBStorage, storage: str, name: str) -> Any:
    run = store.get_run(name)
    if run is None:
        names = ", ".join(r.name for r in store.list_runs()[:10]) or "none"
        raise RunExistsError(
            f"no run named {name!r} in {_shown(storage)} (runs there: {names}); make it "
            f"first with: lsbo run OBJECTIVE --storage {_shown(storage)} --name {name}"
        )
    return run


def _has_stored_vae(store: RDBStorage, name: str) -> bool:
    run = store.get_run(name)
    return run is not None and store.load_checkpoint(run.id, "vae") is not None


def _optimizer(
    task: ModuleType,
    data: Any,
    options: Any,
    seed: int,
    store: RDBStorage,
    name: str,
    resume: bool,
    metadata: dict[str, Any],
    model: Any = None,
    strategy: Any = None,
) -> Optimizer:
    """Open (or create) the run; a stored run's VAE takes precedence over ``model``."""
    from lsbo.loop import Optimizer

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        optimizer = Optimizer(
            task.OBJECTIVE(),
            data.designs,
            scores=data.scores,
            model=model,
            options=options,
            seed=seed,
            storage=store,
            name=name,
            resume=resume,
            metadata=metadata,
            strategy=strategy,
        )
    for warning in caught:  # e.g. the settings a --resume changed
        _say(f"[yellow]warning:[/] {escape(str(warning.message))}")
    return optimizer


def _continue(
    optimizer: Optimizer, budget: int, storage: str, executor: Any, n_workers: int | None
) -> OptimizationResult:
    """Run until the run holds ``budget`` evaluations, or say that it already does."""
    done = optimizer.n_evaluated
    if done >= budget:
        _say(
            f"run {optimizer.name!r} already has {done} evaluations; raise --budget to continue",
            markup=False,
        )
        return optimizer.result()
    if done:
        where = "in memory" if optimizer.storage.in_memory else f"in {_shown(storage)}"
        _say(f"continuing run {optimizer.name!r} {where}: {done} of {budget} done", markup=False)
    return _run_with_progress(optimizer, budget, executor, n_workers)


@contextmanager
def _executor(workers: int | None, scheduler: str | None) -> Iterator[tuple[Any, int | None]]:
    """Where evaluations run: this thread, ``workers`` threads, or a Dask cluster."""
    if scheduler is None:
        if (workers or 1) == 1:
            yield None, None
        else:
            from lsbo.execution import DaemonThreadExecutor

            yield DaemonThreadExecutor(workers or 1), workers
        return
    try:
        from dask.distributed import Client
    except ImportError:
        raise LsboError("--scheduler needs Dask: pip install 'lsbo[distributed]'") from None
    try:
        client = Client(scheduler)
    except (OSError, TimeoutError, ValueError) as exc:
        raise LsboError(
            f"cannot connect to the Dask scheduler at {scheduler} ({exc}); check the address "
            "(tcp://host:8786) and that the scheduler is running"
        ) from None
    with client:
        yield client, workers


def _interrupted(
    ctx: typer.Context, store: RDBStorage, storage: str, name: str, always: dict[str, Any]
) -> NoReturn:
    """After Ctrl-C (the optimizer has stored everything): say how to go on, exit 130.

    ``always`` holds parameters the printed command sets even where they were not
    given (besides ``--storage`` and ``--name``), e.g. the budget.
    """
    run = None if store.in_memory else store.get_run(name)
    if store.in_memory:
        _say("interrupted: the evaluations were kept in memory only (--storage memory)")
    elif run is None:
        _say(f"interrupted before run {name!r} started; nothing was stored", markup=False)
    else:
        done = sum(row["state"] in ("complete", "failed") for row in store.proposals(run.id))
        always = {**always, "storage": _shown(storage), "name": name}
        _say(
            f"interrupted: {done} evaluations are saved in {_shown(storage)} (run {name!r}). "
            f"Resume with: {_command_line(ctx, always)}",
            markup=False,
        )
    raise typer.Exit(EXIT_INTERRUPTED)


def _command_line(ctx: typer.Context, always: dict[str, Any]) -> str:
    """The command as given, with the parameters in ``always`` set (defaults left out)."""
    words = ["lsbo", ctx.info_name or ""]
    for param in ctx.command.params:
        key = param.name or ""
        source = ctx.get_parameter_source(key)
        given = source is not None and source.name != "DEFAULT"
        value = always.get(key, ctx.params.get(key))
        if (key not in always and not given) or value is None or value is False:
            continue
        # typer ships its own copy of click: look at the parameter, not its class
        if param.param_type_name == "argument":
            words.append(str(value))
        elif getattr(param, "is_flag", False):
            words.append(param.opts[0])
        else:
            words += [param.opts[0], str(value)]
    return shlex.join(words)


def _run_with_progress(
    optimizer: Optimizer, budget: int, executor: Any, n_workers: int | None
) -> OptimizationResult:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ]

    def description(opt: Optimizer) -> str:
        best = opt.result().best_value
        return "evaluating" if best is None else f"best {best:.4g}"

    with Progress(*columns, console=console) as progress:
        bar = progress.add_task(
            description(optimizer), total=budget, completed=optimizer.n_evaluated
        )

        def update(opt: Optimizer, record: Any) -> None:
            # counts evaluations of other processes too
            progress.update(bar, completed=opt.n_evaluated, description=description(opt))

        return optimizer.run(budget, callbacks=[update], executor=executor, n_workers=n_workers)


def _print_result(
    result: OptimizationResult,
    given: list[float | None] | None,
    storage: str,
    objective: Objective,
) -> None:
    stats = result.stats
    known = [v for v in (given or []) if v is not None]
    n = len(result.history)
    running = f"; {result.n_pending} still running elsewhere" if result.n_pending else ""
    console.print(f"evaluations: {n} ({result.n_failed} failed{running})")
    if known:
        start = max(known) if result.maximize else min(known)
        console.print(f"best of the {len(known):,} scored starting designs: {start:.4g}")
    considered = n + stats.n_rejected
    console.print(
        f"re-proposed: {stats.n_invalid} invalid and {stats.n_duplicate} duplicate decodes "
        f"({stats.n_rejected / max(considered, 1):.0%} of {considered} decoded proposals)"
    )
    rate = stats.validity_rate
    console.print(
        "validity rate: -, no latent point decoded yet"
        if rate is None
        else f"validity rate: {rate:.0%} of {stats.n_decoded} decoded latent points"
    )
    console.print(
        f"time: VAE {stats.vae_seconds:.1f} s, GP + acquisition {stats.surrogate_seconds:.1f} s, "
        f"objective {stats.objective_seconds:.1f} s"
    )
    if storage in IN_MEMORY:
        _say(f"run {result.name!r} was kept in memory only", markup=False)
    else:
        _say(
            f"run {result.name!r} is stored in {_shown(storage)}; "
            f"lsbo.load_run({_shown(storage)!r}, {result.name!r}) reads it back",
            markup=False,
        )
    if result.best_record is None:
        console.print("[bold red]no evaluation completed[/]")
        raise typer.Exit(1)
    _say(f"[bold]best design:[/] {escape(objective.describe(result.best_design))}")
    console.print(f"[bold]best value:[/]  {result.best_value:.6g}")


@app.command()
def train(
    objective: ObjectiveSpec,
    out: Annotated[Path, typer.Option(help="File to write the trained VAE to.")],
    seed: Seed = 0,
    epochs: Epochs = None,
    latent_dim: LatentDim = None,
) -> None:
    """Pretrain the VAE of an objective and save it for `lsbo run --model`."""
    import objectives
    from lsbo.models import fit_new_vae

    task = objectives.resolve(objective)
    data = task.dataset()
    options = _task_options(task, epochs, latent_dim)
    start = time.perf_counter()
    with console.status(f"training the VAE on {len(data.designs):,} designs..."):
        codec = task.make_codec(data.designs)
        model, report = fit_new_vae(data.designs, codec, options.latent_dim, options.vae, seed)
    model.save(
        out,
        objective=objective,
        training=asdict(options.vae),
        seed=seed,
        train_loss=report.train_loss,
        validation_loss=report.validation_loss,
    )
    console.print(
        f"trained in {time.perf_counter() - start:.1f} s ({len(report.train_loss)} epochs, "
        f"validation loss {min(report.validation_loss or report.train_loss):.3f}); saved {out}"
    )


if __name__ == "__main__":
    main()
