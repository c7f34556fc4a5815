"""The ``lsbo`` command: a thin shell over the library (typer + rich)."""

from __future__ import annotations

import shlex
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, replace
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table

from lsbo.exceptions import InvalidOptionError, LsboError, RunNotFoundError

if TYPE_CHECKING:
    from lsbo.objective import Objective
    from lsbo.optimizer import Optimizer
    from lsbo.records import OptimizationResult
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
OBJECTIVE_HELP = (
    "A built-in objective (see `lsbo objectives`); a .py file that defines OBJECTIVE, "
    "dataset, make_codec and default_options as the built-in ones do; or a plain "
    "function, path/to/file.py:function, with --designs."
)
ObjectiveSpec = Annotated[str, typer.Argument(metavar="OBJECTIVE", help=OBJECTIVE_HELP)]
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


_STATE = {"debug": False}


@app.callback()
def _root(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the full traceback of an error.")
    ] = False,
) -> None:
    """Latent-space Bayesian optimization of strings and images."""
    _STATE["debug"] = debug


def main(args: Sequence[str] | None = None) -> None:
    """Entry point of the console script: errors print one line, not a traceback
    (``lsbo --debug ...`` shows it).

    Args:
        args: Command-line arguments (default: ``sys.argv[1:]``).
    """
    _STATE["debug"] = False
    try:
        app(args=None if args is None else list(args), prog_name="lsbo")
    except LsboError as exc:
        if _STATE["debug"]:
            raise
        _say(f"[bold red]error:[/] {escape(str(exc))}")
        raise SystemExit(1) from None
    except Exception as exc:  # not lsbo's own: still one line, the traceback on request
        if _STATE["debug"]:
            raise
        _say(
            f"[bold red]error:[/] {escape(type(exc).__name__)}: {escape(str(exc))} "
            "(run `lsbo --debug ...` to see the traceback)"
        )
        raise SystemExit(1) from None


def _say(text: str, markup: bool = True) -> None:
    """Print a line that is never wrapped, so that it can be copied or parsed."""
    console.print(text, soft_wrap=True, markup=markup, highlight=False)


@app.command("objectives")
def list_objectives() -> None:
    """List the built-in objectives."""
    import objectives

    names = objectives.names()
    table = Table(
        # what a user types: never cut, at any width; the rest wraps to what is left
        Column("name", no_wrap=True, min_width=max(map(len, names))),
        Column("designs", overflow="fold", min_width=12, ratio=1),
        Column("dataset", no_wrap=True, min_width=len("100,000")),
        Column("goal", no_wrap=True),
        Column("description", overflow="fold", min_width=16, ratio=2),
    )
    for name in names:
        module = objectives.load(name)
        cls = module.OBJECTIVE
        goal = ("max" if cls.maximize else "min") + (
            "" if cls.optimum is None else f" {cls.optimum:g}"
        )
        size = f"{module.DATASET_SIZE:,}"
        table.add_row(name, cls.design_type, size, goal, cls.description)
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
    import objectives
    from lsbo.models import cached_vae, fit_new_vae

    codec = task.make_codec(data.designs)
    start = time.perf_counter()
    training = f"training the VAE on {len(data.designs):,} designs"
    with console.status(f"{training}...") as status:
        epochs = _epoch_lines(training, options.vae, status if console.is_terminal else None)
        if cache is None:
            model, _ = fit_new_vae(
                data.designs, codec, options.latent_dim, options.vae, seed, callback=epochs
            )
            # as a cached VAE: what tells its validation split, for its assessment
            model.metadata.update(training=asdict(options.vae), seed=seed)
            hit = False
        else:
            model, hit = cached_vae(
                cache, data.designs, codec, options.latent_dim, options.vae, seed, prefix=name,
                callback=epochs, pretrained=[objectives.PRETRAINED],
            )  # fmt: skip
    how = "loaded the cached VAE" if hit else "trained the VAE"
    if hit and _shipped(model):
        how = "loaded the VAE shipped with lsbo for these data and settings"
    console.print(f"{how} in {time.perf_counter() - start:.1f} s")
    return model


def _shipped(model: Any) -> bool:
    """Whether ``model`` is one of the VAEs shipped in ``objectives/data/pretrained``."""
    import objectives

    key = str(model.metadata.get("fingerprint", ""))[:20]
    return bool(key) and any(objectives.PRETRAINED.glob(f"*-{key}.pt"))


def _epoch_lines(
    training: str, options: Any, status: Any
) -> Callable[[int, float, float | None], None]:
    """A training callback that shows each epoch in ``status`` (a live terminal), or
    prints it as a line (output to a file or a pipe)."""
    from lsbo.models.training import epoch_plan

    most = epoch_plan(options, 1)[0]  # the number of epochs does not depend on the data
    start = time.perf_counter()

    def show(epoch: int, loss: float, validation: float | None) -> None:
        held_out = "" if validation is None else f", held-out loss {validation:.4g}"
        text = (
            f"{training}: epoch {epoch + 1} of at most {most}, loss {loss:.4g}{held_out}, "
            f"{_clock(time.perf_counter() - start)} so far"
        )
        if status is not None:
            status.update(text)
        else:
            _say(text, markup=False)

    return show


def _clock(seconds: float) -> str:
    """``h:mm:ss``."""
    return str(timedelta(seconds=round(max(seconds, 0.0))))


def _default_cache_dir() -> Path:
    from lsbo.models.cache import default_cache_dir

    return default_cache_dir()


def _label(spec: str) -> str:
    """Short name of an objective spec: a built-in name, a file's stem or a function's name."""
    import objectives

    if objectives.is_function_spec(spec):
        return spec.rsplit(":", 1)[1]
    return Path(spec).stem if spec.endswith(".py") else spec


def _stored_spec(spec: str, task: ModuleType) -> str:
    """The spec a worker resolves: a file's absolute path, so any folder works."""
    import objectives

    path = getattr(task, "__file__", None)
    if objectives.is_function_spec(spec) and path:
        return f"{Path(path).resolve()}:{spec.rsplit(':', 1)[1]}"
    return str(Path(path).resolve()) if spec.endswith(".py") and path else spec


def _objective_spec(argument: str | None, option: str | None) -> str:
    if argument and option and argument != option:
        raise InvalidOptionError(
            f"two objectives given ({argument!r} and --objective {option!r}); give one"
        )
    spec = argument or option
    if not spec:
        raise InvalidOptionError(
            "no objective given: name a built-in one (`lsbo objectives` lists them), an "
            "objective file, or a function with --objective file.py:function --designs FILE"
        )
    return spec


def _resolve_task(spec: str, designs: Path | None, minimize: bool) -> ModuleType:
    """The task module of an objective spec (a function spec needs its designs file)."""
    import objectives

    if objectives.is_function_spec(spec):
        if designs is None:
            raise InvalidOptionError(
                f"the function objective {spec!r} needs training designs: add --designs "
                "FILE (one design per line, a .csv with a 'design' column, or a .npy of "
                "images)"
            )
        return objectives.function_task(spec, designs, maximize=not minimize)
    if designs is not None or minimize:
        raise InvalidOptionError(
            f"--designs and --minimize go with a function objective (file.py:function); "
            f"{spec!r} brings its own designs and direction"
        )
    return objectives.resolve(spec)


def _stored_task(metadata: dict[str, Any], spec: str) -> ModuleType:
    """The task a stored run was made with, as `lsbo run` recorded it."""
    designs = metadata.get("designs")
    maximize = bool(metadata.get("maximize", True))
    return _resolve_task(spec, None if designs is None else Path(designs), not maximize)


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


def _config_defaults(ctx: typer.Context, param: Any, value: Path | None) -> Path | None:
    """``--config FILE``: a TOML file's keys become the command's defaults, so that any
    flag given on the command line wins over the file."""
    if value is None:
        return value
    import tomllib

    try:
        values = tomllib.loads(value.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidOptionError(f"cannot read the config file {str(value)!r}: {exc}") from None
    hidden = (None, "config", "objective_option")  # `objective` sets the argument
    names = {p.name: p for p in ctx.command.params if p.name not in hidden}
    defaults = {}
    for key, item in values.items():
        name = key.replace("-", "_")
        name = {"resume": "accept_changes"}.get(name, name)  # its name before 0.2.0
        if name not in names:
            known = ", ".join(sorted(n.replace("_", "-") for n in names))
            raise InvalidOptionError(
                f"{str(value)!r}: unknown setting {key!r}; `lsbo {ctx.info_name}` takes: {known}"
            )
        defaults[name] = str(item) if isinstance(item, Path) else item
    ctx.default_map = {**(ctx.default_map or {}), **defaults}
    return value


@app.command()
def run(
    ctx: typer.Context,
    objective: Annotated[
        str | None,
        typer.Argument(metavar="[OBJECTIVE]", help=OBJECTIVE_HELP, show_default=False),
    ] = None,
    objective_option: Annotated[
        str | None,
        typer.Option(
            "--objective",
            metavar="OBJECTIVE",
            show_default=False,
            help="The same as the OBJECTIVE argument, e.g. --objective my_lab.py:score.",
        ),
    ] = None,
    designs: Annotated[
        Path | None,
        typer.Option(
            show_default=False,
            help="Training designs of a function objective: a text file with one design "
            "per line, a .csv with 'design' and 'score' columns, or a .npy array of images "
            "(n x height x width, values in [0, 1]).",
        ),
    ] = None,
    minimize: Annotated[
        bool, typer.Option("--minimize", help="Minimize a function objective (default: maximize).")
    ] = False,
    config: Annotated[
        Path | None,
        typer.Option(
            is_eager=True,
            callback=_config_defaults,
            metavar="FILE",
            show_default=False,
            help="A TOML file of these options (budget = 200, strategy = "
            '"weighted-retraining", ...); flags given here win.',
        ),
    ] = None,
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
            "trust-region+weighted-retraining, lol-bo, random, genetic or screening "
            "(README: choosing a strategy).",
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
    accept_changes: Annotated[
        bool,
        typer.Option(
            "--accept-changes",
            "--resume",  # its name before 0.2.0
            help="Continue the named run with these settings even if it was made with "
            "others (a run with the same settings continues without it).",
        ),
    ] = False,
    workers: Workers = None,
    scheduler: Scheduler = None,
    timeout: Timeout = None,
    max_failures: MaxFailures = None,
) -> None:
    """Optimize an objective and print the best designs found; the run is stored as it goes.

    A user's own function needs no more Python than the function itself:
    `lsbo run --objective my_lab.py:score --designs designs.txt`.
    """
    import objectives

    spec = _objective_spec(objective, objective_option)
    task = _resolve_task(spec, designs, minimize)
    search = objectives.strategy(task, strategy)
    label = _label(spec) if strategy == "plain" else f"{_label(spec)}-{strategy}"
    name = name or f"{label}-seed{seed}"
    extra = _operational(timeout, max_failures)
    options = _task_options(task, epochs, latent_dim, batch_size=batch_size, **extra)
    store = _open_storage(storage)
    cache = None if no_cache else cache_dir or _default_cache_dir()
    metadata = {
        "objective_spec": _stored_spec(spec, task),
        "epochs": epochs,
        "latent_dim": latent_dim,
    }
    if designs is not None:  # what a worker needs to rebuild a function objective
        metadata.update(designs=str(designs.resolve()), maximize=not minimize)
    _say(
        f"run {name!r}: up to {budget} evaluations of {_label(spec)} with the {strategy} "
        f"strategy, {batch_size} per step; first the VAE (trained here, or taken from the "
        "stored run or the cache), then the search, with the time left once it runs",
        markup=False,
    )
    with _executor(workers, scheduler) as (executor, n_workers):
        try:
            data = task.dataset()
            start = time.perf_counter()
            vae = _run_model(task, spec, data, options, seed, store, name, model, cache)
            optimizer = _optimizer(
                task, data, options, seed, store, name, accept_changes, metadata, vae, search
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

    if storage in IN_MEMORY:
        raise LsboError("a worker joins a stored run: give the --storage of `lsbo run`")
    store = _open_storage(storage)
    stored = _stored_run(store, storage, name)
    metadata = stored.settings.get("metadata") or {}
    spec = metadata.get("objective_spec")
    if metadata.get("external"):
        raise LsboError(
            f"run {name!r} is measured outside lsbo: ask for designs with `lsbo ask "
            f"{name} --out FILE` and record their values with `lsbo tell {name} FILE`"
        )
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
    task = _stored_task(metadata, spec)
    extra = _operational(timeout, max_failures)
    with _executor(workers, scheduler) as (executor, n_workers):
        try:
            data = task.dataset()
            optimizer = _reopen(task, data, stored, store, name, **extra)
            result = _continue(optimizer, total, storage, executor, n_workers)
        except KeyboardInterrupt:
            _interrupted(ctx, store, storage, name, {})
    _print_result(result, data.scores, storage, optimizer.objective)


@app.command()
def ask(
    name: Annotated[str, typer.Argument(help="The run's name: a stored run, or a new one.")],
    out: Annotated[
        Path,
        typer.Option(
            show_default=False,
            help="The batch file to write (.csv, columns number,design); an existing one "
            "is kept unless --overwrite.",
        ),
    ],
    n: Annotated[int, typer.Option("--n", min=1, help="Designs to propose.")] = 8,
    storage: Storage = DEFAULT_STORAGE,
    designs: Annotated[
        Path | None,
        typer.Option(
            show_default=False,
            help="Make a new run of designs measured outside lsbo: its training designs "
            "(one per line, a .csv with 'design' and 'score' columns, or a .npy of images).",
        ),
    ] = None,
    minimize: Annotated[
        bool, typer.Option("--minimize", help="New run: smaller measured values are better.")
    ] = False,
    strategy: Annotated[
        str | None,
        typer.Option(show_default=False, help="New run: how to search (default: plain)."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(show_default=False, help="New run: its seed (default: 0).")
    ] = None,
    epochs: Epochs = None,
    latent_dim: LatentDim = None,
    cache_dir: Annotated[Path | None, typer.Option(help="Where trained VAEs are cached.")] = None,
    pending: Annotated[
        bool,
        typer.Option(
            "--pending",
            help="Propose nothing: write the run's proposals that are still waiting for a "
            "value (e.g. to replace a lost batch file).",
        ),
    ] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace the file --out if it exists.")
    ] = False,
) -> None:
    """Propose a batch of designs for a stored run and write them to a file for the lab.

    Measure them, add a 'value' column (a number; empty or 'failed' for a failed
    measurement), then `lsbo tell NAME FILE`. Asking again before telling gives new
    designs; asking is not limited by the run's budget. With --designs, the first ask
    makes a run of designs measured outside lsbo (README: the lab loop).
    """
    from lsbo.batch import write_batch

    if storage in IN_MEMORY:
        raise LsboError("ask and tell work on a stored run: give --storage a file or URL")
    if out.exists() and not overwrite:
        raise InvalidOptionError(
            f"{str(out)!r} exists (a batch waiting for values?); give another --out, or "
            "--overwrite to replace it"
        )
    if not out.parent.is_dir():
        raise InvalidOptionError(f"cannot write {str(out)!r}: no folder {str(out.parent)!r}")
    store = _open_storage(storage)
    new = {"strategy": strategy, "seed": seed, "epochs": epochs, "latent_dim": latent_dim}
    if store.get_run(name) is None:
        if pending:
            _stored_run(store, storage, name)  # the error, with how to make the run
        optimizer = _new_external_run(store, storage, name, designs, minimize, cache_dir, new)
    else:
        optimizer = _open_for_ask(store, storage, name, designs, minimize, new)
    if pending:
        proposals = optimizer.pending()
        if not proposals:
            raise LsboError(f"run {name!r} has no proposal waiting for a value")
    else:
        with console.status(f"proposing {n} designs..."):
            proposals = optimizer.ask(n, external=True)
    write_batch(proposals, out)
    numbers = ", ".join(str(p.number) for p in proposals)
    _say(
        f"wrote {len(proposals)} designs of run {name!r} to {str(out)!r} (proposals "
        f"{numbers}). Measure them, add a 'value' column, then: lsbo tell {name} {out}"
        + ("" if storage == DEFAULT_STORAGE else f" --storage {_shown(storage)}"),
        markup=False,
    )


def _new_external_run(
    store: RDBStorage,
    storage: str,
    name: str,
    designs: Path | None,
    minimize: bool,
    cache_dir: Path | None,
    new: dict[str, Any],
) -> Optimizer:
    """A new run of designs measured outside lsbo, with its VAE trained (or cached)."""
    import objectives

    if designs is None:
        raise RunNotFoundError(
            f"no run {name!r} in {_shown(storage)}; make one of designs you measure "
            f"yourself with: lsbo ask {name} --designs FILE --out FILE (or one of a "
            f"built-in objective with: lsbo run OBJECTIVE --name {name})"
        )
    task = objectives.external_task(designs, maximize=not minimize)
    search = objectives.strategy(task, new["strategy"] or "plain")
    seed = new["seed"] or 0
    options = _task_options(task, new["epochs"], new["latent_dim"])
    metadata = {
        "external": True,
        "designs": str(designs.resolve()),
        "maximize": not minimize,
        "epochs": new["epochs"],
        "latent_dim": new["latent_dim"],
    }
    data = task.dataset()
    cache = cache_dir or _default_cache_dir()
    vae = _task_model(task, "external", data, options, seed, cache)
    return _optimizer(task, data, options, seed, store, name, False, metadata, vae, search)


def _open_for_ask(
    store: RDBStorage,
    storage: str,
    name: str,
    designs: Path | None,
    minimize: bool,
    new: dict[str, Any],
) -> Optimizer:
    """A stored run, to ask for designs: one measured outside lsbo, or one of `lsbo run`."""
    stored = _stored_run(store, storage, name)
    metadata = stored.settings.get("metadata") or {}
    given = [f"--{k.replace('_', '-')}" for k, v in new.items() if v is not None]
    if designs is not None and str(designs.resolve()) != metadata.get("designs"):
        given.append("--designs")
    if minimize and metadata.get("maximize", True):
        given.append("--minimize")
    if given:
        raise InvalidOptionError(
            f"run {name!r} exists: {', '.join(given)} would change it (they only make a "
            f"new run); ask without them, or give a new name"
        )
    if not _has_stored_vae(store, name):
        raise LsboError(f"run {name!r} has no VAE yet; its `lsbo run` trains one first")
    if metadata.get("external"):
        import objectives

        task = objectives.external_task(metadata["designs"], bool(metadata.get("maximize", True)))
    elif metadata.get("objective_spec"):
        task = _stored_task(metadata, metadata["objective_spec"])
    else:
        raise LsboError(
            f"run {name!r} in {_shown(storage)} was made from Python: ask for designs with "
            "lsbo.Optimizer(objective, designs, storage=..., name=...).ask(n, external=True) "
            "and lsbo.write_batch"
        )
    return _reopen(task, task.dataset(), stored, store, name)


def _reopen(
    task: ModuleType, data: Any, stored: Any, store: RDBStorage, name: str, **extra: Any
) -> Optimizer:
    """A stored run opened as it was made: its task's options with its epochs and latent
    dimension, its seed and its strategy (``extra``: operational options)."""
    from lsbo.settings import stored_strategy

    metadata = stored.settings.get("metadata") or {}
    options = _task_options(task, metadata.get("epochs"), metadata.get("latent_dim"), **extra)
    seed = int(stored.settings.get("seed", 0))
    search = stored_strategy(stored.settings)
    return _optimizer(task, data, options, seed, store, name, False, metadata, None, search)


@app.command()
def tell(
    name: Annotated[str, typer.Argument(help="The run's name.")],
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="A batch file of `lsbo ask` with a 'value' column added: a number, or "
            "empty or 'failed' for a failed measurement.",
        ),
    ],
    storage: Storage = DEFAULT_STORAGE,
) -> None:
    """Record the measured values of a batch file in its run.

    The whole file is checked first: a malformed row, a number the run did not propose
    or told already with another value records nothing. Telling the same file twice
    changes nothing.
    """
    from lsbo.batch import tell_batch

    if storage in IN_MEMORY:
        raise LsboError("ask and tell work on a stored run: give --storage a file or URL")
    store = _existing_storage(storage)
    run = _stored_run(store, storage, name)
    report = tell_batch(store, name, file)
    failed = sum(r.status == "failed" for r in report.told)
    parts = [f"told {len(report.told)} values to run {name!r} ({failed} failed)"]
    if report.unchanged:
        parts.append(f"{len(report.unchanged)} rows were told before, with the same values")
    counts, best = store.summary(run.id, bool(run.settings.get("maximize", True)))
    evaluated = counts.get("complete", 0) + counts.get("failed", 0)
    shown = "-" if best is None else f"{best:.6g}"
    parts.append(f"{evaluated} evaluations in all, best {shown}")
    if counts.get("pending"):
        parts.append(f"{counts['pending']} proposals still waiting for a value")
    _say("; ".join(parts), markup=False)


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
    from lsbo.run_storage import get_run

    try:
        return get_run(store, name, where=_shown(storage))
    except RunNotFoundError as exc:
        raise RunNotFoundError(
            f"{exc}; make it first with: lsbo run OBJECTIVE --storage {_shown(storage)} "
            f"--name {name}"
        ) from None


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
    accept_changes: bool,
    metadata: dict[str, Any],
    model: Any = None,
    strategy: Any = None,
) -> Optimizer:
    """Open (or create) the run; a stored run's VAE takes precedence over ``model``."""
    from lsbo.optimizer import Optimizer

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
            accept_changes=accept_changes,
            metadata=metadata,
            strategy=strategy,
        )
    for warning in caught:  # e.g. the settings that --accept-changes changed
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
        from lsbo.records import ProposalState

        counts, _ = store.summary(run.id)
        done = sum(counts.get(s, 0) for s in ProposalState if s.evaluated)
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
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class PhaseColumn(ProgressColumn):
        """What the optimizer is doing now (read at every refresh, between evaluations too)."""

        def render(self, task: Any) -> Text:
            return Text(f"{optimizer.phase:<18}", style="cyan")

    columns = [
        TextColumn("{task.description}"),
        PhaseColumn(),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("evaluations"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
    ]

    def description(opt: Optimizer) -> str:
        best = opt.result().best_value
        return "best -" if best is None else f"best {best:.4g}"

    if not console.is_terminal:  # a file, a pipe, a CI log: plain lines, no live bar
        return optimizer.run(
            budget, callbacks=[_progress_lines(optimizer, budget, description)],
            executor=executor, n_workers=n_workers,
        )  # fmt: skip
    with Progress(*columns, console=console) as progress:
        bar = progress.add_task(
            description(optimizer), total=budget, completed=optimizer.n_evaluated
        )

        def update(opt: Optimizer, record: Any) -> None:
            # counts evaluations of other processes too
            progress.update(bar, completed=opt.n_evaluated, description=description(opt))

        return optimizer.run(budget, callbacks=[update], executor=executor, n_workers=n_workers)


# without a terminal, a progress line at least every this many seconds or 1/20 of the run
PROGRESS_SECONDS = 30.0


def _progress_lines(
    optimizer: Optimizer, budget: int, description: Callable[[Optimizer], str]
) -> Callable[[Optimizer, Any], None]:
    """A run callback that prints a plain line every 1/20 of the budget or every
    :data:`PROGRESS_SECONDS`: evaluations done, best so far, phase, time left."""
    start, first = time.perf_counter(), optimizer.n_evaluated
    last = [start, first]
    every = max(1, budget // 20)

    def line(opt: Optimizer, record: Any) -> None:
        now, done = time.perf_counter(), opt.n_evaluated
        if done < budget and done - last[1] < every and now - last[0] < PROGRESS_SECONDS:
            return
        last[:] = [now, done]
        left = (now - start) / max(done - first, 1) * max(budget - done, 0)
        _say(
            f"{done}/{budget} evaluations, {description(opt)}, {opt.phase}, "
            f"{_clock(now - start)} elapsed, about {_clock(left)} left",
            markup=False,
        )

    return line


def _print_result(
    result: OptimizationResult,
    given: list[float | None] | None,
    storage: str,
    objective: Objective,
) -> None:
    stats = result.stats
    start = result.direction.best(given or [])
    n = len(result.history)
    running = f"; {result.n_pending} still running elsewhere" if result.n_pending else ""
    console.print(f"evaluations: {n} ({result.n_failed} failed{running})")
    if start is not None:
        n_known = sum(v is not None for v in given or [])
        console.print(f"best of the {n_known:,} scored starting designs: {start:.4g}")
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
    if stats.n_validity_fits:
        console.print(f"validity constraint: fitted {stats.n_validity_fits} times")
    if stats.vae is not None:
        console.print(f"VAE: {_quality_line(stats.vae_quality)}", markup=False)
    console.print(
        f"time: VAE {stats.vae_seconds:.1f} s, GP + acquisition {stats.surrogate_seconds:.1f} s, "
        f"objective {stats.objective_seconds:.1f} s"
        + (f", validity {stats.validity_seconds:.1f} s" if stats.n_validity_fits else "")
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
    console.print(best_table(result, objective, TOP_DESIGNS))
    _say(f"[bold]best design:[/] {escape(objective.describe(result.best_design))}")
    console.print(f"[bold]best value:[/]  {result.best_value:.6g}")


TOP_DESIGNS = 5  # rows of the summary table after a run


def best_table(result: OptimizationResult, objective: Objective, n: int) -> Table:
    """The ``n`` best complete evaluations of a run, best first, as a rich table."""
    best = result.direction.ranked(result.history)[:n]
    table = Table(
        "rank", Column("value", no_wrap=True), "design", "evaluation",
        Column("source", no_wrap=True), title=f"best {len(best)}",
    )  # fmt: skip
    for rank, record in enumerate(best, start=1):
        order = result.history.index(record) + 1
        table.add_row(
            str(rank),
            f"{record.value:.6g}",
            escape(objective.describe(record.design)),
            str(order),
            record.source,
        )
    return table


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
        report=report.to_dict(),
    )
    console.print(
        f"trained in {time.perf_counter() - start:.1f} s ({len(report.train_loss)} epochs, "
        f"validation loss {min(report.validation_loss or report.train_loss):.3f}); saved {out}"
    )


ReadStorage = Annotated[
    str,
    typer.Option(help="The storage the runs are in: a file path or URL, as given to `lsbo run`."),
]
RunName = Annotated[
    str, typer.Argument(metavar="NAME", help="The run's name (`lsbo runs` lists them).")
]


def _existing_storage(text: str) -> RDBStorage:
    """A storage to read from: a missing file is an error, not a new empty database."""
    if text in IN_MEMORY:
        raise InvalidOptionError("--storage memory keeps nothing; give the file or URL of the runs")
    path = text.removeprefix("sqlite:///") if text.startswith("sqlite:///") else text
    if "://" not in path and not Path(path).expanduser().is_file():
        raise LsboError(
            f"no storage file {text!r}; `lsbo run` stores runs in {DEFAULT_STORAGE} in the "
            "folder it ran in, or where its --storage said"
        )
    return _open_storage(text)


@app.command("runs")
def list_runs(
    storage: ReadStorage = DEFAULT_STORAGE,
    delete: Annotated[
        list[str] | None,
        typer.Option("--delete", help="Delete this run (repeat for several).", show_default=False),
    ] = None,
    upgrade_models: Annotated[
        list[str] | None,
        typer.Option(
            "--upgrade-models",
            help="Rewrite the VAE this run stored with an older lsbo (pickled) in the "
            "current format (repeat for several). Only for a storage you trust: the old "
            "VAE is unpickled, which can run code.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """List the runs in a storage, with their progress and best value (or delete some,
    or upgrade their stored VAEs)."""
    from lsbo.api import delete_run
    from lsbo.api import list_runs as stored_runs

    store = _existing_storage(storage)
    for name in [*(delete or []), *(upgrade_models or [])]:
        _stored_run(store, storage, name)  # every name exists before any is changed
    for name in upgrade_models or []:
        _upgrade_models(store, name)
    for name in delete or []:
        delete_run(store, name)
        _say(f"deleted run {name!r} from {_shown(storage)}", markup=False)
    if delete or upgrade_models:
        return
    runs = stored_runs(store)
    if not runs:
        _say(f"no runs in {_shown(storage)}", markup=False)
        return
    table = Table(
        Column("objective", no_wrap=True), Column("strategy", no_wrap=True), "evaluations",
        "failed", Column("best", no_wrap=True), "updated",
    )  # fmt: skip
    table.columns.insert(0, Column("name", no_wrap=True))
    for run in runs:
        spec = (run.settings.get("metadata") or {}).get("objective_spec") or run.objective
        table.add_row(
            escape(run.name),
            escape(_label(str(spec))),
            run.strategy,
            f"{run.n_evaluated}" + (f" of {run.budget}" if run.budget else ""),
            str(run.counts.get("failed", 0)),
            "-" if run.best_value is None else f"{run.best_value:.6g}",
            time.strftime("%m-%d %H:%M", time.localtime(run.updated_at)),
        )
    console.print(table)


def _upgrade_models(store: RDBStorage, name: str) -> None:
    from lsbo.api import upgrade_run_models

    if upgrade_run_models(store, name):
        _say(f"upgraded the VAE of run {name!r} to the current model format", markup=False)
    else:
        _say(f"run {name!r} has no VAE of an older format: nothing to upgrade", markup=False)


def _run_task(settings: dict[str, Any]) -> ModuleType | None:
    """The task a run was made with, where it can still be loaded (``None`` when it was
    not made by `lsbo run`, or its file has moved or gone since)."""
    metadata = settings.get("metadata") or {}
    spec = metadata.get("objective_spec")
    if not spec:
        return None
    try:
        return _stored_task(metadata, spec)
    except LsboError:
        return None


def _quality_line(quality: Sequence[Any]) -> str:
    """How good the run's VAE is now (its latest assessment), and what it warns of."""
    if not quality:
        return "not assessed (a run stored by an older lsbo)"
    latest = quality[-1]
    after = f" (after {latest.retrainings} retrainings)" if latest.retrainings else ""
    poor = f"; poor: {', '.join(latest.problems())}" if latest.problems() else ""
    return f"{latest.summary()}{after}{poor}"


def _describer(task: ModuleType | None) -> Objective:
    """The task's objective (it shows designs best), else the base class, which shows a
    design as text."""
    from lsbo.objective import Objective

    return Objective() if task is None else task.OBJECTIVE()


@app.command()
def show(
    name: RunName,
    storage: ReadStorage = DEFAULT_STORAGE,
    top: Annotated[int, typer.Option(min=1, help="Best designs to show.")] = 10,
) -> None:
    """Show a run: its settings, its evaluations by state and its best designs."""
    from lsbo.api import load_run
    from lsbo.run_storage import load_stored_quality
    from lsbo.settings import strategy_name

    store = _existing_storage(storage)
    info = _stored_run(store, storage, name)
    result = load_run(store, name, with_model=False)
    counts, _ = store.summary(info.id, result.maximize)
    settings = info.settings
    metadata = settings.get("metadata") or {}
    _say(f"[bold]run {escape(name)}[/]")
    rows = {
        "objective": metadata.get("objective_spec") or settings.get("objective", "-"),
        "direction": "maximize" if result.maximize else "minimize",
        "strategy": strategy_name(settings),
        "seed": settings.get("seed", "-"),
        "budget": info.budget or "-",
        "latent dimension": (settings.get("options") or {}).get("latent_dim", "-"),
        "states": ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none",
        "VAE retrainings": result.stats.n_retrainings,
        "VAE": _quality_line(load_stored_quality(store, info)),
        "time": f"VAE {result.stats.vae_seconds:.1f} s, GP + acquisition "
        f"{result.stats.surrogate_seconds:.1f} s, objective {result.stats.objective_seconds:.1f} s",
        "created": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info.created_at)),
        "updated": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info.updated_at)),
    }
    if "designs" in metadata:
        rows["designs"] = metadata["designs"]
    for key, value in rows.items():  # lines, not a table: paths stay whole, to copy
        _say(f"{key + ':':<17} {escape(str(value))}")
    if result.best_record is None:
        console.print("no evaluation has completed yet")
        return
    console.print(best_table(result, _describer(_run_task(settings)), top))


class ExportFormat(StrEnum):
    """Formats of `lsbo export`."""

    csv = "csv"
    json = "json"


@app.command()
def export(
    name: RunName,
    storage: ReadStorage = DEFAULT_STORAGE,
    format: Annotated[
        ExportFormat, typer.Option("--format", help="csv or json.")
    ] = ExportFormat.csv,
    out: Annotated[
        Path | None,
        typer.Option(show_default=False, help="File to write (default: print to the terminal)."),
    ] = None,
) -> None:
    """Export every evaluation of a run (and the invalid decodes) as CSV or JSON."""
    from lsbo.api import load_run
    from lsbo.export import export_rows, write_csv, write_json

    store = _existing_storage(storage)
    _stored_run(store, storage, name)
    result = load_run(store, name, with_model=False)
    rows = export_rows(result)
    text = write_csv(rows) if format is ExportFormat.csv else write_json(rows)
    if out is None:
        sys.stdout.write(text)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    _say(f"wrote {len(rows)} rows of run {name!r} to {out}", markup=False)


@app.command()
def plot(
    name: RunName,
    storage: ReadStorage = DEFAULT_STORAGE,
    out: Annotated[Path, typer.Option(help="Folder for the figures (PNG and SVG).")] = Path(
        "lsbo-plots"
    ),
) -> None:
    """Draw a run: its history, its latent space, its best designs and the VAE's training."""
    from lsbo.api import load_run
    from lsbo.plotting import plot_run

    store = _existing_storage(storage)
    info = _stored_run(store, storage, name)
    result = load_run(store, name)
    task = _run_task(info.settings)
    objective = _describer(task)
    # without the task, the latent plot shows the evaluated designs only
    training = None if task is None else task.dataset().designs
    with console.status("drawing..."):
        written = plot_run(result, out / name, objective=objective, training_designs=training)
    for path in written:
        _say(str(path), markup=False)


if __name__ == "__main__":
    main()
