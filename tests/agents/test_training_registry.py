"""The method registry: config parsing imports only config dataclasses (no trainer, no torch),
building a run imports the builder, and a method outside the package is named by its spec."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from agents.methods.pair_sft import PairSFT
from agents.methods.pair_sft_config import PairSFTConfig
from agents.methods.star import Star
from agents.methods.star_config import StarConfig
from agents.training.catalog import METHODS, method_config_cls
from agents.training.config import load_config
from agents.training.registry import MethodSpec, get_method, method_names

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
_PARSE_ONLY = """
import json, pathlib, sys
import agents.training.config as config
for method in ("score", "star", "pair_sft"):
    config.load_config(None, [f"run.method={method}"])
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.yaml")):
    config.load_config(path)
print(json.dumps(sorted(m for m in sys.modules if m == "torch" or m.startswith("agents."))))
"""


def test_parsing_every_method_config_imports_no_trainer_and_no_torch() -> None:
    """The defaults of each method and every shipped config, in a fresh interpreter."""
    out = subprocess.run(
        [sys.executable, "-c", _PARSE_ONLY, str(CONFIGS)],
        check=True,
        capture_output=True,
        text=True,
    )
    loaded = set(json.loads(out.stdout))
    assert "agents.methods.score.config" in loaded  # the config really was resolved
    heavy = {"torch", "agents.training.method", "agents.training.registry", "agents.policy.policy"}
    heavy |= {"agents.methods.score.trainer", "agents.methods.star", "agents.methods.pair_sft"}
    assert not loaded & heavy


def test_registered_methods_resolve_to_their_config_and_builder() -> None:
    assert set(method_names()) == {"pair_sft", "score", "star"}
    star = get_method("star")
    assert (star.config_cls, star.build) == (StarConfig, Star) and get_method("star") is star
    assert (get_method("pair_sft").config_cls, get_method("pair_sft").build) == (
        PairSFTConfig,
        PairSFT,
    )
    for name in METHODS:
        assert method_config_cls(name) is get_method(name).config_cls


def test_a_method_outside_the_package_is_named_by_its_spec() -> None:
    from training_fixtures import GOLD_SFT, GoldConfig

    assert isinstance(GOLD_SFT, MethodSpec)
    assert get_method("training_fixtures:GOLD_SFT") is GOLD_SFT
    cfg = load_config(None, ["run.method=training_fixtures:GOLD_SFT"])
    assert isinstance(cfg.method, GoldConfig)


@pytest.mark.parametrize(
    ("name", "error", "message"),
    [
        ("ppo", ValueError, r"unknown method 'ppo'; expected one of \['pair_sft', 'score'"),
        ("agents.methods.star:StarConfig", TypeError, "expected a MethodSpec"),
        ("agents.methods.star:SPEC", ValueError, r"removed; use .*get_method\('star'\)"),
        ("agents.methods.pair_sft:SPEC", ValueError, r"removed; use .*get_method\('pair_sft'\)"),
        ("agents.methods.score.trainer:SPEC", ValueError, r"removed; use .*get_method\('score'\)"),
    ],
)
def test_bad_method_names_are_named(name: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        get_method(name)
    with pytest.raises(error, match=message):
        load_config(None, [f"run.method={name}"])


def test_score_config_parses_kl_penalty_into_its_enum() -> None:
    from agents.methods.score.config import KLPenalty

    config = load_config(None, ["run.method=score", "method.kl_penalty=loss"])
    assert config.method.kl_penalty is KLPenalty.LOSS
