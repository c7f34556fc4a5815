"""The report: the markdown table, the RESULTS.md section and a report from run files."""

from __future__ import annotations

import dataclasses

from _results import RESULTS
from harness import Task, report, run_path, section, table, write_run

from tests.benchmarks.helpers import make_run

TASK = Task(
    name="toy",
    title="Toy: strategies on a toy task",
    threshold=3.0,
    published={"plain": (3.0, 0.5)},
    source="A paper",
    target=(">=", 4.0),
)


def toy_runs() -> dict[str, list[dict]]:
    return {
        "plain": [
            make_run([1.0, 2.0, 3.0, 4.0], seed=0),
            make_run([2.0, 2.0, None, 2.0], seed=1),
            make_run([None, 5.0], seed=2, stopped="LsboError: no new design"),
        ],
        "random": [make_run([0.5, None, 0.25, 0.5], strategy="random", seconds={"total": 250.0})],
    }


def rows(markdown: str) -> dict[str, dict[str, str]]:
    """The table's cells by row label and column header."""
    lines = [line for line in markdown.splitlines() if line.startswith("|")]
    headers = [cell.strip() for cell in lines[0].strip("|").split("|")]
    out = {}
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        out[cells[0]] = dict(zip(headers, cells, strict=True))
    return out


def test_table_cells_are_mean_and_standard_error_over_seeds():
    cells = rows(table(TASK, toy_runs()))
    plain, random = cells["plain"], cells["random"]
    assert list(cells) == ["plain", "random"]
    assert plain["seeds"] == "3"
    # after 4 evaluations: seeds 0 and 1 (4 and 2); seed 2 stopped after 2, so "(2)"
    assert plain["best after 4"] == "3 ± 1 (2)"  # sample std of 4 and 2 is sqrt(2)
    assert random["best after 4"] == "0.5"  # one seed: no standard error
    assert plain["published (500)"] == "3 ± 0.5"
    assert random["published (500)"] == "-"


def test_table_counts_evaluations_to_reach_the_threshold():
    cells = rows(table(TASK, toy_runs()))
    reach = "evaluations to reach 3: median (seeds)"
    assert cells["plain"][reach] == "3 (2/3)"  # seeds reach it after 3, never, 2
    assert cells["random"][reach] == "> 4 (0/1)"


def test_table_shows_mean_times_and_the_size_bounded_best():
    runs = toy_runs()
    runs["plain"][0]["extras"]["sizes"] = [10, 10, 10, 30]  # its 4.0 is too large
    cells = rows(table(dataclasses.replace(TASK, size_name="atoms"), runs, 20))
    assert cells["plain"]["best with <= 20 atoms"] == "3 (1)"
    assert cells["plain"]["total s"] == "4.0"
    assert cells["plain"]["VAE s in run"] == "-"
    assert cells["random"]["total s"] == "250"


def test_section_has_the_heading_the_command_the_table_and_the_figure():
    figure = RESULTS.parent / "figures" / "toy.png"
    text = section(TASK, toy_runs(), "python benchmarks/toy.py", figure, "## Toy", "Data.")
    assert text.startswith("## Toy\n\n`python benchmarks/toy.py` on ")
    assert "![toy: best value so far](figures/toy.png)" in text
    assert table(TASK, toy_runs()) in text
    prose = " ".join(text.split())
    assert "Runs that stopped before their budget: plain seed 2 after 2 (LsboError" in prose
    assert "Published: A paper. lsbo's target: >= 4." in prose
    assert "maximized" in prose and "Data." in prose


def test_section_names_the_machines_its_runs_were_made_on():
    runs = toy_runs()
    for r in runs["plain"]:
        r["machine"] = "2 CPU cores (AMD EPYC), Python 3.11.7, torch 2.13.0+cpu (1 threads)"
    figure = RESULTS.parent / "figures" / "toy.png"
    text = " ".join(section(TASK, runs, "cmd", figure, "## Toy", "Data.").split())
    # the random run records no machine
    assert (
        "The runs were made on several machines (2 CPU cores (AMD EPYC): plain; "
        "an unrecorded machine: random)." in text
    )
    runs["random"][0]["machine"] = "2 CPU cores (AMD EPYC), Python 3.12.1, torch 2.13.0+cpu"
    text = " ".join(section(TASK, runs, "cmd", figure, "## Toy", "Data.").split())
    assert "The runs were made on 2 CPU cores (AMD EPYC)." in text


def test_report_from_a_runs_folder_writes_the_figure_and_leaves_results_alone(tmp_path):
    runs_dir, figures = tmp_path / "runs", tmp_path / "figures"
    for label, runs in toy_runs().items():
        for run in runs:
            write_run(run_path(runs_dir, "toy", label, run["seed"]), run)
    before = RESULTS.read_bytes()
    text = report(TASK, runs_dir, figures, "python benchmarks/toy.py --report-only", write=False)
    assert text is not None
    assert list(rows(text)) == ["plain", "random"]
    assert rows(text)["plain"]["best after 4"] == "3 ± 1 (2)"
    assert text.startswith(f"## {TASK.title}\n")
    assert (figures / "toy.png").stat().st_size > 0 and (figures / "toy.svg").exists()
    assert RESULTS.read_bytes() == before
    assert report(TASK, tmp_path / "empty", figures, "cmd", write=False) is None
