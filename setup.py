"""The one build setting pyproject.toml cannot express: shipping ``resources/``.

``resources/`` sits at the repository root (the product's fixed layout), yet an
installed sovprof must find its icons and report assets beside its code.  The
wheel carries them as the package data of ``app._resources``, a package mapped
onto ``resources/`` (``package-dir`` and ``package-data`` in pyproject.toml);
``app/resources.py`` finds them in a checkout, a wheel or a frozen app.
pyproject.toml's ``packages.find`` cannot add a mapped package to what it
discovers, so discovery happens here.  Everything else is in pyproject.toml.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=[
        *find_namespace_packages(
            include=["app", "app.*", "kernels", "kernels.*"], exclude=["*.__pycache__"]
        ),
        "app._resources",
    ],
)
