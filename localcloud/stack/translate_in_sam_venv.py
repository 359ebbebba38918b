"""Run by the SAM CLI's Python (`.venv/sam-cli/bin/python -P this_file`), never imported by the local cloud.

Reads a SAM template (JSON, local code paths already replaced by ``s3://`` placeholders) on stdin and writes
``{"samtranslator": version, "cloudformation": template}`` on stdout, translated by samtranslator's public API
as `sam validate` does. Standard library and samtranslator only: the app's packages are not on this path.
"""

import json
import sys

import samtranslator
from samtranslator.public.exceptions import InvalidDocumentException
from samtranslator.public.parser import Parser
from samtranslator.public.translator import Translator


def main() -> int:
    sam_template = json.load(sys.stdin)
    translator = Translator(managed_policy_map=None, sam_parser=Parser())
    try:
        # No parameter values: the translator takes the template's defaults (and AWS_DEFAULT_REGION).
        cloudformation = translator.translate(sam_template=sam_template, parameter_values={})
    except InvalidDocumentException as exc:
        print("\n".join(cause.message for cause in exc.causes) or exc.message, file=sys.stderr)
        return 1
    json.dump({"samtranslator": samtranslator.__version__, "cloudformation": cloudformation}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
