# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""Print the pip requirements of the module, one a line.

They come from the manifest (``tryton.cfg`` depends, pinned to the Tryton
series) and from ``pyproject.toml`` (third-party dependencies, the test and
postgresql extras).  Run with the standard library only::

    python3.11 demo/requirements.py [--output requirements.txt]
"""
import configparser
import os
import sys

import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Modules shipped inside trytond itself
CORE_MODULES = {'ir', 'res'}


def tryton_series(version):
    major, minor = version.split('.')[:2]
    return int(major), int(minor)


def tryton_requirement(name, series):
    major, minor = series
    return f'{name} >= {major}.{minor}, < {major}.{minor + 1}'


def read_manifest(root=ROOT):
    config = configparser.ConfigParser()
    config.read(os.path.join(root, 'tryton.cfg'))
    tryton = config['tryton']
    depends = tryton.get('depends', '').split()
    return tryton['version'], depends


def read_pyproject(root=ROOT):
    with open(os.path.join(root, 'pyproject.toml'), 'rb') as fp:
        return tomllib.load(fp)


def requirements(root=ROOT):
    version, depends = read_manifest(root)
    series = tryton_series(version)
    hook = read_pyproject(root)['tool']['hatch']['metadata']['hooks'][
        'tryton']
    result = [tryton_requirement('trytond', series)]
    for module in depends:
        if module not in CORE_MODULES:
            result.append(tryton_requirement(f'trytond_{module}', series))
    for extras in hook.get('tryton-optional-dependencies', {}).values():
        result.extend(tryton_requirement(name, series) for name in extras)
    result.extend(hook.get('dependencies', []))
    for extras in hook.get('optional-dependencies', {}).values():
        result.extend(extras)
    return result


def write_if_changed(path, text):
    "Write text to path unless it holds it already (keeps make stamps)"
    if os.path.exists(path):
        with open(path) as fp:
            if fp.read() == text:
                return
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, 'w') as fp:
        fp.write(text)


def main(argv):
    text = ''.join(f'{r}\n' for r in requirements())
    if argv[:1] == ['--output']:
        write_if_changed(argv[1], text)
    else:
        sys.stdout.write(text)


if __name__ == '__main__':
    main(sys.argv[1:])
