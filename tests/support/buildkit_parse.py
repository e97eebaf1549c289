"""Print what BuildKit's own parser (PyPI `dockerfile`) makes of a Dockerfile, as JSON.

Usage: buildkit_parse.py FILE...  ->  one JSON object per file on its own line:
{"file": ..., "error": null | "message", "instructions": [{"cmd", "sub_cmd", "start_line",
"end_line", "flags", "value"}]}
"""
import json
import sys

import dockerfile

for path in sys.argv[1:]:
    out = {"file": path, "error": None, "instructions": []}
    try:
        for c in dockerfile.parse_file(path):
            out["instructions"].append(
                {
                    "cmd": c.cmd,
                    "sub_cmd": c.sub_cmd,
                    "start_line": c.start_line,
                    "end_line": c.end_line,
                    "flags": list(c.flags),
                    "value": list(c.value),
                }
            )
    except dockerfile.GoParseError as e:
        out["error"] = str(e) or "parse error"
    print(json.dumps(out))
