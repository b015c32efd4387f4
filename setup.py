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
    files = []
    for name in sorted(os.listdir(PRESETS)):
        manifest = os.path.join(PRESETS, name, "manifest.json")
        if os.path.isfile(manifest):
            with open(manifest) as f:
                files += [f"{name}/manifest.json"] + [f"{name}/{entry['path']}" for entry in json.load(f)["files"]]
    return files


class BuildPy(build_py):
    """Ships the presets' files, not the scripts beside them in saved_models/."""

    def find_package_modules(self, package, package_dir):
        return [] if package == "rnnzoo_presets" else super().find_package_modules(package, package_dir)


setup(
    packages=find_packages(include=["rnnzoo", "rnnzoo.*"]) + ["rnnzoo_presets"],
    package_dir={"rnnzoo_presets": "saved_models"},
    package_data={"rnnzoo": ["py.typed"], "rnnzoo_presets": preset_files()},
    cmdclass={"build_py": BuildPy},
)
