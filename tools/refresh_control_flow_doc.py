"""Paste today's generated code into docs/control-flow.md.

`python tools/refresh_control_flow_doc.py` replaces every generated listing
(``def d_...`` blocks, in order) with what tangent_ad generates now for the
examples in `tests/control_flow_examples.py`, as `tests/test_control_flow_docs.py`
checks. Read the diff before committing: the doc's prose may describe the
old code.
"""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import tangent_ad as ta  # noqa: E402
import control_flow_examples as examples  # noqa: E402
from test_control_flow_docs import DOC, LISTINGS  # noqa: E402


def main():
    args = examples.example_arguments()
    generated = []
    for name, wrt, specialised in LISTINGS:
        df = ta.grad(getattr(examples, name), wrt=wrt)
        generated.append((ta.source(df, *args[name]) if specialised else ta.source(df)).strip())
    text = DOC.read_text()
    blocks = iter(generated)
    text = re.sub(r"^def d_\w+\(.*?(?=\n```)", lambda match: next(blocks), text, flags=re.S | re.M)
    DOC.write_text(text)
    print(f"{DOC.relative_to(ROOT)}: {len(generated)} listings refreshed")


if __name__ == "__main__":
    main()
