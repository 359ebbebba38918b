"""``python -m localcloud.stack [--check]``: refresh (or only check) the committed translation of template.yaml.

Run it after editing template.yaml (it needs the SAM CLI's venv: ``make sam-setup``) and commit
``localcloud/stack/template.translated.json`` with the template.
"""

from __future__ import annotations

import sys

from localcloud.stack.loader import load_template
from localcloud.stack.sam import COMMITTED, ROOT, TEMPLATE, read_entry, template_sha256, translate, write_entry


def main(argv: list[str]) -> int:
    template = load_template(TEMPLATE)
    sha = template_sha256(template)
    where = COMMITTED.relative_to(ROOT)
    if "--check" in argv:
        fresh = read_entry(COMMITTED, sha) is not None
        print(f"{where}: {'up to date' if fresh else 'stale: run python -m localcloud.stack'}")
        return 0 if fresh else 1
    entry = translate(template)
    write_entry(COMMITTED, entry)
    print(f"wrote {where} (samtranslator {entry['samtranslator']}, template {sha[:12]})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
