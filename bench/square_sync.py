"""Square sync throughput against the local sandbox, at real speed.

    .venv/bin/python bench/square_sync.py [--orders 20000] \\
        [--output bench/results/square_sync.txt]

Runs the connector's full read (locations, team, customers, catalog,
cash sales with their payments, payments, refunds) against the sandbox
served on a real socket, in four settings: clean, 20 % injected faults,
a token-bucket rate limit, and both.  Reports records per second, HTTP
calls, faults injected, that every record came back exactly once, and
the process's peak RSS (sandbox included).  Faults cost real backoff
sleeps and 1 s 'slow' answers against a 0.5 s client timeout.
"""
import argparse
import datetime as dt
import platform
import resource
import time
from pathlib import Path

from trytond.modules.cloud_commerce.connectors.square import SquareClient
from trytond.modules.cloud_commerce.sandbox.server import serve_in_thread
from trytond.modules.cloud_commerce.sandbox.square import make_app

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 3, 2, 12, tzinfo=UTC)


def run(orders, fault_rate=0.0, rate_limit=None, seed=21):
    app = make_app(seed=seed, orders=orders, clock=lambda: NOW,
        fault_rate=fault_rate, rate_limit=rate_limit, slow_seconds=1.0)
    base_url, stop = serve_in_thread(app)
    try:
        client = SquareClient(base_url, app.issue_token()['access_token'],
            timeout=0.5, max_retries=20, max_rate_limit_retries=50)
        started = time.perf_counter()
        sales = [s.external_id for s in client.iter_cash_sales()]
        sales_time = time.perf_counter() - started
        payments = [p.external_id for p in client.iter_payments(
                NOW - dt.timedelta(days=365), NOW)]
        refunds = [r.external_id for r in client.iter_refunds(
                NOW - dt.timedelta(days=365), NOW)]
        elapsed = time.perf_counter() - started
        # The whole process: sandbox data and server included.
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    finally:
        stop()
    completed = {o['id'] for o in app.data.orders
        if o['state'] == 'COMPLETED'}
    exact = (len(sales) == len(set(sales)) and set(sales) == completed
        and sorted(payments) == sorted(p['id'] for p in app.data.payments)
        and sorted(refunds) == sorted(r['id'] for r in app.data.refunds))
    return {
        'orders': orders, 'fault_rate': fault_rate,
        'rate_limit': rate_limit or '-', 'cash_sales': len(sales),
        'payments': len(payments), 'refunds': len(refunds),
        'sales_per_s': len(sales) / sales_time,
        'records_per_s': (len(sales) + len(payments) + len(refunds))
        / elapsed,
        'seconds': elapsed, 'calls': client.calls,
        'faults': app.faults_injected, 'exactly_once': exact,
        'peak_mib': peak / 2 ** 20,
        }


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument('--orders', type=int, default=20000)
    parser.add_argument('--output', default=str(
            Path(__file__).parent / 'results' / 'square_sync.txt'))
    args = parser.parse_args(argv)
    settings = [(0.0, None), (0.2, None), (0.0, 20), (0.2, 20)]
    lines = [
        f"Square sync against the sandbox, {dt.date.today()}, "
        f"Python {platform.python_version()}, {platform.machine()}",
        "rate_limit = token bucket of N requests refilled per second",
        '',
        f"{'orders':>7} {'faults':>6} {'limit':>5} {'sales':>6} "
        f"{'paymts':>6} {'refnds':>6} {'sales/s':>8} {'rec/s':>8} "
        f"{'secs':>6} {'calls':>5} {'inj':>4} {'RSSMiB':>6} once",
        ]
    for fault_rate, rate_limit in settings:
        r = run(args.orders, fault_rate, rate_limit)
        lines.append(
            f"{r['orders']:>7} {r['fault_rate']:>6.0%} "
            f"{r['rate_limit']:>5} {r['cash_sales']:>6} "
            f"{r['payments']:>6} {r['refunds']:>6} "
            f"{r['sales_per_s']:>8.0f} {r['records_per_s']:>8.0f} "
            f"{r['seconds']:>6.1f} {r['calls']:>5} {r['faults']:>4} "
            f"{r['peak_mib']:>6.0f} {r['exactly_once']}")
        print(lines[-1], flush=True)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text('\n'.join(lines) + '\n')


if __name__ == '__main__':
    main()
