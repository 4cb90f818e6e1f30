"""Lenient readers the environment modules share: package names compared the way pip compares
them (PEP 503: runs of ``-``, ``_``, ``.`` are one ``-``, case ignored), and YAML and TOML files
read as mappings, ``{}`` when a file is missing, malformed or not a mapping.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml


def normalise_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()



def yaml_mapping(path: Path) -> dict:
    """A YAML file's mapping, or {} when it is missing, malformed or not a mapping."""
    try:
        data = yaml.safe_load(path.read_text(errors="replace"))
    except (yaml.YAMLError, OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def toml_mapping(path: Path) -> dict:
    """A TOML file's mapping, or {} when it is missing or malformed."""
    try:
        return tomllib.loads(path.read_text(errors="replace"))
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError):
        return {}
