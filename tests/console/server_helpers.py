"""The server tests' helpers (tests/server/conftest.py: a private commerce-server on a free
127.0.0.1 port, its keys, the generated sample catalog), for the console's browser test. Loaded
under another name, and this is not a conftest.py: two modules named conftest would shadow each
other when pytest collects tests/server and tests/console in one run."""
import importlib.util
import os
import sys

SERVER_TESTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "server")
sys.path.insert(0, SERVER_TESTS)  # its own imports (openapi_check)
_spec = importlib.util.spec_from_file_location("_server_conftest", os.path.join(SERVER_TESTS, "conftest.py"))
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)

ADDRESS = _module.ADDRESS
ADMIN_KEY = _module.ADMIN_KEY
PUBLIC_KEY = _module.PUBLIC_KEY
make_products = _module.make_products
own_server = _module.own_server
wait_indexed = _module.wait_indexed
free_port = _module.free_port
