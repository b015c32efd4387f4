"""The parts of the build that pyproject.toml cannot say: the presets ship inside the wheel as the package
`rnnzoo_presets`, built from the repository's `saved_models/` folder. A folder there is a preset when it holds a
`manifest.json` (rnnzoo.presets.write_manifest); its listed files are the package data. Experiments and ensemble
members (no manifest) and the training scripts stay in the repository."""

import json
import os

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
PRESETS = os.path.join(HERE, "saved_models")


def preset_files():
    """{preset folder: its files}: each folder of saved_models/ with a manifest.json, and the files it lists."""
    found = {}
    for name in sorted(os.listdir(PRESETS)):
        manifest = os.path.join(PRESETS, name, "manifest.json")
        if os.path.isfile(manifest):
            with open(manifest) as f:
                found[name] = ["manifest.json"] + [entry["path"] for entry in json.load(f)["files"]]
    return found


class BuildPy(build_py):
    """Ships the presets' files, not the scripts beside them in saved_models/."""

    def find_package_modules(self, package, package_dir):
        if package.split(".")[0] == "rnnzoo_presets":
            return []
        return super().find_package_modules(package, package_dir)


FOLDERS = preset_files()
setup(
    # each preset folder is a (data-only) subpackage of rnnzoo_presets, so setuptools ships it without a warning
    packages=find_packages(include=["rnnzoo", "rnnzoo.*"]) + ["rnnzoo_presets"]
    + [f"rnnzoo_presets.{name}" for name in FOLDERS],
    package_dir={"rnnzoo_presets": "saved_models"},
    package_data={"rnnzoo": ["py.typed"], **{f"rnnzoo_presets.{name}": files for name, files in FOLDERS.items()}},
    cmdclass={"build_py": BuildPy},
)
