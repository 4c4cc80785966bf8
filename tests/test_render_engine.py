"""The render engine: incremental, secrets outside and masked, clear errors, the Nornir plugin."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from nornir import InitNornir

from conftest import QINGPU, TESTS, run_netauto
from netauto.errors import NetautoError
from netauto.pipeline import build_plan, plan_and_lock
from netauto.render.engine import RenderFailed, render_all
from netauto.secrets import MASK, SecretsError, load_secrets

SECRETS = TESTS / "fixtures" / "secrets.yaml"
FRR = TESTS / "fixtures" / "render-frr"
NEW_VILLAGE = "  - id: village-9\n    class: village\n    parent: town-1\n"


@pytest.fixture
def frr_inventory(tmp_path: Path) -> Path:
    target = tmp_path / "inv"
    shutil.copytree(FRR, target)
    return target


def render(inventory: Path, output: Path, only: set[str] | None = None, root: Path | None = None):  # type: ignore[no-untyped-def]
    kwargs = {"root": root} if root else {}
    return render_all(plan_and_lock(inventory), load_secrets(SECRETS, inventory), output, only, **kwargs)


def test_second_render_changes_nothing(frr_inventory: Path, tmp_path: Path) -> None:
    first = render(frr_inventory, tmp_path / "out")
    assert len(first.rendered) == 9 and not first.unchanged
    second = render(frr_inventory, tmp_path / "out")
    assert second.rendered == [] and len(second.unchanged) == 9


def test_adding_a_village_renders_only_the_devices_it_touches(frr_inventory: Path, tmp_path: Path) -> None:
    render(frr_inventory, tmp_path / "out")
    before = {p.name: p.read_text() for p in (tmp_path / "out").glob("*.cfg")}
    with (frr_inventory / "sites.yaml").open("a", encoding="utf-8") as sites:
        sites.write(NEW_VILLAGE)
    report = render(frr_inventory, tmp_path / "out")
    assert report.rendered == ["town-1-pe1", "village-9-ce1"]
    after = {p.name: p.read_text() for p in (tmp_path / "out").glob("*.cfg")}
    assert {n for n in before if before[n] != after[n]} == {"town-1-pe1.cfg"}


def test_removed_device_loses_its_config(frr_inventory: Path, tmp_path: Path) -> None:
    with (frr_inventory / "sites.yaml").open("a", encoding="utf-8") as sites:
        sites.write(NEW_VILLAGE)
    render(frr_inventory, tmp_path / "out")
    text = (frr_inventory / "sites.yaml").read_text()
    (frr_inventory / "sites.yaml").write_text(text.replace(NEW_VILLAGE, ""))
    report = render(frr_inventory, tmp_path / "out")
    assert report.removed == ["village-9-ce1"] and not (tmp_path / "out" / "village-9-ce1.cfg").exists()


def test_a_changed_template_renders_its_platform_again(frr_inventory: Path, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TESTS.parent / "templates", templates)
    render(frr_inventory, tmp_path / "out", root=templates)
    with (templates / "frr" / "base.j2").open("a") as base:
        base.write("! changed\n")
    report = render(frr_inventory, tmp_path / "out", root=templates)
    assert len(report.rendered) == 9


def test_missing_template_names_platform_and_feature(frr_inventory: Path, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TESTS.parent / "templates", templates)
    (templates / "frr" / "bgp.j2").unlink()
    expected = r"core-a-cr1: no template for feature 'bgp' on platform 'frr' \(expected templates/frr/bgp.j2\)"
    with pytest.raises(RenderFailed, match=expected):
        render(frr_inventory, tmp_path / "out", {"core-a-cr1"}, root=templates)


def test_undefined_variable_names_device_template_and_variable(frr_inventory: Path, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(TESTS.parent / "templates", templates)
    (templates / "frr" / "isis.j2").write_text("router isis 1\n net {{ isis.no_such_key }}\n")
    with pytest.raises(RenderFailed, match=r"device core-a-cr1: template frr/isis.j2: .*no_such_key"):
        render(frr_inventory, tmp_path / "out", {"core-a-cr1"}, root=templates)


def test_configs_carry_secrets_and_the_context_dump_masks_them(frr_inventory: Path, tmp_path: Path) -> None:
    render(frr_inventory, tmp_path / "out")
    secrets = load_secrets(SECRETS, frr_inventory)
    config = (tmp_path / "out" / "core-a-cr1.cfg").read_text()
    assert secrets.values["bgp_password"] in config and secrets.values["isis_key"] in config
    assert secrets.mask(config).count(MASK) >= 2 and secrets.values["bgp_password"] not in secrets.mask(config)
    dump = run_netauto("render", str(frr_inventory), "--secrets", str(SECRETS), "--context", "core-a-cr1")
    assert dump.returncode == 0, dump.stderr
    assert not any(value in dump.stdout for value in secrets.values.values())
    assert json.loads(dump.stdout)["secrets"]["bgp_password"] == MASK


def test_secrets_are_required_and_kept_out_of_the_inventory(frr_inventory: Path, tmp_path: Path) -> None:
    with pytest.raises(SecretsError, match="no secrets file"):
        load_secrets(tmp_path / "none.yaml", frr_inventory)
    inside = frr_inventory / "secrets" / "s.yaml"
    inside.parent.mkdir()
    shutil.copy(SECRETS, inside)
    with pytest.raises(SecretsError, match="inside the inventory"):
        load_secrets(inside, frr_inventory)
    shutil.rmtree(inside.parent)
    result = run_netauto("render", str(frr_inventory), "--secrets", str(tmp_path / "none.yaml"))
    assert result.returncode == 1 and "netauto secrets init" in result.stderr and "Traceback" not in result.stderr


def test_a_secrets_file_others_can_read_is_refused(frr_inventory: Path, tmp_path: Path) -> None:
    shared = tmp_path / "shared-secrets.yaml"
    shutil.copy(SECRETS, shared)
    shared.chmod(0o640)
    result = run_netauto("render", str(frr_inventory), "--secrets", str(shared), "-o", str(tmp_path / "out"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"secrets file {shared} can be read by other users (mode 640)" in result.stderr
    assert f"chmod 600 {shared}" in result.stderr and not (tmp_path / "out").exists()


def test_secrets_init_writes_a_private_file(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "secrets.yaml"
    assert run_netauto("secrets", "init", "--path", str(path)).returncode == 0
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_secrets(path, FRR).values["isis_key"]
    again = run_netauto("secrets", "init", "--path", str(path))
    assert again.returncode == 1 and "not overwriting" in again.stderr


def _validate_with_pe_platform(tmp_path: Path, platform: str) -> subprocess.CompletedProcess[str]:
    """Validate the render fixture with its Huawei PE site on `platform`."""
    inventory = tmp_path / "inv"
    shutil.copytree(TESTS / "fixtures" / "render", inventory)
    sites = inventory / "sites.yaml"
    sites.write_text(sites.read_text().replace("    platform: huawei_vrp\n", f"    platform: {platform}\n"))
    return run_netauto("validate", str(inventory))


def test_frr_cannot_be_an_srv6_pe(tmp_path: Path) -> None:
    result = _validate_with_pe_platform(tmp_path, "frr")
    assert result.returncode == 1
    assert "platform 'frr' of pe site 'town-2' lacks srv6, needed by transport srv6" in result.stderr


def test_frr10_is_an_srv6_pe_whose_planes_share_one_locator(tmp_path: Path) -> None:
    result = _validate_with_pe_platform(tmp_path, "frr10")
    assert result.returncode == 0, result.stderr
    assert "platform 'frr10' of site 'town-2' has no srv6-flex-algo" in result.stderr


def test_unknown_device_is_an_error(frr_inventory: Path, tmp_path: Path) -> None:
    with pytest.raises(NetautoError, match="no managed device named nope"):
        render(frr_inventory, tmp_path / "out", {"nope"})


def test_nornir_inventory_plugin_via_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETAUTO_USERNAME", "netops")
    monkeypatch.setenv("NETAUTO_PASSWORD", "not-a-real-one")
    nr = InitNornir(
        inventory={"plugin": "NetautoInventory", "options": {"inventory_path": str(QINGPU)}},
        runner={"plugin": "serial"},
        logging={"enabled": False},
    )
    hosts = nr.inventory.hosts
    assert len(hosts) == sum(1 for d in build_plan(QINGPU).plan.devices if d.platform)
    xr = hosts["core-b-cr2"]
    assert xr.platform == "cisco_iosxr" and xr["role"] == "core" and xr["planes"] == ["data", "video"]
    assert xr.get_connection_parameters("napalm").platform == "iosxr"
    assert xr.get_connection_parameters("netmiko").platform == "cisco_xr"
    assert {g.name for g in xr.groups} == {"role_core", "platform_cisco_iosxr", "site_core-b"}
    assert len(nr.filter(role="ce").inventory.hosts) == 307
    netmiko = xr.get_connection_parameters("netmiko")  # the credentials reach every host's connections
    assert (netmiko.username, netmiko.password) == ("netops", "not-a-real-one")
