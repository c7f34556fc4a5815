"""Codecs and their functions as plain data, so a model file never holds pickled objects.

A codec saves as :meth:`Codec.to_config`: a dict of str, int, float, bool, None, lists
and dicts, whose ``"kind"`` names a class registered here. :func:`codec_from_config`
rebuilds it through that explicit registry; no class is imported by a name read from a
file. A tokenizer or validator function saves as its ``"module:qualname"`` reference
(``functools.partial`` with plain arguments too) and is called again after loading only
when

- it was registered in this process with :func:`register_function` (lsbo's and the
  built-in objectives' functions register themselves when their module is imported;
  only those registered ones of lsbo's own modules are ever called), or
- the caller allowed its module, e.g. ``load_model(path, allowed_modules=["mypkg"])``.

Your own codec class saves once registered with :func:`register_codec` (in the module
that defines it, so that importing that module before loading registers it again).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import re
import sys
import types
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import torch

from lsbo.exceptions import InvalidOptionError, ModelFileError

if TYPE_CHECKING:
    from lsbo.representations.base import Codec

C = TypeVar("C", bound="type[Codec]")
F = TypeVar("F", bound=Callable[..., Any])

_CODECS: dict[str, type[Codec]] = {}
_FUNCTIONS: dict[str, Callable[..., Any]] = {}
# packages whose registered functions load without being allowed: lsbo's own code
_OWN = ("lsbo", "objectives")
_MODULE = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
_SCALARS = (str, int, float, bool, type(None))


def register_codec(cls: C, kind: str | None = None) -> C:
    """Let models whose codec is of class ``cls`` be saved and loaded (usable as a
    decorator).

    The class saves with its :meth:`~Codec.to_config` and loads with its
    :meth:`~Codec.from_config`; a subclass of a built-in codec inherits both, which
    suit it when its constructor takes the same arguments. Register the class in the
    module that defines it, and import that module before loading a model that uses it.

    Args:
        cls: A :class:`Codec` subclass.
        kind: The name saved in model files (default: the class's name).

    Raises:
        InvalidOptionError: Another class is registered under that name.
    """
    name = kind or cls.__name__
    known = _CODECS.get(name)
    if known is not None and known is not cls and _reference(known) != _reference(cls):
        raise InvalidOptionError(
            f"the codec kind {name!r} is registered to {_reference(known)} already; "
            f"register {_reference(cls)} with another kind, register_codec(cls, kind=...)"
        )
    _CODECS[name] = cls
    return cls


def codec_kind(codec: Codec) -> str:
    """The registered kind of ``codec``'s exact class (what its saved config names).

    Raises:
        ModelFileError: The class is not registered: the message says how to register it.
    """
    cls = type(codec)
    for name, known in _CODECS.items():
        if known is cls:
            return name
    raise ModelFileError(
        f"cannot save a model whose codec is a {cls.__qualname__}: lsbo saves codecs as "
        f"plain data, by a registered kind. Register the class with "
        f"lsbo.representations.register_codec({cls.__name__}) in the module that defines "
        "it (its to_config() must give plain data that its from_config() rebuilds it from)"
    )


def codec_to_config(codec: Codec) -> dict[str, Any]:
    """What a model file keeps of ``codec``: its :meth:`~Codec.to_config` and the module
    that defines its class (``"module"``, unless the config names one itself), which
    :func:`codec_from_config` imports where the kind is not registered yet and the module
    is lsbo's own."""
    return {"module": type(codec).__module__, **codec.to_config()}


def codec_from_config(config: Any, allowed_modules: Iterable[str] = ()) -> Codec:
    """Rebuild a codec from :meth:`Codec.to_config`, choosing its class by ``"kind"``.

    A kind that is not registered yet is looked up once more after importing the
    config's ``"module"``, where that is one of lsbo's own (``lsbo.*``,
    ``objectives.*``), so that a built-in task's codec loads without importing its task
    first; no other module is imported.

    Args:
        config: The plain-data config read from a model file.
        allowed_modules: Modules (or packages) whose functions a tokenizer or validator
            may name besides the registered ones; only for files you trust.

    Raises:
        ModelFileError: An unknown kind, settings that do not rebuild it, or a function
            that is neither registered nor in an allowed module.
        MissingDependencyError: The codec needs a package that is not installed.
    """
    if not isinstance(config, dict) or not isinstance(config.get("kind"), str):
        raise ModelFileError(f"the codec settings are not a dict with a 'kind': {config!r:.80}")
    kind, module = config["kind"], config.get("module")
    cls = _CODECS.get(kind)
    if cls is None and isinstance(module, str) and _MODULE.fullmatch(module) and _is_own(module):
        with contextlib.suppress(ImportError):
            importlib.import_module(module)  # lsbo's own code: importing it registers
        cls = _CODECS.get(kind)
    if cls is None:
        raise ModelFileError(
            f"the model's codec is of kind {kind!r}, which is not registered in this "
            f"process (known: {', '.join(sorted(_CODECS))}); if it is your own codec "
            "class, import the module that registers it (register_codec) before loading"
        )
    try:
        return cls.from_config(config, allowed_modules=tuple(allowed_modules))
    except (TypeError, ValueError, KeyError) as exc:
        raise ModelFileError(
            f"the saved settings do not rebuild a {kind} ({type(exc).__name__}: {exc})"
        ) from None


def register_function(function: F) -> F:
    """Let a module-level tokenizer or validator load from model files without being
    allowed by the caller (usable as a decorator).

    Registration lives in this process: register the function in the module that
    defines it, so importing that module before loading registers it again.

    Raises:
        ModelFileError: ``function`` is a lambda, a nested function or not a function.
    """
    # as a decorator it runs before the module binds the name: no look-up here
    _FUNCTIONS[_function_reference(function, reachable=False)] = function
    return function


def function_to_config(function: Callable[..., Any]) -> dict[str, Any]:
    """A function as plain data: ``{"function": "module:qualname"}``, plus ``"args"``
    and ``"keywords"`` for a ``functools.partial``.

    Raises:
        ModelFileError: A lambda, a nested or unimportable function, a partial with
            arguments that are not plain data, or an unregistered function of lsbo's
            own modules.
    """
    if isinstance(function, functools.partial):
        config = {"function": _function_reference(function.func)}
        config["args"] = plain(list(function.args), "the arguments of functools.partial")
        config["keywords"] = plain(dict(function.keywords), "the keywords of functools.partial")
        _check_saved(config["function"])
        return config
    reference = _function_reference(function)
    _check_saved(reference)
    return {"function": reference}


def function_from_config(config: Any, allowed_modules: Iterable[str] = ()) -> Callable[..., Any]:
    """The function :func:`function_to_config` saved, if it may run here.

    Args:
        config: The saved dict.
        allowed_modules: Modules (or packages) whose functions may be imported; a
            registered function needs none.

    Raises:
        ModelFileError: The function is neither registered nor in an allowed module (the
            message says how to allow it), or the saved data is malformed.
    """
    reference = config.get("function") if isinstance(config, dict) else None
    module, _, qualname = str(reference).partition(":")
    if not (
        isinstance(reference, str) and _MODULE.fullmatch(module) and _MODULE.fullmatch(qualname)
    ):
        raise ModelFileError(f"a saved function reference is malformed: {config!r:.80}")
    function = _resolve(reference, module, qualname, tuple(allowed_modules))
    args, keywords = config.get("args", []), config.get("keywords", {})
    if not args and not keywords:
        return function
    if not isinstance(args, list) or not isinstance(keywords, dict):
        raise ModelFileError(f"the saved arguments of {reference} are malformed")
    return functools.partial(function, *args, **keywords)


def plain(value: Any, where: str, tensors: bool = False) -> Any:
    """``value`` if it is plain data (str, int, float, bool, None, and lists, tuples and
    dicts of them with str or int keys); numpy scalars and subclasses of Python's
    scalars are turned into Python's own.

    Args:
        value: What to check.
        where: Its name in the error message.
        tensors: Also accept torch tensors (what model metadata such as an
            optimizer's state holds).

    Raises:
        ModelFileError: Anything else, naming where it is and its type.
    """
    if type(value) in _SCALARS or (tensors and isinstance(value, torch.Tensor)):
        return value
    if type(value).__module__ == "numpy" and getattr(value, "shape", None) == ():
        return plain(value.item(), where)  # a numpy scalar, e.g. a loss computed with numpy
    for scalar in (bool, int, float, str):
        if isinstance(value, scalar):  # a subclass (an IntEnum, a str subclass) would pickle
            return scalar(value)
    if isinstance(value, (list, tuple)):
        items = [plain(item, f"{where}[{i}]", tensors) for i, item in enumerate(value)]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise ModelFileError(f"{where} has the key {key!r}; keys must be str or int")
        return {key: plain(item, f"{where}[{key!r}]", tensors) for key, item in value.items()}
    raise ModelFileError(
        f"{where} is a {type(value).__qualname__}; a model file keeps only plain data "
        f"(str, int, float, bool, None{', tensors' if tensors else ''}, and lists, tuples "
        "and dicts of them)"
    )


def setting(config: dict[str, Any], key: str, *types_: type) -> Any:
    """``config[key]`` if it is one of ``types_`` (what a codec's ``from_config`` reads).

    Raises:
        ModelFileError: It is missing or of another type.
    """
    if key not in config:
        raise ModelFileError(f"the saved codec settings lack {key!r}")
    value = config[key]
    if not isinstance(value, types_):
        names = " or ".join("None" if t is type(None) else t.__name__ for t in types_)
        raise ModelFileError(
            f"the saved codec setting {key!r} should be {names}, got {type(value).__name__}"
        )
    return value


def _function_reference(function: Any, reachable: bool = True) -> str:
    qualname = getattr(function, "__qualname__", "")
    if not isinstance(function, types.FunctionType) or "<" in qualname:
        raise ModelFileError(
            f"cannot save {function!r}: a codec's tokenizer or validator must be a regular "
            "expression or a module-level function (a `def` at the top of a module, not "
            "a lambda, a method or a nested function), optionally in a functools.partial "
            "with plain arguments"
        )
    reference = f"{function.__module__}:{qualname}"
    if reachable and _lookup(sys.modules.get(function.__module__), qualname) is not function:
        raise ModelFileError(
            f"cannot save the function {reference}: it is not reachable under that "
            "name in its module; define it at the top of a module"
        )
    return reference


def _check_saved(reference: str) -> None:
    module = reference.partition(":")[0]
    if _is_own(module) and reference not in _FUNCTIONS:
        raise ModelFileError(
            f"cannot save the function {reference}: a function of lsbo's own modules "
            "loads from model files only when registered; decorate it with "
            "@lsbo.representations.register_function"
        )


def _resolve(
    reference: str, module: str, qualname: str, allowed: tuple[str, ...]
) -> Callable[..., Any]:
    if reference in _FUNCTIONS:
        return _FUNCTIONS[reference]
    if _is_own(module):
        with _importing(reference):
            importlib.import_module(module)  # lsbo's own code: importing it registers
        if reference in _FUNCTIONS:
            return _FUNCTIONS[reference]
        raise ModelFileError(
            f"the model's codec names the function {reference}, which is not registered "
            "for model files (lsbo.representations.register_function), so lsbo does not "
            "call it"
        )
    if any(module == m or module.startswith(m + ".") for m in allowed):
        with _importing(reference):
            function = _lookup(importlib.import_module(module), qualname)
        # only a function defined there, not a name it imported (e.g. os.system)
        if (
            isinstance(function, types.FunctionType)
            and function.__module__ == module
            and function.__qualname__ == qualname
        ):
            return function
        raise ModelFileError(f"{reference} is not a function defined in {module}")
    raise ModelFileError(
        f"the model's codec uses the function {reference}, which lsbo does not import "
        "from a model file on its own (that could run any code the file names). If you "
        f"trust the file, allow its module: load_model(path, allowed_modules=[{module!r}]), "
        f"or register the function first: lsbo.representations.register_function"
        f"({qualname.rpartition('.')[2]})"
    )


@contextmanager
def _importing(reference: str) -> Iterator[None]:
    try:
        yield
    except ImportError as exc:
        raise ModelFileError(f"cannot import the function {reference}: {exc}") from None


def _lookup(module: Any, qualname: str) -> Any:
    target = module
    for part in qualname.split("."):
        target = getattr(target, part, None)
    return target


def _is_own(module: str) -> bool:
    return module.split(".")[0] in _OWN


def _reference(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"
