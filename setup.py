"""Build hook: the wheel must carry the /explore graph library (Cytoscape.js).

The library is third-party code from npm, never committed: `npm ci --prefix tools/explore`
copies its prebuilt bundle into api/static/explore/vendor/ (tools/explore/copy-vendor.mjs) and
package-data in pyproject.toml puts it into the sdist and the wheel. A wheel built without it
would serve /explore without its graph, so the build stops and says what to run. Editable
installs (`make install`, before npm has run) are not checked: the checkout serves the file
from where npm puts it, and the page says so when it is missing.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.errors import FileError

GRAPH_LIBRARY = Path("api", "static", "explore", "vendor", "cytoscape.min.js")


class BuildPyWithGraphLibrary(build_py):
    def run(self) -> None:
        if not self.editable_mode and not GRAPH_LIBRARY.is_file():
            raise FileError(
                f"{GRAPH_LIBRARY} is missing: the /explore graph library comes from npm; run "
                "`npm ci --prefix tools/explore` (or `make install`), then build again"
            )
        super().run()


setup(cmdclass={"build_py": BuildPyWithGraphLibrary})
