"""Paste today's generated code into the docs that print it.

`python tools/refresh_doc_listings.py` replaces every generated listing
(``def d_...`` blocks, in order) of docs/control-flow.md and
docs/performance.md with what tangent_ad generates now, for the functions
and arguments `tests/test_control_flow_docs.py` and
`tests/test_performance_docs.py` name (those tests fail when a listing is out
of date). Read the diff before committing: the prose may describe the old
code.
"""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import test_control_flow_docs  # noqa: E402
import test_performance_docs  # noqa: E402

LISTING = re.compile(r"^def d_\w+\(.*?(?=\n```)", re.S | re.M)


def refresh(doc, generated):
    blocks = iter(generated)
    text = LISTING.sub(lambda match: next(blocks), doc.read_text())
    doc.write_text(text)
    print(f"{doc.relative_to(ROOT)}: {len(generated)} listings refreshed")


def main():
    for module in (test_control_flow_docs, test_performance_docs):
        refresh(module.DOC, module.generated_listings())


if __name__ == "__main__":
    main()
