"""Shared helpers of the deploy/ policy checks (run by deploy/validate.sh)."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


class Report:
    """Collects failed assertions so that one run lists every problem, then exits non-zero."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.failures: list[str] = []
        self.checked = 0

    def check(self, ok: object, message: str) -> bool:
        self.checked += 1
        if not ok:
            self.failures.append(message)
        return bool(ok)

    def fail(self, message: str) -> None:
        self.check(False, message)

    def finish(self) -> None:
        for f in self.failures:
            print(f"  FAIL {f}")
        status = "FAILED" if self.failures else "ok"
        print(f"{self.name}: {self.checked - len(self.failures)} of {self.checked} assertions hold -- {status}")
        sys.exit(1 if self.failures else 0)


def settings_sections() -> set[str]:
    """The top-level sections of the hub's settings, read from `pub struct Settings` in settings.rs, so that
    a section renamed or added there is known here without editing this file."""
    source = (REPO / "crates/app/src/settings.rs").read_text()
    body = re.search(r"pub struct Settings \{(.*?)\n\}", source, re.S)
    if not body:
        raise SystemExit("cannot find `pub struct Settings` in crates/app/src/settings.rs")
    return set(re.findall(r"^\s*pub (\w+):", body.group(1), re.M))


ENV_NAME = re.compile(r"^HUB_([A-Z0-9_]+?)__([A-Z0-9_]+)$")


def check_hub_env(report: Report, where: str, names: list[str], sections: set[str]) -> None:
    """HUB_SECTION__KEY names must address a real section; HUB_CONFIG is the file's path."""
    for name in names:
        if not name.startswith("HUB_") or name == "HUB_CONFIG":
            continue
        m = ENV_NAME.match(name)
        if report.check(m, f"{where}: {name} is not HUB_<SECTION>__<KEY> (two underscores between levels)") and m:
            section = m.group(1).lower()
            report.check(section in sections, f"{where}: {name}: no settings section `{section}` (known: {sorted(sections)})")


def check_hub_toml(report: Report, where: str, text: str, sections: set[str]) -> None:
    """A hub.toml handed to the containers: valid TOML, known sections, exactly one source store, keys
    long enough, Webservice keys in PrestaShop's format."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        report.fail(f"{where}: not valid TOML: {e}")
        return
    for key in data:
        report.check(key in sections, f"{where}: unknown top-level key `{key}` (known: {sorted(sections)})")
    stores = data.get("stores", [])
    report.check(isinstance(stores, list) and stores, f"{where}: no [[stores]]")
    sources = [s for s in stores if s.get("role") == "source"]
    report.check(len(sources) == 1, f"{where}: exactly one store with role = \"source\" (found {len(sources)})")
    codes = [s.get("code") for s in stores]
    report.check(len(codes) == len(set(codes)), f"{where}: store codes repeat: {codes}")
    keys = [s.get("api_key") for s in stores]
    report.check(len(keys) == len(set(keys)), f"{where}: two stores share an api_key")
    for i, s in enumerate(stores):
        report.check(re.fullmatch(r"[a-z0-9_-]+", str(s.get("code", ""))), f"{where}: stores[{i}].code `{s.get('code')}`")
        report.check(s.get("role") in ("source", "client"), f"{where}: stores[{i}].role `{s.get('role')}`")
        report.check(len(str(s.get("api_key", ""))) >= 16, f"{where}: stores[{i}].api_key shorter than 16 characters")
        ws = s.get("webservice")
        if ws is not None:
            report.check(str(ws.get("url", "")).startswith(("http://", "https://")), f"{where}: stores[{i}].webservice.url")
            report.check(
                re.fullmatch(r"[A-Z0-9]{32}", str(ws.get("key", ""))),
                f"{where}: stores[{i}].webservice.key is not a PrestaShop Webservice key (32 characters A-Z 0-9)",
            )
