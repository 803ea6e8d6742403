# This file is part of cloud_commerce.  The COPYRIGHT file at the top level
# of this repository contains the full copyright notices and license terms.
"""Serve the demo: both sandboxes, trytond, the stores connected and
synchronized, then the URL and the login; Ctrl-C stops every process.

Usage::

    python -m trytond.modules.cloud_commerce.demo.serve \\
        --config var/trytond.conf --database demo --port 8000
"""
import argparse
import signal
import socket
import subprocess
import sys
import time

from .build import ADMIN_LOGIN, ADMIN_PASSWORD, trytond_env, venv_command

SHIPSTATION_PORT = 8701
SQUARE_PORT = 8702
SANDBOX_ORDERS = 120
SANDBOX_MODULE = 'trytond.modules.cloud_commerce.sandbox.cli'


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


def wait_for_port(host, port, process, name, timeout=90):
    "Wait until process listens on host:port"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(1)
            if sock.connect_ex((host, port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"{name} did not listen on {host}:{port} "
        f"in {timeout} s")


def banner(host, port, database, shipstation_port=SHIPSTATION_PORT,
        square_port=SQUARE_PORT):
    return '\n'.join([
            '',
            f"Cloud Commerce demo: http://{host}:{port}/#{database}",
            f"  database: {database}",
            f"  login:    {ADMIN_LOGIN}",
            f"  password: {ADMIN_PASSWORD}",
            "  menu:     Sales > Tools > Cloud Commerce",
            f"  sandboxes: ShipStation http://{host}:{shipstation_port} "
            "(key / secret),",
            f"             Square http://{host}:{square_port} "
            "(demo@example.com / sandbox)",
            "Stop with Ctrl-C.",
            '',
            ])


def sandbox_command(vendor, host, port, orders=SANDBOX_ORDERS):
    from .company import SEED
    return [sys.executable, '-m', SANDBOX_MODULE, vendor, '--host', host,
        '--port', str(port), '--seed', str(SEED), '--orders', str(orders),
        '--rate-limit', '100000']


def stop(processes):
    "Terminate the processes, newest first, and wait for them"
    for process in reversed(processes):
        if process.poll() is None:
            process.terminate()
    for process in reversed(processes):
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default='var/trytond.conf')
    parser.add_argument('--database', default='demo')
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=8000)
    parser.add_argument('--shipstation-port', type=int,
        default=SHIPSTATION_PORT)
    parser.add_argument('--square-port', type=int, default=SQUARE_PORT)
    parser.add_argument('--check-only', action='store_true',
        help="only check that the ports are free")
    parser.add_argument('--no-sandboxes', action='store_true',
        help="serve trytond only")
    return parser.parse_args(argv)


def check_ports(options):
    ports = [('trytond', options.port, 'PORT')]
    if not options.no_sandboxes:
        ports += [
            ('the ShipStation sandbox', options.shipstation_port,
                'SHIPSTATION_PORT'),
            ('the Square sandbox', options.square_port, 'SQUARE_PORT'),
            ]
    for name, port, variable in ports:
        if port_in_use(options.host, port):
            sys.exit(f"demo: port {port} on {options.host} (for {name}) is "
                "already in use; stop what listens there or run "
                f"'make demo {variable}=<another port>'")


def main(argv=None):
    options = parse_args(argv)
    check_ports(options)
    if options.check_only:
        return
    host = options.host
    processes = []
    # Ctrl-C reaches the whole process group; SIGTERM is turned into the
    # same clean stop
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    # A shell's background job inherits SIGINT ignored: Ctrl-C must work
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        if not options.no_sandboxes:
            for vendor, port in [
                    ('shipstation', options.shipstation_port),
                    ('square', options.square_port)]:
                process = subprocess.Popen(
                    sandbox_command(vendor, host, port),
                    stdout=subprocess.DEVNULL)
                processes.append(process)
                wait_for_port(host, port, process, f'{vendor} sandbox')
        command = venv_command('trytond')
        # -d loads the database's pool at start: without it, the first
        # login on SQLite fails with KeyError 'res.user' (trytond 8.0)
        trytond = subprocess.Popen(
            [command, '-c', options.config, '-d', options.database],
            env=trytond_env(options.config))
        processes.append(trytond)
        wait_for_port(host, options.port, trytond, 'trytond')
        if not options.no_sandboxes:
            from .stores import setup_stores
            setup_stores(f'http://{host}:{options.port}/',
                options.database,
                f'http://{host}:{options.shipstation_port}',
                f'http://{host}:{options.square_port}')
        print(banner(host, options.port, options.database,
                options.shipstation_port, options.square_port), flush=True)
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        failed = [p for p in processes if p.poll() is not None]
        sys.exit(f"demo: {failed[0].args[0]} stopped with "
            f"{failed[0].returncode}")
    except KeyboardInterrupt:
        print("\ndemo: stopping", flush=True)
    finally:
        stop(processes)


if __name__ == '__main__':
    main()
