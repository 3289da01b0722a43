"""Every durable service is one public function, defined where its decorator names the
transaction, and its metric name is "<app>.<function>" (issue 16: `tasks.task_complete` was
measured on a private `_complete` behind the public function)."""

import importlib
import pathlib

import pytest
from django.db import IntegrityError

from core.errors import InvalidInput
from core.tests.test_import_layers import product_modules
from core.transactions import DURABLE_SERVICES, durable_service


def _import_product_modules():
    for _, path, _ in product_modules():
        if "migrations" in path or path.endswith("wsgi.py") or path.startswith("creatorcompass/settings"):
            continue
        importlib.import_module(str(pathlib.Path(path).with_suffix("")).replace("/", "."))


def boundary_problems(services):
    """What is wrong with each (name, function without its transaction) of `services`."""
    problems = []
    for name, function in services:
        module = importlib.import_module(function.__module__)
        if not name.startswith(function.__module__.split(".")[0] + "."):
            problems.append(f"{name}: defined in {function.__module__}, not in that app")
        if name.rpartition(".")[2] != function.__name__:
            problems.append(f"{name}: measured under another name than its function {function.__name__}")
        if function.__name__.startswith("_"):
            problems.append(f"{name}: a private function {function.__name__} carries the transaction")
        elif getattr(getattr(module, function.__name__, None), "service_name", None) != name:
            problems.append(f"{name}: {function.__module__}.{function.__name__} is not the service itself")
    return problems


def test_every_product_service_is_its_public_function_named_app_dot_function():
    _import_product_modules()
    product = [
        (name, function) for name, function in DURABLE_SERVICES.items()
        if not {"tests", "testing"} & set(function.__module__.split("."))
    ]
    assert len(product) >= 20
    assert boundary_problems(product) == []


def _private_body(*, user):
    return user


def test_a_planted_private_service_behind_a_public_one_is_found():
    name = "core.private_body_planted"
    durable_service(name)(_private_body)
    try:
        problems = boundary_problems([(name, DURABLE_SERVICES[name])])
    finally:
        del DURABLE_SERVICES[name]
    assert problems == [
        f"{name}: measured under another name than its function _private_body",
        f"{name}: a private function _private_body carries the transaction",
    ]


@pytest.mark.django_db
def test_validate_runs_before_the_transaction_and_integrity_error_after_it(django_assert_num_queries):
    seen = []

    def check(*, value):
        seen.append(("validate", value))
        if value < 0:
            raise InvalidInput(fields={"value": ["Not negative."]})
        return {"value": value * 2}

    def constraint(exc, *, value):
        seen.append(("integrity_error", value))
        return -value

    @durable_service("tests.boundary_demo", validate=check, integrity_error=constraint)
    def boundary_demo(*, value=1):
        seen.append(("body", value))
        raise IntegrityError("unique")

    try:
        assert boundary_demo() == -2  # the default applied, doubled by validate, answered by integrity_error
        # A refusal opens no transaction: not even the savepoint the test's own transaction would see.
        with pytest.raises(InvalidInput), django_assert_num_queries(0):
            boundary_demo(value=-1)
    finally:
        del DURABLE_SERVICES["tests.boundary_demo"]
    assert seen == [("validate", 1), ("body", 2), ("integrity_error", 2), ("validate", -1)]
