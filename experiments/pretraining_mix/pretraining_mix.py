"""Can pretraining plant a latent fixing skill? Build a tiny model whose later cycles change the
two-turn data mix, then probe it.

Every variant starts from the default recipe's cached first cycle (4000 one-turn steps) and adds
one or two warmup + cosine cycles of 2500 steps of 2048 tokens at lr 2e-3, 1 thread, differing only
in `DataMix.two_turn_fraction` (share of two-turn batches) and `DataMix.gold_first_fraction`
(share of two-turn traces whose turn 1 is the gold solution rather than a corrupted one). The
built model is cached like any recipe; the probe then measures it:

    python experiments/pretraining_mix/pretraining_mix.py --variant always-corrupted
    python experiments/probe_self_correction/probe.py --model "$(python experiments/pretraining_mix/pretraining_mix.py --variant always-corrupted --print-dir)"
"""

from __future__ import annotations

import argparse
import sys

from agents.tiny.build import TINY_RECIPE, ensure_tiny_model, tiny_model_dir
from agents.tiny.data import DataMix
from agents.tiny.pretrain import PretrainConfig

# name -> the DataMix of each cycle after the default first cycle, as (two_turn, gold_first)
VARIANTS: dict[str, tuple[tuple[float, float], ...]] = {
    "always-corrupted": ((0.3, 0.0),),
    "corrupted-4-in-5": ((0.3, 0.2),),
    "two-turn-70": ((0.7, 0.5),),
    "two-turn-100": ((1.0, 0.5),),
    "always-corrupted-then-fixes-only": ((0.3, 0.0), (1.0, 0.0)),
    "always-corrupted-then-fixes-50": ((0.3, 0.0), (0.5, 0.0)),
    "always-corrupted-then-fixes-70": ((0.3, 0.0), (0.7, 0.0)),
}


def recipe(variant: str) -> PretrainConfig:
    """The default first cycle, then one cycle per entry of VARIANTS[variant]."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}: expected one of {sorted(VARIANTS)}")
    config = TINY_RECIPE.init_from
    assert config is not None  # the default recipe is two cycles
    for two_turn, gold_first in VARIANTS[variant]:
        config = PretrainConfig(
            init_from=config,
            max_steps=2500,
            tokens_per_batch=2048,
            lr=2e-3,
            threads=1,
            mix=DataMix(two_turn_fraction=two_turn, gold_first_fraction=gold_first),
        )
    return config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variant", choices=sorted(VARIANTS), required=True)
    parser.add_argument(
        "--print-dir", action="store_true", help="print the model directory, build nothing"
    )
    args = parser.parse_args(argv)
    config = recipe(args.variant)
    print(tiny_model_dir(config) if args.print_dir else ensure_tiny_model(config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
