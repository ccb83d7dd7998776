"""Ships the top-level data folders inside the package: `accelerators/` as `dse.accelerators`, `templates/` as
`dse.templates`, so an installed dse finds its YAML and Jinja2 files with importlib.resources. `reference/` (the data
tests and benchmarks check against) and `tests/` stay out: they are found beside the source tree, not installed."""

import os

from setuptools import find_packages, setup

DATA_DIRS = {"accelerators": "dse.accelerators", "templates": "dse.templates"}

packages = find_packages(include=["dse", "dse.*"])
package_dir = {}
for folder, package in DATA_DIRS.items():
    for root, dirs, _ in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith((".", "__"))]
        name = package + root[len(folder):].replace(os.sep, ".")
        packages.append(name)
        package_dir[name] = root

package_data = {name: ["*.yaml", "*.yml", "*.j2", "*.m", "*.tcl", "*.h"] for name in packages}
# Hugging Face config.json files of the shipped LLMs: a data-only package, named so setuptools does not warn
packages.append("dse.workload.zoo.configs")
package_data["dse.workload.zoo.configs"] = ["*.json"]
setup(packages=packages, package_dir=package_dir, package_data=package_data)
