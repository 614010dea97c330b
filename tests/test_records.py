"""convcalc.records behaves as a frozen dataclass does: dataclasses itself is the oracle.

Each class is written twice, once with ``@dataclasses.dataclass(frozen=True)`` and once with
``@record``, and both are called the same ways: what the calls build, what they refuse, how
the instances compare, hash, print and copy must agree.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
from typing import Any, ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

import convcalc as cc
from convcalc import records
from convcalc.records import record


def _pair(kind: str) -> tuple[type, type]:
    """The same class body as a frozen dataclass and as a record."""

    def body(decorate: Any, field: Any) -> type:
        if kind == "plain":
            class Plain:
                a: int
                b: str = "x"
                c: tuple[int, ...] = ()
                limit: ClassVar[int] = 3
            return decorate(Plain)  # type: ignore[no-any-return]

        class Options:
            a: int
            hidden: int = field(default=0, compare=False, repr=False)
            made: list[int] = field(default_factory=list, compare=False)
            fixed: int = field(default=7, init=False)

            def __post_init__(self) -> None:
                object.__setattr__(self, "a", self.a * 2)  # normalises, as layers do
        return decorate(Options)  # type: ignore[no-any-return]

    return body(dataclasses.dataclass(frozen=True), dataclasses.field), body(record, records.field)


CALLS = st.tuples(
    st.lists(st.sampled_from([-2, 1, "y", (1, 2)]), max_size=4),
    st.dictionaries(st.sampled_from(["a", "b", "c", "hidden", "made", "fixed", "nope", "limit"]),
                    st.sampled_from([-3, 2, "z", ()]), max_size=3),
)


def _outcome(cls: type, args: list[Any], kwargs: dict[str, Any]) -> Any:
    try:
        obj = cls(*args, **kwargs)
    except TypeError:
        return TypeError
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}


@pytest.mark.parametrize("kind", ["plain", "options"])
@given(call=CALLS)
def test_construction_matches_dataclasses(kind: str, call: tuple[list[Any], dict[str, Any]]) -> None:
    theirs, ours = _pair(kind)
    args, kwargs = call
    expected = _outcome(theirs, args, dict(kwargs))
    assert _outcome(ours, args, dict(kwargs)) == expected
    if ours.__init__.__record_fields__ is not None:  # bind_error predicts exactly the refusals
        assert (records.bind_error(ours, args, kwargs) is not None) == (expected is TypeError)


@pytest.mark.parametrize("kind", ["plain", "options"])
def test_equality_hash_repr_copy_and_pickle_match(kind: str) -> None:
    theirs, ours = _pair(kind)
    for a, b in [(theirs(1), theirs(1)), (ours(1), ours(1))]:
        assert a == b and hash(a) == hash(b) and a is not b
        assert a != type(a)(2)
        assert copy.deepcopy(a) == a
    assert repr(ours(1)).split("(", 1)[1] == repr(theirs(1)).split("(", 1)[1]
    if kind == "options":  # compare=False fields are left out of equality, repr=False ones out of repr
        assert ours(1, hidden=5) == ours(1, hidden=6) and "hidden" not in repr(ours(1))
        assert ours(-4).a == -8 and ours(1).fixed == 7 and ours(1).made == [] and ours(1).made is not ours(1).made


def test_records_are_frozen_and_answer_to_dataclasses() -> None:
    conv = cc.Conv2d(3, 8, 3)
    with pytest.raises(records.FrozenInstanceError):
        conv.stride = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del conv.stride
    assert dataclasses.is_dataclass(conv)
    assert [f.name for f in dataclasses.fields(conv)][:3] == ["in_channels", "out_channels", "kernel_size"]
    assert dataclasses.replace(conv, stride=2) == cc.Conv2d(3, 8, 3, stride=2)
    assert dataclasses.asdict(cc.Linear(4, 2))["out_features"] == 2
    with pytest.raises(ValueError, match="output_size"):  # set by GlobalAvgPool2d itself, as init=False
        records.replace(cc.GlobalAvgPool2d(), output_size=2)
    assert records.replace(conv, padding=1) == cc.Conv2d(3, 8, 3, padding=1)
    assert pickle.loads(pickle.dumps(conv)) == conv and copy.deepcopy(cc.summary("lenet5")).rows[0].params == 156
    # 156 = 6 filters × (1·5·5 weights + 1 bias), LeNet-5's C1 (seed 003)


def test_a_subclass_overrides_a_default_in_place() -> None:
    @record
    class Base:
        a: int
        b: int = 1

    @record
    class Child(Base):
        b: int = 2
        c: int = 3

    assert [f.name for f in records.fields(Child)] == ["a", "b", "c"]
    assert Child(0) == Child(0, 2, 3) and Base(0).b == 1
