"""Grammar VAE against the token VAE on arithmetic expressions: validity and reconstruction.

Both VAEs train on the same expressions (the expression task's grammar, drawn by
``objectives.expression.generate_expressions``) with the same settings; the table gives
the share of 1,000 decoded prior samples that are valid expressions, the share of
held-out expressions decoded back exactly from their encoding's mean, and the training
time. Writes its section of RESULTS.md.

Run: python benchmarks/grammar_codec.py [--designs 5000] [--epochs 20] [--latent-dim 25]
"""

from __future__ import annotations

import argparse
import time

import torch
from _results import machine, write_section  # benchmarks/ is on the path when run

from lsbo.models import TrainingOptions, fit_new_vae
from lsbo.representations import GrammarCodec, TokenCodec
from lsbo.representations.grammar import EXPRESSION_GRAMMAR
from objectives.expression import generate_expressions, is_valid_expression

HEADING = "## Grammar VAE against the token VAE (expressions)"


def measure(name: str, codec, train, held, latent_dim: int, epochs: int) -> str:
    start = time.perf_counter()
    options = TrainingOptions(epochs=epochs)
    model, _ = fit_new_vae(train, codec=codec, latent_dim=latent_dim, options=options, seed=0)
    seconds = time.perf_counter() - start
    prior = model.decode(torch.randn(1000, latent_dim, generator=torch.Generator().manual_seed(1)))
    valid = sum(is_valid_expression(d) for d in prior) / len(prior)
    mean, _ = model.encode(held)
    exact = sum(a == b for a, b in zip(model.decode(mean), held, strict=True)) / len(held)
    return f"| {name} | {valid:.1%} | {exact:.1%} | {len(set(prior))} | {seconds:.0f} s |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--designs", type=int, default=5000)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--latent-dim", type=int, default=25)
    args = parser.parse_args()
    torch.set_num_threads(1)
    designs = generate_expressions(args.designs + 1000, seed=0)
    train, held = designs[: args.designs], designs[args.designs :]
    tokens = TokenCodec.from_designs(designs, tokenizer=r"sin\(|exp\(|.")
    grammar = GrammarCodec.from_designs(designs, grammar=EXPRESSION_GRAMMAR)
    rows = [
        measure(name, codec, train, held, args.latent_dim, args.epochs)
        for name, codec in (("tokens (GRU)", tokens), ("grammar (GRU)", grammar))
    ]
    text = (
        f"{HEADING}\n\n`python benchmarks/grammar_codec.py --designs {args.designs} "
        f"--epochs {args.epochs} --latent-dim {args.latent_dim}`; {machine()}.\n\n"
        "| codec | valid prior samples | held-out exact | distinct of 1,000 prior | training |\n"
        "|---|---|---|---|---|\n" + "\n".join(rows) + "\n"
    )
    print(text)
    write_section(HEADING, text)


if __name__ == "__main__":
    main()
