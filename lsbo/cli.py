"""The ``lsbo`` command: a thin shell over the library (typer + rich)."""

from __future__ import annotations

import os
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from lsbo.exceptions import LsboError

app = typer.Typer(
    help="Latent-space Bayesian optimization of strings and images.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()

Seed = Annotated[int, typer.Option(help="Seed of the run: same seed, same result on CPU.")]
Epochs = Annotated[int | None, typer.Option(help="VAE training epochs (default: the task's).")]
LatentDim = Annotated[int | None, typer.Option(help="VAE latent dimension (default: the task's).")]


def default_cache_dir() -> Path:
    """``$LSBO_CACHE_DIR``, else ``$XDG_CACHE_HOME/lsbo``, else ``~/.cache/lsbo``."""
    if os.environ.get("LSBO_CACHE_DIR"):
        return Path(os.environ["LSBO_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "lsbo"


def main() -> None:
    """Entry point of the console script: user errors print a message, not a traceback."""
    try:
        app()
    except LsboError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise SystemExit(1) from None


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


@app.command()
def run(
    name: Annotated[str, typer.Argument(help="A built-in objective (see `lsbo objectives`).")],
    budget: Annotated[int, typer.Option(min=1, help="Number of objective evaluations.")] = 100,
    seed: Seed = 0,
    batch_size: Annotated[int, typer.Option(min=1, help="Proposals per step (q).")] = 1,
    model: Annotated[Path | None, typer.Option(help="A VAE saved by `lsbo train`.")] = None,
    epochs: Epochs = None,
    latent_dim: LatentDim = None,
    cache_dir: Annotated[Path | None, typer.Option(help="Where trained VAEs are cached.")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Always train a new VAE.")] = False,
) -> None:
    """Optimize a built-in objective and print the best design found."""
    import objectives
    from lsbo.loop import Optimizer
    from lsbo.models import load_model

    task = objectives.load(name)
    data = task.dataset()
    options = _task_options(task, epochs, latent_dim, batch_size=batch_size)
    start = time.perf_counter()
    if model is not None:
        vae = load_model(model)
    else:
        cache = None if no_cache else cache_dir or default_cache_dir()
        vae = _task_model(task, name, data, options, seed, cache)
    optimizer = Optimizer(
        task.OBJECTIVE(), data.designs, scores=data.scores, model=vae, options=options, seed=seed
    )
    optimizer.stats.vae_seconds = time.perf_counter() - start  # training, or loading it
    result = _run_with_progress(optimizer, budget)
    _print_result(result, data.scores, optimizer.maximize)


def _run_with_progress(optimizer: Any, budget: int) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=console) as progress:
        bar = progress.add_task("evaluating", total=budget)

        def update(opt: Any, record: Any) -> None:
            best = opt.result().best_value
            shown = "-" if best is None else f"{best:.4g}"
            progress.update(bar, advance=1, description=f"best {shown}")

        return optimizer.run(budget, callbacks=[update])


def _print_result(result: Any, given: list[float | None] | None, maximize: bool) -> None:
    stats = result.stats
    known = [v for v in (given or []) if v is not None]
    n = len(result.history)
    console.print(f"evaluations: {n} ({result.n_failed} failed)")
    if known:
        start = max(known) if maximize else min(known)
        console.print(f"best of the {len(known):,} scored starting designs: {start:.4g}")
    considered = n + stats.n_rejected
    console.print(
        f"re-proposed: {stats.n_invalid} invalid and {stats.n_duplicate} duplicate decodes "
        f"({stats.n_rejected / max(considered, 1):.0%} of {considered} decoded proposals)"
    )
    console.print(
        f"time: VAE {stats.vae_seconds:.1f} s, GP + acquisition {stats.surrogate_seconds:.1f} s, "
        f"objective {stats.objective_seconds:.1f} s"
    )
    if result.best_record is None:
        console.print("[bold red]no evaluation completed[/]")
        raise typer.Exit(1)
    console.print(f"[bold]best design:[/] {result.best_design}")
    console.print(f"[bold]best value:[/]  {result.best_value:.6g}")


@app.command()
def train(
    name: Annotated[str, typer.Argument(help="A built-in objective (see `lsbo objectives`).")],
    out: Annotated[Path, typer.Option(help="File to write the trained VAE to.")],
    seed: Seed = 0,
    epochs: Epochs = None,
    latent_dim: LatentDim = None,
) -> None:
    """Pretrain the VAE of a built-in objective and save it for `lsbo run --model`."""
    import objectives
    from lsbo.models import fit_new_vae

    task = objectives.load(name)
    data = task.dataset()
    options = _task_options(task, epochs, latent_dim)
    start = time.perf_counter()
    with console.status(f"training the VAE on {len(data.designs):,} designs..."):
        codec = task.make_codec(data.designs)
        model, report = fit_new_vae(data.designs, codec, options.latent_dim, options.vae, seed)
    model.save(
        out,
        objective=name,
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
