# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""Tooling for ``make demo`` and the browser tests: install, build, serve.

The modules here use only the standard library at import time so that
``requirements.py`` runs before anything is installed.
"""
