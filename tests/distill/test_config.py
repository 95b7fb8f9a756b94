"""DistillConfig validation and layer maps."""

from __future__ import annotations

import pytest

from distill.config import (
    DistillConfig,
    default_depth,
    every_other_layer,
    parse_layer_map,
    spread_layers,
)


def test_defaults_are_valid_and_frozen() -> None:
    config = DistillConfig()
    with pytest.raises(AttributeError):
        config.lr = 1.0  # type: ignore[misc]
    assert set(config.weights()) == {"ce", "mlm", "cos_token", "cos_sentence"}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"alpha_ce": -1.0},
        {"alpha_ce": 0, "alpha_mlm": 0, "alpha_cos_token": 0, "alpha_cos_sentence": 0},
        {"temperature": 0.0},
        {"lr": float("nan")},
        {"layer_map": (2, 0)},
        {"layer_map": ()},
        {"layer_map": (0, 0)},
        {"batch_size": 0},
        {"steps": None, "max_minutes": None},
        {"max_minutes": -5.0},
        {"mlm_probability": 1.5},
        {"init": "magic"},
        {"cache_teacher": "sometimes"},
        {"max_seq_length": 4},
        {"query_kinds": ()},
        {"query_kinds": ("title", "poem")},
    ],
)
def test_invalid_configs_raise(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        DistillConfig(**kwargs)


def test_a_zero_weight_switches_a_term_off() -> None:
    config = DistillConfig(alpha_cos_token=0.0)
    assert config.weights()["cos_token"] == 0.0


def test_layer_maps() -> None:
    assert every_other_layer(6) == (0, 2, 4)
    assert every_other_layer(12) == (0, 2, 4, 6, 8, 10)
    assert parse_layer_map("0, 2,4,7,9,11") == (0, 2, 4, 7, 9, 11)
    with pytest.raises(ValueError):
        parse_layer_map("0,x")
    assert spread_layers(6) == (0, 3, 5)
    assert spread_layers(12) == (0, 2, 4, 7, 9, 11)  # Hugging Face's DistilBERT map
    assert spread_layers(4, 1) == (3,) and spread_layers(4, 4) == (0, 1, 2, 3)
    assert spread_layers(6, 2) == (0, 5) and spread_layers(6, 5) == (0, 1, 3, 4, 5)
    assert DistillConfig().with_layers(6).layer_map == spread_layers(6, default_depth(6))
    assert DistillConfig().with_layers(12).layer_map == (0, 2, 4, 7, 9, 11)  # half: unmeasured
    assert DistillConfig(layers=3).with_layers(6).layer_map == (0, 3, 5)
    assert DistillConfig(layers=3, layer_map=(0, 4, 5)).with_layers(6).layer_map == (0, 4, 5)
    assert DistillConfig(layer_map=(0, 3, 5)).with_layers(6).layer_map == (0, 3, 5)
    with pytest.raises(ValueError, match="fewer layers than its teacher's 6"):
        DistillConfig(layers=6).with_layers(6)
    with pytest.raises(ValueError, match="layers must be >= 1"):
        DistillConfig(layers=0)
    with pytest.raises(ValueError, match="has 6 layers"):
        DistillConfig(layer_map=(0, 6)).with_layers(6)
