"""Device names as users type them, and discovery once per frontend per kernel."""

from __future__ import annotations

import pytest

from tgraph.devices import Device, DeviceCache, DeviceError, Devices

HOST = Devices([Device("cpu", 0, "host"), Device("cpu", 1, "host")], [], "no CUDA here")


def test_names_resolve_to_devices() -> None:
    assert HOST.resolve("cpu").name == "cpu:0"
    assert HOST.resolve(" CPU:1 ").name == "cpu:1"
    assert HOST.to_json()["devices"] == [
        {"name": "cpu:0", "kind": "cpu", "description": "host"},
        {"name": "cpu:1", "kind": "cpu", "description": "host"},
    ]
    assert HOST.to_json()["gpu"] == {"available": False, "reason": "no CUDA here"}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("tpu", "unknown device 'tpu': use cpu, gpu, cpu:i or gpu:i"),
        ("cpu:x", "unknown device 'cpu:x'"),
        ("gpu", "no GPU: no CUDA here"),
        ("cpu:2", "no device cpu:2: this kernel has cpu:0, cpu:1"),
    ],
)
def test_bad_device_specs_say_what_works(spec: str, message: str) -> None:
    with pytest.raises(DeviceError) as error:
        HOST.resolve(spec)
    assert str(error.value).startswith(message)


def test_no_device_named_is_the_default_one() -> None:
    assert HOST.resolve("").name == "cpu:0"
    assert HOST.to_json()["default"] == "cpu"
    card = Devices([Device("cpu", 0, "host")], [Device("gpu", 0, "card")], default="gpu")
    assert card.resolve("").name == "gpu:0"
    assert card.resolve("cpu").name == "cpu:0"


def test_the_cache_discovers_once_per_frontend() -> None:
    cache = DeviceCache()
    calls: list[str] = []

    def discover(key: str) -> Devices:
        calls.append(key)
        return HOST

    assert cache.known("a") is None
    assert cache.get("a", lambda: discover("a")) is HOST
    assert cache.get("a", lambda: discover("a")) is HOST
    cache.get("b", lambda: discover("b"))
    assert calls == ["a", "b"]
    assert cache.known("a") is HOST
