"""`netauto lab export`: containerlab topologies valid against containerlab's own schema, the committed
sample up to date, clear refusals."""

from __future__ import annotations

import copy
import json
import os
from ipaddress import ip_address, ip_network
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import regex
import yaml
from jsonschema import validators

from conftest import QINGPU, ROOT, TESTS, run_netauto

# containerlab's own schema (BSD-3-Clause, see clab.schema.LICENSE), as given in ../shared/schemas
SCHEMA = TESTS / "fixtures" / "containerlab" / "clab.schema.json"
SAMPLE = ROOT / "topologies" / "qingpu-slice-frr.clab.yml"
# the same slice for each lab FRR: 8.4 (IP transport) and 10.3 (SRv6, one VPN in the global table)
SAMPLES = {"8": SAMPLE, "10": ROOT / "topologies" / "qingpu-slice-frr10.clab.yml"}
SECRETS = TESTS / "fixtures" / "secrets.yaml"


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Any:
    """containerlab's schema uses Unicode classes (\\p{L}) that Python's re lacks; `regex` has them."""
    if validator.is_type(instance, "string") and not regex.search(pattern, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


ClabValidator = validators.extend(jsonschema.Draft7Validator, {"pattern": _pattern})


def schema_errors(document: dict[str, Any]) -> list[str]:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return [f"{list(e.absolute_path)}: {e.message}" for e in ClabValidator(schema).iter_errors(document)]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample slice exported exactly as the committed sample was, into a fresh folder."""
    output = tmp_path_factory.mktemp("topologies") / SAMPLE.name
    result = run_netauto("lab", "export", str(QINGPU), "-o", str(output), "--secrets", str(SECRETS))
    assert result.returncode == 0, result.stderr
    return output


def test_exported_topology_is_valid_against_the_containerlab_schema(exported: Path) -> None:
    assert schema_errors(yaml.safe_load(exported.read_text(encoding="utf-8"))) == []


def test_the_validator_does_reject_a_broken_topology(exported: Path) -> None:
    document = yaml.safe_load(exported.read_text(encoding="utf-8"))
    broken = copy.deepcopy(document)
    first = next(iter(broken["topology"]["nodes"]))
    broken["topology"]["nodes"][first]["kind"] = 42
    broken["topology"]["links"][0]["endpoints"] = ["core-a-cr1:eth1", "core-a-cr1:eth1"]
    broken["topology"]["nodes"]["bad name!"] = {"kind": "linux"}
    errors = schema_errors(broken)
    assert any("kind" in e for e in errors)
    assert any("endpoints" in e for e in errors)
    assert any("bad name!" in e for e in errors)


def test_topology_follows_the_plan(exported: Path) -> None:
    document = yaml.safe_load(exported.read_text(encoding="utf-8"))
    plan = json.loads(run_netauto("plan", str(QINGPU), "--json").stdout)
    nodes = document["topology"]["nodes"]
    assert {"core-a-cr1", "core-a-cr2", "core-b-cr1", "core-b-cr2"} <= set(nodes)
    inside = [link for link in plan["links"] if link["a"] in nodes and link["b"] in nodes]
    links = document["topology"]["links"]
    exported_pairs = sorted(sorted(end.split(":")[0] for end in link["endpoints"]) for link in links)
    assert exported_pairs == sorted(sorted((link["a"], link["b"])) for link in inside)
    for link in document["topology"]["links"]:  # the FRR variant names its ports as FRR does
        assert all(regex.fullmatch(r"[a-z0-9-]+:eth\d+", end) for end in link["endpoints"])
    devices = {d["name"]: d for d in plan["devices"]}
    for name, node in nodes.items():
        assert node["kind"] == "linux" and node["image"].startswith("quay.io/frrouting/frr:")
        assert node["labels"]["netauto-site"] == devices[name]["site"]
        config, target = node["binds"][0].split(":")
        assert target == "/etc/frr/frr.conf"
        assert f"hostname {name}\n" in (exported.parent / config).read_text(encoding="utf-8")
    addresses = [node["mgmt-ipv4"] for node in nodes.values()]
    assert len(set(addresses)) == len(addresses)


@pytest.mark.parametrize("frr_version", list(SAMPLES))
def test_committed_sample_is_what_export_writes_today(frr_version: str, tmp_path: Path) -> None:
    sample = SAMPLES[frr_version]
    exported = tmp_path / sample.name
    arguments = ["-o", str(exported), "--secrets", str(SECRETS), "--frr-version", frr_version]
    result = run_netauto("lab", "export", str(QINGPU), *arguments)
    assert result.returncode == 0, result.stderr
    assert schema_errors(yaml.safe_load(exported.read_text(encoding="utf-8"))) == []
    assert exported.read_text(encoding="utf-8") == sample.read_text(encoding="utf-8")
    folder = sample.name.removesuffix(".clab.yml")
    fresh, committed = exported.parent / folder, sample.parent / folder
    files = _files(fresh)
    assert files == _files(committed)
    for file in files:
        assert (fresh / file).read_bytes() == (committed / file).read_bytes(), file


def _files(folder: Path) -> list[Path]:
    """Every file under `folder`, relative, without render's hidden bookkeeping."""
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))


def test_native_export_refuses_a_platform_without_a_containerlab_kind(tmp_path: Path) -> None:
    output = tmp_path / "native.clab.yml"
    result = run_netauto("lab", "export", str(QINGPU), "--native", "-o", str(output), "--secrets", str(SECRETS))
    assert result.returncode == 1
    assert "has no containerlab kind" in result.stderr and "--frr" in result.stderr
    assert "Traceback" not in result.stderr


def test_containerlab_engine_says_clearly_when_containerlab_is_missing(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": "/usr/bin:/bin"}
    assert not any(Path(folder, "containerlab").exists() for folder in env["PATH"].split(":"))
    result = run_netauto("lab", "up", str(QINGPU), "--engine", "containerlab", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "containerlab is not installed" in result.stderr and "--engine netns" in result.stderr


def test_the_whole_network_gets_a_management_subnet_that_holds_every_node(tmp_path: Path) -> None:
    output = tmp_path / "all.clab.yml"
    result = run_netauto("lab", "export", str(QINGPU), "--scope", "all", "-o", str(output), "--secrets", str(SECRETS))
    assert result.returncode == 0, result.stderr
    document = yaml.safe_load(output.read_text(encoding="utf-8"))
    assert schema_errors(document) == []
    plan = json.loads(run_netauto("plan", str(QINGPU), "--json").stdout)
    nodes = document["topology"]["nodes"]
    assert set(nodes) == {d["name"] for d in plan["devices"] if d["platform"]}
    assert len(nodes) > 253  # more than containerlab's default /24 holds
    subnet = ip_network(document["mgmt"]["ipv4-subnet"])
    addresses = [ip_address(node["mgmt-ipv4"]) for node in nodes.values()]
    assert len(set(addresses)) == len(addresses) and all(a in subnet for a in addresses)


@pytest.mark.parametrize(
    ("arguments", "code", "message"),
    [
        (["-o", "/proc/no-such-folder/x.clab.yml"], 1, "Error: No such file or directory: /proc/no-such-folder"),
        (["--towns", "-1"], 2, "Invalid value for '--towns'"),
        (["--scope", "bogus"], 2, "Invalid value for '--scope'"),
    ],
)
def test_bad_export_arguments_are_clear_errors(tmp_path: Path, arguments: list[str], code: int, message: str) -> None:
    result = run_netauto("lab", "export", str(QINGPU), "--secrets", str(SECRETS), *arguments, cwd=tmp_path)
    assert result.returncode == code
    assert message in " ".join(result.stderr.split()) and "Traceback" not in result.stderr
