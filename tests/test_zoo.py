"""The model registry, and every zoo entry against the parameter count its source publishes."""

from __future__ import annotations

import pytest

import convcalc as cc
from convcalc.models import registry


@pytest.mark.parametrize("name", cc.models.list())
def test_every_model_has_its_published_parameter_count(name: str) -> None:
    entry = registry.entry(name)
    report = cc.summary(name)
    assert report.totals.params == entry.params
    assert report.input_shape == entry.input_shape
    assert entry.source, "each model names its source in its docstring"


def test_lenet5_figures_by_hand() -> None:
    # conv1 6·(1·25)+6 = 156; conv2 16·(6·25)+16 = 2,416; fc 400·120+120 = 48,120; 120·84+84 = 10,164;
    # 84·10+10 = 850 → 61,706. MACs: 6·28²·25 = 117,600; 16·10²·150 = 240,000; 48,000+10,080+840
    report = cc.summary("lenet5")
    assert report.totals.params == 61_706
    assert report.totals.macs == 416_520
    assert report.output_shape == (10,)


def test_list_is_sorted_naturally_and_filters_by_glob() -> None:
    assert registry._natural("resnet18") < registry._natural("resnet50") < registry._natural("resnet101")
    assert sorted(["resnet101", "resnet50", "resnet18"], key=registry._natural) == ["resnet18", "resnet50", "resnet101"]
    assert cc.models.list("alex*") == ["alexnet"]
    assert "lenet5" in cc.models.list()


def test_unknown_model_suggests_close_names() -> None:
    with pytest.raises(cc.UnknownModelError) as caught:
        cc.models.get("alexnett")
    assert caught.value.suggestions == ("alexnet",)
    assert str(caught.value) == "unknown model 'alexnett'; did you mean alexnet? (`convcalc models` lists them all)"
    with pytest.raises(KeyError):
        cc.summary("nosuchnet")


def test_duplicate_registration_is_an_error() -> None:
    def alexnet() -> cc.Layer:  # same name as the zoo's
        return cc.ReLU()

    with pytest.raises(ValueError, match="registered twice"):
        registry.register(input_shape=(1,), params=0)(alexnet)


def test_overrides() -> None:
    model = cc.models.get("alexnet", num_classes=10)
    # the last layer becomes Linear(4096, 10): 4096·10 + 10 = 40,970 instead of 4,097,000
    assert cc.summary(model).totals.params == 62_378_344 - 4_097_000 + 40_970
    assert cc.models.get("lenet5", input_shape=(1, 36, 36)).input_shape == (1, 36, 36)
    with pytest.raises(cc.SpecError, match="does not take width"):
        cc.models.get("alexnet", width=2)
