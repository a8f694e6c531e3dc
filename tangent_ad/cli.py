"""Command line: print a generated derivative, or check one numerically.

    python -m tangent_ad show model.py:loss --wrt W,b
    python -m tangent_ad show model.py:loss --mode forward
    python -m tangent_ad check model.py:loss --shapes W=3,4 b=4 x=5,3 --wrt W,b

`show` prints the generated source; `check` calls the function on seeded
random inputs of the given shapes (`NAME=()` or `NAME=float` is a Python
float) and compares the generated gradient with central finite differences.
"""

import argparse
import importlib.util
import os
import sys

import numpy

from . import api, checking
from .errors import GradientCheckError, TangentADError
from .source import unwrap


def load(target):
    """The function named by ``path/to/file.py:function``."""
    if ":" not in target:
        raise SystemExit(f"expected FILE.py:FUNCTION, got {target!r}")
    path, name = target.rsplit(":", 1)
    if not os.path.exists(path):
        raise SystemExit(f"no such file: {path}")
    module_name = os.path.splitext(os.path.basename(path))[0]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    try:
        return getattr(module, name)
    except AttributeError:
        raise SystemExit(f"{path} has no function {name!r}") from None


def _wrt(text):
    if not text:
        return (0,)
    items = [item.strip() for item in text.split(",") if item.strip()]
    return tuple(int(item) if item.isdigit() else item for item in items)


def _inputs(fn, shapes, seed):
    """Random arguments in parameter order from NAME=D1,D2 specifications."""
    import inspect

    rng = numpy.random.default_rng(seed)
    signature = inspect.signature(unwrap(fn), follow_wrapped=False)  # (@ta.differentiate's function)
    params = list(signature.parameters)
    given = {}
    for spec in shapes:
        if "=" not in spec:
            raise SystemExit(f"expected NAME=SHAPE, got {spec!r}")
        name, shape = spec.split("=", 1)
        shape = shape.strip()
        if name not in params:
            raise SystemExit(f"{getattr(fn, '__name__', fn)} has no parameter {name!r} (it has {', '.join(params)})")
        if shape in ("", "()", "float"):
            given[name] = float(rng.normal())
            continue
        try:
            dims = tuple(int(d) for d in shape.split(",") if d.strip())
        except ValueError:
            raise SystemExit(f"expected a shape of whole numbers for {name}, like {name}=3,4; got {shape!r}") from None
        given[name] = rng.normal(size=dims)
    missing = [p for p in params if p not in given and signature.parameters[p].default is inspect._empty]
    if missing:
        raise SystemExit(f"give a shape for {', '.join(missing)} (e.g. {missing[0]}=3,4)")
    return [given[p] for p in params if p in given]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tangent_ad", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    show = commands.add_parser("show", help="print the generated derivative")
    show.add_argument("target", help="FILE.py:FUNCTION")
    show.add_argument("--wrt", default="", help="arguments to differentiate, by name or position")
    show.add_argument("--mode", choices=("reverse", "forward", "hvp"), default="reverse")
    show.add_argument("--shapes", nargs="*", default=(), help="example shapes NAME=D1,D2 (specialises)")
    check = commands.add_parser("check", help="compare the gradient with finite differences")
    check.add_argument("target", help="FILE.py:FUNCTION")
    check.add_argument("--wrt", default="")
    check.add_argument("--shapes", nargs="*", default=(), help="NAME=D1,D2 for each argument")
    check.add_argument("--seed", type=int, default=0)
    check.add_argument("--rtol", type=float, default=1e-5)
    check.add_argument("--atol", type=float, default=1e-7)
    args = parser.parse_args(argv)
    fn = load(args.target)
    try:
        if args.command == "show":
            make = {"reverse": api.grad, "forward": api.jvp, "hvp": api.hvp}[args.mode]
            derivative = make(fn, _wrt(args.wrt))
            if args.shapes:
                example = _inputs(fn, args.shapes, 0)
                print(derivative.source(*example))
            else:
                print(derivative.source())
            return 0
        inputs = _inputs(fn, args.shapes, args.seed)
        report = checking.check_grad(fn, *inputs, wrt=_wrt(args.wrt), rtol=args.rtol, atol=args.atol)
        print(f"{args.target}: gradient matches finite differences\n{report}")
        return 0
    except GradientCheckError as err:
        print(err, file=sys.stderr)
        return 1
    except TangentADError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
