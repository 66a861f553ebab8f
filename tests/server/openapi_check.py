"""A small validator of HTTP responses against an OpenAPI 3.0 description (docs/http-api.yaml),
on Debian's python3-yaml and python3-jsonschema: the path template and method are matched, the
response is looked up by status (or `default`), and a JSON body is validated against its
schema with every $ref resolved in the same document. Paths the description does not know
must still answer with its Error schema."""
import json
import re

import jsonschema
import yaml


class OpenApiChecker:
    def __init__(self, path):
        with open(path) as f:
            self.spec = yaml.safe_load(f)
        self.resolver = jsonschema.RefResolver.from_schema(self.spec)
        self.routes = []
        for template, item in self.spec["paths"].items():
            rx = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
            # Literal templates win over templated ones (/v1/webhooks/failures before {id}).
            self.routes.append((template.count("{"), re.compile(rx), template, item))
        self.routes.sort(key=lambda r: r[0])
        self.checked = 0

    def _schema_for(self, method, path, status):
        method = "get" if method.upper() == "HEAD" else method.lower()
        path = path.split("?", 1)[0]
        for _, rx, template, item in self.routes:
            if rx.match(path) and method in item:
                responses = item[method]["responses"]
                resp = responses.get(str(status)) or responses.get("default")
                assert resp is not None, f"{method.upper()} {template}: status {status} undocumented"
                if "$ref" in resp:
                    resp = self._deref(resp["$ref"])
                return template, resp.get("content", {})
        if status >= 400:
            return "(unmatched)", {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        raise AssertionError(f"{method.upper()} {path} -> {status}: not in the OpenAPI description")

    def _deref(self, ref):
        node = self.spec
        for part in ref.lstrip("#/").split("/"):
            node = node[part]
        return node

    def check(self, method, path, status, headers, body):
        template, content = self._schema_for(method, path, status)
        ctype = headers.get("Content-Type", "").split(";")[0].strip()
        where = f"{method} {path} ({template}) -> {status}"
        assert ctype in content, f"{where}: Content-Type {ctype!r} not among {list(content)}"
        if ctype == "application/json" and method.upper() != "HEAD":
            doc = json.loads(body)
            schema = content[ctype]["schema"]
            try:
                jsonschema.validate(doc, schema, resolver=self.resolver)
            except jsonschema.ValidationError as e:
                raise AssertionError(f"{where}: response does not match the description: {e.message} "
                                     f"at {list(e.absolute_path)}") from None
        self.checked += 1
