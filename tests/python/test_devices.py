"""Devices and backends: what this kernel has, and clear errors for the rest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import jax
import pytensor  # noqa: F401  (imported so discovery checks PyTensor's backends)
import pytest

from tgraph.devices import Backend, Device, DeviceCache, DeviceError, Devices, discover

KERNEL_EXT = str(Path(__file__).parents[2] / "kernel_ext")


def _has_gpu() -> bool:
    try:
        return bool(jax.devices("gpu"))
    except RuntimeError:
        return False


@pytest.fixture(scope="module")
def found() -> Devices:
    return discover()


def run_with_two_cpus(code: str) -> dict:
    """Run ``code`` in a fresh Python whose JAX sees two CPU devices; its JSON."""
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2")
    env["PYTHONPATH"] = os.pathsep.join([KERNEL_EXT, env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_cpu_is_always_there(found: Devices) -> None:
    assert found.cpus
    assert found.resolve("cpu") is found.cpus[0]
    assert found.resolve("CPU:0").name == "cpu:0"
    assert found.cpus[0].handle in jax.devices("cpu")


@pytest.mark.skipif(_has_gpu(), reason="this machine has a GPU")
def test_without_gpu_the_reason_is_jax_own(found: Devices) -> None:
    with pytest.raises(RuntimeError) as raised:
        jax.devices("gpu")
    assert found.gpus == []
    assert found.gpu_reason == str(raised.value)
    assert found.to_json()["gpu"] == {"available": False, "reason": str(raised.value)}
    for spec in ("gpu", "gpu:1"):
        with pytest.raises(DeviceError) as error:
            found.resolve(spec)
        assert str(error.value) == f"no GPU: {raised.value}"


def test_bad_device_specs_say_what_works(found: Devices) -> None:
    with pytest.raises(DeviceError, match="unknown device 'tpu'"):
        found.resolve("tpu")
    with pytest.raises(DeviceError, match="unknown device 'gpu:x'"):
        found.resolve("gpu:x")
    with pytest.raises(DeviceError, match=r"no device cpu:9: this kernel has cpu:0"):
        found.resolve("cpu:9")


def test_pytensor_backends_are_listed_with_reasons(found: Devices) -> None:
    assert list(found.backends) == ["numba", "cvm", "jax"]
    for backend in found.backends.values():
        assert backend.available or backend.reason
    cpu = found.resolve("cpu")
    assert found.pytensor_backend(None, cpu, None) == "numba"
    assert found.pytensor_backend(None, cpu, "cvm") == "cvm"
    assert found.pytensor_backend("JAX", cpu, "numba") == "jax"
    with pytest.raises(DeviceError, match="unknown backend 'torch'"):
        found.pytensor_backend("torch", cpu, None)


def test_numba_and_c_stay_on_the_host() -> None:
    cpus = [Device("cpu", 0, "host"), Device("cpu", 1, "second")]
    gpu = Device("gpu", 0, "a GPU")
    devices = Devices(cpus, [gpu])
    assert devices.pytensor_backend(None, gpu, "numba") == "jax"
    assert devices.pytensor_backend(None, cpus[1], None) == "jax"
    with pytest.raises(DeviceError, match="host CPU only: use --backend jax"):
        devices.pytensor_backend("numba", gpu, None)
    with pytest.raises(DeviceError, match="cvm backend runs on the host CPU only"):
        devices.pytensor_backend("cvm", cpus[1], None)


def test_an_unavailable_backend_gives_its_reason() -> None:
    broken = {"cvm": Backend("cvm", False, "no g++")}
    devices = Devices([Device("cpu", 0, "host")], [], backends=broken)
    with pytest.raises(DeviceError, match=r"cvm backend is unavailable: no g\+\+"):
        devices.pytensor_backend("cvm", devices.cpus[0], None)


def test_the_cache_discovers_once() -> None:
    cache = DeviceCache()
    assert cache.get() is cache.get()
    assert DeviceCache().get() is not cache.get()


def test_two_cpu_devices_are_indexed() -> None:
    found = run_with_two_cpus(
        """
        import json
        from tgraph.devices import discover
        found = discover()
        print(json.dumps({
            "names": [d.name for d in found.all()],
            "second": str(found.resolve("cpu:1").handle),
            "gpu": found.to_json()["gpu"]["available"],
        }))
        """
    )
    assert found["names"][:2] == ["cpu:0", "cpu:1"]
    assert found["second"].endswith("1")
