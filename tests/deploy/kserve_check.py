#!/usr/bin/env python3
"""Checks one KServe resource (YAML on stdin) against the model classes of the `kserve`
SDK and of the Kubernetes client they nest:

    python3 tests/deploy/kserve_check.py V1beta1InferenceService < inferenceservice.yaml

Every field must be one the class has (a misspelt or misplaced field fails, where the SDK
itself would drop it silently), every value of the field's type, and the classes'
constructors refuse missing required fields. Exit 0 when valid; 1 with the reason.

A process of its own: the kserve package registers the KServe v2 gRPC messages, which
tritonclient (imported by the other tests) registers too, and protobuf refuses the second.
"""

import sys

import kserve
import kubernetes.client
import yaml


class Invalid(Exception):
    pass


def sdk_class(name):
    cls = getattr(kserve, name, None) or getattr(kubernetes.client, name, None)
    if cls is None:
        raise Invalid(f"no model class {name} in the kserve SDK or the Kubernetes client")
    return cls


def build(value, type_name, path):
    """`value` (parsed YAML) as an instance of the SDK's `type_name`."""
    if type_name == "object":
        return value
    # Container types: the kserve SDK writes list[T] and dict(str, T), the Kubernetes
    # client List[T] and Dict[str, T].
    if type_name.startswith(("list[", "List[")):
        if not isinstance(value, list):
            raise Invalid(f"{path}: expected a list, got {value!r}")
        return [build(v, type_name[5:-1], f"{path}[{i}]") for i, v in enumerate(value)]
    if type_name.startswith(("dict(", "Dict[")):
        if not isinstance(value, dict):
            raise Invalid(f"{path}: expected a map, got {value!r}")
        inner = type_name[5:-1].split(", ", 1)[1]
        return {k: build(v, inner, f"{path}.{k}") for k, v in value.items()}
    # A resource quantity is "2Gi" or a number.
    scalars = {"str": str, "int": int, "bool": bool, "float": (int, float), "datetime": str, "bytes": str,
               "ResourceQuantity": (str, int, float)}
    if type_name in scalars:
        if not isinstance(value, scalars[type_name]) or (type_name == "int" and isinstance(value, bool)):
            raise Invalid(f"{path}: expected {type_name}, got {value!r}")
        return value
    cls = sdk_class(type_name)
    if not isinstance(value, dict):
        raise Invalid(f"{path}: expected a {type_name} object, got {value!r}")
    by_json_name = {json_name: attr for attr, json_name in cls.attribute_map.items()}
    unknown = sorted(set(value) - set(by_json_name))
    if unknown:
        raise Invalid(f"{path}: {type_name} has no field {', '.join(unknown)}")
    kwargs = {by_json_name[k]: build(v, cls.openapi_types[by_json_name[k]], f"{path}.{k}") for k, v in value.items()}
    try:
        return cls(**kwargs)
    except ValueError as e:
        raise Invalid(f"{path}: {type_name}: {e}") from None


def main():
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} SDK_CLASS < RESOURCE.yaml")
    try:
        build(yaml.safe_load(sys.stdin), sys.argv[1], "")
    except Invalid as e:
        sys.exit(f"invalid: {e}")


if __name__ == "__main__":
    main()
