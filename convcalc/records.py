"""Frozen value classes, built without the start-up cost of :mod:`dataclasses`.

On Python 3.11 ``dataclasses`` costs about 14 ms to import (it pulls in ``inspect``)
and about 1 ms per class, because it compiles each class's methods from source
text. convcalc has some sixty frozen value classes (every layer spec, the rows and
reports), so on the CLI's path that was most of the start-up. :func:`record` gives
the same behaviour for the features convcalc uses (fields from annotations,
defaults, ``field(default_factory=…, init=False, repr=False, compare=False)``,
``__post_init__``, frozen instances, value equality and hashing, a field repr)
with shared methods and one small closure per class, so a class costs microseconds.
Records still answer to ``dataclasses.fields``, ``replace``, ``asdict`` and
``is_dataclass``: that view is built when first asked for.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs milliseconds at import; only the type checker needs it
    from collections.abc import Callable
    from typing import Any, TypeVar, dataclass_transform, overload

    T = TypeVar("T")
else:  # at run time the decorators below are plain functions; dataclass_transform only informs type checkers
    def dataclass_transform(**kwargs):
        return lambda function: function



class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class FrozenInstanceError(AttributeError):
    """Raised on an attempt to change a field of a record (records are immutable values)."""


class Field:
    """One field of a record: its name, default (or default factory) and flags."""

    __slots__ = ("name", "default", "default_factory", "init", "repr", "compare")

    def __init__(self, default: Any = MISSING, default_factory: Any = MISSING, init: bool = True,
                 repr: bool = True, compare: bool = True) -> None:
        self.name = ""
        self.default = default
        self.default_factory = default_factory
        self.init = init
        self.repr = repr
        self.compare = compare

    @property
    def required(self) -> bool:
        return self.default is MISSING and self.default_factory is MISSING

    def __repr__(self) -> str:
        return f"Field({self.name!r})"


def field(*, default: Any = MISSING, default_factory: Any = MISSING, init: bool = True, repr: bool = True,
          compare: bool = True) -> Any:
    """A field with options, as in a class body: ``rows: tuple = field(repr=False)``."""
    return Field(default, default_factory, init, repr, compare)


def fields(obj: Any) -> tuple[Field, ...]:
    """The fields of a record class or instance, in order (inherited ones first)."""
    try:
        return tuple(obj.__record_fields__.values())
    except AttributeError:
        raise TypeError(f"{obj!r} is not a record") from None


def _record_fields(cls: type) -> dict[str, Field]:
    """A record class's fields by name (``record`` sets them on the class)."""
    found: dict[str, Field] = getattr(cls, "__record_fields__")  # noqa: B009 - set by record(), unknown to checkers
    return found


def is_record(obj: Any) -> bool:
    return hasattr(obj, "__record_fields__")


def replace(obj: T, /, **changes: Any) -> T:
    """A copy of ``obj`` with some fields changed (built through ``__init__``, so it is checked again)."""
    for name, f in _record_fields(type(obj)).items():
        if f.init and name not in changes:
            changes[name] = getattr(obj, name)
        elif not f.init and name in changes:
            raise ValueError(f"field {name!r} is set by {type(obj).__name__} itself and cannot be replaced")
    return type(obj)(**changes)


class _DataclassView:
    """``__dataclass_fields__`` on a record class, made on first access: ``dataclasses.fields``,
    ``replace``, ``asdict`` and ``is_dataclass`` work on records as on frozen dataclasses, and only
    code that asks pays for importing :mod:`dataclasses`."""

    def __get__(self, instance: Any, owner: type) -> dict[str, Any]:
        import dataclasses

        view = {}
        for name, f in _record_fields(owner).items():
            shown: Any = dataclasses.field(
                default=dataclasses.MISSING if f.default is MISSING else f.default,
                default_factory=dataclasses.MISSING if f.default_factory is MISSING else f.default_factory,
                init=f.init, repr=f.repr, compare=f.compare)
            shown.name, shown.type = name, "Any"
            shown._field_type = getattr(dataclasses, "_FIELD")  # noqa: B009 - private: a plain field, as dataclasses marks its own
            view[name] = shown
        type.__setattr__(owner, "__dataclass_fields__", view)  # made once per class
        return view


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}: {type(self).__name__} is immutable")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}: {type(self).__name__} is immutable")


def _compared(self: Any) -> tuple[Any, ...]:
    return tuple(getattr(self, name) for name in type(self).__record_compare__)


def _eq(self: Any, other: Any) -> bool:
    if self is other:
        return True
    if type(other) is not type(self):
        return NotImplemented
    return _compared(self) == _compared(other)


def _hash(self: Any) -> int:
    return hash(_compared(self))


def _repr(self: Any) -> str:
    shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in type(self).__record_fields__.values() if f.repr)
    return f"{type(self).__qualname__}({shown})"


def _make_init(cls: type, all_fields: tuple[Field, ...]) -> Callable[..., None]:
    """``__init__`` taking the init fields positionally or by name, as a dataclass's would."""
    names = tuple(f.name for f in all_fields if f.init)
    defaults = {f.name: f.default for f in all_fields if f.init and f.default is not MISSING}
    factories = {f.name: f.default_factory for f in all_fields if f.init and f.default_factory is not MISSING}
    fixed = tuple((f.name, f.default, f.default_factory) for f in all_fields if not f.init)
    post_init = hasattr(cls, "__post_init__")
    set_ = object.__setattr__
    # For each number of positional arguments after which every field left has a plain default:
    # the (name, default) pairs to set. The common calls take this path and nothing else.
    tails = {given: tuple((n, defaults[n]) for n in names[given:]) for given in range(len(names) + 1)
             if all(n in defaults for n in names[given:])}

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        tail = None if kwargs else tails.get(len(args))
        if tail is None:
            problem = bind_error(type(self), args, kwargs)
            if problem:
                raise TypeError(f"{type(self).__name__}() {problem}")
            tail = tuple((n, kwargs[n] if n in kwargs else defaults[n] if n in defaults else factories[n]())
                         for n in names[len(args):])
        for name, value in zip(names, args):
            set_(self, name, value)
        for name, value in tail:
            set_(self, name, value)
        for name, default, factory in fixed:
            set_(self, name, default if factory is MISSING else factory())
        if post_init:
            self.__post_init__()

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    setattr(__init__, "__record_fields__", names)  # noqa: B010 - what init_parameters reads; unknown to checkers
    return __init__


def init_parameters(cls: type) -> tuple[str, ...] | None:
    """The parameter names of ``cls``'s constructor when :func:`record` wrote it, else ``None``."""
    return getattr(getattr(cls, "__init__"), "__record_fields__", None)  # noqa: B009 - mypy forbids cls.__init__


def bind_error(cls: type, args: tuple[Any, ...] | list[Any], kwargs: dict[str, Any]) -> str | None:
    """Why ``cls(*args, **kwargs)`` would not bind to a record-written constructor, or ``None`` if it would."""
    names = init_parameters(cls)
    assert names is not None, f"{cls.__name__} does not have a record constructor"
    if len(args) > len(names):
        return f"takes {len(names)} positional arguments but {len(args)} were given"
    for name in kwargs:
        if name not in names:
            return f"got an unexpected keyword argument {name!r}"
        if names.index(name) < len(args):
            return f"got multiple values for argument {name!r}"
    fields_ = _record_fields(cls)
    missing = [n for n in names[len(args):] if n not in kwargs and fields_[n].required]
    if missing:
        return f"missing required argument{'s' if len(missing) > 1 else ''}: {', '.join(map(repr, missing))}"
    return None


if TYPE_CHECKING:  # @record and @record(…), as type checkers should read them
    @overload
    def record(cls: type[T], /) -> type[T]: ...

    @overload
    def record(*, init: bool = True, repr: bool = True, eq: bool = True) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(field, Field))
def record(cls: type | None = None, *, init: bool = True, repr: bool = True, eq: bool = True) -> Any:
    """Make ``cls`` an immutable record of its annotated fields (use as ``@record`` or ``@record(…)``).

    ``init``, ``repr`` and ``eq`` add ``__init__``, ``__repr__`` and ``__eq__``/``__hash__``
    (over the fields with ``compare``) unless the class body defines its own. Annotations
    that start with ``ClassVar`` are class constants, not fields.
    """

    def build(cls: type) -> type:
        found: dict[str, Field] = {}
        for base in reversed(cls.__mro__[1:]):
            found.update(getattr(base, "__record_fields__", {}))
        own = cls.__dict__
        for name, annotation in own.get("__annotations__", {}).items():
            if str(annotation).startswith(("ClassVar", "typing.ClassVar")):
                continue
            value = own.get(name, MISSING)
            f = value if isinstance(value, Field) else Field(default=value)
            f.name = name
            if isinstance(value, Field):  # the class attribute is the plain default, as with dataclasses
                if f.default is MISSING:
                    delattr(cls, name)
                else:
                    setattr(cls, name, f.default)
            found[name] = f
        all_fields = tuple(found.values())
        # the methods are set on the class by name: what a decorator that writes a class does
        methods: dict[str, Any] = {"__record_fields__": found,
                                   "__record_compare__": tuple(f.name for f in all_fields if f.compare),
                                   "__setattr__": _frozen_setattr, "__delattr__": _frozen_delattr}
        if init and "__init__" not in own:
            methods["__init__"] = _make_init(cls, all_fields)
        if repr and "__repr__" not in own:
            methods["__repr__"] = _repr
        if eq and "__eq__" not in own:
            methods.update(__eq__=_eq, __hash__=_hash)
        if "__dataclass_fields__" not in own:
            methods["__dataclass_fields__"] = _DataclassView()
        for name, method in methods.items():
            setattr(cls, name, method)
        return cls

    return build if cls is None else build(cls)
