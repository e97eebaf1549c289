"""Validate JSON documents against a JSON Schema (draft 2020-12) with the `jsonschema` package.

Reads {"schema": <schema>, "instances": [<document>, ...]} on stdin and prints a JSON list
with, for each document in order, the list of its validation errors ("<path>: <message>").
Exits 3 when the schema itself is not a valid draft 2020-12 schema.
"""

import json
import sys

try:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError
except ImportError as e:
    sys.exit(f"cannot import jsonschema ({e}): pip install jsonschema")


def main():
    request = json.load(sys.stdin)
    schema = request["schema"]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as e:
        print(f"not a valid draft 2020-12 schema: {e.message}", file=sys.stderr)
        sys.exit(3)
    validator = Draft202012Validator(schema)
    results = []
    for instance in request["instances"]:
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        results.append(
            [f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}" for e in errors]
        )
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
