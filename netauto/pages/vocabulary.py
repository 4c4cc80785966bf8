"""The words a report shows for the model's codes (a role, a status, a check), one table per kind.

Each word is a message of the catalogue (netauto/i18n.py); a code with no word here is shown as it is.
"""

from __future__ import annotations

from netauto.i18n import N_

VOCABULARY: dict[str, dict[str, str]] = {
    "role": {"core": N_("core"), "pe": N_("PE"), "ce": N_("CE"), "border": N_("border"), "external": N_("external")},
    "status": {
        "new": N_("new"),
        "changed": N_("changed"),
        "removed": N_("removed"),
        "secrets": N_("secrets only"),
    },
    "section": {
        "sites": N_("sites"),
        "devices": N_("devices"),
        "links": N_("links"),
        "vpns": N_("VPNs"),
        "dedicated_networks": N_("dedicated networks"),
    },
    "figure": {
        "ok": N_("all policy checks pass"),
        "errors": N_("errors"),
        "max_utilisation_normal": N_("highest utilisation, normal state"),
        "max_utilisation_failure": N_("highest utilisation, worst single failure"),
        "failures_cutting_off_sites": N_("single failures cutting off sites"),
    },
    "severity": {"error": N_("error"), "warning": N_("warning"), "info": N_("note")},
    "check": {
        "uplink-diversity": N_("uplink diversity"),
        "core-resilience": N_("core resilience"),
        "plane-affinity": N_("plane affinity"),
        "plane-reach": N_("plane reach"),
        "disjoint-paths": N_("disjoint paths"),
        "single-failure": N_("single failure"),
        "plane-backup": N_("plane backup"),
        "single-homed": N_("single-homed sites"),
        "capacity": N_("capacity"),
    },
    "failure": {"link": N_("link"), "node": N_("device"), "srlg": N_("fibre route (SRLG)")},
    "mode": {"cutover": N_("cut-over"), "interconnect": N_("interconnect")},
    "run": {
        "done": N_("done"),
        "rolled back": N_("rolled back"),
        "paused": N_("paused"),
        "rollback failed": N_("rollback failed"),
        "dry run": N_("dry run"),
    },
    "step": {
        "pending": N_("pending"),
        "ok": N_("ok"),
        "done": N_("done"),
        "failed": N_("failed"),
        "waiting": N_("waiting"),
        "skipped": N_("skipped"),
        "rolled back": N_("rolled back"),
        "undone": N_("undone"),
    },
    "step-kind": {"config": N_("configuration"), "check": N_("check"), "gate": N_("gate"), "note": N_("note")},
    "device-state": {"restored": N_("restored"), "restore failed": N_("restore failed")},
    "verdict": {"pass": N_("pass"), "fail": N_("FAIL")},
}
