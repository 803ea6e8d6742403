# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""Helpers for ``make test``, standard library (and psycopg) only.

``python demo/testing.py source-hash`` prints a hash of what shapes the
database (manifest, XML, models), so that cached test databases are rebuilt
when the module changes.  ``python demo/testing.py postgresql-uri`` prints
the PostgreSQL URI to test on, or nothing when no server answers.
``python demo/testing.py prune-postgresql URI HASH`` drops trytond's cached
template databases when the module changed since they were made, and
``python demo/testing.py drop-database URI NAME`` drops a test database.
"""
import hashlib
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SKIPPED_DIRS = {
    '.git', '.venv', '.cache', 'var', 'artifacts', 'node_modules',
    'tests', 'bench', 'demo', '__pycache__', 'connectors', 'rules',
    'sandbox'}
DEFAULT_POSTGRESQL = 'postgresql://postgres@127.0.0.1:5432/'


def source_files(root=ROOT):
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
        for name in sorted(files):
            if name == 'tryton.cfg' or name.endswith(('.xml', '.py', '.po')):
                yield os.path.join(directory, name)


def source_hash(root=ROOT):
    digest = hashlib.sha256()
    for path in source_files(root):
        digest.update(os.path.relpath(path, root).encode())
        with open(path, 'rb') as fp:
            digest.update(fp.read())
    return digest.hexdigest()[:16]


def server_answers(uri):
    if shutil.which('pg_isready') and uri == DEFAULT_POSTGRESQL:
        result = subprocess.run(['pg_isready', '-q', '-h', '127.0.0.1'])
        if result.returncode == 0:
            return True
    try:
        import psycopg
    except ImportError:
        return False
    try:
        psycopg.connect(uri.rstrip('/') + '/postgres',
            connect_timeout=3).close()
    except psycopg.Error:
        return False
    return True


def postgresql_uri():
    "Return the PostgreSQL URI to test on or an empty string"
    uri = os.environ.get('TRYTOND_DATABASE_URI')
    if uri:
        if not uri.startswith('postgresql'):
            return ''
    else:
        uri = DEFAULT_POSTGRESQL
    return uri if server_answers(uri) else ''


def prune_postgresql(uri, current_hash, stamp):
    "Drop trytond's template databases made from another module state"
    if os.path.exists(stamp):
        with open(stamp) as fp:
            if fp.read().strip() == current_hash:
                return
    import psycopg
    with psycopg.connect(uri.rstrip('/') + '/postgres',
            autocommit=True) as connection:
        names = [name for name, in connection.execute(
                "SELECT datname FROM pg_database "
                "WHERE datname LIKE 'test-%'")]
        busy = [name for name in names
            if not try_drop(connection, name)]
    if busy:
        # Another run uses them: try again next time
        print(f"testing: cached databases in use, kept: {', '.join(busy)}")
        return
    os.makedirs(os.path.dirname(stamp), exist_ok=True)
    with open(stamp, 'w') as fp:
        fp.write(current_hash + '\n')


def try_drop(connection, name):
    "Drop the database name unless another session uses it"
    import psycopg
    try:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
    except psycopg.errors.ObjectInUse:
        return False
    return True


def drop_database(uri, name):
    "Drop the database name if it exists (what a test run left behind)"
    import psycopg
    with psycopg.connect(uri.rstrip('/') + '/postgres',
            autocommit=True) as connection:
        if not try_drop(connection, name):
            print(f"testing: database {name} in use, not dropped")


def main(argv):
    command, *args = argv
    if command == 'source-hash':
        print(source_hash())
    elif command == 'postgresql-uri':
        print(postgresql_uri())
    elif command == 'prune-postgresql':
        uri, current_hash, stamp = args
        prune_postgresql(uri, current_hash, stamp)
    elif command == 'drop-database':
        uri, name = args
        drop_database(uri, name)
    else:
        sys.exit(f"unknown command {command}")


if __name__ == '__main__':
    main(sys.argv[1:])
