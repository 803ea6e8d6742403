# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""Serve the demo: check the port, print the URL and the login, run trytond.

Usage::

    python -m trytond.modules.cloud_commerce.demo.serve \\
        --config var/trytond.conf --database demo --port 8000
"""
import argparse
import os
import socket
import sys

from .build import ADMIN_LOGIN, ADMIN_PASSWORD, trytond_env, venv_command


def port_in_use(host, port):
    "Tell whether something already listens on host:port"
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def free_port(host='127.0.0.1'):
    "Return a TCP port nobody listens on now"
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def banner(host, port, database):
    return '\n'.join([
            '',
            f"Cloud Commerce demo: http://{host}:{port}/#{database}",
            f"  database: {database}",
            f"  login:    {ADMIN_LOGIN}",
            f"  password: {ADMIN_PASSWORD}",
            "  menu:     Sales > Tools > Cloud Commerce",
            "Stop with Ctrl-C.",
            '',
            ])


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default='var/trytond.conf')
    parser.add_argument('--database', default='demo')
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=8000)
    parser.add_argument('--check-only', action='store_true',
        help="only check that the port is free")
    return parser.parse_args(argv)


def main(argv=None):
    options = parse_args(argv)
    if port_in_use(options.host, options.port):
        sys.exit(f"demo: port {options.port} on {options.host} is already "
            "in use; stop what listens there or run "
            f"'make demo PORT=<another port>'")
    if options.check_only:
        return
    print(banner(options.host, options.port, options.database), flush=True)
    command = venv_command('trytond')
    # -d loads the database's pool at start: without it, the first login on
    # SQLite fails with KeyError 'res.user' (trytond 8.0)
    os.execve(command, [command, '-c', options.config, '-d',
            options.database], trytond_env(options.config))


if __name__ == '__main__':
    main()
